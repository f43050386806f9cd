"""gs:// through Python, against fake-gcs-server (KVPS_TEST_GCS_URL, set by scripts/test.sh):
put/get/list/stat, conditions, listing by level, batches and streams. Without the variable the
tests skip, or fail when CI=true."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import kvps
from conftest import s3_url, unavailable, unique


@pytest.fixture
def gs() -> Iterator[kvps.Store]:
    if kvps.backend("gs") is None:
        unavailable("the gs:// backend is not in this libkvps")
    if not os.environ.get("KVPS_TEST_GCS_URL"):
        unavailable("KVPS_TEST_GCS_URL is not set: no fake-gcs-server to test against (scripts/test.sh starts one)")
    with kvps.open(s3_url(unique(), "KVPS_TEST_GCS_URL")) as store:
        yield store
        store.clear()


def test_put_get_stat_delete(gs: kvps.Store) -> None:
    gs["a"] = b"hello"
    assert gs["a"] == b"hello"
    assert gs.get("missing") is None
    st = gs.stat("a")
    assert st.size == 5
    assert st.etag  # the generation
    etag = gs.put("b", b"x", content_type="text/plain", metadata={"color": "blue"})
    st = gs.stat("b")
    assert st.etag == etag
    assert st.content_type == "text/plain"
    assert dict(st.metadata) == {"color": "blue"}
    assert gs.get_range("a", 1, 3) == b"ell"
    gs.delete("a")
    gs.delete("a")  # a missing key is not an error
    assert "a" not in gs
    with pytest.raises(kvps.NotFound):
        gs.stat("a")


def test_conditions(gs: kvps.Store) -> None:
    gs.put("k", b"1", create_only=True)
    with pytest.raises(kvps.PreconditionFailed):
        gs.put("k", b"2", create_only=True)
    with pytest.raises(kvps.PreconditionFailed):
        gs.put("k", b"2", if_match="12345")
    etag = gs.stat("k").etag
    assert gs.put("k", b"2", if_match=etag) != etag
    with pytest.raises(kvps.PreconditionFailed):
        gs.put("k", b"3", if_match=etag)  # stale now
    assert gs["k"] == b"2"
    gs.copy("k", "k2")
    with pytest.raises(kvps.PreconditionFailed):
        gs.copy("k", "k2", create_only=True)


def test_list_flat_and_by_level(gs: kvps.Store) -> None:
    keys = ["a", "b/1", "b/2", "b/c/3", "c-d", "c/x", "z"]
    gs.put_many({k: k.encode() for k in keys})
    assert [e.key for e in gs.list(page_size=2)] == keys
    assert [e.key for e in gs.list("b/")] == ["b/1", "b/2", "b/c/3"]
    assert [e.key for e in gs.list(start_after="c-d")] == ["c/x", "z"]
    items = list(gs.list("", delimiter="/", page_size=2))
    assert [i.key if isinstance(i, kvps.Entry) else ("prefix", str(i)) for i in items] == [
        "a", ("prefix", "b/"), "c-d", ("prefix", "c/"), "z"]
    assert list(gs.list(delimiter="/", start_after="b/1")) == items[2:]
    assert gs.get_many(["a", "nope", "z"]) == {"a": b"a", "z": b"z"}
    gs.delete_many(keys + ["never-there"])
    assert list(gs.list()) == []


def test_streams_and_presign_without_a_key(gs: kvps.Store) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    with gs.open("big", "wb") as out:
        for i in range(0, len(data), 100_000):
            out.write(data[i:i + 100_000])
    with gs.open("big", "rb") as stream:
        assert stream.read() == data
    with pytest.raises(kvps.Unsupported) as info:
        gs.presign("big")
    assert "private key" in str(info.value)
