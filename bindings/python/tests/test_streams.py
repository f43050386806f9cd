"""store.open(key, "rb") / "wb": Python file objects over the library's readers and writers."""

from __future__ import annotations

import gc
import io
import shutil

import pytest

import kvps

DIGITS = b"".join(b"%05d\n" % i for i in range(20000))  # 120,000 bytes of numbered lines


def test_reader_is_a_buffered_seekable_file(store: kvps.Store) -> None:
    store["f"] = DIGITS
    with store.open("f") as f:
        assert isinstance(f, io.BufferedReader)
        assert isinstance(f.raw, io.RawIOBase)
        assert f.readable() and f.seekable() and not f.writable()
        assert f.size == len(DIGITS)
        assert f.read(6) == b"00000\n"
        assert f.tell() == 6
        assert f.readline() == b"00001\n"
        f.seek(6 * 1000)
        assert f.read(6) == b"01000\n"
        f.seek(-6, io.SEEK_END)
        assert f.read() == b"19999\n"
        assert f.read() == b""
        f.seek(-12, io.SEEK_CUR)
        assert f.read(6) == b"19998\n"
        f.seek(len(DIGITS) + 100)  # past the end reads as the end
        assert f.read(10) == b""
        f.seek(0)
        assert f.read() == DIGITS
        with pytest.raises(ValueError):
            f.seek(-1)
    assert f.closed
    with pytest.raises(ValueError):
        f.read()


def test_reader_iterates_lines_and_readinto(store: kvps.Store) -> None:
    store["f"] = DIGITS
    with store.open("f") as f:
        lines = list(f)
    assert len(lines) == 20000 and lines[123] == b"00123\n"
    with store.open("f") as f:
        buffer = bytearray(1000)
        assert f.readinto(buffer) == 1000
        assert bytes(buffer) == DIGITS[:1000]
        view = memoryview(buffer)[10:20]
        assert f.readinto(view) == 10
        assert bytes(view) == DIGITS[1000:1010]


def test_raw_reader_readall_and_short_reads(store: kvps.Store) -> None:
    store["f"] = DIGITS
    with store.open("f", buffer_size=1) as f:
        raw = f.raw
        assert raw.read(0) == b""
        chunk = raw.read(7)
        assert chunk == DIGITS[: len(chunk)] and 0 < len(chunk) <= 7
        rest = raw.readall()
        assert chunk + rest == DIGITS


def test_ranged_reader(store: kvps.Store) -> None:
    store["f"] = DIGITS
    with store.open("f", offset=600, length=12) as f:
        assert f.tell() == 600  # positions are offsets in the whole value
        assert f.size == len(DIGITS)
        assert f.read() == b"00100\n00101\n"
        f.seek(606)
        assert f.read(100) == b"00101\n"
    with store.open("f", offset=len(DIGITS) - 6) as f:
        assert f.read() == b"19999\n"
    with store.open("f", offset=len(DIGITS) + 5, length=3) as f:
        assert f.read() == b""
    with pytest.raises(ValueError):
        store.open("f", offset=-1)


def test_empty_value_reads_empty(store: kvps.Store) -> None:
    store["e"] = b""
    with store.open("e") as f:
        assert f.size == 0
        assert f.read() == b""


def test_reader_never_mixes_versions(store: kvps.Store) -> None:
    """A value replaced while a reader reads it: the reader goes on with the version it opened,
    or fails with PreconditionFailed; it never returns a mix of the two."""
    old, new = b"o" * 3_000_000, b"n" * 3_000_000
    store["v"] = old
    with store.open("v", buffer_size=64 * 1024) as f:
        head = f.read(100_000)
        store["v"] = new
        try:
            rest = f.read()
            f.seek(0)
            again = f.read(10)
        except kvps.PreconditionFailed:
            return
    assert head + rest == old
    assert again == old[:10]


def test_reader_of_a_deleted_value(store: kvps.Store) -> None:
    """Deleted under an open reader: it reads the whole old value or raises, never a cut one."""
    old = bytes(range(256)) * 4000
    store["v"] = old
    with store.open("v", buffer_size=1) as f:
        head = f.read(10)
        store.delete("v")
        try:
            f.seek(0)
            data = f.read()
        except kvps.NotFound as gone:
            assert "v" in str(gone)
            return
        except kvps.PreconditionFailed:
            return
    assert head == old[:10] and data == old


def test_writer_commits_on_clean_exit(store: kvps.Store) -> None:
    store["w"] = b"old"
    with store.open("w", "wb") as w:
        assert isinstance(w, io.RawIOBase) and w.writable() and not w.readable()
        assert w.write(b"hello ") == 6
        assert w.write(bytearray(b"streamed ")) == 9
        assert w.write(memoryview(b"world")) == 5
        assert w.write(b"") == 0
        assert w.tell() == 20
        assert store["w"] == b"old"  # nothing visible before the commit
    assert w.closed
    assert store["w"] == b"hello streamed world"
    with pytest.raises(ValueError):
        w.write(b"more")


def test_writer_close_commits(store: kvps.Store) -> None:
    w = store.open("w", "wb")
    w.write(b"by close")
    w.close()
    w.close()  # harmless
    assert store["w"] == b"by close"


def test_writer_aborts_on_exception(store: kvps.Store) -> None:
    store["w"] = b"old"
    with pytest.raises(RuntimeError):
        with store.open("w", "wb") as w:
            w.write(b"half a val")
            raise RuntimeError("failed midway")
    assert store["w"] == b"old"
    with pytest.raises(RuntimeError):
        with store.open("new", "wb") as w:
            w.write(b"x")
            raise RuntimeError("failed midway")
    assert "new" not in store


def test_writer_abort_and_drop_discard(store: kvps.Store) -> None:
    w = store.open("a", "wb")
    w.write(b"discarded")
    w.abort()
    assert w.closed and "a" not in store
    w.close()  # after abort: still nothing committed
    assert "a" not in store

    def drop() -> None:
        d = store.open("d", "wb")
        d.write(b"dropped without close")

    drop()
    gc.collect()
    assert "d" not in store


def test_empty_writer_commits_empty_value(store: kvps.Store) -> None:
    with store.open("empty", "wb"):
        pass
    assert store["empty"] == b""


def test_copyfileobj_both_ways(store: kvps.Store) -> None:
    value = DIGITS * 20  # 2.4 MB
    with store.open("c", "wb") as w:
        shutil.copyfileobj(io.BytesIO(value), w, 64 * 1024)
    out = io.BytesIO()
    with store.open("c") as r:
        shutil.copyfileobj(r, out)
    assert out.getvalue() == value


def test_bad_mode(store: kvps.Store) -> None:
    for mode in ("r", "w", "ab", "r+b", "rt"):
        with pytest.raises(ValueError):
            store.open("k", mode)
    with pytest.raises(ValueError):
        store.open("k", "wb", offset=3)


def test_streams_outlive_their_store(url: str) -> None:
    store = kvps.open(url)
    store["r"] = b"value"
    reader = store.open("r")
    writer = store.open("w", "wb")
    writer.write(b"committed after the store closed")
    store.close()
    assert not reader.closed and not writer.closed
    assert reader.read() == b"value"
    writer.close()
    reader.close()
    if not url.startswith("memory:"):
        with kvps.open(url) as again:
            assert again["w"] == b"committed after the store closed"
            again.clear()
