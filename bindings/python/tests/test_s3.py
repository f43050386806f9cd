"""s3:// specifics through Python: secrets outside the URL, wrong credentials, no server."""

from __future__ import annotations

import socket
from urllib.parse import parse_qsl, urlencode

import pytest

import kvps
from conftest import s3_url, unique


def split(url: str) -> tuple[str, dict[str, str]]:
    head, _, query = url.partition("?")
    return head, dict(parse_qsl(query))


@pytest.fixture
def s3() -> tuple[str, dict[str, str]]:
    if kvps.backend("s3") is None:
        from conftest import unavailable

        unavailable("the s3:// backend is not in this libkvps")
    return split(s3_url(unique()))


def test_secret_given_outside_the_url(s3: tuple[str, dict[str, str]]) -> None:
    head, query = s3
    secret = query.pop("secret_access_key")
    with kvps.open(f"{head}?{urlencode(query)}", secret_access_key=secret) as store:
        store["k"] = b"v"
        assert store["k"] == b"v"
        assert secret not in store.url
        store.clear()


def test_secret_in_the_url_is_not_shown(s3: tuple[str, dict[str, str]]) -> None:
    head, query = s3
    with kvps.open(f"{head}?{urlencode(query)}") as store:
        assert query["secret_access_key"] not in store.url
        assert query["secret_access_key"] not in repr(store)


def test_wrong_secret_is_permission_denied(s3: tuple[str, dict[str, str]]) -> None:
    head, query = s3
    wrong = "wrong-secret-" + unique()
    query["secret_access_key"] = wrong
    with pytest.raises(kvps.PermissionDenied) as caught:
        with kvps.open(f"{head}?{urlencode(query)}") as store:
            store["k"] = b"v"
    assert isinstance(caught.value, PermissionError)
    assert wrong not in str(caught.value)


def test_no_server_listening_is_network_error(s3: tuple[str, dict[str, str]]) -> None:
    head, query = s3
    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    query.update(endpoint=f"http://127.0.0.1:{port}", max_attempts="1", connect_timeout="2s")
    with pytest.raises(kvps.NetworkError) as caught:
        with kvps.open(f"{head}?{urlencode(query)}") as store:
            store["k"] = b"v"
    assert isinstance(caught.value, ConnectionError)
