"""`lego-edit install | uninstall | doctor`: the command-line glue over the `installer` package.

Importing this module costs only argparse (the parser loads it); each command imports what it needs
when it runs. The doctor's checks that need the daemon's config, its socket or the model list are
here, so the installer package never imports the daemon.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from lego_edit.daemon.cli.common import add_config, add_endpoint, client_endpoint, load_config
from lego_edit.daemon.cli.errors import CliError

HOSTS = ("krita", "gimp")


def register(sub: Any) -> None:
    p = sub.add_parser("install", help="put the Krita and GIMP 3 plugins where the hosts load them "
                                       "(no flag: every host found)")
    _host_flags(p, "install")
    p.add_argument("--autostart", action="store_true", help="also start `lego-edit tray` at login")
    p.add_argument("--pyzmq-wheel", metavar="PATH",
                   help="a pyzmq wheel (or a folder of wheels) to vendor instead of downloading one")
    p.add_argument("--no-pyzmq", action="store_true",
                   help="do not check whether the host's Python imports zmq, and vendor nothing")
    p.add_argument("-v", "--verbose", action="store_true", help="list every file written")
    p.set_defaults(func=cmd_install)

    p = sub.add_parser("uninstall", help="remove what install put there (no flag: everything, autostart included)")
    _host_flags(p, "uninstall")
    p.add_argument("--autostart", action="store_true", help="remove the login autostart entry")
    p.set_defaults(func=cmd_uninstall)

    p = sub.add_parser("doctor", help="check this installation: one line per check, OK / WARN / FAIL with the fix")
    add_config(p)
    add_endpoint(p)
    p.add_argument("--skip-gpu", action="store_true", help="do not import torch to look for a GPU (faster)")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for the daemon's answer")
    p.set_defaults(func=cmd_doctor)


def _host_flags(p: argparse.ArgumentParser, verb: str) -> None:
    p.add_argument("--krita", action="store_true", help=f"{verb} the Krita plugin")
    p.add_argument("--gimp", action="store_true", help=f"{verb} the GIMP 3 plug-in")
    p.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    p.add_argument("--source", metavar="DIR", help=argparse.SUPPRESS)  # a plugins/ tree (tests, development)


def _source(args: argparse.Namespace) -> Path:
    from lego_edit.installer.core import default_source

    return Path(args.source).resolve() if args.source else default_source()


def _print_outcome(outcome: Any, env: Any, *, dry_run: bool, verbose: bool, verb: str) -> None:
    from lego_edit.installer.paths import display

    target = outcome.target
    head = f"{target.label} ({display(target.root, env)})"
    other = [c for c in outcome.changes if c not in outcome.written]
    if dry_run:
        print(f"{head}: would {verb}" if outcome.changes else f"{head}: nothing to do")
        for change in outcome.changes:
            print(f"  {change}")
    else:
        summary = f"{len(outcome.written)} file(s) written" if outcome.written else "no file changed"
        print(f"{head}: {verb}ed" + (f", {summary}" if verb == "install" else "") if outcome.changes
              else f"{head}: {outcome.notes[0] if outcome.notes else 'nothing to do'}")
        for change in (outcome.changes if verbose else other):
            print(f"  {change}")
    for note in outcome.notes:
        if note not in ("up to date", "nothing installed"):
            print(f"  {note}")
    for problem in outcome.problems:
        print(f"  FAIL: {problem}")


def cmd_install(args: argparse.Namespace) -> int:
    from lego_edit.installer import autostart, package_version
    from lego_edit.installer.core import InstallError, install_target
    from lego_edit.installer.hosts import detect
    from lego_edit.installer.paths import Env, all_targets, display

    env = Env()
    version = package_version()
    source = _source(args)
    chosen = [h for h in HOSTS if getattr(args, h)]
    targets = []
    for host in chosen or HOSTS:
        for target in all_targets(host, env):
            present = detect(target, env)
            installed = target.manifest.exists()
            if (chosen and target.variant == "native") or present or installed:
                targets.append(target)
    if not targets and not args.autostart:
        raise CliError("found neither Krita nor GIMP 3 (looked on PATH, in the usual install folders, for Flatpak "
                       "apps and config folders); to install anyway: lego-edit install --krita --gimp")
    if not targets:
        print("found neither Krita nor GIMP 3: no plugin installed (force with --krita / --gimp)")
    wheel = Path(args.pyzmq_wheel).expanduser() if args.pyzmq_wheel else None
    if wheel is not None and not wheel.exists():
        raise CliError(f"{wheel}: no such file or folder")
    if args.dry_run:
        print("dry run: nothing will be changed")
    failed = False
    for target in targets:
        try:
            outcome = install_target(target, source, version, env, dry_run=args.dry_run,
                                     pyzmq_mode="skip" if args.no_pyzmq else "auto", pyzmq_wheel=wheel)
        except InstallError as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(f"{target.label}: cannot write {exc.filename or ''}: {exc.strerror or exc}") from None
        _print_outcome(outcome, env, dry_run=args.dry_run, verbose=args.verbose, verb="install")
        failed = failed or bool(outcome.problems)
        if outcome.changes and not args.dry_run and not outcome.problems:
            if target.host == "krita":
                print("  restart Krita (close it first, so it does not overwrite kritarc); the panel is under "
                      "Settings > Dockers > Lego Edit")
            else:
                print("  restart GIMP; the filter is Filters > AI > Lego Edit...")
    if args.autostart:
        import importlib.util

        if importlib.util.find_spec("pystray") is None:
            print("autostart: note: the tray needs pystray: pip install 'lego-edit[tray]'")
        changes = autostart.install(env, autostart.tray_command(), dry_run=args.dry_run)
        print(f"autostart: {'would ' if args.dry_run else ''}" + ("; ".join(changes) if changes else "up to date")
              if changes else f"autostart: up to date ({display(autostart.status(env)[1], env)})")
    if not args.dry_run and targets and not failed:
        print("next: lego-edit doctor")
    return 1 if failed else 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    from lego_edit.installer import autostart
    from lego_edit.installer.core import prune_created, uninstall_target
    from lego_edit.installer.paths import Env, all_targets

    env = Env()
    chosen = [h for h in HOSTS if getattr(args, h)]
    everything = not chosen and not args.autostart
    hosts = chosen or (HOSTS if everything else ())
    source = _source(args)
    if args.dry_run:
        print("dry run: nothing will be changed")
    created = []
    for host in hosts:
        for target in all_targets(host, env):
            outcome = uninstall_target(target, env, source, dry_run=args.dry_run)
            created.extend(outcome.created_dirs)
            if target.variant == "flatpak" and not outcome.changes:
                continue
            _print_outcome(outcome, env, dry_run=args.dry_run, verbose=True, verb="uninstall")
    if args.autostart or everything:
        changes = autostart.uninstall(env, dry_run=args.dry_run)
        prefix = "would " if args.dry_run else ""
        print("autostart: " + ("; ".join(prefix + c for c in changes) if changes else "nothing installed"))
    if not args.dry_run:
        prune_created(created)
    return 0


# -- doctor ---------------------------------------------------------------------------------------

def cmd_doctor(args: argparse.Namespace) -> int:
    from lego_edit.installer import doctor, package_version
    from lego_edit.installer.paths import Env

    env = Env()
    version = package_version()
    state: dict[str, Any] = {}

    # Named functions, not lambdas: a check that breaks is reported under its name.
    def check_torch():
        return doctor.check_torch(import_torch=not args.skip_gpu)

    def check_config_file():
        return check_config(args, state)

    def check_model_files():
        return check_models(state)

    def check_daemon_answers():
        return check_daemon(args, state, version)

    def check_endpoint():
        return check_endpoint_free(state)

    def check_plugins():
        return doctor.check_plugins(env, version)

    def check_autostart():
        return doctor.check_autostart(env)

    checks = [doctor.check_python, doctor.check_pyzmq, check_torch, check_config_file, check_model_files,
              check_daemon_answers, check_endpoint, check_plugins, check_autostart]
    print(f"lego-edit {version} doctor")
    return doctor.run_checks(checks)


def check_config(args: argparse.Namespace, state: dict[str, Any]):
    from lego_edit.installer.doctor import FAIL, OK, Check

    try:
        cfg = load_config(args)
    except CliError as exc:
        state["endpoint"] = client_endpoint(args, None)
        return Check("config", FAIL, str(exc), "correct the file (lego-edit config --init shows every key with "
                     "its default), or move it away to use the defaults")
    state["config"] = cfg
    state["endpoint"] = client_endpoint(args, cfg)
    if cfg.path.exists():
        return Check("config", OK, f"{cfg.path}")
    return Check("config", OK, f"{cfg.path} (no file: the defaults are in use; lego-edit config --init writes one)")


def check_models(state: dict[str, Any]):
    import importlib.util

    from lego_edit.bricks.models.extras import INSTALL_HINT as fix_install
    from lego_edit.installer.doctor import FAIL, WARN, Check
    if importlib.util.find_spec("lego_edit.bricks.models") is None:
        return Check("models", WARN, "the model backends are not installed: bricks use their offline backends",
                     fix_install)
    if importlib.util.find_spec("huggingface_hub") is None:
        return Check("models", WARN, "huggingface_hub is not installed: no model checkpoint can be found or "
                     "downloaded, bricks use their offline backends", fix_install)
    try:
        from lego_edit.bricks.models.hub import status_rows
        from lego_edit.bricks.models.settings import ModelSettings, SettingsError
    except ImportError as exc:
        return Check("models", WARN, f"the model backends are not installed ({exc})", fix_install)
    cfg = state.get("config")
    try:
        settings = ModelSettings.from_mapping(cfg.models if cfg is not None else {})
    except (SettingsError, OSError, ValueError) as exc:
        return Check("models", FAIL, f"the [models] settings cannot be used: {exc}", "correct config.toml [models]")
    return [_models_check(settings, status_rows(settings)), _engine_check(settings)]


def _models_check(settings: Any, rows: list[Any]):
    from lego_edit.installer.doctor import OK, WARN, Check

    present = [r.name for r in rows if r.status == "present"]
    broken = [f"{r.name} ({r.status})" for r in rows if r.status not in ("present", "missing")]
    if broken:
        return Check("models", WARN, f"{len(present)} of {len(rows)} present; damaged or misconfigured: "
                     f"{', '.join(broken)}", "lego-edit models verify; lego-edit models pull NAME")
    if not present:
        return Check("models", WARN, f"none of the {len(rows)} model checkpoints is downloaded: bricks use their "
                     "offline backends", "lego-edit models pull --preset low-vram  (or standard / full)")
    return Check("models", OK, f"{len(present)} of {len(rows)} present ({', '.join(present)}); "
                 "lego-edit models list shows the rest")


def _engine_check(settings: Any):
    """The editing engine and VRAM preset the model bricks use on this machine, and why."""
    from lego_edit.bricks.models.engines.choose import auto_summary, choose, detect_gpu
    from lego_edit.installer.doctor import OK, WARN, Check

    gpu = detect_gpu()
    lines = auto_summary(settings, gpu)
    chosen = choose(settings, gpu=gpu, instruct_only=settings.engine == "auto")
    if chosen.engine is None:
        return Check("engine", WARN, "; ".join(lines), "lego-edit models pull flux2-klein-4b  (Apache-2.0, fits 12 GB "
                     "in the low-vram preset); lego-edit models list shows every engine")
    return Check("engine", OK, "; ".join(lines))


def _ping(endpoint: str, timeout: float, header: dict[str, Any]) -> dict[str, Any] | None:
    """One request on a fresh DEALER socket; the reply's header, or None when nothing answers in time."""
    import zmq

    ctx: zmq.Context = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(endpoint)
        sock.send(json.dumps(header).encode())
        deadline_ms = int(timeout * 1000)
        while sock.poll(deadline_ms):
            frames = sock.recv_multipart()
            try:
                reply = json.loads(frames[0].decode("utf-8"))
            except (ValueError, UnicodeDecodeError, IndexError):
                return {"type": "garbage"}
            if isinstance(reply, dict) and reply.get("id") == header["id"]:
                return reply
        return None
    finally:
        sock.close(0)


def check_daemon(args: argparse.Namespace, state: dict[str, Any], version: str):
    from lego_edit.daemon.service.protocol import VERSION
    from lego_edit.installer.doctor import FAIL, OK, WARN, Check

    endpoint = state.get("endpoint") or client_endpoint(args, None)
    try:
        reply = _ping(endpoint, args.timeout, {"v": VERSION, "id": "doctor", "type": "ping"})
    except Exception as exc:  # zmq.ZMQError: a malformed endpoint
        state["answered"] = None
        return Check("daemon", FAIL, f"cannot connect to {endpoint!r}: {exc}",
                     "set a valid endpoint (tcp://127.0.0.1:5588) in config.toml [daemon] or LEGO_EDIT_ENDPOINT")
    state["answered"] = reply is not None
    if reply is None:
        cfg = state.get("config")
        curve = cfg is not None and getattr(cfg.daemon, "curve", "auto") == "always"
        return Check("daemon", WARN, f"nothing answers at {endpoint} within {args.timeout:g} s"
                     + (" (a CURVE daemon ignores clients without keys: lego-edit status uses them)" if curve else ""),
                     "lego-edit serve  (or lego-edit tray, or the plugin's Start daemon button)")
    if reply.get("type") != "pong":
        return Check("daemon", FAIL, f"{endpoint} answered a ping with {reply.get('type')!r}: "
                     f"{reply.get('message', 'not a Lego Edit daemon?')}", "lego-edit stop; lego-edit serve")
    hello = _ping(endpoint, args.timeout, {"v": VERSION, "id": "doctor-hello", "type": "hello", "versions": [VERSION]})
    server_version = (hello or {}).get("server_version")
    if server_version and server_version != version:
        return Check("daemon", WARN, f"answers at {endpoint}, but runs lego-edit {server_version} (this is {version})",
                     "lego-edit stop; lego-edit serve  (restart it on the new version)")
    return Check("daemon", OK, f"answers at {endpoint}" + (f" (lego-edit {server_version})" if server_version else ""))


def check_endpoint_free(state: dict[str, Any]):
    from lego_edit.installer.doctor import FAIL, OK, Check

    endpoint = state.get("endpoint")
    if state.get("answered"):
        return Check("endpoint", OK, f"{endpoint} is held by the running daemon")
    if state.get("answered") is None or not isinstance(endpoint, str):  # str: check_config set it
        return Check("endpoint", FAIL, f"{endpoint} is not a usable endpoint", "see the daemon line")
    import zmq

    sock: zmq.Socket = zmq.Context.instance().socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.bind(endpoint)
    except zmq.ZMQError as exc:
        return Check("endpoint", FAIL, f"{endpoint} cannot be bound ({exc}): another program holds it, and it is "
                     "not a Lego Edit daemon that answers",
                     "stop that program, or choose another endpoint: [daemon] endpoint in config.toml "
                     "(and LEGO_EDIT_ENDPOINT for the plugins)")
    finally:
        sock.close(0)
    return Check("endpoint", OK, f"{endpoint} is free: lego-edit serve can bind it")
