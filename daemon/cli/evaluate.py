"""`lego-edit eval SUITE -o DIR` and `lego-edit eval compare RUN_A RUN_B -o DIR`: score edits, write a report.

The evaluation package is imported when the command runs, never at import, so the parser stays light.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from lego_edit.daemon.cli.common import add_config, load_config
from lego_edit.daemon.cli.edit import CodedError
from lego_edit.daemon.cli.errors import CliError

PROTOCOL_CHOICES = ("suite", "gedit", "imgedit", "both")


def _protocols(choice: str, suite_default: str) -> tuple[str, ...]:
    if choice == "both":
        return ("gedit", "imgedit")
    return (suite_default if choice == "suite" else choice,)


def _judge(args: argparse.Namespace, config: Any) -> Any:
    from lego_edit.evaluation.judge import JudgeConfig, JudgeError, make_judge

    if args.judge == "none":
        return None
    settings = JudgeConfig.resolve(config)
    if args.judge_url:
        settings.base_url = args.judge_url
    if args.judge_model:
        if args.judge == "local":
            settings.local_model = args.judge_model
        else:
            settings.model = args.judge_model
    try:
        return make_judge(args.judge, settings)
    except JudgeError as exc:
        raise CodedError(str(exc), "judge") from None


def cmd_eval(args: argparse.Namespace) -> int:
    positional = list(args.suite)
    if positional and positional[0] == "compare" and len(positional) == 3:
        return _compare(positional[1], positional[2], args)
    if len(positional) != 1:
        raise CliError("usage: lego-edit eval SUITE -o DIR [options], or lego-edit eval compare RUN_A RUN_B -o DIR")
    from lego_edit.evaluation.report import write_report
    from lego_edit.evaluation.runner import RunFolderError, RunOptions, run_suite
    from lego_edit.evaluation.suites import SuiteError, load_suite
    from lego_edit.evaluation.summary import summarise, text_table

    if args.workers < 1:
        raise CodedError(f"--workers {args.workers}: give at least 1", "bad_argument")
    if args.limit is not None and args.limit < 1:
        raise CodedError(f"--limit {args.limit}: give at least 1", "bad_argument")
    config = load_config(args)
    out = Path(args.output)
    try:
        suite = load_suite(positional[0], cache_dir=out / "suite_images", language=args.lang)
    except SuiteError as exc:
        raise CodedError(str(exc), "bad_suite") from None
    options = RunOptions(builder=args.builder, judge=_judge(args, config),
                         protocols=_protocols(args.protocol, suite.protocol), workers=args.workers, limit=args.limit,
                         resume=args.resume, progress=not args.json)
    try:
        result = run_suite(suite, out, config, options)
    except RunFolderError as exc:
        raise CodedError(str(exc), "bad_output") from None
    page = write_report(out, result.records, result.run)
    summary = summarise(result.records)
    if args.json:
        print(json.dumps({"report": str(page), "run": result.run, "summary": summary, "skipped": result.skipped,
                          "errors": result.errors}, ensure_ascii=False, default=str))
    else:
        print(text_table(summary))
        done = f"{result.ran} evaluated" + (f", {result.skipped} already done" if result.skipped else "")
        print(f"\n{done}; report: {page}")
        for error in result.errors[:5]:
            print(f"  error: {error}", file=sys.stderr)
    if result.interrupted:
        print(f"lego-edit: interrupted: {len(result.records)} of {result.run['items']} items are done; "
              f"lego-edit eval {positional[0]} -o {out} --resume continues", file=sys.stderr)
        return 130
    return 0


def _compare(run_a: str, run_b: str, args: argparse.Namespace) -> int:
    from lego_edit.evaluation.report import compare, write_compare

    for run in (run_a, run_b):
        if not (Path(run) / "records").is_dir():
            raise CodedError(f"{run}: not an evaluation run folder (no records/ in it)", "no_such_file")
    page = write_compare(run_a, run_b, args.output)
    data = compare(run_a, run_b)
    if args.json:
        print(json.dumps({"report": str(page), "changed": data["changed"], "only_a": data["only_a"],
                          "only_b": data["only_b"]}, ensure_ascii=False, default=str))
    else:
        print(f"{len(data['items'])} items in both runs, {len(data['changed'])} changed their verdict")
        for x in data["changed"]:
            print(f"  {x['id']}: {x['verdict_a']} -> {x['verdict_b']}")
        print(f"report: {page}")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("eval", help="evaluate edits on a suite and write an HTML report (or compare two runs)",
                       description="lego-edit eval SUITE -o DIR: plan and run every item as `lego-edit edit` does, "
                                   "score it, write DIR/report.html. lego-edit eval compare RUN_A RUN_B -o DIR: two "
                                   "runs side by side.")
    p.add_argument("suite", nargs="+", metavar="SUITE",
                   help="a JSONL file, an ImgEdit-Bench or a GEdit-Bench folder; or: compare RUN_A RUN_B")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the run folder (records, results, report)")
    p.add_argument("--builder", choices=("auto", "rules", "local", "openai"), help="default: the config's")
    p.add_argument("--judge", choices=("openai", "local", "none"), default="none",
                   help="the VLM judge (default none): an OpenAI-compatible endpoint or the local VLM")
    p.add_argument("--judge-model", metavar="NAME", help="the judge's model (openai: model name; local: a folder); "
                                                         "default $LEGO_EDIT_JUDGE_MODEL, else the Builder's")
    p.add_argument("--judge-url", metavar="URL", help="the judge's endpoint (default $LEGO_EDIT_JUDGE_BASE_URL, else "
                                                      "builder.openai_base_url)")
    p.add_argument("--protocol", choices=PROTOCOL_CHOICES, default="suite",
                   help="judge protocol (default: the suite's own; JSONL suites: gedit)")
    p.add_argument("--workers", type=int, default=1, help="items evaluated at once (each worker its own Builder)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N items")
    p.add_argument("--resume", action="store_true", help="continue the run in DIR, skipping finished items")
    p.add_argument("--lang", choices=("en", "cn", "all"), default="en", help="GEdit-Bench instructions (default en)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_config(p)
    p.set_defaults(func=cmd_eval)
