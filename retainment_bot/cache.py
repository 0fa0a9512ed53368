"""The loaded engine kept on disk, so that a restart skips parsing and checking the content.

Reading the dialogues (PyYAML with line tracking), the catalogs (Babel) and the search files,
validating them and building the matcher's index takes most of the bot's own start-up, and
importing PyYAML and Babel costs memory the running bot never uses again. The engine built
from them is pickled into one file per content directory, with a *key*: a digest of every byte
it was built from (the content files, this package's source, the Python version and the files
of the libraries whose output the index keeps). A start computes the key (reading the files,
about a millisecond) and uses the file only when its key is the same, so an edited ``.po`` or
YAML file, a new release or another Python is a rebuild, never old content. The payload's own
digest is checked before unpickling, so a truncated or damaged file is ignored (and rewritten).

The file lives in ``$BOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/retainment-bot``, else
``~/.cache/retainment-bot``; ``BOT_CACHE_DIR=off`` turns the cache off. It is a cache: when the
directory cannot be written the bot starts as before. Only the user running the bot should be
able to write there (unpickling runs what the file says), as for any cache of Python's.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import importlib.util
import logging
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar, cast

from retainment_bot.engine.later import Later

log = logging.getLogger(__name__)

CACHE_ENV = "BOT_CACHE_DIR"
# Bumped when what is pickled changes shape in a way the source digest could miss.
FORMAT = b"retainment-bot engine cache 1\n"
# Libraries whose results the pickled index holds (parsed YAML and catalogs, English stems):
# another release of one of them is a rebuild.
LIBRARIES = ("yaml", "babel", "snowballstemmer")

T = TypeVar("T")


def cache_dir() -> Path | None:
    """Where the cache lives, or None when ``$BOT_CACHE_DIR`` is ``off``."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured.lower() in ("off", "0", "no", "false"):
        return None
    if configured:
        return Path(configured)
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "retainment-bot"
    try:
        return Path.home() / ".cache" / "retainment-bot"
    except RuntimeError:  # no home directory (a container user without one): no cache
        return None


def _library_marks() -> Iterable[bytes]:
    """Each library's location, size and modification time (a reinstall or upgrade changes
    them), found without importing it."""
    for name in LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec and spec.origin else ""
        stat = os.stat(origin) if origin and os.path.exists(origin) else None
        yield f"{name}={origin}:{stat.st_size if stat else 0}:{stat.st_mtime_ns if stat else 0}".encode()


def key(files: Iterable[tuple[str, Path]], settings: Iterable[str] = ()) -> str:
    """The digest of ``files`` (a name and a path each: names and bytes both count), this
    package's source, the Python version, the libraries in :data:`LIBRARIES` and ``settings``."""
    digest = hashlib.blake2b(FORMAT, digest_size=32)
    package = Path(__file__).resolve().parent
    source = sorted((f"code/{path.relative_to(package).as_posix()}", path) for path in package.rglob("*.py"))
    for name, path in [*source, *sorted(files)]:
        data = path.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    for mark in [sys.version.encode(), f"pickle {pickle.HIGHEST_PROTOCOL}".encode(), *_library_marks()]:
        digest.update(mark + b"\0")
    for setting in settings:
        digest.update(setting.encode() + b"\0")
    return digest.hexdigest()


def path_for(directory: Path, root: Path) -> Path:
    """The one cache file of the content at ``root`` (so checkouts side by side keep their own)."""
    slot = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
    return directory / f"engine-{slot}.pickle"


def read(path: Path, wanted: str) -> object | None:
    """What :func:`write` stored at ``path`` under the key ``wanted``; None when the file is
    missing, was written under another key, or is damaged in any way."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header = len(FORMAT) + 64 + 1 + 64 + 1
    if len(data) < header or not data.startswith(FORMAT):
        return None
    stored_key = data[len(FORMAT) : len(FORMAT) + 64].decode("ascii", "replace")
    checksum = data[len(FORMAT) + 65 : len(FORMAT) + 129].decode("ascii", "replace")
    payload = data[header:]
    if stored_key != wanted or hashlib.blake2b(payload, digest_size=32).hexdigest() != checksum:
        return None
    try:
        return loads(payload)
    except Exception:  # a file that passed the checksum but not unpickling: still only a cache
        return None


def loads(data: bytes) -> object:
    """``pickle.loads`` with the garbage collector paused."""
    # Unpickling makes tens of thousands of containers and no garbage: the collections they would
    # set off walk the whole heap (python-telegram-bot's included) for nothing, and took about
    # 40% of the load.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if collecting:
            gc.enable()


def later(value: T) -> T | Later[T]:
    """``value`` pickled apart, to be unpickled at its first use (:class:`Later`); ``value``
    itself if it cannot be pickled (:func:`write` then says so)."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return value
    return Later(cast(Callable[[], T], functools.partial(loads, data)))


def write(path: Path, stored_key: str, value: object) -> bool:
    """Store ``value`` under ``stored_key``, atomically (a reader sees the old file or the new
    one, never half); False when the directory cannot be written."""
    import tempfile

    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # something unpicklable in the engine: start without the cache, say so
        log.warning("the engine cannot be cached (%s)", type(exc).__name__)
        return False
    checksum = hashlib.blake2b(payload, digest_size=32).hexdigest()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(FORMAT + stored_key.encode("ascii") + b"\n" + checksum.encode("ascii") + b"\n" + payload)
            os.replace(scratch, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(scratch)
            raise
    except OSError:
        return False
    return True
