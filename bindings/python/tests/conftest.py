"""Fixtures: one store per test on each backend (memory://, file://, s3://)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import kvps

IN_CI = os.environ.get("CI") == "true"
BACKENDS = ["memory", "file", "s3"]


def unavailable(reason: str) -> None:
    """Skips, with the reason; fails instead when CI=true (a skipped test in CI is a failure)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a skip counts as a failure)")
    pytest.skip(reason)


def unique() -> str:
    return f"py-{os.getpid()}-{uuid.uuid4().hex[:12]}"


def s3_url(prefix: str, variable: str = "KVPS_TEST_S3_URL") -> str:
    """The test server's store URL with "/<prefix>" inserted after the bucket."""
    base = os.environ.get(variable)
    if not base:
        unavailable(f"{variable} is not set: no S3 server to test against (scripts/test.sh starts one)")
        raise AssertionError("unreachable")
    head, sep, query = base.partition("?")
    scheme, _, rest = head.partition("://")
    bucket, _, path = rest.partition("/")
    path = f"{prefix}/{path}" if path else prefix
    return f"{scheme}://{bucket}/{path}{sep}{query}"


def store_url(kind: str, tmp_path: Path) -> str:
    if kvps.backend(kind) is None:
        unavailable(f"the {kind}:// backend is not in this libkvps ({kvps.library_path()})")
    if kind == "memory":
        return f"memory://{unique()}"
    if kind == "file":
        return f"file://{tmp_path}/store"
    return s3_url(unique())


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store of each backend, unique to the test."""
    return store_url(str(request.param), tmp_path)


@pytest.fixture
def store(url: str) -> Iterator[kvps.Store]:
    with kvps.open(url) as s:
        yield s
        if url.startswith("s3:"):
            s.clear()  # leave nothing behind on the shared server


@pytest.fixture
def memory_store() -> Iterator[kvps.Store]:
    with kvps.open(f"memory://{unique()}") as s:
        yield s
