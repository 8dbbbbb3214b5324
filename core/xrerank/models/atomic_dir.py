"""Replace a directory so that a complete copy is at its path at every instant, even under SIGKILL.

A model is written to a hidden staging directory beside the target
(:func:`make_staging_dir`) and then swapped in by :func:`replace_directory`:

* On Linux the swap is one ``renameat2(RENAME_EXCHANGE)`` call: the target path
  holds the old directory until the instant it holds the new one. The old copy,
  now under the staging name, is deleted afterwards.
* Elsewhere (or on a filesystem without exchange) it takes two renames: target to
  ``.NAME.old-PID``, staging to target. A process killed between them leaves no
  directory at the target path; :func:`recover_interrupted_save`, which every
  load and save calls first, puts the old copy back.

Hidden leftovers of killed processes (``.NAME.tmp-PID-*``, ``.NAME.old-PID``) are
never loaded; the next save to the same target removes them.

A saved directory gets the permissions of anything else the user writes (the umask
decides: 0755 folders and 0644 files under umask 022), even where a library wrote a
file through a private temporary file (0600) before renaming it.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import secrets
import shutil
import stat
import sys
import time
from pathlib import Path

from xrerank.output_files import check_output_dir

logger = logging.getLogger(__name__)

_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100
# How long a reader waits for a live saver to finish its two renames before restoring itself.
_LIVE_SAVER_WAIT_S = 1.0


def make_staging_dir(target: Path, *, kind: str = "tmp") -> Path:
    """A new hidden directory beside ``target``, named after it and this process.

    It is made like any folder the user creates (``0o777`` less the umask), not
    private like :func:`tempfile.mkdtemp`'s: it becomes the saved model once renamed
    into place, and :func:`replace_directory` reads the umask from its mode.

    Example:
        >>> make_staging_dir(Path("out/reranker")).name  # hidden, with this process's id
        '.reranker.tmp-...'
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        staging = target.parent / f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            staging.mkdir()
        except FileExistsError:  # another save drew the same name
            continue
        return staging


def _give_ordinary_modes(staging: Path) -> None:
    """Give everything under ``staging`` the modes that a new folder or file gets under the umask.

    ``staging`` comes from :func:`make_staging_dir`, so its own mode is ``0o777`` less
    the umask; folders get that mode, files ``0o666`` less the umask (``0o777`` for
    executables). Some libraries save through a private temporary file (0600) and
    rename it, which would leave the model unreadable to a group the umask lets in.
    Links are left alone.

    Example:
        >>> staging = make_staging_dir(Path("out/reranker"))
        >>> (staging / "model.safetensors").touch(mode=0o600)  # as a private temporary file leaves it
        >>> _give_ordinary_modes(staging)
        >>> mode = lambda path: stat.S_IMODE(path.stat().st_mode)
        >>> mode(staging / "model.safetensors") == mode(staging) & 0o666  # what the umask gives a file
        True
    """
    allowed = stat.S_IMODE(staging.stat().st_mode) & 0o777
    for folder, folders, files in os.walk(staging):
        for name in folders:
            _set_permissions(Path(folder, name), 0o777 & allowed)
        for name in files:
            path = Path(folder, name)
            executable = path.lstat().st_mode & 0o111
            _set_permissions(path, (0o777 if executable else 0o666) & allowed)


def _set_permissions(path: Path, permissions: int) -> None:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode) or stat.S_IMODE(mode) & 0o777 == permissions:
        return
    os.chmod(path, (stat.S_IMODE(mode) & ~0o777) | permissions)  # keeps setgid and sticky bits


def replace_directory(staging: Path, target: Path) -> None:
    """Move the complete directory ``staging`` to ``target``, replacing what was there.

    A reader of ``target`` sees the old directory or the new one, never a mix and
    (with an atomic exchange) never nothing. Leftovers of killed earlier saves are removed first,
    and the new directory's contents get ordinary permissions (:func:`_give_ordinary_modes`).

    Example:
        >>> target = Path("out/reranker")
        >>> staging = make_staging_dir(target)
        >>> _ = (staging / "config.json").write_text("{}")  # e.g. model.save(str(staging))
        >>> replace_directory(staging, target)
        >>> [p.name for p in target.parent.iterdir()], [p.name for p in target.iterdir()]
        (['reranker'], ['config.json'])
    """
    check_output_dir(target, what="Model directory")  # never swap a directory in for the user's file
    _give_ordinary_modes(staging)
    recover_interrupted_save(target)
    remove_leftovers(target)
    if not target.exists():
        os.replace(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # staging now holds the old directory
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, old)
    try:
        os.replace(staging, target)
    except OSError:
        if not target.exists():
            os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with Linux ``renameat2``; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:  # glibc < 2.28 or another libc
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    reason = os.strerror(ctypes.get_errno())
    logger.debug("renameat2(RENAME_EXCHANGE) failed (%s); using two renames.", reason)
    return False


def _leftovers(target: Path, tag: str) -> list[Path]:
    return list(target.parent.glob(f".{glob.escape(target.name)}.{tag}-*"))


def _owner_pid(leftover: Path, target: Path) -> int | None:
    """The PID in ``.NAME.tmp-PID-xxxx`` or ``.NAME.old-PID``; None when the name holds none."""
    rest = leftover.name[len(target.name) + 1 :].split("-")
    return int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else None


def _is_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_interrupted_save(path: str | os.PathLike[str]) -> str:
    """Restore the previous copy of a directory whose save was killed between its two renames.

    When ``path`` is missing and a ``.NAME.old-PID`` sibling exists, that sibling is
    the last complete copy: it is renamed back (after a short wait if its saver is
    still alive). If it cannot be renamed (read-only folder), its path is returned so
    the caller loads it in place. Any other path comes back unchanged.

    Example:
        >>> recover_interrupted_save("out/reranker")  # nothing was interrupted: the path comes back
        'out/reranker'
    """
    text = os.fspath(path)
    target = Path(text)
    if not target.name or target.exists() or not target.parent.is_dir():
        return text
    olds = _leftovers(target, "old")
    if not olds:
        return text
    newest = max(olds, key=lambda p: p.stat().st_ctime)  # a rename updates ctime: the last one moved aside
    pid = _owner_pid(newest, target)
    deadline = time.monotonic() + _LIVE_SAVER_WAIT_S
    while pid is not None and _is_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)  # a live saver finishes its second rename within microseconds
        if target.exists():
            return text
    try:
        os.rename(newest, target)
    except OSError as exc:
        if target.exists():  # another process restored it first
            return text
        logger.warning("Could not restore %s from %s (%s); loading the copy in place.", target, newest, exc)
        return str(newest)
    logger.warning("Restored %s from %s, left by a save that was interrupted.", target, newest.name)
    return text


def remove_leftovers(target: Path) -> None:
    """Delete staging and old copies of ``target`` left by processes that no longer run."""
    if not target.parent.is_dir():
        return
    for leftover in _leftovers(target, "tmp") + _leftovers(target, "old") + _leftovers(target, "export"):
        pid = _owner_pid(leftover, target)
        if pid is not None and not _is_alive(pid):
            shutil.rmtree(leftover, ignore_errors=True)
