"""backends(), backend(scheme), option types and defaults, versions, library choice."""

from __future__ import annotations

import os
import subprocess
import sys

import kvps

OPTION_TYPES = {"string", "bool", "integer", "size", "duration", "url", "secret"}


def test_backends_list_memory() -> None:
    infos = kvps.backends()
    assert [b.name for b in infos] == sorted(b.name for b in infos)
    memory = next(b for b in infos if b.name == "memory")
    assert memory.schemes[0] == "memory" and "test" in memory.schemes
    assert memory.description
    assert isinstance(memory.capabilities, kvps.Capability)
    assert kvps.Capability.PERSISTENT not in memory.capabilities


def test_options_have_types_and_defaults() -> None:
    for info in kvps.backends():
        assert info.schemes, info
        for option in info.options:
            assert option.name and option.description, option
            assert option.type in OPTION_TYPES, option
            assert option.default is None or isinstance(option.default, str)
            assert isinstance(option.required, bool)


def test_backend_by_scheme_is_case_insensitive_and_knows_aliases() -> None:
    memory = kvps.backend("memory")
    assert memory is not None
    assert kvps.backend("MEMORY") == memory
    assert kvps.backend("test") == memory
    assert kvps.backend("no-such-scheme") is None


def test_file_and_s3_options_when_present() -> None:
    file = kvps.backend("file")
    if file is not None:
        options = {o.name: o for o in file.options}
        assert options["create"].type == "bool" and options["create"].default == "true"
        assert options["fsync"].type == "bool"
        assert {"local", "path"} <= set(file.schemes)
    s3 = kvps.backend("s3")
    if s3 is not None:
        options = {o.name: o for o in s3.options}
        assert options["secret_access_key"].type == "secret"
        assert options["part_size"].type == "size"
        assert "aws" in s3.schemes


def test_versions() -> None:
    assert kvps.library_version() == kvps.__version__
    assert kvps.KEY_MAX == 1024


def test_kvps_library_chooses_the_library(tmp_path: object) -> None:
    chosen = kvps.library_path()
    code = "import kvps; print(kvps.library_path()); kvps.open('memory://').close()"
    env = dict(os.environ, KVPS_LIBRARY=chosen)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == chosen

    env["KVPS_LIBRARY"] = f"{tmp_path}/no/libkvps.so"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0
    assert "ImportError" in bad.stderr and "no/libkvps.so" in bad.stderr


def test_log_lines_reach_python_logging(memory_store: kvps.Store, caplog: object) -> None:
    import logging

    import pytest

    assert isinstance(caplog, pytest.LogCaptureFixture)
    kvps.log_to_python(logging.INFO)
    try:
        with caplog.at_level(logging.INFO, logger="kvps"):
            memory_store["logged-key"] = b"v"
    finally:
        kvps.log_to_python(None)
    assert any("logged-key" in r.getMessage() for r in caplog.records if r.name == "kvps")
    memory_store["quiet"] = b"v"


def test_bundled_library_is_used_by_default() -> None:
    from pathlib import Path

    import pytest

    if os.environ.get("KVPS_LIBRARY"):
        pytest.skip("KVPS_LIBRARY is set: the chosen library is in use")
    assert Path(kvps.library_path()) == Path(kvps.__file__).with_name("libkvps.so.0")
