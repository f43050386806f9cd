"""Every status maps to its own exception class, under kvps.Error and the matching built-in."""

from __future__ import annotations

import pytest

import kvps
from conftest import unavailable
from kvps._errors import ERROR_CLASSES, error_for

EXPECTED: dict[kvps.Status, tuple[type[kvps.Error], tuple[type[BaseException], ...]]] = {
    kvps.Status.NOT_FOUND: (kvps.NotFound, (KeyError, LookupError)),
    kvps.Status.INVALID_ARGUMENT: (kvps.InvalidArgument, (ValueError,)),
    kvps.Status.INVALID_URL: (kvps.InvalidURL, (ValueError,)),
    kvps.Status.UNKNOWN_SCHEME: (kvps.UnknownScheme, (ValueError,)),
    kvps.Status.INVALID_OPTION: (kvps.InvalidOption, (ValueError,)),
    kvps.Status.INVALID_KEY: (kvps.InvalidKey, (ValueError,)),
    kvps.Status.PERMISSION_DENIED: (kvps.PermissionDenied, (PermissionError, OSError)),
    kvps.Status.PRECONDITION_FAILED: (kvps.PreconditionFailed, ()),
    kvps.Status.IO: (kvps.IOFailure, (OSError,)),
    kvps.Status.NETWORK: (kvps.NetworkError, (ConnectionError, OSError)),
    kvps.Status.TIMEOUT: (kvps.Timeout, (TimeoutError, OSError)),
    kvps.Status.REMOTE: (kvps.RemoteError, ()),
    kvps.Status.UNSUPPORTED: (kvps.Unsupported, (NotImplementedError,)),
    kvps.Status.NO_MEMORY: (kvps.NoMemory, (MemoryError,)),
    kvps.Status.INTERNAL: (kvps.InternalError, ()),
    kvps.Status.NO_SPACE: (kvps.NoSpace, (OSError,)),
    kvps.Status.CANCELLED: (kvps.Cancelled, ()),
    kvps.Status.OUTCOME_UNKNOWN: (kvps.OutcomeUnknown, ()),
    kvps.Status.CORRUPT: (kvps.Corrupt, ()),
    kvps.Status.NO_CREDENTIALS: (kvps.NoCredentials, (PermissionError, OSError)),
}


def test_every_status_has_its_own_class() -> None:
    failures = [s for s in kvps.Status if s != kvps.Status.OK]
    assert set(EXPECTED) == set(failures) == set(ERROR_CLASSES)
    assert len({cls for cls, _ in EXPECTED.values()}) == len(failures)


@pytest.mark.parametrize("status", list(EXPECTED), ids=lambda s: s.name)
def test_status_mapping(status: kvps.Status) -> None:
    cls, builtins = EXPECTED[status]
    error = error_for(status, f"message for {status.name}")
    assert type(error) is cls
    assert isinstance(error, kvps.Error)
    for builtin in builtins:
        assert isinstance(error, builtin)
    assert error.status == status == cls.status
    assert error.status_name == f"KVPS_{status.name}"
    assert str(error) == f"message for {status.name}"
    assert status.name in repr(error)
    with pytest.raises(kvps.Error):
        raise error


def test_unknown_future_status_is_plain_error() -> None:
    error = error_for(999, "from a newer library")
    assert type(error) is kvps.Error and error.status == 999
    assert error.status_name == "KVPS_UNKNOWN_STATUS"


def test_status_names_match_the_library() -> None:
    for status in kvps.Status:
        assert kvps.Error("", status).status_name == f"KVPS_{status.name}"


# Real failures from the library, each with its class and a message naming the culprit.


def test_invalid_url() -> None:
    with pytest.raises(kvps.InvalidURL) as caught:
        kvps.open("no scheme here")
    assert isinstance(caught.value, ValueError) and str(caught.value)


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(kvps.UnknownScheme) as caught:
        kvps.open("nosuchscheme://x")
    assert "nosuchscheme" in str(caught.value) and "memory" in str(caught.value)


def test_unknown_option_is_named() -> None:
    with pytest.raises(kvps.InvalidOption) as caught:
        kvps.open("memory://?no_such_option=1")
    assert "no_such_option" in str(caught.value)
    with pytest.raises(kvps.InvalidOption) as caught:
        kvps.open("memory://", another_bad_one=True)
    assert "another_bad_one" in str(caught.value)


def test_mistyped_option_value(tmp_path: object) -> None:
    if kvps.backend("file") is None:
        unavailable("no file:// backend in this libkvps")
    with pytest.raises(kvps.InvalidOption) as caught:
        kvps.open(f"file://{tmp_path}/s?create=maybe")
    assert "create" in str(caught.value) and "maybe" in str(caught.value)
    with pytest.raises(kvps.InvalidOption):
        kvps.open(f"file://{tmp_path}/s", create="maybe")


def test_missing_folder_with_create_false(tmp_path: object) -> None:
    if kvps.backend("file") is None:
        unavailable("no file:// backend in this libkvps")
    with pytest.raises(kvps.NotFound) as caught:
        kvps.open(f"file://{tmp_path}/absent", create=False)
    assert "absent" in str(caught.value)


def test_invalid_key_is_named(memory_store: kvps.Store) -> None:
    with pytest.raises(kvps.InvalidKey) as caught:
        memory_store["bad\x01key"] = b""
    assert "bad" in str(caught.value)
    with pytest.raises(kvps.InvalidKey) as caught:
        memory_store["nul\x00key"] = b""
    assert "nul" in str(caught.value)


def test_invalid_argument_for_a_garbled_cursor(memory_store: kvps.Store) -> None:
    with pytest.raises(kvps.InvalidArgument):
        memory_store.list_page(cursor="%%%garbled")


def test_not_found_message_names_the_key(memory_store: kvps.Store) -> None:
    with pytest.raises(KeyError) as caught:
        memory_store["the-missing-key"]
    assert "the-missing-key" in str(caught.value)
    assert isinstance(caught.value, kvps.NotFound)


def test_errors_are_per_thread_and_fresh(memory_store: kvps.Store) -> None:
    # A NotFound after another failure carries its own message, not the stale one.
    with pytest.raises(kvps.InvalidKey):
        memory_store[""]
    with pytest.raises(kvps.NotFound) as caught:
        memory_store["later-missing"]
    assert "later-missing" in str(caught.value)


def test_nul_never_cuts_a_c_string(memory_store: kvps.Store) -> None:
    # C strings end at NUL: anything holding one is refused, never silently shortened.
    with pytest.raises(kvps.InvalidURL):
        kvps.open("memory://name\x00?bogus=1")
    with pytest.raises(kvps.InvalidOption):
        kvps.open("memory://", **{"bad\x00name": "1"})
    with pytest.raises(kvps.InvalidOption):
        kvps.open("memory://", some_option="value\x00more")
    memory_store["a"] = b""
    with pytest.raises(kvps.InvalidArgument):
        list(memory_store.list("a\x00b"))
    with pytest.raises(kvps.InvalidArgument):
        memory_store.list_page(cursor="x\x00y")
    assert kvps.backend("memory\x00junk") is None


def test_nul_check_never_shows_a_secret() -> None:
    # The binding's own check follows the library's rule: no user info, no option value shown.
    secret = "Sup3rSecr3tValue99"
    for url in (f"s3://AKID:{secret}@bucket/p\x00", f"s3://bucket\x00?secret_access_key={secret}"):
        with pytest.raises(kvps.InvalidURL) as caught:
            kvps.open(url)
        assert secret[:8] not in str(caught.value) and secret[8:16] not in str(caught.value)
    with pytest.raises(kvps.InvalidOption) as caught:
        kvps.open("s3://bucket", secret_access_key=secret + "\x00")
    assert secret[:8] not in str(caught.value)
    assert "secret_access_key" in str(caught.value)
