"""az:// through Python against Azurite (tests/azure/server.sh, started by scripts/test.sh):
put/get, list (flat and by level), stat, conditions, batch delete and presign. Without
KVPS_TEST_AZ_URL the tests skip, or fail when CI=true."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator

import pytest

import kvps
from conftest import unavailable, unique


@pytest.fixture
def store() -> Iterator[kvps.Store]:
    base = os.environ.get("KVPS_TEST_AZ_URL")
    if not base:
        unavailable("KVPS_TEST_AZ_URL is not set: no Azurite to test against (scripts/test.sh starts one)")
    if kvps.backend("az") is None:
        unavailable("the az:// backend is not in this libkvps")
    assert base is not None
    sep = "&" if "?" in base else "?"
    with kvps.open(f"{base}{sep}prefix=py-{unique()}/") as s:
        yield s
        s.clear()


def test_put_get_delete(store: kvps.Store) -> None:
    store.put("a b/ü.txt", b"value")
    assert store.get("a b/ü.txt") == b"value"
    assert store.get("missing") is None
    store.delete("a b/ü.txt")
    assert store.get("a b/ü.txt") is None


def test_list_flat_and_by_level(store: kvps.Store) -> None:
    for k in ["a", "b/1", "b/2", "c/x/1", "d"]:
        store.put(k, k.encode())
    assert [e.key for e in store.list()] == ["a", "b/1", "b/2", "c/x/1", "d"]
    assert [e.key for e in store.list("b/")] == ["b/1", "b/2"]
    level = list(store.list(delimiter="/", page_size=1))
    assert [(type(i).__name__, i if isinstance(i, kvps.Prefix) else i.key) for i in level] == [
        ("Entry", "a"), ("Prefix", "b/"), ("Prefix", "c/"), ("Entry", "d")]
    assert [str(i) if isinstance(i, kvps.Prefix) else i.key
            for i in store.list(delimiter="/", start_after="b/")] == ["c/", "d"]


def test_stat_with_properties(store: kvps.Store) -> None:
    store.put("k", b"12345", content_type="text/plain", metadata={"x-owner": "me"})
    st = store.stat("k")
    assert st.size == 5
    assert st.content_type == "text/plain"
    assert dict(st.metadata) == {"x-owner": "me"}
    with pytest.raises(kvps.NotFound):
        store.stat("missing")


def test_conditions(store: kvps.Store) -> None:
    etag = store.put("k", b"1", create_only=True)
    assert etag
    with pytest.raises(kvps.PreconditionFailed):
        store.put("k", b"2", create_only=True)
    with pytest.raises(kvps.PreconditionFailed):
        store.put("k", b"2", if_match="0x0000000000000000")
    assert store.put("k", b"2", if_match=etag) != etag
    assert store.get("k") == b"2"


def test_delete_many(store: kvps.Store) -> None:
    keys = [f"many/{i}" for i in range(300)]  # more than one Blob Batch (256)
    for k in keys[:10]:
        store.put(k, b"x")
    store.delete_many(keys)
    assert list(store.list("many/")) == []


def test_presign_get(store: kvps.Store) -> None:
    store.put("shared", b"presigned")
    url = store.presign("shared", "GET", expires=300)
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.read() == b"presigned"
