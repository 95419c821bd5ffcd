"""The Krita plugin in a real Krita (Debian's krita + python3-zmq; .ci/setup-krita.sh installs them).

The plugin is installed into a temporary HOME the way users get it (`lego-edit install --krita`), a
real daemon serves on a free loopback port, and Krita runs the plugin's own code:

- kritarunner (offscreen, no window): the scripting API edits a real photo ("remove the red
  ball"); the result layer, the masks and the untouched source are dumped and checked here.

The docker in GUI Krita under Xvfb is tests/test_krita_gui.py.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tests.net import free_port, lego_edit_command

pytestmark = pytest.mark.krita

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
SIZE = 384  # photo side: big enough for the offline bricks, small enough for quick dumps

KRITARUNNER = shutil.which("kritarunner")
if KRITARUNNER is None:
    pytest.skip("kritarunner is not installed (apt-get install krita python3-zmq; see .ci/setup-krita.sh)",
                allow_module_level=True)


def _system_python_has(module: str) -> bool:
    """Debian's Krita runs /usr/bin/python3's site-packages: python3-zmq must be there."""
    python = "/usr/bin/python3"
    if not os.path.exists(python):
        return True  # another layout: let the plugin report it
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


if not _system_python_has("zmq"):
    pytest.skip("Krita's Python has no zmq (apt-get install python3-zmq)", allow_module_level=True)




def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "XDG_", "KDE", "QT_", "LEGO_EDIT"))}
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime), LANG="C.UTF-8", LC_ALL="C.UTF-8")
    return env


def krita_env(home: Path) -> dict[str, str]:
    """Krita's embedded Python finds its home through the first `python3` on PATH: a pyenv or venv python3
    there would hide Debian's dist-packages (PyQt5, zmq). The system one goes first."""
    env = base_env(home)
    env["PATH"] = os.pathsep.join(["/usr/bin", "/bin", env.get("PATH", "")])
    return env


def install_plugin(home: Path) -> str:
    """`lego-edit install --krita` into HOME; returns how it was installed."""
    env = base_env(home)
    proc = subprocess.run([*lego_edit_command(), "install", "--krita"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    pykrita = home / ".local" / "share" / "krita" / "pykrita"
    assert proc.returncode == 0, f"lego-edit install --krita failed:\n{proc.stdout}\n{proc.stderr}"
    assert (pykrita / "lego_edit" / "__init__.py").exists(), proc.stdout + proc.stderr
    assert (pykrita / "lego_edit.desktop").exists()
    assert (pykrita / "lego_edit" / "lego_edit_client").is_dir(), "the client is vendored into the plugin"
    rc = configparser.ConfigParser(strict=False, interpolation=None)
    rc.read(home / ".config" / "kritarc")
    assert rc.get("python", "enable_lego_edit", fallback="") == "true", "the installer enables the plugin"
    return proc.stdout


def enable_in_kritarc(home: Path, name: str) -> None:
    path = home / ".config" / "kritarc"
    text = path.read_text() if path.exists() else ""
    if "[python]" not in text:
        text += "\n[python]\n"
    text = text.replace("[python]\n", f"[python]\nenable_{name}=true\n", 1)
    path.write_text(text)


@pytest.fixture(scope="module")
def krita_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("krita-home")
    install_plugin(home)
    return home


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    from PIL import Image

    from lego_edit.bricks.samples import red_ball_photo

    folder = tmp_path_factory.mktemp("photo")
    image, truth = red_ball_photo(SIZE)
    Image.fromarray(image).save(folder / "photo.png")
    return {"path": folder / "photo.png", "image": image, "truth": truth > 127}


class Daemon:
    def __init__(self, home: Path, endpoint: str | None = None) -> None:
        self.endpoint = endpoint or f"tcp://127.0.0.1:{free_port()}"
        self.home = home
        self.proc: subprocess.Popen | None = None

    def start(self) -> Daemon:
        env = base_env(self.home)
        self.log = open(self.home / f"daemon-{self.endpoint.rsplit(':', 1)[1]}.log", "wb")
        self.proc = subprocess.Popen([*lego_edit_command(), "serve", "--endpoint", self.endpoint],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        wait_for_daemon(self.endpoint, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def wait_for_daemon(endpoint: str, proc: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    from lego_edit.plugins.client import Client

    deadline = time.monotonic() + timeout
    with Client(endpoint) as client:
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the daemon exited with status {proc.returncode}")
            try:
                client.ping(timeout=1.0)
                return
            except Exception:
                continue
    raise RuntimeError(f"no daemon at {endpoint} after {timeout} s")


@pytest.fixture(scope="module")
def daemon(krita_home):
    server = Daemon(krita_home).start()
    yield server
    server.stop()


def run_kritarunner(home: Path, spec: dict, out: Path, timeout: float = 120.0) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    spec = dict(spec, out=str(out))
    spec_path = out / "spec.json"
    spec_path.write_text(json.dumps(spec, default=str))
    env = krita_env(home)
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(TESTS))
    proc = subprocess.run([KRITARUNNER, "-s", "krita_driver", "-f", "run", str(spec_path)], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=out)
    report_path = out / "report.json"
    assert report_path.exists(), f"kritarunner wrote no report (exit {proc.returncode}):\n{proc.stdout[-3000:]}" \
                                 f"\n{proc.stderr[-3000:]}"
    report = json.loads(report_path.read_text())
    assert report["ok"], report.get("traceback", "") + proc.stderr[-3000:]
    return report


def load_raw(out: Path, entry: dict, size: int = SIZE) -> np.ndarray:
    data = np.frombuffer((out / entry["file"]).read_bytes(), np.uint8)
    return data.reshape(size, size, -1)


def bgra_to_rgb(bgra: np.ndarray) -> np.ndarray:
    return bgra[..., [2, 1, 0]].astype(int)


def strongly_red(rgb: np.ndarray) -> np.ndarray:
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return (r > 150) & (r > g + 70) & (r > b + 70)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum()) / float(max((a | b).sum(), 1))


# -- the scripting API in kritarunner -----------------------------------------------------------

@pytest.fixture(scope="module")
def removal(krita_home, daemon, photo, tmp_path_factory):
    out = tmp_path_factory.mktemp("removal")
    spec = {"photo": photo["path"], "endpoint": daemon.endpoint, "save": True,
            "edits": [{"instruction": "remove the red ball", "kwargs": {"timeout": 60}}]}
    return out, run_kritarunner(krita_home, spec, out)


def test_api_removes_the_ball_into_a_new_group(removal, photo):
    out, report = removal
    assert report["doc"]["active_node"] is False, "kritarunner has no active node: the API must fall back"
    edit = report["edits"][0]
    assert "error" not in edit, edit
    assert edit["group"] == "Lego Edit: remove the red ball"
    # the tree, top to bottom: the new group (with its layers inside) above the untouched source
    tree = report["tree"]
    assert tree[0]["name"] == edit["group"] and tree[0]["type"] == "grouplayer" and tree[0]["depth"] == 0
    assert tree[-1]["name"] == "Background" and tree[-1]["depth"] == 0
    images = [n for n in edit["nodes"] if n["visible"]]
    assert len(images) == 1, edit["nodes"]
    assert images[0]["name"] == "result"
    result = load_raw(out, images[0])
    truth = photo["truth"]
    rgb = bgra_to_rgb(result)
    assert strongly_red(bgra_to_rgb(load_raw(out, report["source_before"])))[truth].mean() > 0.6
    assert strongly_red(rgb)[truth].mean() < 0.02, "the ball is still in the result layer"
    assert (result[..., 3] == 255).all()
    # away from the ball the photo is unchanged
    from scipy.ndimage import binary_dilation

    far = ~binary_dilation(truth, iterations=12)
    diff = np.abs(rgb - photo["image"][..., :3].astype(int))[far]
    assert diff.mean() < 2.0


def test_api_leaves_the_source_byte_identical(removal, photo):
    out, report = removal
    before = (out / report["source_before"]["file"]).read_bytes()
    after = (out / report["source_after"]["file"]).read_bytes()
    assert before == after
    bgra = np.frombuffer(after, np.uint8).reshape(SIZE, SIZE, 4)
    assert (bgra[..., [2, 1, 0, 3]] == photo["image"]).all(), "Krita's pixelData is BGRA for 8-bit RGBA"


def test_api_names_layers_in_plain_words(removal, photo):
    """"mask: red ball" and "result": what the layers hold, never the bricks that made them."""
    out, report = removal
    edit = report["edits"][0]
    masks = [n for n in edit["nodes"] if not n["visible"] and n["name"].startswith("mask")]
    assert masks, edit["nodes"]
    assert masks[0]["name"] == "mask: red ball", [n["name"] for n in edit["nodes"]]
    plan_bricks = {s["model"] for s in edit["plan"]["pipeline"] if "model" in s}
    assert plan_bricks, edit["plan"]
    for node in edit["nodes"]:
        assert not any(brick in node["name"] for brick in plan_bricks), node["name"]
    best = max(iou(load_raw(out, n)[..., 1] > 127, photo["truth"]) for n in masks)
    assert best >= 0.7, f"best mask IoU {best:.2f}"
    assert report.get("saved") is True and (out / "result.kra").stat().st_size > 0


def test_api_uses_the_selection_as_mask_and_replans_with_feedback(krita_home, daemon, photo, tmp_path):
    """A selection around the ball is sent as init[mask]; then feedback re-plans the same edit."""
    ys, xs = np.nonzero(photo["truth"])
    sel = np.zeros((SIZE, SIZE), np.uint8)
    sel[max(ys.min() - 10, 0):ys.max() + 10, max(xs.min() - 10, 0):xs.max() + 10] = 255
    (tmp_path / "sel.raw").write_bytes(sel.tobytes())
    spec = {"photo": photo["path"], "endpoint": daemon.endpoint,
            "edits": [{"instruction": "remove the selected object", "selection": str(tmp_path / "sel.raw")},
                      {"instruction": None, "replan_previous": True,
                       "kwargs": {"feedback": "don't use FLUX-INPAINT"}}]}
    report = run_kritarunner(krita_home, spec, tmp_path / "out")
    first, second = report["edits"]
    assert "error" not in first and "error" not in second, report["edits"]
    assert "init[mask]" in json.dumps(first["plan"]), "the selection reaches the daemon as init[mask]"
    first_bricks = [s["model"] for s in first["plan"]["pipeline"] if "model" in s]
    second_bricks = [s["model"] for s in second["plan"]["pipeline"] if "model" in s]
    assert "FLUX-INPAINT" not in second_bricks, (first_bricks, second_bricks)
    assert second["group"] == "Lego Edit: remove the selected object (don't use FLUX-INPAINT)"
    for edit in (first, second):
        result = next(n for n in edit["nodes"] if n["visible"])
        rgb = bgra_to_rgb(load_raw(tmp_path / "out", result))
        assert strongly_red(rgb)[photo["truth"]].mean() < 0.05
    groups = [row["name"] for row in report["tree"] if row["type"] == "grouplayer"]
    assert groups == [second["group"], first["group"]], "the newest result is on top"
    assert (tmp_path / "out" / "source_before.raw").read_bytes() == (tmp_path / "out" / "source_after.raw").read_bytes()


def test_api_reports_refusals_a_missing_daemon_and_cancellation(krita_home, daemon, photo, tmp_path):
    spec = {"photo": photo["path"], "endpoint": daemon.endpoint,
            "edits": [{"instruction": "qwertyuiop zxcvb", "kwargs": {"timeout": 30}},
                      {"instruction": "remove the red ball",
                       "kwargs": {"endpoint": f"tcp://127.0.0.1:{free_port()}", "connect_timeout": 1.0}},
                      # an edit no other test runs: the daemon's step cache cannot finish it before the cancel
                      {"instruction": "remove the noise from the photo", "cancel_at_once": True}]}
    report = run_kritarunner(krita_home, spec, tmp_path / "out")
    refused, missing, cancelled = report["edits"]
    assert refused["error"]["code"] in ("plan_refused", "invalid_workflow"), refused
    assert "Traceback" not in refused["error"]["message"]
    assert missing["error"]["code"] == "not_running"
    assert "lego-edit serve" in missing["error"]["message"]
    assert cancelled["error"]["code"] == "cancelled", cancelled
    assert [row["type"] for row in report["tree"]] == ["paintlayer"], "a failed or cancelled edit adds nothing"


def test_api_converts_16_bit_layers(krita_home, daemon, photo, tmp_path):
    """A 16-bit document is converted on the way (both ways); then the visible image is the source."""
    spec = {"photo": photo["path"], "endpoint": daemon.endpoint, "convert": ["RGBA", "U16"],
            "edits": [{"instruction": "remove the red ball"},
                      {"instruction": "make the image brighter", "kwargs": {"source": "visible"}}]}
    report = run_kritarunner(krita_home, spec, tmp_path / "out")
    assert report["doc"]["converted"] == ["RGBA", "U16"]
    edit, brighter = report["edits"]
    assert "error" not in edit, edit
    result = next(n for n in edit["nodes"] if n["visible"])
    assert result["depth"] == "U16" and result["bytes"] == SIZE * SIZE * 8
    raw = np.frombuffer((tmp_path / "out" / result["file"]).read_bytes(), "<u2").reshape(SIZE, SIZE, 4)
    rgb = (raw[..., [2, 1, 0]] >> 8).astype(int)
    assert strongly_red(rgb)[photo["truth"]].mean() < 0.02
    before = (tmp_path / "out" / "source_before.raw").read_bytes()
    assert before == (tmp_path / "out" / "source_after.raw").read_bytes()
    # the visible image (the first result over the photo) made brighter, in a group on top of everything
    assert "error" not in brighter, brighter
    assert [row["name"] for row in report["tree"] if row["depth"] == 0] == [
        "Lego Edit: make the image brighter", "Lego Edit: remove the red ball", "Background"]
    bright = next(n for n in brighter["nodes"] if n["visible"])
    light = np.frombuffer((tmp_path / "out" / bright["file"]).read_bytes(), "<u2").reshape(SIZE, SIZE, 4)
    assert (light[..., :3] >> 8).mean() > (raw[..., :3] >> 8).mean() + 10


def test_api_places_results_next_to_the_source_never_inside_earlier_results(krita_home, daemon, photo, tmp_path):
    """A group as the source is read as shown and the result goes above it; a source inside an earlier result
    group puts the new group above that group; placement "group" goes inside the source's group."""
    spec = {"photo": photo["path"], "endpoint": daemon.endpoint, "user_group": True,
            "edits": [{"instruction": "remove the red ball", "kwargs": {"node": "user_group"}},
                      {"instruction": "make the image brighter", "kwargs": {"node": "previous_result"}},
                      {"instruction": "make the image darker", "kwargs": {"node": "user_group",
                                                                          "placement": "group"}}]}
    report = run_kritarunner(krita_home, spec, tmp_path / "out")
    assert all("error" not in edit for edit in report["edits"]), report["edits"]
    rows = [(row["name"], row["depth"]) for row in report["tree"] if row["type"] == "grouplayer" or row["depth"] == 0]
    assert rows == [("Lego Edit: make the image brighter", 0), ("Lego Edit: remove the red ball", 0),
                    ("Sketch group", 0), ("Lego Edit: make the image darker", 1), ("Background", 0)], rows
    first = report["edits"][0]
    result = next(n for n in first["nodes"] if n["visible"])
    rgb = bgra_to_rgb(load_raw(tmp_path / "out", result))
    assert strongly_red(rgb)[photo["truth"]].mean() < 0.02, "the group's pixels (as shown) were edited"
