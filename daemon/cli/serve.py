"""`lego-edit serve | status | stop | keys | config | tray`: the commands that run or reach the daemon.

Importing this module costs only argparse: each command imports what it needs when it runs, so
`serve` reaches its socket without torch.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

from lego_edit.daemon.cli.common import add_config, add_endpoint, bind_endpoint, client_endpoint, load_config
from lego_edit.daemon.cli.errors import CliError


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the daemon in the foreground (until Ctrl-C or SIGTERM)")
    _common(p)
    p.add_argument("--log-level", dest="serve_log_level", metavar="LEVEL",
                   help="DEBUG, INFO, WARNING or ERROR (default: daemon.log_level in the config, INFO)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("status", help="ask the running daemon how it is")
    _common(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for an answer")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("stop", help="stop the daemon running on this machine")
    _common(p)
    p.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for it to exit")
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("keys", help="CURVE keys: show or create the server key pair, allow or revoke clients")
    add_config(p, "config.toml (keys live in a 'keys' folder beside it; default: $LEGO_EDIT_CONFIG, else the "
                  "one `lego-edit config` shows)")
    p.add_argument("--allow", metavar="PUBLIC_KEY", help="allow a client's CURVE public key (Z85, 40 characters)")
    p.add_argument("--name", default="", help="a label for --allow (who the key belongs to)")
    p.add_argument("--revoke", metavar="PUBLIC_KEY", help="remove a client key from the allow-list")
    p.add_argument("--client-pair", action="store_true",
                   help="print a fresh client key pair (for a machine without lego-edit) and allow its public key")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("config", help="show where the config, log and keys are; --init writes a commented config")
    add_config(p)
    p.add_argument("--init", action="store_true", help="write the example config if the file does not exist")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("tray", help="a tray icon that starts, stops and watches the daemon (needs pystray)")
    _common(p)
    p.set_defaults(func=cmd_tray)


def _common(p: argparse.ArgumentParser) -> None:
    add_endpoint(p)
    add_config(p)


# -- serve --------------------------------------------------------------------------------------

def cmd_serve(args: argparse.Namespace) -> int:
    from lego_edit.daemon import logs
    from lego_edit.daemon.service.server import Server, StartError

    cfg = load_config(args)
    level = args.serve_log_level or (args.log_level if str(args.log_level).upper() != "WARNING" else None) \
        or cfg.daemon.log_level
    try:
        log_path = logs.setup(level, cfg.log_path)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    endpoint = bind_endpoint(args, cfg)
    server = Server(cfg)
    try:
        bound = server.bind(endpoint)
    except StartError as exc:
        raise CliError(str(exc)) from None

    print(f"lego-edit daemon serving {bound} (pid {os.getpid()}, log {log_path})", file=sys.stderr, flush=True)
    serve_until_signalled(server)
    return 0


def serve_until_signalled(server: Any) -> None:
    """Serve on this (main) thread; SIGINT/SIGTERM cancel the jobs, tell their clients, and return."""

    def on_signal(signum: int, frame: Any) -> None:
        server.stop(wait=False)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server.serve_forever()


# -- status and stop ----------------------------------------------------------------------------

def cmd_status(args: argparse.Namespace) -> int:
    from lego_edit.daemon.control import query_status

    cfg = load_config(args)
    endpoint = client_endpoint(args, cfg)
    status = query_status(cfg, endpoint, args.timeout)
    if status is None:
        if args.json:
            print(json.dumps({"running": False, "endpoint": endpoint}))
        raise CliError(f"no daemon is answering at {endpoint} (start one with `lego-edit serve`)")
    if args.json:
        print(json.dumps({"running": True, **{k: v for k, v in status.items() if k not in ("v", "id", "type")}},
                         indent=2))
        return 0
    jobs = status.get("jobs", {})
    cache = status.get("cache") or {}
    print(f"lego-edit daemon at {status.get('endpoint', endpoint)}: {status.get('state')}")
    print(f"  pid {status.get('pid')}, up {status.get('uptime_s', 0):.0f} s, version {status.get('server_version')}")
    print(f"  jobs: {jobs.get('running', 0)} running, {jobs.get('queued', 0)} queued; "
          f"clients: {status.get('clients', 0)}")
    print(f"  builder: {status.get('builder')}, device: {status.get('device')}, "
          f"CURVE: {'on' if status.get('curve') else 'off'}")
    if cache:
        print(f"  step cache: {cache.get('entries', 0)} entries, {cache.get('bytes', 0) / 1e6:.1f} MB")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from lego_edit.daemon.control import stop_daemon

    cfg = load_config(args)
    endpoint = client_endpoint(args, cfg)
    pid = stop_daemon(cfg, endpoint, args.timeout)
    print(f"stopped the daemon at {endpoint} (pid {pid})")
    return 0


# -- keys and config ----------------------------------------------------------------------------

def cmd_keys(args: argparse.Namespace) -> int:
    from lego_edit.daemon import keys

    cfg = load_config(args)
    folder = cfg.keys_dir
    try:
        server, local, created = keys.ensure_keys(folder)
        if args.allow:
            added = keys.allow(folder, args.allow, args.name)
            print(("allowed " if added else "already allowed ") + args.allow)
        if args.revoke:
            removed = keys.revoke(folder, args.revoke)
            print(("revoked " if removed else "not in the allow-list: ") + args.revoke)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.client_pair:
        pair = keys.new_pair()
        keys.allow(folder, pair.public, args.name or "client pair made by lego-edit keys")
        if args.json:
            print(json.dumps({"public": pair.public, "secret": pair.secret, "server_public": server.public}))
        else:
            print(f"client public key: {pair.public}\nclient secret key: {pair.secret}\n"
                  f"server public key: {server.public}\n(the public key is now allowed; keep the secret private)")
        return 0
    allowed = keys.allowed(folder)
    if args.json:
        print(json.dumps({"keys_dir": str(folder), "server_public": server.public, "created": created,
                          "allowed": [{"key": k, "name": n} for k, n in allowed.items()]}, indent=2))
        return 0
    if created:
        print(f"created the server key pair in {folder}")
    print(f"server public key: {server.public}   (give this to clients)")
    print(f"keys folder: {folder}")
    print(f"allowed clients ({len(allowed)}):")
    for key, name in allowed.items():
        print(f"  {key}  {name}")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from lego_edit.daemon.config import EXAMPLE

    cfg = load_config(args, may_be_missing=args.init)
    path = cfg.path
    if args.init:
        if path.exists():
            print(f"{path} exists; not overwritten")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            # it may come to hold an API key: the owner's only
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as fh:
                fh.write(EXAMPLE)
            print(f"wrote {path}")
    print(f"config: {path}{'' if path.exists() else ' (not present: defaults in use)'}")
    print(f"log:    {cfg.log_path}")
    print(f"keys:   {cfg.keys_dir}")
    print(f"endpoint: {cfg.daemon.endpoint}")
    return 0


def cmd_tray(args: argparse.Namespace) -> int:
    from lego_edit.daemon.tray import TrayUnavailable, run_tray

    cfg = load_config(args)
    try:
        return run_tray(cfg, client_endpoint(args, cfg), args.config)
    except TrayUnavailable as exc:
        raise CliError(str(exc)) from None
