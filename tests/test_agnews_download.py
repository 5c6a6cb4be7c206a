"""ensure_ag_news: download, checksum and cache, offline (file:// URLs to archives built here)."""
from __future__ import annotations

import hashlib
import io
import os
import tarfile

import pytest

from pipelines import agnews_download
from pipelines.agnews_download import DownloadError, ensure_ag_news

FILES = {
    "ag_news_csv/train.csv": b'"1","T","D"\n"2","T2","D2"\n',
    "ag_news_csv/test.csv": b'"3","T3","D3"\n',
    "ag_news_csv/classes.txt": b"World\nSports\nBusiness\nSci/Tech\n",
    "ag_news_csv/readme.txt": b"not extracted\n",
}


def _archive(tmp_path, files=FILES) -> tuple[str, bytes]:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path = tmp_path / "ag_news_csv.tgz"
    path.write_bytes(buf.getvalue())
    return path.as_uri(), buf.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_extract_verify_and_reuse(tmp_path):
    url, archive = _archive(tmp_path)
    cache = tmp_path / "cache"
    folder = ensure_ag_news(
        str(cache), url=url, test_sha256=_sha256(FILES["ag_news_csv/test.csv"]),
        archive_size=len(archive), archive_md5=hashlib.md5(archive).hexdigest(), progress=False,
    )
    assert folder == str(cache / "ag_news_csv")
    assert sorted(os.listdir(folder)) == ["classes.txt", "test.csv", "train.csv"]
    for name in ("train.csv", "test.csv", "classes.txt"):
        assert (cache / "ag_news_csv" / name).read_bytes() == FILES[f"ag_news_csv/{name}"]
    assert [p for p in os.listdir(cache) if p != "ag_news_csv"] == []  # temporary download removed
    # A second call reuses the cache: the URL is not touched.
    again = ensure_ag_news(str(cache), url=(tmp_path / "gone.tgz").as_uri(),
                           test_sha256=_sha256(FILES["ag_news_csv/test.csv"]), progress=False)
    assert again == folder
    # A damaged cache (test.csv changed) is downloaded again.
    (cache / "ag_news_csv" / "test.csv").write_bytes(b"damaged")
    ensure_ag_news(str(cache), url=url, test_sha256=_sha256(FILES["ag_news_csv/test.csv"]),
                   archive_size=None, archive_md5=None, progress=False)
    assert (cache / "ag_news_csv" / "test.csv").read_bytes() == FILES["ag_news_csv/test.csv"]


def test_wrong_test_checksum_fails_and_leaves_no_cache(tmp_path):
    url, _ = _archive(tmp_path)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match=r"test\.csv has SHA-256 [0-9a-f]{64}, expected the official 0{64}"):
        ensure_ag_news(str(cache), url=url, test_sha256="0" * 64, archive_size=None, archive_md5=None, progress=False)
    assert os.listdir(cache) == []


def test_default_expectations_are_the_official_ones(tmp_path):
    # A home-made archive is not the official one: rejected by the published size first.
    url, archive = _archive(tmp_path)
    with pytest.raises(ValueError, match=f"downloaded {len(archive)} bytes, expected 11784419"):
        ensure_ag_news(str(tmp_path / "cache"), url=url, progress=False)
    assert agnews_download.OFFICIAL_TEST_SHA256 == "521465c2428ed7f02f8d6db6ffdd4b5447c1c701962353eb2c40d548c3c85699"


def test_wrong_archive_md5(tmp_path):
    url, archive = _archive(tmp_path)
    with pytest.raises(ValueError, match="archive MD5 .* does not match the published f{32}"):
        ensure_ag_news(str(tmp_path / "cache"), url=url, archive_size=len(archive), archive_md5="f" * 32, progress=False)


def test_archive_without_test_csv(tmp_path):
    files = {k: v for k, v in FILES.items() if not k.endswith("test.csv")}
    url, _ = _archive(tmp_path, files)
    with pytest.raises(ValueError, match=r"lacks \['test.csv'\]"):
        ensure_ag_news(str(tmp_path / "cache"), url=url, test_sha256=None, archive_size=None, archive_md5=None, progress=False)


def test_offline_gives_a_clear_error(tmp_path):
    with pytest.raises(DownloadError, match=r"could not download AG News from .*nowhere\.tgz.*--input_dir"):
        ensure_ag_news(str(tmp_path / "cache"), url=(tmp_path / "nowhere.tgz").as_uri(), progress=False)
