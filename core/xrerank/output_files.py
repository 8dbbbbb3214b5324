"""Writing the files a user asked for, so that a failed run never costs them a file they had.

Every file xrerank writes for a user (training examples, reports, runs, JSON, plots) goes
through :func:`atomic_output`: the content is written to a hidden temporary file beside the
target (``.NAME.tmp-PID-xxxx``), flushed to disk and renamed over the target only when the
writer finished without an error. A run that fails half way, or is interrupted, leaves the
previous file byte for byte as it was and removes its temporary file. :func:`check_output_path`
refuses a path that cannot be written (a directory, a missing or read-only folder) *before*
the work, so that minutes of work are not lost to a typo at the end.

Model directories are replaced the same way by :mod:`xrerank.models.atomic_dir`;
:func:`check_output_dir` refuses to put one where the user has a file.

Example:
    >>> with atomic_output("results.jsonl") as handle:
    ...     _ = handle.write('{"query": "what is BM25?"}\\n')
    >>> Path("results.jsonl").read_text(encoding="utf-8")
    '{"query": "what is BM25?"}\\n'
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

# The mode a new file gets from open() before the umask (the umask then applies as usual).
_NEW_FILE_MODE = 0o666


def check_output_path(path: str | os.PathLike[str], *, what: str) -> Path:
    """``path`` as a Path if a file can be written there, else a ValueError naming it and the fix.

    Run it before the work whose result goes to ``path``. Refused: an existing directory, a
    parent folder that does not exist or cannot be written, an existing read-only file.

    Args:
        path: Where the output file goes (it may exist: it is replaced only on success).
        what: How the user named the path, e.g. ``"--output"``; starts the message.

    Example:
        >>> check_output_path("report.json", what="--report-json")
        PosixPath('report.json')
        >>> check_output_path("no/such/folder/report.json", what="--report-json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: --report-json no/such/folder/report.json: the folder no/such/folder does not exist; ...
    """
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"{what} {path} is a directory; give a file name, e.g. {target / 'output.json'}.")
    folder = target.parent
    if not folder.is_dir():
        raise ValueError(
            f"{what} {path}: the folder {folder} does not exist; "
            f"create it (mkdir -p {folder}) or choose another path."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{what} {path}: the folder {folder} is not writable; choose another path.")
    if target.exists() and not os.access(target, os.W_OK):
        raise ValueError(f"{what} {path} is read-only; make it writable or choose another path.")
    return target


def check_output_dir(path: str | os.PathLike[str], *, what: str) -> Path:
    """``path`` as a Path unless a model directory cannot go there: refused when it is a file.

    ``--overwrite`` replaces a model *directory*; a file at that path is the user's and is
    never replaced by a directory.

    Example:
        >>> _ = Path("notes.txt").write_text("my notes", encoding="utf-8")
        >>> check_output_dir("notes.txt", what="--output-dir")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: --output-dir notes.txt is a file, not a directory; choose a folder name for ...
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise ValueError(
            f"{what} {path} is a file, not a directory; choose a folder name for the model "
            "(--overwrite replaces a model directory, never a file)."
        )
    return target


@contextmanager
def atomic_output(
    path: str | os.PathLike[str], *, binary: bool = False, encoding: str = "utf-8"
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; it replaces ``path`` only if the block ends without error.

    The file keeps the permission bits of the file it replaces; a new file gets what the
    umask gives any new file (0644 under umask 022). On any exception, KeyboardInterrupt
    included, the temporary file is removed and ``path`` is left untouched.

    Args:
        path: The file to write. Its folder must exist (see :func:`check_output_path`).
        binary: Open in binary mode (``bytes``) instead of text.
        encoding: Text encoding (text mode only).

    Example:
        >>> _ = Path("kept.json").write_text("{}", encoding="utf-8")
        >>> with atomic_output("kept.json") as handle:
        ...     _ = handle.write('{"half": ')
        ...     raise RuntimeError("the run failed")
        Traceback (most recent call last):
        ...
        RuntimeError: the run failed
        >>> Path("kept.json").read_text(encoding="utf-8"), sorted(p.name for p in Path().iterdir())
        ('{}', ['kept.json'])
    """
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a directory; cannot write a file there.")
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
    temp, descriptor = _create_temp(target)
    try:
        handle = os.fdopen(descriptor, "wb") if binary else os.fdopen(descriptor, "w", encoding=encoding)
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _sync_folder(target.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` through :func:`atomic_output`; returns the path.

    Example:
        >>> atomic_write_text("report.json", '{"ndcg@10": 0.71}')
        PosixPath('report.json')
    """
    with atomic_output(path, encoding=encoding) as handle:
        handle.write(text)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through :func:`atomic_output`; returns the path.

    Example:
        >>> atomic_write_bytes("plot.png", b"\\x89PNG")
        PosixPath('plot.png')
    """
    with atomic_output(path, binary=True) as handle:
        handle.write(data)
    return Path(path)


def _create_temp(target: Path) -> tuple[Path, int]:
    """A new hidden file beside ``target``, created with the mode (less the umask) of any new file."""
    while True:
        temp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            return temp, os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _NEW_FILE_MODE)
        except FileExistsError:  # another writer drew the same name
            continue


def _sync_folder(folder: Path) -> None:
    """Flush the rename to disk where the platform allows opening a folder."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some filesystems cannot sync a folder; the rename itself is still atomic
    finally:
        os.close(descriptor)
