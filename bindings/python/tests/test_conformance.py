"""The conformance behaviour of the C suite, through Python, on every backend."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path
from datetime import datetime, timedelta, timezone

import pytest

import kvps
from conftest import store_url

MiB = 1024 * 1024


def pattern(size: int, seed: int = 0) -> bytes:
    """size bytes that differ from one position (and seed) to the next."""
    block = bytes((i * 31 + seed) % 251 for i in range(4096))
    return (block * (size // len(block) + 1))[:size]


def test_store_is_a_mutable_mapping(store: kvps.Store) -> None:
    assert isinstance(store, MutableMapping)
    assert len(store) == 0
    store["b"] = b"2"
    store["a"] = b"1"
    assert store["a"] == b"1"
    assert "a" in store and "zzz" not in store
    assert len(store) == 2
    assert list(store) == ["a", "b"]
    assert dict(store.items()) == {"a": b"1", "b": b"2"}
    del store["a"]
    assert "a" not in store
    with pytest.raises(KeyError):
        del store["a"]  # as a dict does; delete() is the idempotent form
    assert store.pop("b") == b"2"
    assert store.pop("b", None) is None
    assert len(store) == 0


@pytest.mark.parametrize("size", [0, 1, MiB])
def test_round_trip(store: kvps.Store, size: int) -> None:
    value = pattern(size)
    store.put("value", value)
    assert store["value"] == value
    assert store.get("value") == value
    assert store.stat("value").size == size


def test_round_trip_64_mib_through_streams(store: kvps.Store) -> None:
    value = pattern(64 * MiB, seed=7)
    with store.open("big", "wb") as writer:
        view = memoryview(value)
        for start in range(0, len(value), 3 * MiB + 17):  # odd chunk sizes on purpose
            writer.write(view[start : start + 3 * MiB + 17])
    assert store.stat("big").size == len(value)
    with store.open("big", "rb") as reader:
        assert reader.read() == value


def test_bytes_like_values(store: kvps.Store) -> None:
    store["ba"] = bytearray(b"bytearray")
    store["mv"] = memoryview(b"xxmemoryviewxx")[2:-2]
    store["empty"] = bytearray()
    assert store["ba"] == b"bytearray"
    assert store["mv"] == b"memoryview"
    assert store["empty"] == b""
    with pytest.raises(TypeError):
        store["text"] = "not bytes"  # type: ignore[assignment]


def test_overwrite_replaces(store: kvps.Store) -> None:
    store["k"] = b"first value, longer"
    store["k"] = b"second"
    assert store["k"] == b"second"


def test_missing_key(store: kvps.Store) -> None:
    with pytest.raises(kvps.NotFound) as caught:
        store["missing"]
    assert isinstance(caught.value, KeyError)
    assert caught.value.status == kvps.Status.NOT_FOUND
    assert "missing" in str(caught.value)
    assert store.get("missing") is None
    assert store.get("missing", b"default") == b"default"
    with pytest.raises(kvps.NotFound):
        store.stat("missing")
    with pytest.raises(kvps.NotFound):
        store.get_range("missing", 0, 1)
    with pytest.raises(kvps.NotFound):
        store.open("missing", "rb")


# The key rules themselves are the C conformance suite's (tests/conformance); here, what the
# binding maps: str to UTF-8 bytes (the limit counts bytes, not characters) and back.
GOOD_KEYS = [
    "é" * (kvps.KEY_MAX // 2),  # 1024 bytes of two-byte characters
    "日本語/キー",
    "emoji 😀",
    "query?x=1&y=2#frag",
]


def fit_for_s3(store: kvps.Store, key: str) -> str:
    """On s3://, a long key made to fit the server's limits: S3 keys stop at 1024 bytes with
    the store's prefix included (KeyTooLongError), and MinIO refuses path segments over 255
    bytes (XMinioInvalidObjectName); both arrive as InvalidKey. Other stores take it as is."""
    if not store.url.startswith("s3:"):
        return key
    path = store.url.split("?")[0].split("://")[1].partition("/")[2]
    limit = kvps.KEY_MAX - len(path.encode()) - 1 if path else kvps.KEY_MAX
    key = "/".join(key[i : i + 100] for i in range(0, len(key), 100))
    while len(key.encode()) > limit:
        key = key[:-1]
    return key


@pytest.mark.parametrize("key", GOOD_KEYS, ids=range(len(GOOD_KEYS)))
def test_keys_at_the_limits_round_trip(store: kvps.Store, key: str) -> None:
    key = fit_for_s3(store, key)
    store[key] = key.encode()
    assert store[key] == key.encode()
    assert [e.key for e in store.list()] == [key]
    store.delete(key)
    assert key not in store


# One of each kind the binding must refuse through every call: the core's rules (empty, too
# many bytes, a control character) and what only the binding sees (a NUL inside a str, which
# C would cut short, and a lone surrogate, which has no UTF-8).
BAD_KEYS = [
    "",
    "é" * (kvps.KEY_MAX // 2) + "a",
    "newline\n",
    "nul\x00inside",
    "lone surrogate \udc80",
]


@pytest.mark.parametrize("key", BAD_KEYS, ids=range(len(BAD_KEYS)))
def test_bad_keys_are_invalid_key(store: kvps.Store, key: str) -> None:
    for call in (
        lambda: store.put(key, b"x"),
        lambda: store[key],
        lambda: store.get(key),
        lambda: store.stat(key),
        lambda: store.delete(key),
        lambda: store.get_range(key, 0, 1),
        lambda: store.open(key, "rb"),
        lambda: store.open(key, "wb"),
    ):
        with pytest.raises(kvps.InvalidKey) as caught:
            call()
        assert isinstance(caught.value, ValueError)
        assert caught.value.status == kvps.Status.INVALID_KEY
        assert str(caught.value)  # a message naming the culprit
    assert len(store) == 0  # nothing half-written


def test_non_str_keys_are_type_errors(store: kvps.Store) -> None:
    with pytest.raises(TypeError):
        store[b"bytes"]  # type: ignore[index]
    assert (42 in store) is False  # type: ignore[comparison-overlap]


def test_ranges(store: kvps.Store) -> None:
    store["r"] = b"0123456789"
    assert store.get_range("r", 0, 3) == b"012"
    assert store.get_range("r", 7) == b"789"
    assert store.get_range("r", 7, 100) == b"789"  # clamped to the end
    assert store.get_range("r", 10, 5) == b""
    assert store.get_range("r", 1000) == b""
    assert store.get_range("r", 3, 0) == b""
    with pytest.raises(ValueError):
        store.get_range("r", -1, 2)
    store["empty"] = b""
    assert store.get_range("empty", 0) == b""


def test_stat(store: kvps.Store) -> None:
    before = datetime.now(timezone.utc) - timedelta(minutes=5)
    store["s"] = b"12345"
    first = store.stat("s")
    assert first.size == 5
    assert first.modified.tzinfo is not None
    assert before < first.modified < datetime.now(timezone.utc) + timedelta(minutes=5)
    assert first.etag
    store["s"] = b"54321"  # same size, same second: the etag must still change
    second = store.stat("s")
    assert second.etag != first.etag


def test_delete_is_idempotent(store: kvps.Store) -> None:
    store.delete("never-there")
    store["d"] = b"x"
    store.delete("d")
    store.delete("d")
    assert "d" not in store


def test_list_pages_with_cursors(store: kvps.Store) -> None:
    keys = [f"k/{i:05d}" for i in range(250)]
    store.put_many((k, k.encode()) for k in reversed(keys))
    store["other/1"] = b"not under the prefix"

    listed = [e.key for e in store.list("k/", page_size=33)]
    assert listed == keys  # byte order, each exactly once

    pages = 0
    seen: list[str] = []
    cursor: str | None = None
    while True:
        entries, cursor = store.list_page("k/", cursor, page_size=100)
        assert len(entries) <= 100
        seen += [e.key for e in entries]
        pages += 1
        if cursor is None:
            break
    assert seen == keys and pages >= 3

    assert [e.key for e in store.list("k/0024")] == [f"k/0024{i}" for i in range(10)]
    assert len(store) == 251
    assert list(store.list("nothing-here/")) == []
    entry = next(iter(store.list("k/00042")))
    assert entry.key == "k/00042" and entry.size == len(b"k/00042")


def test_list_orders_by_utf8_bytes(store: kvps.Store) -> None:
    # No key is a folder of another ("a" beside "a/b"): MinIO leaves one of them out of listings.
    keys = ["b", "a", "é", "z", "A", "日", "😀", "c/d", "a b", "~"]
    for k in keys:
        store[k] = b""
    assert list(store) == sorted(keys, key=lambda k: k.encode())


def test_garbled_cursor_is_invalid_argument(store: kvps.Store) -> None:
    store["x"] = b""
    with pytest.raises(kvps.InvalidArgument) as caught:
        store.list_page("", cursor="garbled!!not-a-cursor")
    assert isinstance(caught.value, ValueError)


def test_foreign_cursor_is_invalid_argument(store: kvps.Store) -> None:
    store.put_many((f"a/{i}", b"") for i in range(5))
    store.put_many((f"b/{i}", b"") for i in range(5))
    _, cursor = store.list_page("a/", page_size=2)
    assert cursor is not None
    with pytest.raises(kvps.InvalidArgument):
        store.list_page("b/", cursor=cursor, page_size=2)


def test_batches(store: kvps.Store) -> None:
    items = {f"batch/{i}": pattern(i * 100, seed=i) for i in range(20)}
    store.put_many(items)
    assert store.get_many(items) == items
    assert store.get_many(["batch/1", "missing", "batch/2"]) == {
        "batch/1": items["batch/1"],
        "batch/2": items["batch/2"],
    }
    store.delete_many(["batch/1", "missing", "batch/2"])
    assert "batch/1" not in store and "batch/3" in store
    store.put_many([])
    assert store.get_many([]) == {}
    store.delete_many([])


def test_batch_items_with_mixed_statuses(store: kvps.Store) -> None:
    with pytest.raises(kvps.InvalidKey) as caught:
        store.put_many([("good/1", b"1"), ("", b"bad"), ("good/2", b"2"), ("bad\x01", b"x")])
    assert set(caught.value.failures) == {"", "bad\x01"}
    assert all(isinstance(e, kvps.InvalidKey) for e in caught.value.failures.values())
    assert store["good/1"] == b"1" and store["good/2"] == b"2"  # the others still happened

    with pytest.raises(kvps.InvalidKey) as caught:
        store.get_many(["good/1", "bad\x02", "missing"])
    assert set(caught.value.failures) == {"bad\x02"}

    with pytest.raises(kvps.InvalidKey):
        store.delete_many(["good/1", "\x7f"])
    assert "good/1" not in store



def test_batch_keys_are_converted_as_single_keys_are(store: kvps.Store) -> None:
    # The batch calls pass their keys as one block (the compiled module's key_block): UTF-8,
    # long keys, and the same errors as a single call's key.
    # (the long key in segments of 200: object stores on a file system take 255 per segment)
    keys = ["b/ascii", "b/\u00e9t\u00e9/\u4e2d", "b/" + "/".join(["x" * 200] * 4), "b/\U0001f600"]
    store.put_many((k, k.encode()) for k in keys)
    assert store.get_many(keys) == {k: k.encode() for k in keys}
    store.delete_many(keys)
    assert not any(k in store for k in keys)
    with pytest.raises(kvps.InvalidKey, match="U\\+0000"):
        store.delete_many(["b/ok", "nul\0key"])
    with pytest.raises(TypeError):
        store.delete_many(["b/ok", b"bytes"])  # type: ignore[list-item]
    with pytest.raises(kvps.InvalidKey) as caught:
        store.delete_many(["b/ok", "lone\udc80"])  # invalid UTF-8: the library names the item
    assert set(caught.value.failures) == {"lone\udc80"}

def test_options_outside_the_url(url: str) -> None:
    with pytest.raises(kvps.InvalidOption) as caught:
        kvps.open(url, no_such_option="1")
    assert "no_such_option" in str(caught.value)


def test_two_handles_share_a_named_store(url: str) -> None:
    with kvps.open(url) as one, kvps.open(url) as two:
        one["shared"] = b"yes"
        assert two["shared"] == b"yes"
        two.delete("shared")


def test_private_memory_stores_are_private() -> None:
    with kvps.open("memory://") as one, kvps.open("memory://") as two:
        one["k"] = b"v"
        assert "k" not in two


def test_closed_store(url: str) -> None:
    store = kvps.open(url)
    store["k"] = b"v"
    assert not store.closed
    store.close()
    assert store.closed
    store.close()  # harmless
    with pytest.raises(ValueError):
        store["k"]
    with pytest.raises(ValueError):
        store.put("k", b"v")


def test_clear(store: kvps.Store) -> None:
    store.put_many((f"c/{i}", b"") for i in range(50))
    store.clear()
    assert len(store) == 0


def test_url_and_capabilities(store: kvps.Store, url: str) -> None:
    assert store.url.split("://")[0] == url.split("://")[0]
    assert isinstance(store.capabilities, kvps.Capability)
    if url.startswith(("file:", "s3:")):
        assert kvps.Capability.PERSISTENT in store.capabilities
    assert repr(store).startswith("<kvps.Store")


@pytest.mark.parametrize("kind", ["file", "s3"])
def test_persists_across_handles(kind: str, tmp_path: Path) -> None:
    url = store_url(kind, tmp_path)
    with kvps.open(url) as one:
        one["kept"] = b"value"
    with kvps.open(url) as two:
        assert two["kept"] == b"value"
        if url.startswith("s3:"):
            two.clear()


def test_environment_is_not_needed_for_memory() -> None:
    # The bundled or chosen library opens memory:// without any setup.
    assert os.path.exists(kvps.library_path()) or not os.path.isabs(kvps.library_path())
    with kvps.open("memory://") as s:
        s["x"] = b"y"
        assert s["x"] == b"y"


def test_values_are_kept_uncopied_where_the_store_can(store: kvps.Store) -> None:
    # On a store with ZERO_COPY (memory://) the compiled module keeps the very bytes object
    # put() was given and get() returns it; elsewhere, and for any other buffer, the bytes are
    # copied. Either way the value is what was put, and a mutable buffer changed later is not.
    import sys

    from kvps._ext import ext

    zero_copy = kvps.Capability.ZERO_COPY in store.capabilities and ext is not None
    value = pattern(300_000, 5)
    count = sys.getrefcount(value)
    store.put("zc/a", value)
    got = store.get("zc/a")
    assert got == value
    assert (got is value) == zero_copy
    del got
    assert sys.getrefcount(value) == count + (1 if zero_copy else 0)  # the store's reference
    store.put("zc/a", b"replaced")
    assert sys.getrefcount(value) == count  # released by the overwrite
    store.put("zc/b", value)
    store.delete("zc/b")
    assert sys.getrefcount(value) == count  # and by a delete

    mutable = bytearray(pattern(100_000, 6))
    store.put("zc/c", mutable)
    mutable[:4] = b"XXXX"
    assert store.get("zc/c") == pattern(100_000, 6)

    with store.writer("zc/w") as w:  # large bytes kept as they are, small ones copied
        w.write(value)
        w.write(b"tail")
        w.write(value)
    assert store.get("zc/w") == value + b"tail" + value
    assert sys.getrefcount(value) == count + (2 if zero_copy else 0)
    store.delete_many(["zc/a", "zc/c", "zc/w"])
    assert sys.getrefcount(value) == count


def test_writers_take_large_bytes_without_a_copy(store: kvps.Store) -> None:
    # A writer hands a bytes object of 64 KiB or more to the library as it is: memory:// keeps
    # it, s3:// sends a chunk of exactly one part (8 MiB by default) as that part and lets go of
    # it once sent (on its upload threads). The value is the same either way, and no reference
    # is left behind but memory://'s own.
    import sys

    from kvps._ext import ext

    keeps = kvps.Capability.ZERO_COPY in store.capabilities and ext is not None
    part = pattern(8 * MiB, 9)
    count = sys.getrefcount(part)
    with store.writer("zc/parts") as w:
        w.write(part)
        w.write(part)
        w.write(b"tail")
    assert store.get("zc/parts") == part + part + b"tail"
    assert sys.getrefcount(part) == count + (2 if keeps else 0)
    with store.writer("zc/alone") as w:  # one part alone: s3:// sends it as one PutObject
        w.write(part)
    assert store.get("zc/alone") == part
    store.delete_many(["zc/parts", "zc/alone"])
    assert sys.getrefcount(part) == count
