"""Download (once) and cache the official AG News CSV files.

``ensure_ag_news()`` fetches ``ag_news_csv.tgz`` (the archive of Zhang, Zhao & LeCun's
``train.csv``/``test.csv``/``classes.txt``, mirrored by fast.ai at :data:`AG_NEWS_URL`),
extracts those three files into ``<cache_dir>/ag_news_csv/`` and checks them:

* the archive's size and MD5 against the values fast.ai publishes for this URL
  (``fastai/data/checks.txt``: 11,784,419 bytes, MD5 ``b86f328f4dbd072486591cb7a5644dcd``;
  no SHA-256 of the archive is published, so none is checked);
* ``test.csv``'s SHA-256 against the official file's
  (:data:`OFFICIAL_TEST_SHA256`, 7,600 rows).

Later calls reuse the cache (after re-checking ``test.csv``).  Without network access it
fails with a message saying how to supply the files by hand (``--input_dir``).

Example::

    from pipelines.agnews_download import ensure_ag_news
    data_dir = ensure_ag_news()          # ~/.cache/rnn_pipelines/ag_news_csv
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request

AG_NEWS_URL = "https://s3.amazonaws.com/fast-ai-nlp/ag_news_csv.tgz"
OFFICIAL_TEST_SHA256 = "521465c2428ed7f02f8d6db6ffdd4b5447c1c701962353eb2c40d548c3c85699"
# Published by fast.ai for AG_NEWS_URL (fastai/fastai, fastai/data/checks.txt): [size, md5].
ARCHIVE_SIZE = 11_784_419
ARCHIVE_MD5 = "b86f328f4dbd072486591cb7a5644dcd"
DEFAULT_CACHE_DIR = "~/.cache/rnn_pipelines"
FOLDER = "ag_news_csv"
MEMBERS = ("classes.txt", "train.csv", "test.csv")  # test.csv last: its presence marks a complete cache


class DownloadError(OSError):
    """The archive could not be fetched (offline, wrong URL, server error)."""


def _digest(path: str, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _cache_ok(folder: str, test_sha256: str | None) -> bool:
    if not all(os.path.isfile(os.path.join(folder, m)) for m in MEMBERS):
        return False
    return test_sha256 is None or _digest(os.path.join(folder, "test.csv"), "sha256") == test_sha256


def _download(url: str, dest: str, progress: bool) -> None:
    from tqdm import tqdm

    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
            total = response.headers.get("Content-Length")
            with tqdm(total=int(total) if total else None, unit="B", unit_scale=True, desc="ag_news_csv.tgz", disable=not progress) as bar:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise DownloadError(
            f"could not download AG News from {url} ({reason}). If this machine is offline, download "
            f"{AG_NEWS_URL} elsewhere, extract it, and pass --input_dir pointing at the folder holding "
            "train.csv and test.csv."
        ) from e


def _extract(archive: str, dest: str) -> None:
    wanted = set(MEMBERS)
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            name = os.path.basename(member.name)
            if member.isfile() and name in wanted and member.name.count("/") <= 1:
                with tar.extractfile(member) as src, open(os.path.join(dest, name), "wb") as out:
                    shutil.copyfileobj(src, out)
                wanted.discard(name)
    if wanted:
        raise ValueError(f"{archive}: the archive lacks {sorted(wanted)} (expected ag_news_csv/{{{','.join(MEMBERS)}}})")


def ensure_ag_news(
    cache_dir: str = DEFAULT_CACHE_DIR,
    *,
    url: str = AG_NEWS_URL,
    test_sha256: str | None = OFFICIAL_TEST_SHA256,
    archive_size: int | None = ARCHIVE_SIZE,
    archive_md5: str | None = ARCHIVE_MD5,
    progress: bool = True,
) -> str:
    """Returns a folder holding AG News ``train.csv``, ``test.csv`` and ``classes.txt``.

    Args:
        cache_dir: where to keep the files (``~`` expanded); they go to ``<cache_dir>/ag_news_csv``.
        url: where to fetch the ``.tgz`` from (``file://`` URLs work too).
        test_sha256: expected SHA-256 of ``test.csv`` (``None``: not checked).
        archive_size: expected archive size in bytes (``None``: not checked).
        archive_md5: expected archive MD5 (``None``: not checked).
        progress: show a download progress bar.

    Returns:
        The folder path.

    Raises:
        DownloadError: when the archive cannot be fetched (e.g. offline).
        ValueError: when a checksum or size does not match, or a file is missing from the
            archive; the cache is not updated then.
    """
    cache_dir = os.path.expanduser(cache_dir)
    folder = os.path.join(cache_dir, FOLDER)
    if _cache_ok(folder, test_sha256):
        return folder
    os.makedirs(cache_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".ag_news_download-") as tmp:
        archive = os.path.join(tmp, "ag_news_csv.tgz")
        _download(url, archive, progress)
        size = os.path.getsize(archive)
        if archive_size is not None and size != archive_size:
            raise ValueError(f"{url}: downloaded {size} bytes, expected {archive_size} (truncated or changed archive)")
        if archive_md5 is not None and (md5 := _digest(archive, "md5")) != archive_md5:
            raise ValueError(f"{url}: archive MD5 {md5} does not match the published {archive_md5}")
        extracted = os.path.join(tmp, FOLDER)
        os.makedirs(extracted)
        _extract(archive, extracted)
        if test_sha256 is not None and (sha := _digest(os.path.join(extracted, "test.csv"), "sha256")) != test_sha256:
            raise ValueError(f"{url}: test.csv has SHA-256 {sha}, expected the official {test_sha256}")
        os.makedirs(folder, exist_ok=True)
        for name in MEMBERS:
            os.replace(os.path.join(extracted, name), os.path.join(folder, name))
    return folder
