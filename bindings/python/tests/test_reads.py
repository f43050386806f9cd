"""Issue #15 through Python: folder listings, readinto, presign, and the Corrupt error."""

from __future__ import annotations

import array
import urllib.request

import pytest

import kvps


def test_list_with_delimiter_yields_keys_and_prefixes(store: kvps.Store) -> None:
    for k in ["a", "b/1", "b/2", "b/c/3", "c-d", "c/x", "z"]:
        store[k] = k.encode()
    items = list(store.list("", delimiter="/", page_size=2))
    assert [(type(i).__name__, i.key if isinstance(i, kvps.Entry) else str(i)) for i in items] == [
        ("Entry", "a"),
        ("Prefix", "b/"),
        ("Entry", "c-d"),
        ("Prefix", "c/"),
        ("Entry", "z"),
    ]
    assert isinstance(items[1], str) and items[1] == "b/"
    assert [i.key for i in store.list("b/", delimiter="/") if isinstance(i, kvps.Entry)] == ["b/1", "b/2"]
    assert [i for i in store.list("b/", delimiter="/") if isinstance(i, kvps.Prefix)] == ["b/c/"]
    assert [i.key for i in store.list(start_after="c-d")] == ["c/x", "z"]
    assert list(store.list(delimiter="/", start_after="b/")) == [items[2], items[3], items[4]]
    with pytest.raises(kvps.InvalidArgument):
        list(store.list(delimiter=""))


def test_readinto(store: kvps.Store) -> None:
    store["v"] = b"0123456789"
    buf = bytearray(16)
    assert store.readinto("v", buf) == 10
    assert buf[:10] == b"0123456789"
    view = memoryview(buf)[4:]
    assert store.readinto("v", view, offset=7) == 3
    assert buf[4:7] == b"789"
    numbers = array.array("I", [0] * 4)  # 16 bytes
    assert store.readinto("v", numbers) == 10
    small = bytearray(b"untouched")
    with pytest.raises(kvps.InvalidArgument) as info:
        store.readinto("v", small)
    assert info.value.size_needed == 10  # type: ignore[attr-defined]
    assert small == b"untouched"
    with pytest.raises(kvps.NotFound):
        store.readinto("missing", buf)
    with pytest.raises(TypeError):
        store.readinto("v", b"read-only bytes")
    store["empty"] = b""
    assert store.readinto("empty", bytearray()) == 0


def test_presign(store: kvps.Store) -> None:
    store["p"] = b"presigned"
    if not store.url.startswith("s3://"):
        with pytest.raises(kvps.Unsupported):
            store.presign("p")
        return
    url = store.presign("p", expires=60)
    assert url.startswith("http") and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url) as answer:
        assert answer.read() == b"presigned"
    put = store.presign("p", "PUT", expires=60)
    request = urllib.request.Request(put, data=b"replaced", method="PUT")
    with urllib.request.urlopen(request):
        pass
    assert store["p"] == b"replaced"
    with pytest.raises(ValueError):
        store.presign("p", expires=0)
    with pytest.raises(kvps.InvalidArgument):
        store.presign("p", "DELETE")


def test_corrupt_maps_to_its_class() -> None:
    assert int(kvps.Status.CORRUPT) == 19
    error = kvps._errors.error_for(19, "value of key 'k' failed its checksum")
    assert isinstance(error, kvps.Corrupt) and isinstance(error, kvps.Error)
    assert error.status_name == "KVPS_CORRUPT"
