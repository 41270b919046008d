"""Atomic writes of result files: a reader never sees a half-written file.

The one copy of the write-beside-then-rename dance: run and sweep files,
reports, figures, calibration and frontier tables and the graph cache all
write through :func:`write_atomically`, which syncs the data to disk before
the rename, so a power cut leaves the old file or the new one, never an empty one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas loads when a table is written, not when a command starts
    import pandas as pd


def write_atomically(path: Path, write: Callable[[IO[Any]], None], binary: bool = False) -> None:
    """Write through ``write`` into a temporary file beside ``path``, sync it, then rename it.

    On any failure the temporary file is removed and ``path`` is as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(
            handle, "wb" if binary else "w", encoding=None if binary else "utf-8"
        ) as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` as CSV without the index."""
    write_atomically(path, lambda out: table.to_csv(out, index=False, lineterminator="\n"))


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write ``data`` as indented, strict JSON: a number that is not finite is ``null``.

    Python's ``json`` would write ``Infinity`` and ``NaN``, which strict JSON
    parsers (and most languages' readers) reject; an overflowing sum
    (``market.order_value=1e308``) is undefined, as a missing value is.
    """
    text = json.dumps(finite(data), indent=2, allow_nan=False)
    write_atomically(path, lambda out: out.write(text + "\n"))


def finite(value: Any) -> Any:
    """Return ``value`` with every float that is not finite replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def file_record(path: Path) -> dict[str, Any]:
    """Size and SHA-256 of a written file, as a run's ``summary.json`` lists it."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def file_mismatch(folder: Path, files: dict[str, Any]) -> str | None:
    """Name the first listed file that is missing or not as recorded (None: all are)."""
    for name, recorded in files.items():
        path = folder / name
        try:
            if file_record(path) != recorded:
                return f"{path}: changed since the run wrote it (size or content)"
        except OSError:
            return f"{path}: missing"
    return None
