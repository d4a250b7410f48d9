"""Atomic writes: the target is either the old file or the complete new one, never half."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from validator.errors import CannotWrite, UnusableInput

STDOUT = "-"
"""The output name that means standard output (``-o -``)."""

_REASONS = {
    getattr(errno, code): reason
    for code, reason in (
        ("ENOSPC", "磁盘已满"),
        ("EDQUOT", "超出磁盘配额"),
        ("EACCES", "没有权限"),
        ("EPERM", "没有权限"),
        ("EROFS", "磁盘只读"),
        ("ENOENT", "文件夹不存在"),
        ("ENOTDIR", "文件夹不存在"),
        ("ENAMETOOLONG", "文件名过长"),
        ("EISDIR", "这是一个文件夹"),
    )
    if hasattr(errno, code)
}


def _write_bytes(tmp: str, data: bytes) -> None:
    with open(tmp, "wb") as fh:
        fh.write(data)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    atomic_write(path, lambda tmp: _write_bytes(tmp, data))


def atomic_write_pair(first: tuple[str | Path, bytes], second: tuple[str | Path, bytes]) -> None:
    """Two files that belong together (an aggregate's JSON and its workbook): both are written in
    full before either replaces its target, so a full disk leaves the old pair (or nothing),
    never a new JSON beside an old or missing workbook."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in (first, second):
            target = Path(path)
            if target.is_dir() or _is_special(target):
                raise CannotWrite("不是普通文件，无法写入；请给出普通文件名", where=str(path))
            folder = target.parent if str(target.parent) else Path(".")
            try:
                fd, tmp = tempfile.mkstemp(prefix=".xxgk-", suffix=".tmp", dir=folder)
                staged.append((tmp, target))
                os.close(fd)
                _write_bytes(tmp, data)
                os.chmod(tmp, _mode_for(target))
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise cannot_write(path, exc) from exc
        for tmp, target in staged:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise cannot_write(target, exc) from exc
        for _, target in staged:
            _fsync_folder(target.parent)
    finally:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _mode_for(path: Path) -> int:
    """Keep the mode of the file being replaced; a new file gets the usual 0666 & ~umask
    (mkstemp's 0600 would make exported reports unreadable to colleagues on a shared folder)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def os_reason(exc: OSError) -> str:
    """An OSError's cause in Chinese where known (没有权限, 磁盘已满…), else the system's words."""
    reasons = {**_REASONS, errno.EIO: "磁盘或网络共享读写错误"}
    return reasons.get(exc.errno or 0) or exc.strerror or type(exc).__name__


def cannot_write(path: str | Path, exc: OSError) -> CannotWrite:
    """The Chinese message for an OSError met while writing ``path``."""
    reason = _REASONS.get(exc.errno or 0, "磁盘已满或没有权限")
    detail = f"：{exc.strerror}" if exc.strerror else ""
    return CannotWrite(f"无法写入（{reason}{detail}）；原有文件未被改动", where=str(path))


def atomic_write(path: str | Path, write: Callable[[str], object]) -> None:
    """Call `write(tmp_path)` for a temp file in the target's folder, then rename it over `path`.

    On any failure the temp file is removed and the target left as it was; an OSError
    (disk full, no permission, missing folder…) becomes :class:`CannotWrite` (exit code 2).
    """
    path = Path(path)
    if path.is_dir():
        raise CannotWrite("这是一个文件夹，请给出输出文件名", where=str(path))
    if _is_special(path):
        _write_in_place(path, write)
        return
    if path.is_symlink():  # replace the file the link points to, never the link (e.g. /dev/stdout)
        path = Path(os.path.realpath(path))
    folder = path.parent if str(path.parent) else Path(".")
    tmp: str | None = None
    try:
        # a short temp name: a long target name (up to 255 bytes) must still leave room for it
        fd, tmp = tempfile.mkstemp(prefix=".xxgk-", suffix=".tmp", dir=folder)
        os.close(fd)
        write(tmp)
        os.chmod(tmp, _mode_for(path))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
        _fsync_folder(folder)
    except OSError as exc:
        raise cannot_write(path, exc) from exc
    except Exception as exc:
        cause = _wrapped_os_error(exc)
        if cause is None:
            raise
        raise cannot_write(path, cause) from exc
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _wrapped_os_error(exc: BaseException) -> OSError | None:
    """The OSError a writer wrapped in its own exception (XlsxWriter's FileCreateError holds the
    disk-full error), found among its arguments, causes and context."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError):
            return current
        inner = next((a for a in current.args if isinstance(a, OSError)), None)
        if inner is not None:
            return inner
        current = current.__cause__ or current.__context__
    return None


def _is_special(path: Path) -> bool:
    """True for an existing target that is not a regular file (a device, a FIFO, a socket),
    including through a symlink such as /dev/stdout: renaming over it would destroy it."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode)


def _write_in_place(path: Path, write: Callable[[str], object]) -> None:
    """Character devices and pipes (/dev/stdout, /dev/null, a FIFO) are written directly:
    there is no old file to keep, and a temp file plus rename would replace the device."""
    mode = path.stat().st_mode
    if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        raise CannotWrite("不是普通文件（设备、管道或套接字），无法写入；请给出普通文件名", where=str(path))
    try:
        write(str(path))
    except OSError as exc:
        reason = _REASONS.get(exc.errno or 0, "磁盘已满或没有权限")
        raise CannotWrite(
            f"无法写入（{reason}{'：' + exc.strerror if exc.strerror else ''}）", where=str(path)
        ) from exc


_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CONIN$",
    "CONOUT$",
    *(f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")),
}
_MAX_NAME_BYTES = 200
"""UTF-8 bytes of a whole file name: Linux and macOS allow 255, and Chinese takes 3 bytes a character."""


def safe_filename(stem: str, suffix: str, max_length: int = 100) -> str:
    """A file name Windows accepts that cannot leave its folder (``../x``, ``CON``, ``a:b``…)."""
    import re
    import unicodedata

    name = unicodedata.normalize("NFC", stem)
    name = re.sub(r'[<>:"/\\|?*\x00-\x1f\x7f\ud800-\udfff]', "_", name)
    name = name.strip(" .") or "报告"
    if name.split(".")[0].strip(" ").upper() in _WINDOWS_RESERVED:
        name = "_" + name
    name = name[:max_length]
    while len((name + suffix).encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES:
        name = name[:-1]
    return (name.rstrip(" .") or "报告") + suffix


def make_dir(path: str | Path) -> None:
    """Create an output folder; failure is a Chinese CannotWrite, not a traceback."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cannot_write(path, exc) from None


def read_up_to(fh, size: int, limit: int, head: bytes = b"") -> bytes | None:
    """The rest of an open file after `head`, `size` being its ``fstat`` size; None when it is
    (or has grown) over `limit` bytes. Reads the size it has, not the limit (``read(limit)``
    allocates the whole limit first), and on up to the limit if the file grew meanwhile.
    `fh` is a file object, or a descriptor (an ``int``: read without a buffered file object,
    some 10 µs less per file for ``collect``'s thousands)."""
    if size > limit:
        return None
    read = partial(_read_fd, fh) if isinstance(fh, int) else fh.read
    data = head + read(max(size - len(head), 0) + 1)
    if len(data) > size:
        data += read(limit + 1 - len(data))
    return data if len(data) <= limit else None


def _read_fd(fd: int, n: int) -> bytes:
    """Up to `n` bytes, fewer only at the end of the file (as a buffered ``read(n)`` gives)."""
    data = os.read(fd, n)
    if len(data) in (0, n):
        return data
    chunks = [data]
    n -= len(data)
    while n > 0:
        data = os.read(fd, n)
        if not data:
            break
        chunks.append(data)
        n -= len(data)
    return b"".join(chunks)


def distinct_output(out: str | Path, *inputs: str | Path | None) -> None:
    """Refuse an output that names one of the inputs (exit 2): this tool never replaces a file
    it reads. Compared by the file itself where both exist (a link or another spelling of the
    same path is the same file), else by the resolved path."""
    if str(out) == STDOUT:
        return
    target = Path(out)
    for src in inputs:
        if src and _same_file(target, Path(src)):
            raise UnusableInput(
                "输出文件不能与输入文件相同（本工具不修改您的原始文件）", where=str(out), code="bad-argument"
            )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        try:
            return a.resolve() == b.resolve()
        except (OSError, RuntimeError):
            return False


def refuse_stdout(out: str, what: str = "工作簿是二进制文件", name: str = ".xlsx 文件名") -> None:
    """A binary output asked for on standard output (``-o -``): exit 2 with what to give instead."""
    if out == STDOUT:
        raise UnusableInput(f"{what}，不能输出到标准输出（-）；请给出 {name}", code="bad-argument")
