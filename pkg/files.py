"""Every file the product writes goes through here: atomic, inside the directory it owns, never
through a symbolic link.

- `write_atomic` writes a temporary file next to the target and renames it over the target
  (`os.replace` in the same directory): a reader sees the old file or the new one, never half
  of one, and a kill -9 mid-write leaves the old file.
- The target must lie inside `root`, the directory the writer owns (the project, the output
  directory); every directory between `root` and the file is opened with `O_NOFOLLOW` relative
  to its parent (`dir_fd`), so a symbolic link planted anywhere below `root` (a linked
  `.github/`, a dangling `workflows/x.yml`, a linked `README.md`) is refused, not followed.
- Private records (audit trail, approvals) are written with mode 0600.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from llmops_infra.errors import ConfigError

PRIVATE = 0o600
PUBLIC = 0o644
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class UnsafeWrite(ConfigError):
    """A write that would leave the directory its writer owns or follow a symbolic link."""


def _parts(path: Path, root: Path) -> tuple[Path, list[str]]:
    """`root` made absolute and the components of `path` below it; refuse a path outside `root`."""
    # lexical, not resolve(): resolving would follow the very links this module refuses
    base = Path(os.path.abspath(root))  # noqa: PTH100
    target = Path(os.path.abspath(path))  # noqa: PTH100
    try:
        rel = target.relative_to(base)
    except ValueError:
        raise UnsafeWrite(
            f"refusing to write {path}: it is outside {root}, the directory this command writes"
        ) from None
    if not rel.parts:
        raise UnsafeWrite(f"refusing to write {path}: it is the directory {root} itself")
    return base, list(rel.parts)


@contextlib.contextmanager
def _directory(path: Path, root: Path, *, key: str | None, private: bool) -> Iterator[tuple[int, str]]:
    """(fd of the file's directory, file name), every directory below `root` opened without
    following a link and created when missing."""
    base, parts = _parts(path, root)
    try:
        base.mkdir(parents=True, exist_ok=True)  # the directory the caller owns (DIR, --output) may be new
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}: {root} must be a directory", key=key) from None
    try:
        for name in parts[:-1]:
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o700 if private else 0o755, dir_fd=fd)
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafeWrite(
                        f"refusing to write {path}: {name} is a symbolic link or not a directory: "
                        "replace it with a real directory",
                        key=key,
                    ) from None
                raise
            os.close(fd)
            fd = child
        yield fd, parts[-1]
    except UnsafeWrite:
        raise
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror}: choose a directory you can write to", key=key
        ) from None
    finally:
        os.close(fd)


def _refuse_link(fd: int, name: str, path: Path, key: str | None) -> None:
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    import stat

    if stat.S_ISLNK(st.st_mode):
        raise UnsafeWrite(f"refusing to write {path}: it is a symbolic link: remove the link first", key=key)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeWrite(f"refusing to write {path}: it exists and is not a regular file", key=key)


def write_atomic(
    path: Path, data: str | bytes, *, root: Path, mode: int = PUBLIC, key: str | None = None, durable: bool = True
) -> Path:
    """Write `data` to `path` (inside `root`) atomically, refusing symbolic links; returns `path`.
    `durable=False` skips the fsync: for a cache, whose entry a crash may lose (a reader that finds it
    damaged treats it as a miss), not for anything a user keeps."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with _directory(path, root, key=key, private=mode == PRIVATE) as (fd, name):
        _refuse_link(fd, name, path, key)
        tmp = f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=fd)
            try:
                os.fchmod(out, mode)
                view = memoryview(payload)
                while view:
                    view = view[os.write(out, view) :]
                if durable:
                    os.fsync(out)
            finally:
                os.close(out)
            os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=fd)
            raise
    return path


def append_line(path: Path, line: str, *, root: Path, mode: int = PRIVATE, key: str | None = None) -> None:
    """Append one line to `path` (inside `root`) in a single write, refusing symbolic links."""
    with _directory(path, root, key=key, private=mode == PRIVATE) as (fd, name):
        _refuse_link(fd, name, path, key)
        out = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, mode, dir_fd=fd)
        try:
            os.fchmod(out, mode)
            os.write(out, (line.rstrip("\n") + "\n").encode("utf-8"))
        finally:
            os.close(out)


def check_writable(path: Path, *, root: Path, mode: int = PRIVATE, key: str | None = None) -> None:
    """Fail now, before anything is recorded elsewhere, when `path` could not be appended to."""
    with _directory(path, root, key=key, private=mode == PRIVATE) as (fd, name):
        _refuse_link(fd, name, path, key)
        out = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, mode, dir_fd=fd)
        os.close(out)


def backup(path: Path, *, root: Path, key: str | None = None) -> Path | None:
    """Copy an existing regular file to `<name>.bak-<UTC time>` beside it before it is overwritten."""
    with _directory(path, root, key=key, private=False) as (fd, name):
        _refuse_link(fd, name, path, key)
        try:
            src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
        except FileNotFoundError:
            return None
        with os.fdopen(src, "rb") as handle:
            data = handle.read()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return write_atomic(path.with_name(f"{path.name}.bak-{stamp}"), data, root=root, key=key)


def read_private(path: Path, *, limit: int) -> bytes | None:
    """The bytes of a cache entry that this user alone controls, else None: `path` a regular file (not
    a link: opened with O_NOFOLLOW, checked on the open descriptor) and its directory a directory (not
    a link), each owned by this user and writable by no one else, the file at most `limit` bytes. For
    what a later process trusts (code, verdicts' inputs): anything else is a miss, never an error."""
    import stat

    def private(info: os.stat_result, kind: int) -> bool:
        return stat.S_IFMT(info.st_mode) == kind and info.st_uid == os.geteuid() and not info.st_mode & 0o022

    try:
        if not private(os.lstat(path.parent), stat.S_IFDIR):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(fd)
            if not private(info, stat.S_IFREG) or info.st_size > limit:
                return None
            return handle.read(limit + 1)[:limit] if info.st_size <= limit else None
        except OSError:
            return None


def private_directory(path: Path) -> bool:
    """Make `path` (mode 0700) if missing; whether it is a directory, not a link, that this user owns
    and no one else can write: where a cache entry may be written and later trusted."""
    import stat

    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def read_regular(path: Path, *, limit: int, display: str | None = None, key: str | None = None) -> bytes:
    """The bytes of `path`, refused (exit 2, naming the file) unless it is a regular file of at most
    `limit` bytes: a FIFO would block forever, `/dev/zero` would fill the memory, a directory or
    `/proc` entry is not input. Opened non-blocking, checked on the open descriptor (no race)."""
    import stat

    shown = display or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", file=shown, key=key) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(
                "not a regular file (a directory, FIFO, socket or device): give the path of a file", file=shown, key=key
            )
        if st.st_size > limit:
            raise ConfigError(
                f"the file is {st.st_size:,} bytes, more than the {limit:,} this input may have: is it the right file?",
                file=shown,
                key=key,
            )
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", file=shown, key=key) from None
    finally:
        os.close(fd)
    if size > limit:
        raise ConfigError(f"the file grew past {limit:,} bytes while it was read", file=shown, key=key)
    return b"".join(chunks)
