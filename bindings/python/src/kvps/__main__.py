"""`python -m kvps ...` runs the kvps command-line tool bundled in the wheel, with the same
commands, options and exit codes as the `kvps` program (see `python -m kvps --help`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def tool_path() -> Path:
    """The bundled tool: kvps/bin/kvps beside the package's libkvps."""
    return Path(__file__).resolve().parent / "bin" / "kvps"


def main() -> None:
    tool = tool_path()
    if not os.access(tool, os.X_OK):
        sys.exit(f"kvps: the command-line tool is not bundled in this installation ({tool} is missing)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(tool, [str(tool), *sys.argv[1:]])


if __name__ == "__main__":
    main()
