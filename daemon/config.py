"""config.toml: where things are and what the daemon allows. Read once at start; bad values are refused.

The one reader of config.toml for every `lego-edit` command: `--config FILE`, else
$LEGO_EDIT_CONFIG, else the file in platformdirs' config folder (XDG variables on Linux), so a
test or a second user can point every command at other folders without touching the real ones.
Clients find the daemon through `client_endpoint`, which is the plugins' own resolver
(plugins/client/settings.py), so a bind address such as tcp://0.0.0.0:P is reached the same way
by the tray, `lego-edit status/stop`, doctor, Krita and GIMP.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from lego_edit.daemon.service.protocol import Limits
from lego_edit.plugins.client.lego_client import DEFAULT_ENDPOINT, ENDPOINT_ENV
from lego_edit.plugins.client.settings import CONFIG_ENV, resolve_endpoint

APP = "lego-edit"
__all__ = ["APP", "CONFIG_ENV", "DEFAULT_ENDPOINT", "ENDPOINT_ENV", "Config", "ConfigError", "client_endpoint",
           "config_file", "default_config_path", "load"]


class ConfigError(ValueError):
    """config.toml cannot be used; the message names the file and the key."""


def config_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP, appauthor=False))


def log_dir() -> Path:
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP, appauthor=False))


def default_config_path() -> Path:
    return config_dir() / "config.toml"


def config_file(explicit: str | Path | None = None) -> tuple[Path, bool]:
    """(the config.toml to read, whether the user named it): `--config`, else $LEGO_EDIT_CONFIG, else
    the default. A named file must exist; the default one may be missing (the defaults apply)."""
    if explicit:
        return Path(explicit).expanduser(), True
    chosen = os.environ.get(CONFIG_ENV, "").strip()
    if chosen:
        return Path(chosen).expanduser(), True
    return default_config_path(), False


@dataclass
class DaemonSection:
    endpoint: str = DEFAULT_ENDPOINT
    workers: int = 2  # jobs of different clients that may run at once (GPU bricks still take turns)
    heartbeat_timeout_s: float = 30.0  # a client silent this long is gone: its jobs are cancelled
    log_level: str = "INFO"
    log_file: str = ""  # "" = <log dir>/daemon.log
    curve: str = "auto"  # "auto": CURVE off loopback only; "always": on loopback too
    pid_file: str = ""  # "" = <runtime dir>/daemon-<port>.pid (what `lego-edit stop` checks before signalling)
    job_watchdog_s: float = 1800.0  # a job running longer is logged as stuck and counted in `status` (0: off)
    executor: str = ""  # "": edits run in the daemon; "ray://HOST:PORT" or "auto": on that Ray cluster's actors


@dataclass
class LimitsSection:
    max_pixels: int = 8192 * 8192
    max_header_bytes: int = 1 << 20
    max_frames: int = 8
    max_frame_bytes: int = 0  # 0 = 4 * max_pixels + 1 MiB
    max_queued_per_client: int = 4  # queued + running; more gets `busy`
    plans_per_client: int = 8  # remembered for replan_of
    plans_memory_mb: int = 256  # pixels kept for replan_of, all clients together
    decode_memory_mb: int = 2048  # PNG decodes of all jobs together, at their peak; a bigger one is too_large
    outbox_mb: int = 64  # per client: progress/layer events waiting for a slow reader; older ones are dropped

    def protocol_limits(self) -> Limits:
        return Limits(max_pixels=self.max_pixels, max_header_bytes=self.max_header_bytes,
                      max_frames=self.max_frames, max_frame_bytes=self.max_frame_bytes)


@dataclass
class BuilderSection:
    backend: str = "auto"
    max_repairs: int = 2
    local_model: str = ""
    device: str = "auto"
    openai_base_url: str = "http://127.0.0.1:11434/v1"
    openai_model: str = ""
    openai_api_key: str = ""
    profile: str = "auto"  # auto (reference for the released Lego-Edit checkpoint, else catalog) | reference | catalog
    max_new_tokens: int = 4096
    local_lora: str = ""  # a LoRA folder (`lego-edit train`) merged into builder.local_model when it loads


@dataclass
class ExecutorSection:
    cache_mb: int = 1024  # step outputs kept for re-runs (feedback re-runs only what changed)
    max_workers: int = 4  # bricks of one workflow running at once (independent branches)
    backends: dict[str, str] = field(default_factory=dict)  # brick -> preferred backend


@dataclass
class Config:
    daemon: DaemonSection = field(default_factory=DaemonSection)
    limits: LimitsSection = field(default_factory=LimitsSection)
    builder: BuilderSection = field(default_factory=BuilderSection)
    executor: ExecutorSection = field(default_factory=ExecutorSection)
    models: dict[str, Any] = field(default_factory=dict)  # the [models] table, as bricks.models reads it
    path: Path | None = None  # the file read, if any

    @property
    def dir(self) -> Path:
        """The folder of config.toml: keys live beside it."""
        return self.path.parent if self.path is not None else config_dir()

    def as_mapping(self) -> dict[str, Any]:
        """The settings as config.toml's tables, the shape the plugins' settings functions read."""
        return {"daemon": asdict(self.daemon), "limits": asdict(self.limits), "builder": asdict(self.builder),
                "executor": asdict(self.executor), "models": dict(self.models)}

    @property
    def keys_dir(self) -> Path:
        return self.dir / "keys"

    @property
    def log_path(self) -> Path:
        return Path(self.daemon.log_file).expanduser() if self.daemon.log_file else log_dir() / "daemon.log"

    def pid_path(self, endpoint: str) -> Path:
        """The pid file of the daemon serving `endpoint` (bound or connect form: keyed by tcp port or ipc path)."""
        if self.daemon.pid_file:
            return Path(self.daemon.pid_file).expanduser()
        from platformdirs import user_runtime_dir

        return Path(user_runtime_dir(APP, appauthor=False)) / f"daemon-{pid_key(endpoint)}.pid"

    def configure_models(self):
        """Set the process-wide model manager from [models]: the catalog's availability reads it."""
        from lego_edit.bricks.models import configure

        return configure(self.models)

    def make_executor(self, registry: Any):
        """The Executor this configuration describes: cache size, workers, preferred backends, models."""
        from lego_edit.bricks.cache import StepCache
        from lego_edit.bricks.executor import Executor

        manager = self.configure_models()
        ex = self.executor
        return Executor(registry, cache=StepCache(max(ex.cache_mb, 0) << 20), max_workers=ex.max_workers,
                        backend_prefs=ex.backends, models=manager, device=manager.settings.device,
                        max_pixels=self.limits.max_pixels)

    def builder_config(self):
        from lego_edit.builder import BuilderConfig

        b = self.builder
        return BuilderConfig.from_env(backend=b.backend, max_repairs=b.max_repairs, local_model=b.local_model,
                                      device=b.device, openai_base_url=b.openai_base_url,
                                      openai_model=b.openai_model, openai_api_key=b.openai_api_key,
                                      profile=b.profile, max_new_tokens=b.max_new_tokens, local_lora=b.local_lora)


_SECTIONS = {"daemon": DaemonSection, "limits": LimitsSection, "builder": BuilderSection,
             "executor": ExecutorSection, "models": dict}


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _coerce(path: Path, where: str, default: Any, value: Any) -> Any:
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is dict:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"{path}: {where} must be a table of strings")
        return dict(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: {where} must be a {expected.__name__}, not {value!r}")
    return value


def load(path: str | Path | None = None, *, may_be_missing: bool = False) -> Config:
    """The config at `path`, else at $LEGO_EDIT_CONFIG (either must exist unless `may_be_missing`:
    `config --init` is about to write it), else the default file if it exists, else the defaults."""
    path, explicit = config_file(path)
    cfg = Config(path=path.resolve() if explicit else path)
    if not path.exists():
        if explicit and not may_be_missing:
            raise ConfigError(f"{path}: no such file")
        return cfg
    data = _read_toml(path)
    for name, value in data.items():
        if name not in _SECTIONS:
            raise ConfigError(f"{path}: unknown section [{name}] (known: {', '.join(_SECTIONS)})")
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {name} must be a section ([{name}])")
        if name == "models":  # the model manager owns these keys and checks them
            from lego_edit.bricks.models.settings import ModelSettings, SettingsError

            try:
                ModelSettings.from_mapping(value)
            except (SettingsError, TypeError) as exc:
                raise ConfigError(f"{path}: {exc}") from None
            cfg.models = dict(value)
            continue
        section = getattr(cfg, name)
        known = {f.name: f for f in fields(section)}
        for key, item in value.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown key {name}.{key} (known: {', '.join(known)})")
            setattr(section, key, _coerce(path, f"{name}.{key}", getattr(section, key), item))
    _validate(cfg, path)
    return cfg


def _validate(cfg: Config, path: Path) -> None:
    d, lim = cfg.daemon, cfg.limits
    if d.curve not in ("auto", "always"):
        raise ConfigError(f"{path}: daemon.curve must be \"auto\" or \"always\"")
    if d.workers < 1 or d.heartbeat_timeout_s <= 0:
        raise ConfigError(f"{path}: daemon.workers and daemon.heartbeat_timeout_s must be positive")
    if lim.max_pixels < 1 or lim.max_header_bytes < 256 or lim.max_frames < 1 or lim.max_queued_per_client < 1:
        raise ConfigError(f"{path}: [limits] values must be positive (max_header_bytes at least 256)")


def pid_key(endpoint: str) -> str:
    import hashlib
    import re

    match = re.match(r"^tcp://.*:(\d+)$", endpoint)
    if match:
        return f"tcp-{match.group(1)}"
    return "x-" + hashlib.sha256(endpoint.encode()).hexdigest()[:12]


def client_endpoint(cfg: Config | None = None, argument: str | None = None) -> str:
    """Where this machine's tools (status, stop, tray, doctor) reach the daemon: `argument`, else
    $LEGO_EDIT_ENDPOINT, else the config's endpoint, else the default; made connectable."""
    return resolve_endpoint(argument, config=cfg.as_mapping() if cfg is not None else {})


EXAMPLE = f"""\
# Lego Edit daemon configuration (all keys optional; these are the defaults).
[daemon]
endpoint = "{DEFAULT_ENDPOINT}"   # off loopback requires CURVE keys: lego-edit keys
workers = 2                 # jobs of different clients running at once (GPU bricks take turns)
heartbeat_timeout_s = 30.0  # a client silent this long has its jobs cancelled
log_level = "INFO"
log_file = ""               # default: the platform's log folder, daemon.log
curve = "auto"              # "always": require CURVE on loopback too
job_watchdog_s = 1800.0     # a job running longer is logged as stuck (and counted in status); 0: off
executor = ""               # "ray://HOST:10001" (or "auto": a local Ray): edits run on Ray actors (pip install 'lego-edit[ray]')

[limits]
max_pixels = 67108864       # 8192 x 8192
max_header_bytes = 1048576
max_frames = 8
max_frame_bytes = 0         # 0: 4 * max_pixels + 1 MiB; larger frames drop the connection unread
max_queued_per_client = 4
plans_per_client = 8
plans_memory_mb = 256       # images kept for replan_of (all clients); older ones must be re-sent
decode_memory_mb = 2048     # PNG decoding, all jobs together (peak bytes, estimated from each PNG's header)
outbox_mb = 64              # per client: progress/layer events waiting unread; past it the oldest are dropped

[builder]
backend = "auto"            # auto (a model Builder if configured and answering, else rules) | rules | local | openai
local_model = ""
openai_base_url = "http://127.0.0.1:11434/v1"
openai_model = ""

[executor]
cache_mb = 1024             # step outputs kept so a re-run after feedback recomputes only what changed
max_workers = 4
backends = {{}}               # e.g. {{ FASTINPAINT = "opencv" }}

[models]                    # read by the model manager (see `lego-edit models --help`)
device = "auto"             # auto | cpu | cuda | cuda:1 | mps
cache_dir = ""              # "" = the Hugging Face cache
paths = {{}}                  # e.g. {{ lama = "/models/big-lama" }}
"""
