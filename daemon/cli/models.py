"""`lego-edit models list | pull | verify | remove`: the model checkpoints on this machine.

Settings come from the `[models]` table of the daemon's config.toml, read by the one config reader
(`--config FILE`, else $LEGO_EDIT_CONFIG, else the config folder), so `paths` and `cache_dir` mean
the same here as in the daemon. Nothing heavy is imported: huggingface_hub only when a command
looks at the hub cache (without it the command says in one line what to install), never torch.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lego_edit.bricks.models.extras import INSTALL_HINT
from lego_edit.daemon.cli.common import add_config, load_config
from lego_edit.daemon.cli.errors import CliError


def _settings(args: argparse.Namespace):
    from lego_edit.bricks.models import SettingsError

    cfg = load_config(args)
    try:
        return cfg.configure_models().settings
    except SettingsError as exc:
        raise CliError(f"{cfg.path}: {exc}") from None


def _need_hub(action: str) -> None:
    """Say at once, in one line, when the hub library is missing, before any partial output."""
    import importlib.util

    if importlib.util.find_spec("huggingface_hub") is None:
        raise CliError(f"`lego-edit models {action}` reads the Hugging Face cache, and huggingface_hub is not "
                       f"installed: {INSTALL_HINT}")


def _names(args: argparse.Namespace, default_all: bool) -> list[str]:
    from lego_edit.bricks.models.known import KNOWN, PRESETS, expand

    names = list(args.names or [])
    if getattr(args, "preset", None):
        names.append(args.preset)
    if not names:
        if default_all:
            return list(KNOWN)
        raise CliError(f"name a model or a preset (--preset {'|'.join(PRESETS)}); `lego-edit models list` shows them")
    try:
        return expand(names)
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None


def _gb(n: float) -> str:
    return f"{n:.1f} GB"


def cmd_list(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from lego_edit.bricks import default_registry
    from lego_edit.bricks.models.hub import status_rows

    _need_hub("list")
    settings = _settings(args)
    rows = status_rows(settings)
    bricks = [b for b in default_registry().catalog() if any(x["kind"] == "model" for x in b["backends"])]
    from lego_edit.bricks.models.engines.choose import auto_summary, detect_gpu, engine_rows
    from lego_edit.bricks.models.known import KNOWN

    engines = engine_rows(settings)
    gpu = detect_gpu()
    summary = auto_summary(settings, gpu)
    if args.json:
        print(json.dumps({"models": [{**asdict(r), "wired": KNOWN[r.name].wired} for r in rows],
                          "engines": engines, "engine_choice": summary, "bricks": [
            {"name": b["name"], "active_backend": b["active_backend"],
             "backends": [x for x in b["backends"] if x["kind"] == "model"]} for b in bricks]}, indent=2))
        return 0
    print("Models")
    width = max(len(r.name) for r in rows)
    for r in rows:
        print(f"  {r.name:<{width}}  {r.status:<10} {_gb(r.size_gb):>8}  {r.source}")
        gated = "; gated: accept the licence on the hub first" if r.gated else ""
        print(f"  {'':<{width}}  licence: {r.licence}{gated}")
        if not KNOWN[r.name].wired:
            print(f"  {'':<{width}}  not yet wired: the reference uses it; no backend here loads it")
    print("\nEditing engines ([models] engine; VRAM at 1024² per preset, estimated)")
    width = max(len(e["name"]) for e in engines)
    for e in engines:
        vram = ", ".join(f"{p} {gb:.0f} GB" for p, gb in e["vram_gb"].items())
        state = "downloaded" if e["downloaded"] else "missing"
        excluded = "" if e["allowed"] else "  (excluded: licence = permissive)"
        print(f"  {e['name']:<{width}}  {state:<10} {_gb(e['size_gb']):>8}  {e['licence']}{excluded}")
        print(f"  {'':<{width}}  VRAM: {vram}")
    for line in summary:
        print(f"  {line}")
    print("\nBricks")
    width = max(len(b["name"]) for b in bricks)
    for b in bricks:
        for x in b["backends"]:
            if x["kind"] != "model":
                continue
            state = "active" if b["active_backend"] == x["name"] else ("available" if x["available"] else "missing")
            fix = f"  -> {x['fix']}" if not x["available"] else ""
            print(f"  {b['name']:<{width}}  {x['name']:<22} {state:<9}{fix}")
            if not x["available"] and args.verbose:
                print(f"  {'':<{width}}  {'':<22} {x['reason']}")
        if b["active_backend"] and all(x["name"] != b["active_backend"] for x in b["backends"] if x["kind"] == "model"):
            print(f"  {b['name']:<{width}}  {'(runs: ' + b['active_backend'] + ')':<22}")
    return 0


def _model_folder(folder: Any, patterns: tuple[str, ...] | None) -> Any:
    """Where the model itself is: a checkpoint kept in one folder of its repository (the Builder in
    `Builder/`) is that folder of the snapshot, not its root."""
    from pathlib import Path

    heads = {p.split("/", 1)[0] for p in patterns or () if "/" in p}
    if len(heads) == 1 and all("/" in p for p in patterns or ()):
        return Path(folder) / heads.pop()
    return folder


def cmd_pull(args: argparse.Namespace) -> int:
    from lego_edit.bricks.models.hub import DownloadError, pull
    from lego_edit.bricks.models.known import KNOWN
    from lego_edit.bricks.registry import recheck_default

    _need_hub("pull")
    settings = _settings(args)
    names = _names(args, default_all=False)
    total = sum(KNOWN[n].size_gb for n in names)
    print(f"pulling {', '.join(names)} (about {_gb(total)})", file=sys.stderr)
    failed = []
    for name in names:
        spec = KNOWN[name]
        if not spec.commercial:
            print(f"note: {name} is under the {spec.licence}: not for commercial use", file=sys.stderr)
        try:
            folder = pull(name, settings, progress=not args.quiet)
            print(f"{name}: ready in {_model_folder(folder, spec.allow_patterns)}")
            recheck_default()
        except DownloadError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            failed.append(name)
    if failed:
        raise CliError(f"could not pull {', '.join(failed)}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from lego_edit.bricks.models.hub import verify

    _need_hub("verify")
    settings = _settings(args)
    names = _names(args, default_all=True)
    explicit = bool(args.names or args.preset)
    reports = [verify(n, settings) for n in names]
    if args.json:
        print(json.dumps([{**r.__dict__, "ok": r.ok} for r in reports], indent=2))
    else:
        for r in reports:
            if not r.present and not r.problems[len([p for p in r.problems if p.startswith("missing")]):] and not explicit:
                print(f"{r.name}: not downloaded")
                continue
            state = "OK" if r.ok else "PROBLEMS"
            print(f"{r.name}: {state} ({r.files} files, {r.bytes / 1e9:.2f} GB, {r.source})")
            for p in r.problems:
                print(f"  - {p}")
    # checking everything: only broken downloads fail; naming models: each must be present and whole
    bad = [r for r in reports if (not r.ok if explicit else r.problems and (r.present or r.files))]
    return 1 if bad else 0


def cmd_remove(args: argparse.Namespace) -> int:
    from lego_edit.bricks.models.hub import DownloadError, remove
    from lego_edit.bricks.registry import recheck_default

    settings = _settings(args)
    freed = 0
    for name in _names(args, default_all=False):
        try:
            n = remove(name, settings)
        except DownloadError as exc:
            raise CliError(str(exc)) from None
        recheck_default()
        if n is None:
            print(f"{name}: not in the cache")
        else:
            freed += n
            print(f"{name}: removed, {_gb(n / 1e9)} freed")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("models", help="list, download, check or remove model checkpoints")
    msub = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")

    def common(q: argparse.ArgumentParser) -> None:
        add_config(q, "config.toml to read the [models] table from (default: $LEGO_EDIT_CONFIG, else the one "
                      "`lego-edit config` shows)")

    q = msub.add_parser("list", help="every known model and every model backend, with its status")
    q.add_argument("--json", action="store_true")
    q.add_argument("-v", "--verbose", action="store_true", help="say why each missing backend is missing")
    common(q)
    q.set_defaults(func=cmd_list)

    q = msub.add_parser("pull", help="download models (resumable) from the Hugging Face hub")
    q.add_argument("names", nargs="*", metavar="NAME", help="model or bundle names (see `models list`)")
    q.add_argument("--preset", choices=("low-vram", "standard", "full"))
    q.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    common(q)
    q.set_defaults(func=cmd_pull)

    q = msub.add_parser("verify", help="check downloaded models are complete and intact (no network)")
    q.add_argument("names", nargs="*", metavar="NAME")
    q.add_argument("--preset", choices=("low-vram", "standard", "full"))
    q.add_argument("--json", action="store_true")
    common(q)
    q.set_defaults(func=cmd_verify)

    q = msub.add_parser("remove", help="delete models from the hub cache")
    q.add_argument("names", nargs="+", metavar="NAME")
    q.add_argument("--preset", choices=("low-vram", "standard", "full"), help=argparse.SUPPRESS)
    common(q)
    q.set_defaults(func=cmd_remove)

