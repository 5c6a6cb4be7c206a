"""input_fn under a real tf.distribute.MirroredStrategy over two logical CPU devices.

Run by ``tests/test_input_fn.py`` in a fresh process, because logical devices must be
configured before TensorFlow initialises its devices.  Usage::

    python tests/mirrored_strategy_script.py DATA_DIR

DATA_DIR holds a text dataset with a "train" split (see ``tests/tfrecord_fixtures.py``).
Prints one JSON line: the replicas, the record ids each replica received over one epoch
of ``strategy.distribute_datasets_from_function(input_fn ...)``, the per-replica batch
sizes and padded widths per step, and the losses of two ``model.fit`` epochs of a tiny Keras model built under
``strategy.scope()``.
"""
from __future__ import annotations

import json
import sys

import tensorflow as tf


def main(data_dir: str) -> dict:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    strategy = tf.distribute.MirroredStrategy(devices)

    import keras

    from tfrecords import input_fn, read_metadata

    metadata = read_metadata(data_dir)
    contexts = []

    def dataset_fn(context, **kwargs):
        contexts.append(context)
        return input_fn(data_dir, "train", 8, seed=0, input_context=context, **kwargs)

    dist = strategy.distribute_datasets_from_function(lambda ctx: dataset_fn(ctx, include_fields=("id",)))
    ids, steps, seen_devices = [], [], set()
    for inputs, _labels in dist:
        step = {"ids": [], "widths": []}
        for id_tensor, token_ids in zip(strategy.experimental_local_results(inputs["id"]),
                                        strategy.experimental_local_results(inputs["token_ids"])):
            seen_devices.add(token_ids.device)
            step["ids"].append([r.decode() for r in id_tensor.numpy()])
            step["widths"].append(int(token_ids.shape[1]))
            ids.extend(step["ids"][-1])
        steps.append(step)

    with strategy.scope():
        model = keras.Sequential([
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(metadata["vocab_size"], 8, mask_zero=True),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(metadata["num_classes"], activation="softmax"),
        ])
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    fit_data = strategy.distribute_datasets_from_function(lambda ctx: dataset_fn(ctx, label_mode="sparse"))
    fit_steps = []
    history = model.fit(fit_data, epochs=2, verbose=0,
                        callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: fit_steps.append(b))])
    return {
        "num_replicas": strategy.num_replicas_in_sync,
        "num_input_pipelines": contexts[0].num_input_pipelines,
        "per_replica_batch_size": contexts[0].get_per_replica_batch_size(8),
        "devices": sorted(seen_devices),
        "steps": steps,
        "ids": ids,
        "fit_steps": len(fit_steps),  # over both epochs
        "losses": [float(loss) for loss in history.history["loss"]],
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
