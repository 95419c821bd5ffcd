"""`lego-edit eval` as a user meets it: the small offline suite end to end, resume, Ctrl-C, a judge on a real
loopback chat server (scores parsed and aggregated, malformed answers counted), compare, the benchmarks'
folder layouts — and the report opened in a real headless Chromium."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lego_edit.bricks.imageio import load_image, load_mask
from lego_edit.evaluation.regions import region_scores
from lego_edit.evaluation.summary import COLUMNS, show, summarise
from tests.conftest import DATA

SUITE = DATA / "eval" / "suite.jsonl"
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
EXPECTED = {  # what the offline rules Builder and classical bricks do with each item of the small suite
    "rocket-remove-ball": ("done", "right kind"), "rocket-remove-masked": ("done", "right kind"),
    "rocket-recolour-ball": ("done", "right kind"), "chelsea-sketch": ("done", "right kind"),
    "coffee-contrast": ("done", "right kind"), "astronaut-rotate": ("done", "right kind"),
    "chelsea-remove-dog": ("failed", "failed"),  # RES 'dog' needs the segmentation model: the brick says so
    "rocket-question": ("refused", "refused"),  # a question, not an edit: refusing is the right answer
}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The CLI's environment: an empty config of its own, no model Builder, no judge settings from outside."""
    config = tmp_path_factory.mktemp("config") / "config.toml"
    config.write_text("")
    out = {k: v for k, v in os.environ.items() if not k.startswith("LEGO_EDIT_")}
    out["LEGO_EDIT_CONFIG"] = str(config)
    return out


def command(env, *args, timeout=120):
    """`lego-edit ARGS` in a process of its own."""
    return subprocess.run([sys.executable, "-m", "lego_edit.daemon.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=timeout)


def cli(env, *args):
    """`lego-edit ARGS` through the same entry point, in this process (no interpreter start-up per call)."""
    from lego_edit.daemon.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("LEGO_EDIT_")]:
            mp.delenv(key)
        mp.setenv("LEGO_EDIT_CONFIG", env["LEGO_EDIT_CONFIG"])
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def records_of(folder: Path) -> dict[str, dict]:
    return {r["id"]: r for r in (json.loads(p.read_text()) for p in (folder / "records").glob("*.json"))}


@pytest.fixture(scope="module")
def run(env, tmp_path_factory):
    """The small suite evaluated in two goes: the first 3 items, then --resume for the rest."""
    out = tmp_path_factory.mktemp("run") / "out"
    started = time.perf_counter()
    first = command(env, "eval", SUITE, "-o", out, "--judge", "none", "--builder", "rules", "--limit", "3")
    assert first.returncode == 0, first.stderr
    marks = {}
    for path in (out / "records").glob("*.json"):  # a mark a re-run would overwrite
        record = json.loads(path.read_text())
        record["mark"] = path.stem
        path.write_text(json.dumps(record))
        marks[record["id"]] = path.stat().st_mtime_ns
    second = cli(env, "eval", SUITE, "-o", out, "--judge", "none", "--builder", "rules", "--resume", "--json")
    seconds = time.perf_counter() - started
    assert second.returncode == 0, second.stderr
    return out, first, json.loads(second.stdout), marks, seconds


def test_the_small_suite_runs_offline_and_scores_each_item(run):
    out, first, summary_out, _, seconds = run
    assert seconds < 60
    records = records_of(out)
    assert {i: (r["status"], r["verdict"]) for i, r in records.items()} == EXPECTED
    assert records["chelsea-remove-dog"]["code"] == "step_failed"
    assert "segmentation model" in records["chelsea-remove-dog"]["message"]
    assert records["rocket-question"]["code"] == "plan_refused" and records["rocket-question"]["right_kind"] is True
    # the region scores are those of the files written, against the truth painted into the photo
    removed = records["rocket-remove-ball"]
    source = load_image(DATA / "eval" / "rocket_ball.png")
    truth = load_mask(DATA / "eval" / "rocket_ball_truth.png")
    result = load_image(out / removed["files"]["result"][0]["path"])
    assert removed["files"]["result"][0]["path"] == "items/rocket-remove-ball/result.png"
    assert removed["region"] == region_scores(source, result, truth).to_dict()
    assert removed["region"]["iou"] > 0.8 and removed["region"]["alpha_kept"] == 1.0
    red = (result[..., 0].astype(int) - result[..., 2] > 100) & (truth > 0)
    assert red.mean() < 0.01  # the ball is gone from the file written
    assert any("MASK-SEG" in p for p in records["rocket-remove-masked"]["files"]["steps"])  # the user's mask used
    assert records["astronaut-rotate"]["region"] is None  # no truth mask: no region score
    for record in records.values():
        assert record["cost"]["plan_s"] >= 0 and record["cost"]["peak_rss_mb"] > 0
    # the summary agrees with the records
    summary = json.loads((out / "summary.json").read_text())
    assert summary == summarise(sorted(records.values(), key=lambda r: r["index"]))
    assert summary["all"]["count"] == 8 and summary["all"]["refused"] == 0.125 and summary["all"]["failed"] == 0.125
    assert summary["by_type"]["remove"]["count"] == 3 and summary["by_type"]["remove"]["right_kind"] == 1.0
    assert summary["by_source"]["painted"]["region_n"] == 3
    assert summary_out["summary"] == summary
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["finished_items"] == 8 and run_info["interrupted"] is False and run_info["peak_rss_mb"] > 0
    assert "remove" in first.stdout and "report:" in first.stdout
    assert (out / "report.html").is_file() and any((out / "report_images").glob("*-result.png"))


def test_resume_skips_finished_items_and_a_second_run_is_refused(run, env):
    out, _, summary_out, marks, _ = run
    records = records_of(out)
    assert summary_out["skipped"] == 3
    assert {i for i, r in records.items() if r.get("mark")} == set(marks)  # the first three were not redone
    for path in (out / "records").glob("*.json"):
        record = json.loads(path.read_text())
        if record["id"] in marks:
            assert path.stat().st_mtime_ns == marks[record["id"]]
    again = cli(env, "eval", SUITE, "-o", out, "--json")
    assert again.returncode == 1
    assert json.loads(again.stdout)["error"]["code"] == "bad_output"
    assert again.stderr.count("\n") == 1 and "--resume" in again.stderr



def test_resume_redoes_an_item_the_suite_now_describes_differently(run, env, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(run[0], out)
    lines = [json.loads(x) for x in SUITE.read_text().splitlines()]
    for x in lines:
        for key in ("image", "mask", "truth_mask"):
            if key in x:
                x[key] = str(DATA / "eval" / x[key])
        if x["id"] == "coffee-contrast":
            x["instruction"] = "what is this?"
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps(x) + "\n" for x in lines))
    done = cli(env, "eval", suite, "-o", out, "--builder", "rules", "--resume", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["skipped"] == 7
    records = records_of(out)
    assert records["coffee-contrast"]["verdict"] == "refused" and len(records) == 8


def test_bad_suites_get_one_line(env, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "image": "x.png", "instruction": "remove it"}\n{"id": "b"}\n')
    done = cli(env, "eval", bad, "-o", tmp_path / "o", "--json")
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "bad_suite" and "bad.jsonl:2: missing image, instruction" in error["message"]
    done = cli(env, "eval", tmp_path / "missing", "-o", tmp_path / "o")
    assert done.returncode == 1 and "no such file or folder" in done.stderr and not (tmp_path / "o").exists()


def test_ctrl_c_keeps_the_finished_items(env, tmp_path):
    line = {"image": str(DATA / "eval" / "rocket_ball.png"), "instruction": "remove the red ball", "type": "remove",
            "truth_mask": str(DATA / "eval" / "rocket_ball_truth.png")}
    suite = tmp_path / "many.jsonl"
    suite.write_text("".join(json.dumps({"id": f"item{n:03d}", **line}) + "\n" for n in range(300)))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "lego_edit.daemon.cli", "eval", suite, "-o", out, "--builder",
                             "rules"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((out / "records").glob("*.json"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "--resume continues" in stderr
    records = records_of(out)
    assert 2 <= len(records) < 300
    assert all(r["finished"] and r["status"] == "done" for r in records.values())
    assert not list((out / "records").glob("*.tmp"))
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["interrupted"] is True and run_info["finished_items"] == len(records)
    assert (out / "report.html").is_file()


# -- the judge on a loopback chat-completions server -----------------------------------------------------

def judge_suite(tmp_path: Path, instructions: dict[str, tuple[str, str]]) -> Path:
    suite = tmp_path / "judged.jsonl"
    suite.write_text("".join(json.dumps({"id": i, "image": str(DATA / "eval" / "rocket_ball.png"), "instruction": text,
                                         "type": kind}) + "\n" for i, (text, kind) in instructions.items()))
    return suite


def test_judge_scores_are_parsed_aggregated_and_shown(env, tmp_path, chat):
    server = chat(
        # a: GEdit SC, GEdit PQ, ImgEdit — all readable
        '{"score": [8, 9], "reasoning": "the ball is gone"}', 'Here: {"score": [7, 6], "reasoning": "slight smear"}',
        "Brief reasoning: clean removal\nPrompt Compliance: 5\nVisual Naturalness: 4\nDetail Integrity: 3",
        # b: SC malformed, PQ fine, ImgEdit with a score off its scale
        "The edit looks fine to me.", '{"score": [9, 9], "reasoning": "crisp"}',
        "Brief reasoning: ok\nPrompt Compliance: 7\nVisual Naturalness: 4\nDetail Integrity: 4",
        # c: the endpoint fails
        500)
    suite = judge_suite(tmp_path, {"a": ("remove the red ball", "remove"), "b": ("make the red ball blue", "adjust"),
                                   "c": ("what is in this picture?", "other")})
    out = tmp_path / "out"
    done = cli(env, "eval", suite, "-o", out, "--builder", "rules", "--judge", "openai", "--judge-url", server.url,
               "--judge-model", "judge-m", "--protocol", "both", "--json")
    assert done.returncode == 0, done.stderr
    records = records_of(out)
    a, b, c = records["a"]["judge"], records["b"]["judge"], records["c"]
    assert a["gedit"]["scores"] == {"success": 8, "overediting": 9, "sc": 8, "naturalness": 7, "artifacts": 6, "pq": 6,
                                    "overall": pytest.approx(48 ** 0.5)}
    assert a["gedit"]["overall"] == pytest.approx(48 ** 0.5 / 10) and not a["gedit"]["parse_failed"]
    assert a["gedit"]["raw"].startswith('{"score": [8, 9]') and a["gedit"]["reasoning"] == "the ball is gone / slight smear"
    assert a["imgedit"]["scores"]["mean"] == 4 and a["imgedit"]["overall"] == 0.75
    assert b["gedit"]["parse_failed"] and b["gedit"]["overall"] is None and b["gedit"]["raw"].startswith("The edit")
    assert b["gedit"]["scores"]["pq"] == 9  # the readable half is kept
    assert b["imgedit"]["parse_failed"]  # 7 is not on a 1-5 scale
    assert c["judge"] == {} and "HTTP 500" in c["judge_error"] and c["status"] == "refused"
    summary = json.loads(done.stdout)["summary"]["all"]
    assert summary["gedit_overall"] == pytest.approx(48 ** 0.5, abs=1e-4)  # b's failure is not averaged in as 0
    # SC, PQ and overall are all means over the same items: those whose answers both parsed
    assert summary["gedit_sc"] == 8 and summary["gedit_pq"] == 6 and summary["imgedit"] == 4
    assert summary["parse_failures"] == 2 and summary["judge_errors"] == 1 and summary["judged"] == 2
    # what the server was sent: SC with source and result, PQ with the result only, the model named
    bodies = [r["body"] for r in server.requests]
    assert [b["model"] for b in bodies] == ["judge-m"] * 7
    parts = [b["messages"][-1]["content"] for b in bodies]
    assert [sum(p["type"] == "image_url" for p in content) for content in parts] == [2, 1, 2, 2, 1, 2, 2]
    assert "remove the red ball" in parts[0][0]["text"] and "remove the red ball" not in parts[1][0]["text"]
    html = (out / "report.html").read_text()
    assert "the ball is gone / slight smear" in html and "parse failed" in html and "HTTP 500" in html
    assert re.search(r'data-key="parse_failures" data-value="2"', html)
    assert re.search(r'data-key="gedit_overall" data-value="6\.92', html)


def test_the_judge_module_serves_as_a_critic(chat):
    from lego_edit.evaluation.judge import JudgeConfig, JudgeError, Verdict, make_judge

    assert make_judge("none") is None
    server = chat('```json\n{"score": [10, 4], "reasoning": "over-edited"}\n```', '{"score": [6, 8]}', 503)
    judge = make_judge("openai", JudgeConfig(base_url=server.url, model="m"))
    image = np.zeros((24, 32, 4), np.uint8)
    image[..., 3] = 255
    verdict = judge.judge("make it blue", image, image)
    assert verdict == Verdict("gedit", {"success": 10, "overediting": 4, "sc": 4, "naturalness": 6, "artifacts": 8,
                                        "pq": 6, "overall": pytest.approx(24 ** 0.5)}, pytest.approx(24 ** 0.5 / 10),
                              verdict.raw, False, "over-edited")
    assert Verdict.from_dict(verdict.to_dict()) == verdict
    with pytest.raises(JudgeError, match="503"):
        judge.judge("make it blue", image, image)


# -- compare ---------------------------------------------------------------------------------------------

def test_compare_shows_the_items_whose_verdict_changed(run, env, tmp_path):
    out_a = run[0]
    suite_b = tmp_path / "b.jsonl"
    lines = [json.loads(x) for x in SUITE.read_text().splitlines()]
    changed = {"rocket-question": "remove the red ball", "chelsea-sketch": "what is a pencil sketch?"}
    picked = [dict(x, instruction=changed.get(x["id"], x["instruction"])) for x in lines
              if x["id"] in ("rocket-question", "chelsea-sketch", "astronaut-rotate")]
    for x in picked:
        x["image"] = str(DATA / "eval" / x["image"])
    suite_b.write_text("".join(json.dumps(x) + "\n" for x in picked))
    out_b = tmp_path / "b"
    assert cli(env, "eval", suite_b, "-o", out_b, "--builder", "rules", "--workers", "2").returncode == 0  # two Editors
    done = cli(env, "eval", "compare", out_a, out_b, "-o", tmp_path / "cmp")
    assert done.returncode == 0, done.stderr
    assert "3 items in both runs, 2 changed their verdict" in done.stdout
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert {(x["id"], x["verdict_a"], x["verdict_b"]) for x in data["changed"]} == {
        ("rocket-question", "refused", "wrong kind"), ("chelsea-sketch", "right kind", "refused")}  # a plan for "other"
    assert len(data["only_a"]) == 5 and data["only_b"] == []
    html = (tmp_path / "cmp" / "compare.html").read_text()
    rows = re.findall(r'<tr class="changed" data-id="([^"]+)">', html)
    assert sorted(rows) == ["chelsea-sketch", "rocket-question"]
    assert "astronaut-rotate" in html and not re.search(r'<tr class="changed" data-id="astronaut-rotate"', html)
    missing = cli(env, "eval", "compare", out_a, tmp_path / "nothing", "-o", tmp_path / "cmp2")
    assert missing.returncode == 1 and "not an evaluation run folder" in missing.stderr


# -- the benchmarks' layouts -----------------------------------------------------------------------------

def test_an_imgedit_folder_is_read_in_its_published_layout(tmp_path):
    from lego_edit.evaluation.suites import SuiteError, load_suite

    folder = tmp_path / "ImgEdit"
    (folder / "Benchmark" / "singleturn" / "animal").mkdir(parents=True)
    shutil.copy(DATA / "eval" / "chelsea.png", folder / "Benchmark" / "singleturn" / "animal" / "0001.png")
    table = {"17": {"id": "animal/0001.png", "prompt": "Make the cat black.", "edit_type": "adjust"},
             "18": {"id": "animal/0002.png", "prompt": "Remove the cat.", "edit_type": "remove"}}
    (folder / "basic_edit.json").write_text(json.dumps(table))
    suite = load_suite(folder)
    assert (suite.kind, suite.protocol) == ("imgedit", "imgedit")
    assert [(i.id, i.type, i.instruction, i.source) for i in suite.items] == [
        ("17", "adjust", "Make the cat black.", "animal")]  # 18's image is not there: left out
    assert Path(suite.items[0].image) == folder / "Benchmark" / "singleturn" / "animal" / "0001.png"
    (folder / "Benchmark" / "singleturn" / "animal" / "0001.png").unlink()
    with pytest.raises(SuiteError, match="Benchmark.tar"):
        load_suite(folder)


def test_a_gedit_folder_is_read_from_its_parquet_files(tmp_path, env):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from lego_edit.evaluation.suites import load_suite

    png = (DATA / "eval" / "coffee.png").read_bytes()
    rows = {"key": ["k1", "k2", "k3"], "task_type": ["subject-remove", "color_alter", "subject-remove"],
            "instruction": ["remove the cup", "把杯子变成蓝色", "make the cup blue"],
            "instruction_language": ["en", "cn", "en"],
            "input_image": [{"bytes": png, "path": "a.png"}] * 3, "Intersection_exist": [True, False, False]}
    (tmp_path / "gedit" / "data").mkdir(parents=True)
    pq.write_table(pa.table(rows), tmp_path / "gedit" / "data" / "train-00000.parquet")
    suite = load_suite(tmp_path / "gedit", cache_dir=tmp_path / "cache")
    assert (suite.kind, suite.protocol) == ("gedit", "gedit")
    assert [(i.id, i.type, i.source) for i in suite.items] == [("subject-remove/en/k1", "remove", "subject-remove"),
                                                                ("subject-remove/en/k3", "remove", "subject-remove")]
    assert np.array_equal(load_image(suite.items[0].image), load_image(DATA / "eval" / "coffee.png"))
    assert len(load_suite(tmp_path / "gedit", cache_dir=tmp_path / "cache", language="all").items) == 3
    done = cli(env, "eval", tmp_path / "gedit", "-o", tmp_path / "run", "--builder", "rules", "--json")
    assert done.returncode == 0, done.stderr
    subsets = json.loads(done.stdout)["summary"]["subsets"]
    assert (subsets["full"]["count"], subsets["intersection"]["count"]) == (2, 1)
    assert (tmp_path / "run" / "suite_images" / "subject-remove" / "en" / "k1.png").is_file()
    assert 'id="subsets"' in (tmp_path / "run" / "report.html").read_text()


# -- the report in a real browser ------------------------------------------------------------------------

def _artifact(path: Path) -> Path:
    """Where a test's screenshot is kept after the run: $LEGO_EDIT_ARTIFACTS, else build/test-artifacts."""
    folder = Path(os.environ.get("LEGO_EDIT_ARTIFACTS") or ROOT / "build" / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(path, folder / path.name))


@pytest.mark.browser
def test_the_report_opens_in_chromium_with_its_table_and_gallery(run, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run .ci/setup-chromium.sh (as root)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    out = run[0]
    summary = json.loads((out / "summary.json").read_text())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto((out / "report.html").as_uri())
            page.wait_for_load_state("load")
            rows = page.eval_on_selector_all("#summary tbody tr", """rows => rows.map(r => ({
                group: r.dataset.group,
                cells: Array.from(r.querySelectorAll('td[data-key]')).map(c => [c.dataset.key, c.dataset.value,
                                                                                c.textContent])}))""")
            expected = [*summary["by_type"].items(), ("all", summary["all"])]
            assert [r["group"] for r in rows] == [name for name, _ in expected]
            for r, (_, want) in zip(rows, expected, strict=True):
                for key, value, text in r["cells"]:
                    how = next(h for k, _, h in COLUMNS if k == key)
                    assert text == show(want[key], how)
                    assert (value == "" and want[key] is None) or float(value) == pytest.approx(want[key])
            cards = page.locator("#gallery .card")
            assert cards.count() == 8
            assert cards.first.is_visible() and page.locator("#gallery svg.plan").first.is_visible()
            loaded = ("sel => Array.from(document.querySelectorAll(sel)).every(i => i.complete && i.naturalWidth > 0)")
            page.wait_for_function(f"({loaded})('#gallery .card:first-child img')", timeout=10_000)
            for n in range(cards.count()):  # the thumbnails load lazily, as each card comes into view
                cards.nth(n).scroll_into_view_if_needed()
            page.wait_for_function(f"({loaded})('#gallery img')", timeout=10_000)
            assert page.locator("#gallery img").count() >= 3 * 8 - 6
            shot = tmp_path / "eval_report.png"
            page.screenshot(path=str(shot), full_page=True)
            kept = _artifact(shot)
            print(f"screenshot: {kept}")
            page.select_option("#filter-verdict", "refused")
            assert page.locator("#gallery .card:visible").count() == 1
            assert page.locator("#gallery .card:visible").get_attribute("data-id") == "rocket-question"
            page.select_option("#filter-verdict", "")
            page.select_option("#filter-type", "remove")
            assert page.locator("#shown-count").text_content() == "3 shown"
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000 and kept.is_file()


# -- the local VLM as the judge ----------------------------------------------------------------------------

@pytest.mark.models
def test_the_local_judge_runs_a_real_qwen_vl_and_counts_its_nonsense_as_a_parse_failure(tmp_path):
    from lego_edit.bricks.models import configure
    from lego_edit.evaluation.cost import ModelLoads
    from lego_edit.evaluation.judge import JudgeConfig, make_judge
    from tests.tiny_models import qwen_vl

    folder = qwen_vl(tmp_path / "tiny-qwen2.5-vl")
    manager = configure({"device": "cpu"})
    judge = make_judge("local", JudgeConfig(local_model=str(folder), max_tokens=12))
    source = load_image(DATA / "eval" / "rocket_ball.png")
    with ModelLoads() as loads:
        verdict = judge.judge("remove the red ball", source, source, protocol="imgedit", edit_type="remove")
    assert [key for key, _ in loads.loads] == [f"judge@{folder}"] and loads.seconds > 0  # the load time is counted
    assert verdict.protocol == "imgedit" and verdict.parse_failed and verdict.overall is None
    assert isinstance(verdict.raw, str) and verdict.scores == {}  # random weights: no criterion line in the answer
    assert [e.key for e in manager.loaded()] == [f"judge@{folder}"]
    again = judge.judge("remove the red ball", source, source)  # GEdit: two questions, the model loaded once
    assert again.protocol == "gedit" and again.parse_failed and len(manager.loaded()) == 1
    manager.close()


def test_the_judge_settings_come_from_the_flags_then_the_environment_then_the_builder(monkeypatch):
    from lego_edit.daemon.config import BuilderSection, Config
    from lego_edit.evaluation.judge import JudgeConfig

    for key in [k for k in os.environ if k.startswith("LEGO_EDIT_")]:
        monkeypatch.delenv(key)
    config = Config(builder=BuilderSection(openai_base_url="http://builder:1/v1", openai_model="builder-m",
                                           openai_api_key="builder-key"))
    assert (JudgeConfig.resolve(config).base_url, JudgeConfig.resolve(config).model) == ("http://builder:1/v1",
                                                                                        "builder-m")
    monkeypatch.setenv("LEGO_EDIT_OPENAI_MODEL", "openai-env-m")
    assert JudgeConfig.resolve(config).model == "openai-env-m"  # the Builder's own variable beats its config
    monkeypatch.setenv("LEGO_EDIT_JUDGE_MODEL", "judge-env-m")
    monkeypatch.setenv("LEGO_EDIT_JUDGE_API_KEY", "judge-key")
    resolved = JudgeConfig.resolve(config)
    assert (resolved.model, resolved.api_key, resolved.base_url) == ("judge-env-m", "judge-key", "http://builder:1/v1")
    assert JudgeConfig.resolve(JudgeConfig(model="flag-m")).model == "flag-m"  # what the command line says wins


def test_region_scores_measure_the_change_against_the_truth():
    source = np.zeros((40, 50, 4), np.uint8)
    source[..., 3] = 255
    truth = np.zeros((40, 50), np.uint8)
    truth[10:20, 10:20] = 255  # 100 pixels
    result = source.copy()
    result[10:20, 10:15, 0] = 200  # half the truth changed
    result[30, 40, 1] = 50  # one pixel outside, by 50 levels
    result[35, 45, 3] = 0  # one pixel outside made transparent
    result[0, 0, 2] = 8  # at the threshold: not a change
    scores = region_scores(source, result, truth)
    assert scores.iou == pytest.approx(50 / (100 + 2))
    assert scores.outside_max == 255 and scores.outside_mean == pytest.approx((50 + 255 + 8) / (2000 - 100))
    assert scores.alpha_kept == pytest.approx(1 - 1 / 1900) and scores.changed_fraction == pytest.approx(52 / 2000)
    assert region_scores(source, result[:, :40], truth) is None  # another size: nothing to compare pixel by pixel


@pytest.mark.parametrize(("answer", "pair"), [
    ('{"score": [8, 9], "reasoning": "r"}', [8, 9]),
    ('Sure!\n```json\n{"score": [3, 10], "reasoning": "r"}\n```', [3, 10]),
    ('{"score": "6, 7", "reasoning": "r"}', [6, 7]),
    ('"score": [5, 4], "reasoning": "cut off', [5, 4]),  # broken JSON, the pair still readable
    ('{"score": [8], "reasoning": "r"}', None),  # one score where two are asked
    ('{"score": [11, 3]}', None),  # off the 0-10 scale
    ("I would rate it highly.", None),
])
def test_gedit_answers_are_read_or_failed(answer, pair):
    from lego_edit.evaluation.judge import parse_gedit_part

    assert parse_gedit_part(answer)[0] == pair


@pytest.mark.parametrize(("answer", "mean"), [
    ("Brief reasoning: fine\nPrompt Compliance: 4\nVisual Naturalness: 5\nDetail Integrity: 3", 4),
    ("**Prompt Compliance**: 2\n**Visual Naturalness**: 2\n**Detail Integrity**: 5", 3),
    ("Brief reasoning: x\nCompliance: 1\nNaturalness: 1\nIntegrity: 4", 2),  # other names: read in order
    ("Prompt Compliance: 4\nVisual Naturalness: 5", None),  # a criterion missing
    ("Prompt Compliance: 0\nVisual Naturalness: 5\nDetail Integrity: 5", None),  # off the 1-5 scale
])
def test_imgedit_answers_are_read_or_failed(answer, mean):
    from lego_edit.evaluation.judge import imgedit_verdict

    verdict = imgedit_verdict(answer, "remove")
    assert verdict.parse_failed is (mean is None) and verdict.scores.get("mean") == mean
    assert verdict.raw == answer
