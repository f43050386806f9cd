"""What this binding itself maps of the C contract: the rows of docs/BINDINGS.md, and no stale
message (issue 12, point 1). The core rules themselves are the C conformance suite's."""

from __future__ import annotations

import resource
import signal
from pathlib import Path

import pytest

import kvps
from kvps._native import lib, text


@pytest.fixture
def store() -> kvps.Store:
    return kvps.open("memory://")


def test_not_found_after_a_failure_carries_no_stale_message(store: kvps.Store) -> None:
    with pytest.raises(kvps.InvalidKey) as caught:
        store.put("bad\x01", b"v")
    assert "bad" in str(caught.value)
    with pytest.raises(kvps.NotFound) as missing:
        store["missing"]
    assert "bad" not in str(missing.value)
    assert text(lib.kvps_last_error()) == ""


def test_nul_in_one_batch_key_refuses_the_whole_call(store: kvps.Store) -> None:
    with pytest.raises(kvps.InvalidKey) as caught:
        store.put_many([("a", b"1"), ("b\0c", b"2")])
    assert "U+0000" in str(caught.value)
    assert "a" not in store  # no item ran


def test_batch_item_errors_carry_the_librarys_message(store: kvps.Store) -> None:
    with pytest.raises(kvps.InvalidKey) as caught:
        store.put_many([("", b"1"), ("good", b"2"), ("bad\x01key", b"3")])
    failures = caught.value.failures
    assert set(failures) == {"", "bad\x01key"}
    assert str(failures["bad\x01key"]) == 'invalid key "bad\\x01key": contains the control character U+0001' or (
        "bad\\x01key" in str(failures["bad\x01key"])
    )
    assert str(failures[""]) != str(failures["bad\x01key"])  # each item its own message
    assert store["good"] == b"2"


def test_a_key_that_is_not_utf8_is_the_librarys_invalid_key(store: kvps.Store) -> None:
    with pytest.raises(kvps.InvalidKey) as caught:
        store.put("lone \udcff surrogate", b"v")
    assert "UTF-8" in str(caught.value)


def test_close_after_a_failed_write_commits_nothing(tmp_path: Path) -> None:
    store = kvps.open(f"file://{tmp_path}")
    store["k"] = b"old"
    writer = store.open("k", "wb")
    # A file size limit makes the library's write fail for real, as a full disk would.
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, hard))
    try:
        with pytest.raises(kvps.Error):
            for _ in range(4):
                writer.write(b"x" * (1 << 20))
            writer.flush()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    with pytest.raises(kvps.Error):
        writer.close()
    writer.close()  # a second close is a no-op
    assert store["k"] == b"old"
    store.close()


def test_streams_outlive_their_store() -> None:
    store = kvps.open("memory://")
    store["k"] = b"hello"
    reader = store.open("k", "rb")
    writer = store.open("w", "wb")
    store.close()
    assert reader.read() == b"hello"
    writer.write(b"x")
    writer.close()
    reader.close()
