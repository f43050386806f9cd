"""Introspection: the registered backends, their schemes, capabilities and typed options."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ._native import lib, text


class Capability(enum.IntFlag):
    """What a backend does natively (KVPS_CAP_*); everything works on every store, through
    generic fallbacks where a bit is clear."""

    RANGE = 1 << 0
    READ_STREAM = 1 << 1
    WRITE_STREAM = 1 << 2
    LIST = 1 << 3
    BATCH = 1 << 4
    PERSISTENT = 1 << 5
    SHARED = 1 << 6
    ZERO_COPY = 1 << 7


@dataclass(frozen=True)
class OptionInfo:
    """One declared option of a backend."""

    name: str
    type: str  # "string", "bool", "integer", "size", "duration", "url" or "secret"
    default: str | None  # as text; None when there is no default
    required: bool
    description: str


@dataclass(frozen=True)
class BackendInfo:
    """One registered backend: schemes[0] is the primary scheme, the rest are aliases."""

    name: str
    description: str
    schemes: tuple[str, ...]
    capabilities: Capability
    options: tuple[OptionInfo, ...]


def _backend(pointer: Any) -> BackendInfo:
    info = pointer.contents
    options = []
    for i in range(info.option_count):
        opt = lib.kvps_backend_option(pointer, i).contents
        options.append(
            OptionInfo(
                name=text(opt.name),
                type=text(lib.kvps_option_type_name(opt.type)),
                default=None if opt.default_value is None else text(opt.default_value),
                required=bool(opt.required),
                description=text(opt.description),
            )
        )
    return BackendInfo(
        name=text(info.name),
        description=text(info.description),
        schemes=tuple(text(info.schemes[i]) for i in range(info.scheme_count)),
        capabilities=Capability(info.capabilities),
        options=tuple(options),
    )


def backends() -> list[BackendInfo]:
    """Every registered backend, in name order."""
    return [_backend(lib.kvps_backend_at(i)) for i in range(lib.kvps_backend_count())]


def backend(scheme: str) -> BackendInfo | None:
    """The backend for a scheme (case-insensitive, aliases included), or None."""
    raw = scheme.encode("utf-8", "surrogatepass")
    pointer = lib.kvps_backend_find(raw) if b"\0" not in raw else None
    return _backend(pointer) if pointer else None
