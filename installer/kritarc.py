"""`enable_lego_edit=true` in kritarc's [python] group, by editing lines, never by rewriting the file.

kritarc is a KConfig file: top-level keys before any group, keys with spaces, backslashes, `%`,
`[$e]` suffixes and mixed case, `[$Version]` meta groups. configparser would lower-case, interpolate
or refuse it, so this module only inserts, changes or deletes the one line, keeping every other byte
(order, comments, blank lines, line endings, unknown groups) as it was.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

GROUP = "python"


def enable_key(module: str) -> str:
    return f"enable_{module}"


def _split(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _newline(lines: list[str]) -> str:
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith("\n"):
            return "\n"
    return "\n"


def _is_group(line: str) -> str | None:
    """The group a header line opens ("python" for "[python]"); None for any other line."""
    stripped = line.strip()
    match = re.fullmatch(r"\[([^\]]*)\](.*)", stripped)
    if not match:
        return None
    return stripped[1:] if match.group(2) else match.group(1)  # "[a][b]" nested groups keep their full name


def _key_of(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#") or _is_group(line) is not None or "=" not in stripped:
        return None
    key = stripped.split("=", 1)[0].strip()
    return re.sub(r"\[\$[a-z]*\]$", "", key).strip()  # "key[$e]" is the key "key"


def _groups(lines: list[str]) -> list[tuple[int, int]]:
    """(header index, end index exclusive) of every [python] group in the file."""
    spans, start = [], None
    for i, line in enumerate(lines):
        name = _is_group(line)
        if name is None:
            continue
        if start is not None:
            spans.append((start, i))
            start = None
        if name == GROUP:
            start = i
    if start is not None:
        spans.append((start, len(lines)))
    return spans


def read_enabled(text: str, module: str) -> bool | None:
    """The value KConfig would read for enable_<module> in [python]: True, False, or None when absent."""
    key, value = enable_key(module), None
    lines = _split(text)
    for start, end in _groups(lines):
        for line in lines[start + 1:end]:
            if _key_of(line) == key:
                value = line.split("=", 1)[1].strip().lower() in ("true", "1", "yes", "on")
    return value


def set_enabled(text: str, module: str) -> str:
    """`text` with enable_<module>=true in [python]; identical text when it is already so."""
    key = enable_key(module)
    lines = _split(text)
    nl = _newline(lines)
    found = False
    for start, end in _groups(lines):
        for i in range(start + 1, end):
            if _key_of(lines[i]) == key:
                found = True
                ending = lines[i][len(lines[i].rstrip("\r\n")):]
                indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
                if lines[i].split("=", 1)[1].strip() != "true":
                    lines[i] = f"{indent}{key}=true{ending}"
    if found:
        return "".join(lines)
    spans = _groups(lines)
    if spans:
        start, end = spans[-1]
        last = start
        for i in range(start + 1, end):
            if lines[i].strip():
                last = i
        if not lines[last].endswith(("\n", "\r")):
            # the file ends on this line without a newline: keep it that way, after our line
            lines[last] += nl
            lines.insert(last + 1, f"{key}=true")
        else:
            lines.insert(last + 1, f"{key}=true{nl}")
        return "".join(lines)
    out = "".join(lines)
    if out and not out.endswith(("\n", "\r")):
        out += nl
    if out.strip():
        out += nl
    return out + f"[{GROUP}]{nl}{key}=true{nl}"


def remove_enabled(text: str, module: str) -> str:
    """`text` without enable_<module> in [python], and without a [python] group that only held it."""
    key = enable_key(module)
    lines = _split(text)
    for start, end in reversed(_groups(lines)):
        hits = [i for i in range(start + 1, end) if _key_of(lines[i]) == key]
        if not hits:
            continue
        for i in reversed(hits):
            had_newline = lines[i].endswith(("\n", "\r"))
            del lines[i]
            end -= 1
            if not had_newline and i == len(lines) and i > 0:
                lines[i - 1] = lines[i - 1].rstrip("\r\n")  # our line was last without a newline: restore that
        if all(not line.strip() for line in lines[start + 1:end]):
            # the group only held our key: drop its header (and the blank line set before it)
            del lines[start:end]
            if start > 0 and start == len(lines) and not lines[start - 1].strip():
                del lines[start - 1]
    return "".join(lines)


def read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return None


def write(path: Path, text: str) -> None:
    """Replace the file atomically, keeping its permission bits (through a symlink: the file it names)."""
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = None
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=".kritarc.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8", errors="surrogateescape"))
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
