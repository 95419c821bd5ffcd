"""A binary pyzmq wheel for a host's Python, unpacked into the plugin folder.

Krita's Windows/macOS/AppImage builds and GIMP's Windows/macOS builds bundle a Python without
pyzmq; a Linux distribution's host uses the system Python, which may lack python3-zmq. The wheel is
chosen by the host Python's X.Y and the platform (`pip download --only-binary=:all: --python-version
X.Y --platform TAG ...`) and unpacked whole (zmq/, pyzmq.libs/, the dist-info with its licences) into
the plugin folder, which the plugin puts at the end of sys.path only when `import zmq` fails.
"""

from __future__ import annotations

import os
import platform as _platform
import re
import shlex
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REQUIREMENT = "pyzmq>=25"
_GLIBC_FLOORS = (28, 27, 26, 24, 17)


class VendorError(Exception):
    """No wheel could be had; `command` is what the user can run instead (None: nothing would help)."""

    def __init__(self, message: str, command: str | None = None) -> None:
        super().__init__(message)
        self.command = command


@dataclass(frozen=True)
class PlatformSpec:
    """What binary wheels a host's Python can load: "linux" (glibc or musl), "win" or "mac", and the CPU."""

    os: str
    arch: str
    libc: str = "glibc"          # linux only: "glibc" | "musl"
    libc_version: tuple[int, int] = (2, 28)
    mac_version: tuple[int, int] = (11, 0)

    def pip_platforms(self) -> list[str]:
        """`--platform` values for pip (pip does not widen manylinux_2_X tags, so list the usual floors)."""
        if self.os == "win":
            return [{"x86_64": "win_amd64", "arm64": "win_arm64", "x86": "win32"}.get(self.arch, "win_amd64")]
        if self.os == "mac":
            return [f"macosx_{self.mac_version[0]}_{self.mac_version[1]}_{self.arch}"]
        if self.libc == "musl":
            return [f"musllinux_1_2_{self.arch}"]
        major, minor = self.libc_version
        floors = [minor] + [f for f in _GLIBC_FLOORS if f < minor]
        tags = [f"manylinux_{major}_{f}_{self.arch}" for f in dict.fromkeys(floors)]
        return tags + [f"manylinux2014_{self.arch}"]

    def accepts(self, tag: str) -> bool:
        """Whether a wheel's platform tag (one of the dot-separated parts) loads here."""
        if self.os == "win":
            return tag in self.pip_platforms()
        if self.os == "mac":
            match = re.fullmatch(r"macosx_(\d+)_(\d+)_(\w+)", tag)
            return match is not None and (int(match.group(1)), int(match.group(2))) <= self.mac_version and \
                match.group(3) in (self.arch, "universal2")
        if self.libc == "musl":
            match = re.fullmatch(r"musllinux_1_(\d+)_(\w+)", tag)
            return match is not None and int(match.group(1)) <= 2 and match.group(2) == self.arch
        legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
        match = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", tag)
        if match:
            need, arch = (int(match.group(1)), int(match.group(2))), match.group(3)
        else:
            match = re.fullmatch(r"(manylinux1|manylinux2010|manylinux2014)_(\w+)", tag)
            if not match:
                return tag == f"linux_{self.arch}"
            need, arch = legacy[match.group(1)], match.group(2)
        return arch == self.arch and need <= self.libc_version

    def describe(self) -> str:
        return {"win": "Windows", "mac": "macOS", "linux": "Linux"}[self.os] + f" {self.arch}"


def _arch(machine: str) -> str:
    machine = machine.lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "aarch64", "arm64": "arm64", "i686": "x86",
            "i386": "x86"}.get(machine, machine)


def host_platform(system: str | None = None) -> PlatformSpec:
    """The platform of this machine, as seen by a host program on it."""
    system = system or _platform.system()
    machine = _arch(_platform.machine() or "x86_64")
    if system == "Windows":
        return PlatformSpec("win", "arm64" if machine in ("arm64", "aarch64") else "x86_64")
    if system == "Darwin":
        release = _platform.mac_ver()[0] or "11.0"
        parts = [int(p) for p in release.split(".")[:2] if p.isdigit()] + [0, 0]
        major = parts[0] if parts[0] >= 11 else 10
        return PlatformSpec("mac", "arm64" if machine in ("arm64", "aarch64") else "x86_64",
                            mac_version=(major, parts[1] if major == 10 else 0))
    libc, version = _platform.libc_ver()
    if libc == "glibc" and version:
        nums = [int(p) for p in version.split(".")[:2]]
        return PlatformSpec("linux", machine, "glibc", (nums[0], nums[1] if len(nums) > 1 else 0))
    if any(Path("/lib").glob("ld-musl-*")):
        return PlatformSpec("linux", machine, "musl")
    return PlatformSpec("linux", machine)


def download_command(python_version: str, spec: PlatformSpec, dest: Path | str, *,
                     python: str | None = None) -> list[str]:
    argv = [python or sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps",
            "--python-version", python_version, "--implementation", "cp"]
    for tag in spec.pip_platforms():
        argv += ["--platform", tag]
    return argv + ["-d", str(dest), REQUIREMENT]


def shell_join(argv: list[str]) -> str:
    if os.name == "nt":
        return subprocess.list2cmdline(argv)
    return shlex.join(argv)


def _wheel_tags(name: str) -> tuple[list[str], str, list[str]] | None:
    parts = name[:-len(".whl")].split("-") if name.endswith(".whl") else []
    if len(parts) not in (5, 6) or parts[0].lower() != "pyzmq":
        return None
    return parts[-3].split("."), parts[-2], parts[-1].split(".")


def wheel_fits(name: str, python_version: str, spec: PlatformSpec) -> bool:
    tags = _wheel_tags(name)
    if tags is None:
        return False
    pys, abi, plats = tags
    want = "cp" + python_version.replace(".", "")
    minor = int(python_version.split(".")[1])
    if abi == "abi3":
        py_ok = any(re.fullmatch(r"cp3(\d+)", p) and int(p[3:]) <= minor for p in pys)
    else:
        py_ok = want in pys and abi in (want, "none")
    return py_ok and any(spec.accepts(p) for p in plats)


def find_wheel(path: Path, python_version: str, spec: PlatformSpec) -> Path | None:
    """A fitting pyzmq wheel: `path` itself if it is one, else the newest-named fitting one in the folder."""
    if path.is_file():
        return path if wheel_fits(path.name, python_version, spec) else None
    if path.is_dir():
        fits = [p for p in sorted(path.glob("*.whl")) if wheel_fits(p.name, python_version, spec)]
        return fits[-1] if fits else None
    return None


def download(python_version: str, spec: PlatformSpec, dest: Path, *, timeout: float = 300) -> Path:
    """pip download the wheel into `dest`; VendorError (with the command to run by hand) when it fails."""
    argv = download_command(python_version, spec, dest)
    manual = shell_join(download_command(python_version, spec, "pyzmq-wheels"))
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        raise VendorError(f"pip download failed: {exc}", manual) from None
    wheel = find_wheel(dest, python_version, spec)
    if proc.returncode != 0 or wheel is None:
        tail = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or ["no output"])[-1]
        raise VendorError(f"pip download found no pyzmq wheel for CPython {python_version} on {spec.describe()} "
                          f"({tail})", manual)
    return wheel


def wheel_files(wheel: Path) -> dict[str, tuple[bytes, int]]:
    """The wheel's files (relative posix path -> (bytes, mode)), without its .data/ part."""
    files: dict[str, tuple[bytes, int]] = {}
    try:
        with zipfile.ZipFile(wheel) as zf:
            for info in zf.infolist():
                name = info.filename
                if info.is_dir():
                    continue
                parts = name.split("/")
                if name.startswith("/") or ".." in parts or "\\" in name or ":" in parts[0]:
                    raise VendorError(f"{wheel.name}: unsafe path {name!r} in the wheel")
                if parts[0].endswith(".data"):
                    continue
                mode = (info.external_attr >> 16) & 0o777
                files[name] = (zf.read(info), 0o755 if mode & 0o111 else 0o644)
    except (OSError, zipfile.BadZipFile) as exc:
        raise VendorError(f"{wheel}: not a readable wheel ({exc})") from None
    if not any(n.startswith("zmq/") for n in files):
        raise VendorError(f"{wheel.name}: holds no zmq package")
    return files


def obtain(python_version: str, spec: PlatformSpec, local: Path | None) -> tuple[str, dict[str, tuple[bytes, int]]]:
    """(wheel file name, its files): from `local` (a wheel or a folder of wheels) else pip download."""
    if local is not None:
        wheel = find_wheel(local, python_version, spec)
        if wheel is None:
            raise VendorError(f"{local}: no pyzmq wheel for CPython {python_version} on {spec.describe()}",
                              shell_join(download_command(python_version, spec, "pyzmq-wheels")))
        return wheel.name, wheel_files(wheel)
    with tempfile.TemporaryDirectory(prefix="lego-edit-pyzmq-") as tmp:
        wheel = download(python_version, spec, Path(tmp))
        return wheel.name, wheel_files(wheel)
