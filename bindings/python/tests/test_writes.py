"""Put options, copy, rename, stat fields and PreconditionFailed (issue 14): the binding's own
mapping; the behaviour itself is the C conformance suite's."""

from __future__ import annotations

import threading

import pytest

import kvps


def test_put_options_and_stat_fields() -> None:
    with kvps.open("memory://") as store:
        etag = store.put("a", b"hello", content_type="text/plain", metadata={"Color": "blue"})
        st = store.stat("a")
        assert st.etag == etag
        assert st.content_type == "text/plain"
        assert dict(st.metadata) == {"color": "blue"}
        assert store.put("b", b"x") is None
        assert store.stat("b").content_type == "application/octet-stream"
        assert dict(store.stat("b").metadata) == {}
        value, st2 = store.get_with_stat("a")
        assert value == b"hello" and st2.etag == etag


def test_conditions_raise_precondition_failed() -> None:
    with kvps.open("memory://") as store:
        store.put("k", b"1", create_only=True)
        with pytest.raises(kvps.PreconditionFailed) as info:
            store.put("k", b"2", create_only=True)
        assert "create_only" in str(info.value)
        with pytest.raises(kvps.PreconditionFailed):
            store.put("k", b"2", if_match="nope")
        etag = store.stat("k").etag
        assert store.put("k", b"2", if_match=etag) != etag
        assert store["k"] == b"2"
        with pytest.raises(kvps.InvalidArgument):
            store.put("k", b"3", if_match=etag, create_only=True)


def test_copy_and_rename_keep_properties() -> None:
    with kvps.open("memory://") as store:
        store.put("src", b"data", content_type="image/png", metadata={"a": "1"})
        store.copy("src", "dst")
        assert store.stat("dst").content_type == "image/png"
        assert dict(store.stat("dst").metadata) == {"a": "1"}
        store.rename("dst", "moved", metadata={"b": "2"})
        assert "dst" not in store
        st = store.stat("moved")
        assert st.content_type == "image/png" and dict(st.metadata) == {"b": "2"}
        with pytest.raises(kvps.NotFound):
            store.copy("missing", "x")
        with pytest.raises(kvps.PreconditionFailed):
            store.copy("src", "moved", create_only=True)


def test_compare_and_swap_counter_threads() -> None:
    with kvps.open("memory://") as store:
        store.put("n", b"0")

        def work() -> None:
            for _ in range(200):
                while True:
                    value, st = store.get_with_stat("n")
                    try:
                        store.put("n", str(int(value) + 1).encode(), if_match=st.etag)
                        break
                    except kvps.PreconditionFailed:
                        continue

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert store["n"] == b"800"


def test_writer_with_options_and_etag() -> None:
    with kvps.open("memory://") as store:
        with store.writer("w", content_type="text/plain", metadata={"Owner": "ops"}) as out:
            out.write(b"hel")
            out.write(b"lo")
            assert out.etag is None  # known once committed
        st = store.stat("w")
        assert out.etag == st.etag
        assert (st.content_type, dict(st.metadata)) == ("text/plain", {"owner": "ops"})
        assert store["w"] == b"hello"
        # Conditions are checked at the commit: nothing changes when they fail.
        w = store.writer("w", create_only=True)
        w.write(b"other")
        with pytest.raises(kvps.PreconditionFailed):
            w.close()
        assert w.etag is None
        with pytest.raises(kvps.PreconditionFailed):
            with store.writer("w", if_match="stale") as out2:
                out2.write(b"other")
        assert store["w"] == b"hello"
        with store.writer("w", if_match=st.etag) as out3:
            out3.write(b"swapped")
        assert store["w"] == b"swapped" and out3.etag == store.stat("w").etag
        assert store.stat("w").content_type == "application/octet-stream"
        with pytest.raises(kvps.InvalidArgument):
            store.writer("w", if_match=st.etag, create_only=True)
        with pytest.raises(kvps.InvalidArgument):
            store.writer("w", metadata={"bad name": "v"})
        with store.open("plain", "wb") as plain:
            plain.write(b"p")
        assert plain.etag is None
