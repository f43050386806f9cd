"""The fsspec filesystem: fsspec's own abstract suite for implementers on memory://, file://
and s3://, then what this binding adds (one-string URLs, registration, atomic writes, errors)."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

fsspec = pytest.importorskip("fsspec")
from fsspec.tests.abstract import AbstractFixtures  # noqa: E402
from fsspec.tests.abstract.copy import AbstractCopyTests  # noqa: E402
from fsspec.tests.abstract.get import AbstractGetTests  # noqa: E402
from fsspec.tests.abstract.open import AbstractOpenTests  # noqa: E402
from fsspec.tests.abstract.pipe import AbstractPipeTests  # noqa: E402
from fsspec.tests.abstract.put import AbstractPutTests  # noqa: E402

import kvps  # noqa: E402
from kvps.fsspec import KvpsFileSystem, url  # noqa: E402

from conftest import BACKENDS, store_url  # noqa: E402


@pytest.fixture(params=BACKENDS)
def kvfs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KvpsFileSystem]:
    store = kvps.open(store_url(str(request.param), tmp_path))
    fs = KvpsFileSystem(store, skip_instance_cache=True)
    yield fs
    if request.param == "s3":
        store.clear()
    store.close()


class KvpsFixtures(AbstractFixtures):  # type: ignore[misc]
    @pytest.fixture
    def fs(self, kvfs: KvpsFileSystem) -> KvpsFileSystem:
        return kvfs

    @pytest.fixture
    def fs_join(self) -> Callable[..., str]:
        return posixpath.join

    @pytest.fixture
    def fs_path(self) -> str:
        return "root"

    @pytest.fixture
    def supports_empty_directories(self) -> bool:
        return False  # folders exist through the keys under them, as on S3


class TestKvpsCopy(KvpsFixtures, AbstractCopyTests):  # type: ignore[misc]
    pass


class TestKvpsGet(KvpsFixtures, AbstractGetTests):  # type: ignore[misc]
    pass


class TestKvpsPut(KvpsFixtures, AbstractPutTests):  # type: ignore[misc]
    pass


class TestKvpsOpen(KvpsFixtures, AbstractOpenTests):  # type: ignore[misc]
    pass


class TestKvpsPipe(KvpsFixtures, AbstractPipeTests):  # type: ignore[misc]
    pass


# ---------------------------------------------------------------------------- kvps's own


def test_registered_through_the_entry_point() -> None:
    cls = fsspec.get_filesystem_class("kvps")
    assert cls is KvpsFileSystem


def test_filesystem_by_name_and_one_string_url(tmp_path: Path) -> None:
    store = f"file://{tmp_path}/s"
    fs = fsspec.filesystem("kvps", store=store)
    fs.pipe_file("a/b.txt", b"hello")
    with fsspec.open(url(store, "a/b.txt"), "rb") as f:
        assert f.read() == b"hello"
    with fsspec.open("kvps://a/b.txt", "rb", store=store) as f:
        assert f.read() == b"hello"
    # A store URL with its own query string is taken verbatim after ?store=.
    with fsspec.open(f"kvps://a/b.txt?store={store}?pathmapped=false", "rb") as f:
        assert f.read() == b"hello"


def test_folders_ls_info_find_glob_du(kvfs: KvpsFileSystem) -> None:
    for key in ["d/x.csv", "d/y.csv", "d/sub/z.csv", "d/sub/deeper/w.bin", "e.txt"]:
        kvfs.pipe_file(key, b"12345")
    assert kvfs.ls("d", detail=False) == ["d/sub", "d/x.csv", "d/y.csv"]
    assert sorted(kvfs.ls("", detail=False)) == ["d", "e.txt"]
    assert kvfs.info("d")["type"] == "directory"
    assert kvfs.info("d/x.csv") == {**kvfs.info("d/x.csv"), "type": "file", "size": 5}
    assert kvfs.isdir("d/sub") and not kvfs.isdir("d/x.csv") and not kvfs.isdir("nope")
    assert kvfs.find("d") == ["d/sub/deeper/w.bin", "d/sub/z.csv", "d/x.csv", "d/y.csv"]
    assert kvfs.glob("d/*.csv") == ["d/x.csv", "d/y.csv"]
    assert kvfs.glob("d/**/*.csv") == ["d/sub/z.csv", "d/x.csv", "d/y.csv"]
    assert kvfs.du("d") == 20
    kvfs.mkdir("new/folder")  # a no-op: no key, no folder
    assert not kvfs.exists("new")
    with pytest.raises(FileNotFoundError):
        kvfs.ls("missing")
    with pytest.raises(FileNotFoundError):
        kvfs.info("d/missing.csv")
    kvfs.rm("d", recursive=True)
    assert not kvfs.exists("d") and kvfs.exists("e.txt")


def test_cat_file_ranges(kvfs: KvpsFileSystem) -> None:
    kvfs.pipe_file("r", bytes(range(100)))
    assert kvfs.cat_file("r", 10, 20) == bytes(range(10, 20))
    assert kvfs.cat_file("r", -5) == bytes(range(95, 100))
    assert kvfs.cat_file("r", 90, 1000) == bytes(range(90, 100))
    assert kvfs.cat_file("r", None, -90) == bytes(range(10))
    with pytest.raises(FileNotFoundError):
        kvfs.cat_file("nothing")


def test_rb_is_seekable_with_read_ahead(kvfs: KvpsFileSystem) -> None:
    data = os.urandom(3 * 2**20 + 17)
    kvfs.pipe_file("big", data)
    with kvfs.open("big", "rb", block_size=2**20) as f:
        assert f.read(10) == data[:10]
        f.seek(2**20 + 5)
        assert f.read(100) == data[2**20 + 5 : 2**20 + 105]
        f.seek(-7, os.SEEK_END)
        assert f.read() == data[-7:]


def test_wb_is_atomic_and_aborted_by_an_exception(kvfs: KvpsFileSystem) -> None:
    kvfs.pipe_file("v", b"old")
    with pytest.raises(RuntimeError):
        with kvfs.open("v", "wb", block_size=2**20) as f:
            f.write(b"x" * (3 * 2**20))  # past the block size: chunks reached the writer
            raise RuntimeError("boom")
    assert kvfs.cat_file("v") == b"old"
    with kvfs.open("v", "wb") as f:
        f.write(b"new")
        assert kvfs.cat_file("v") == b"old"  # nothing visible before close
    assert kvfs.cat_file("v") == b"new"


def test_errors_are_the_builtin_ones(kvfs: KvpsFileSystem, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        kvfs.open("missing", "rb")
    with pytest.raises(FileNotFoundError):
        kvfs.get_file("missing", str(tmp_path / "out"))
    with pytest.raises(FileNotFoundError):
        kvfs.cp_file("missing", "elsewhere")
    kvfs.pipe_file("here", b"1")
    with pytest.raises(FileExistsError):
        kvfs.open("here", "xb")


def test_put_get_round_trip_in_chunks(kvfs: KvpsFileSystem, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    data = os.urandom(9 * 2**20 + 3)
    src.write_bytes(data)
    kvfs.put_file(str(src), "up/src.bin")
    out = tmp_path / "out.bin"
    kvfs.get_file("up/src.bin", str(out))
    assert out.read_bytes() == data
    kvfs.cp_file("up/src.bin", "up/copy.bin")
    kvfs.mv("up/copy.bin", "up/moved.bin")
    assert kvfs.cat_file("up/moved.bin") == data
    assert not kvfs.exists("up/copy.bin")


# ---------------------------------------------------------------------------- real use


def _dataframe() -> Any:
    pd = pytest.importorskip("pandas")
    return pd.DataFrame({"city": ["Oslo", "Lima", "Pune", "Oslo"], "temp": [3.5, 19.0, 31.25, -2.0]})


def test_pandas_parquet_and_csv_through_a_kvps_url(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    store = f"file://{tmp_path}/s"
    df = _dataframe()
    df.to_parquet(url(store, "tables/t.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(url(store, "tables/t.parquet")), df)
    df.to_csv("kvps://tables/t.csv", index=False, storage_options={"store": store})
    back = pd.read_csv("kvps://tables/t.csv", storage_options={"store": store})
    pd.testing.assert_frame_equal(back, df)


def test_pyarrow_dataset_over_a_prefix_with_a_filter(kvfs: KvpsFileSystem) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    ds = pytest.importorskip("pyarrow.dataset")
    for part in range(4):
        table = pa.table({"part": [part] * 3, "value": [part * 10 + i for i in range(3)]})
        with kvfs.open(f"ds/part-{part}.parquet", "wb") as f:
            pq.write_table(table, f)
    dataset = ds.dataset("ds", filesystem=kvfs, format="parquet")
    result = dataset.to_table(filter=ds.field("part") >= 2).to_pydict()
    assert sorted(result["value"]) == [20, 21, 22, 30, 31, 32]


def test_dask_reads_parquet(tmp_path: Path) -> None:
    dd = pytest.importorskip("dask.dataframe")
    store = f"file://{tmp_path}/s"
    _dataframe().to_parquet(url(store, "dk/t.parquet"))
    frame = dd.read_parquet("kvps://dk/t.parquet", storage_options={"store": store}).compute()
    assert frame.reset_index(drop=True).to_dict("list") == _dataframe().to_dict("list")
