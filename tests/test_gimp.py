"""The GIMP 3 plug-in, run in a real GIMP 3 (Debian trixie chroot built by .ci/setup-gimp.sh).

The plug-in is installed with `lego-edit install --gimp` into a temporary HOME inside the chroot.
One GIMP session (tests/gimp_batch.py) calls `plug-in-lego-edit` against a real daemon on the host
(loopback TCP crosses the chroot): on the photo with a selection, on a layer larger than the canvas
with an offset, on a layer smaller than the image, on a grayscale image, with no daemon, with an
instruction the planner refuses, with an empty instruction, with each placement in a layer tree with
a group (and a bad one), and it keeps the dialog's remembered choices in GIMP's global parasites
(written to parasiterc when GIMP quits). It saves XCFs and exports layers and channels to PNG from
inside GIMP; these tests check pixels and structure on the host.

Skipped when the chroot is missing (LEGO_EDIT_GIMP_ROOT, default /var/cache/lego-edit/gimp-trixie)
or when not running as root (chroot needs it). LEGO_EDIT_KEEP_GIMP_RUN=1 keeps the run's folder
(ROOT/tmp/lego-edit-test-*: report.json, PNGs, XCFs) for a look.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.net import free_port, lego_edit_command

REPO = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("LEGO_EDIT_GIMP_ROOT", "/var/cache/lego-edit/gimp-trixie"))
GIMP = "gimp-console-3.0"
INSTRUCTION = "remove the red ball"
SIZE = 1024
SELECTION = [430, 30, 260, 260]  # image coordinates, around the ball (truth: x 460-660, y 60-260)
SMALL_RECT = [300, 0, 560, 420]  # the smaller layer of case "small": x, y, width, height
OFFSET_CANVAS = (800, 700, -100, 0)  # case "offset": canvas width, height, layer x, layer y
GIMP_TIMEOUT_S = 180

pytestmark = [
    pytest.mark.gimp,
    pytest.mark.skipif(not (ROOT / "usr/bin" / GIMP).exists(),
                       reason=f"no GIMP 3 chroot at {ROOT} (run .ci/setup-gimp.sh)"),
    pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chroot needs root"),
]




def user_env(home: Path) -> dict[str, str]:
    """The environment of a user whose HOME is `home` (XDG folders inside it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "GIMP", "LEGO_EDIT_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               XDG_STATE_HOME=str(home / ".local/state"), XDG_CACHE_HOME=str(home / ".cache"))
    return env


def install_plugin(home: Path) -> Path:
    """`lego-edit install --gimp` for a user whose HOME is `home` (a folder inside the chroot).

    --no-pyzmq: the chroot's GIMP Python has python3-zmq from apt, and the installer, running on the
    host, cannot run that Python to check.
    """
    env = user_env(home)
    proc = subprocess.run([*lego_edit_command(), "install", "--gimp", "--no-pyzmq"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"lego-edit install --gimp failed:\n{proc.stdout}\n{proc.stderr}"
    folder = home / ".config/GIMP/3.0/plug-ins/lego-edit"
    plugin = folder / "lego-edit.py"
    assert plugin.exists(), f"the installer did not write {plugin}:\n{proc.stdout}\n{proc.stderr}"
    assert plugin.stat().st_mode & 0o111
    assert plugin.read_bytes() == (REPO / "plugins/gimp/lego-edit/lego-edit.py").read_bytes()
    assert (folder / "lego_edit_client" / "__init__.py").exists()
    return plugin


def start_daemon(endpoint: str, home: Path, config: Path | None = None) -> subprocess.Popen:
    """`lego-edit serve` on the host (`config`: its config.toml)."""
    log = open(home / "daemon.log", "wb")
    extra = ["--config", str(config)] if config is not None else []
    proc = subprocess.Popen([*lego_edit_command(), "serve", "--endpoint", endpoint, *extra], env=user_env(home), cwd=REPO,
                            stdout=log, stderr=subprocess.STDOUT)
    sys.path.insert(0, str(REPO / "plugins"))
    try:
        from client import Client, LegoError
    finally:
        sys.path.remove(str(REPO / "plugins"))
    deadline = time.monotonic() + 30
    with Client(endpoint) as client:
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the daemon exited ({proc.returncode}):\n{(home / 'daemon.log').read_text()}")
            try:
                client.hello(timeout=1.0)
                return proc
            except LegoError:
                if time.monotonic() > deadline:
                    proc.kill()
                    raise AssertionError("the daemon did not answer hello within 30 s") from None


def start_xvfb():
    """Xvfb inside the chroot on a display it picks itself (-displayfd); (process, ":N") or (None, None).

    X sockets are also abstract (shared with the host's network namespace), so a fixed display number
    could collide with another Xvfb on the host.
    """
    if not ((ROOT / "usr/bin/Xvfb").exists() and (ROOT / "usr/bin/xdotool").exists()):
        return None, None
    read, write = os.pipe()
    proc = subprocess.Popen(["chroot", str(ROOT), "Xvfb", "-displayfd", str(write), "-nolisten", "tcp",
                             "-screen", "0", "1280x1024x24"], pass_fds=(write,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number.isdigit():
        proc.kill()
        proc.wait()
        return None, None
    return proc, f":{number}"


def truth():
    from lego_edit.bricks.samples import red_ball_photo

    image, mask = red_ball_photo(SIZE)
    return image, mask


def inside(path: Path) -> str:
    """A host path under ROOT as the chroot sees it."""
    return "/" + str(path.relative_to(ROOT))


@pytest.fixture(scope="module")
def gimp_run():
    """Install, start a daemon, run tests/gimp_batch.py once in GIMP; yields (report, out dir, stderr)."""
    (ROOT / "tmp").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="lego-edit-test-", dir=ROOT / "tmp"))
    home, out = work / "home", work / "out"
    home.mkdir()
    out.mkdir()
    daemon = None
    try:
        install_plugin(home)
        rgba, _ = truth()
        Image.fromarray(rgba[..., :3]).save(work / "photo.png")
        Image.fromarray(rgba).save(work / "photo_rgba.png")
        shutil.copy(REPO / "tests" / "gimp_batch.py", work / "gimp_batch.py")
        endpoint = f"tcp://127.0.0.1:{free_port()}"
        job = {"endpoint": endpoint, "dead_endpoint": f"tcp://127.0.0.1:{free_port()}",
               "photo": inside(work / "photo.png"), "photo_rgba": inside(work / "photo_rgba.png"),
               "out": inside(out), "instruction": INSTRUCTION, "selection": SELECTION, "small_rect": SMALL_RECT,
               "plugin_dir": inside(home / ".config/GIMP/3.0/plug-ins/lego-edit")}
        (work / "job.json").write_text(json.dumps(job))
        daemon = start_daemon(endpoint, work)
        code = (f"import sys; sys.argv = ['gimp_batch', {inside(work / 'job.json')!r}]; "
                f"exec(open({inside(work / 'gimp_batch.py')!r}).read())")
        start = time.monotonic()
        # Its own session, so that a hang (say, a dialog nobody answers) kills GIMP and its plug-ins.
        proc = subprocess.Popen(["chroot", str(ROOT), "env", "-i", "PATH=/usr/bin:/bin", f"HOME={inside(home)}",
                                 "LANG=C.UTF-8", f"LEGO_EDIT_ENDPOINT={endpoint}",
                                 GIMP, "-i", "-d", "-f", "--batch-interpreter=python-fu-eval", "-b", code, "--quit"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=GIMP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            stderr += f"\n(killed after {GIMP_TIMEOUT_S} s)"
        seconds = time.monotonic() - start
        log = f"GIMP exit {proc.returncode} after {seconds:.1f} s\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        assert proc.returncode == 0, log
        report_path = out / "report.json"
        assert report_path.exists(), log
        report = json.loads(report_path.read_text())
        report["gimp_seconds"] = seconds
        parasiterc = home / ".config/GIMP/3.0/parasiterc"  # GIMP's global persistent parasites, written at quit
        report["parasiterc"] = parasiterc.read_text(errors="replace") if parasiterc.exists() else ""
        yield report, out, stdout + stderr
    finally:
        if daemon is not None:
            daemon.terminate()
            try:
                daemon.wait(10)
            except subprocess.TimeoutExpired:
                daemon.kill()
        if not os.environ.get("LEGO_EDIT_KEEP_GIMP_RUN"):
            shutil.rmtree(work, ignore_errors=True)


def png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def red_fraction(rgb: np.ndarray, mask: np.ndarray) -> float:
    """The share of the mask's pixels that are clearly red (the ball)."""
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    red = (r > 120) & (r - np.maximum(g, b) > 60)
    return float(red[mask].mean())


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def case(gimp_run, name):
    report, out, _ = gimp_run
    data = report["cases"][name]
    assert data["status"] == "success", f"{name}: {data['status']}: {data['message']}"
    return data, out


def top_result(data, out) -> np.ndarray:
    """The group's top layer (the final image), as exported from GIMP."""
    return png(out / data["layer_files"][0])


CHANNEL_NAME = re.compile(r"^mask(: [a-z ]+)?( \(\d+\))?$")  # "mask: red ball": what it covers, in plain words
SEG_CHANNEL = "mask: red ball"


def seg_channel(data) -> tuple[str, str]:
    """(name, file) of the segmentation mask channel (what the first step found)."""
    assert SEG_CHANNEL in data["channel_files"], list(data["channel_files"])
    return SEG_CHANNEL, data["channel_files"][SEG_CHANNEL]


def history(blob):
    from lego_edit.plugins.client.edit_history import decode

    return decode(base64.b64decode(blob)) if blob else []


# -- case main: the photo, one layer without alpha, a rectangle selection around the ball --------

def test_group_above_source_with_result_layers(gimp_run):
    data, _ = case(gimp_run, "main")
    for tree in (data["image"], data["xcf"]):  # live and as saved in the XCF
        layers = tree["layers"]
        assert [layer["name"] for layer in layers] == [f"Lego Edit: {INSTRUCTION}", "Background"]
        group, source = layers
        assert group["group"] and group["children"], group
        assert all(child["size"] == [SIZE, SIZE] and child["offsets"] == [0, 0] for child in group["children"])
        assert [child["name"] for child in group["children"]] == ["result"]  # plain words, no brick names
        assert group["children"][0]["visible"]
        assert not source["group"] and source["size"] == [SIZE, SIZE]
    assert data["returned_group"] == f"Lego Edit: {INSTRUCTION}"


def test_ball_removed_and_rest_kept(gimp_run):
    data, out = case(gimp_run, "main")
    rgba, mask = truth()
    result = top_result(data, out)
    assert result.shape == (SIZE, SIZE, 4)
    ball = mask > 127
    assert red_fraction(rgba[..., :3], ball) > 0.9  # the input really has the ball
    assert red_fraction(result[..., :3], ball) < 0.02
    assert (result[..., 3] == 255).all()
    far = np.ones_like(ball)
    ys, xs = np.nonzero(ball)
    far[max(ys.min() - 60, 0):ys.max() + 60, max(xs.min() - 60, 0):xs.max() + 60] = False
    diff = np.abs(result[..., :3].astype(int) - rgba[..., :3].astype(int)).max(axis=2)
    assert (diff[far] > 8).mean() < 0.01


def test_source_untouched(gimp_run):
    data, out = case(gimp_run, "main")
    rgba, _ = truth()
    source = png(out / "main-source.png")
    assert source.shape == (SIZE, SIZE, 3)  # still no alpha channel
    assert np.array_equal(source, rgba[..., :3])
    assert data["source_has_alpha_before"] is False and data["source_has_alpha_after"] is False


def test_mask_channels_named_by_step_and_brick(gimp_run):
    data, out = case(gimp_run, "main")
    _, mask = truth()
    names = list(data["channel_files"])
    assert names, "no mask channel was added"
    assert all(CHANNEL_NAME.match(name) for name in names), names
    live = {c["name"]: c for c in data["image"]["channels"]}
    saved = {c["name"] for c in data["xcf"]["channels"]}
    for name in names:
        assert live[name]["size"] == [SIZE, SIZE] and not live[name]["visible"]
        assert name in saved
    name, path = seg_channel(data)
    channel = png(out / path)
    assert channel.shape == (SIZE, SIZE)
    assert iou(channel > 127, mask > 127) >= 0.7, name


def test_one_undo_step(gimp_run):
    data, _ = case(gimp_run, "main")
    _, _, log = gimp_run
    assert data["before"]["undo_enabled"] and data["after"]["undo_enabled"]
    assert data["dirty_after_clean"] is False
    assert data["after"]["dirty"] is True  # the additions went through the undo system
    # GIMP closes undo groups a plug-in left open, and says so: the plug-in must close its own.
    assert "inconsistent" not in log.lower()
    assert data["after"]["layers"] == data["before"]["layers"] + 1


# -- case offset: a layer larger than the canvas, at a negative offset ---------------------------

def test_layer_larger_than_canvas_with_offset(gimp_run):
    data, out = case(gimp_run, "offset")
    width, height, ox, oy = OFFSET_CANVAS
    rgba, mask = truth()
    assert data["image"]["size"] == [width, height]
    group, source = data["image"]["layers"]
    assert source["offsets"] == [ox, oy] and source["size"] == [SIZE, SIZE]
    assert group["children"][0]["offsets"] == [ox, oy] and group["children"][0]["size"] == [SIZE, SIZE]
    result = top_result(data, out)
    assert red_fraction(result[..., :3], mask > 127) < 0.02
    assert np.array_equal(png(out / "offset-source.png"), rgba)
    _, path = seg_channel(data)
    channel = png(out / path)
    assert channel.shape == (height, width)  # channels are image-sized
    crop = mask[-oy:-oy + height, -ox:-ox + width] > 127
    assert iou(channel > 127, crop) >= 0.7


# -- case small: a layer smaller than the image, no selection, no masks --------------------------

def test_layer_smaller_than_image(gimp_run):
    data, out = case(gimp_run, "small")
    x, y, w, h = SMALL_RECT
    rgba, mask = truth()
    names = [layer["name"] for layer in data["image"]["layers"]]
    assert names == [f"Lego Edit: {INSTRUCTION}", "small", "Background"]
    child = data["image"]["layers"][0]["children"][0]
    assert child["offsets"] == [x, y] and child["size"] == [w, h]
    result = top_result(data, out)
    assert result.shape == (h, w, 4)
    assert red_fraction(result[..., :3], mask[y:y + h, x:x + w] > 127) < 0.02
    assert np.array_equal(png(out / "small-source.png"), rgba[y:y + h, x:x + w, :3])
    assert data["channel_files"] == {} and data["after"]["channels"] == data["before"]["channels"]


# -- case gray: a grayscale image ----------------------------------------------------------------

def test_grayscale_image(gimp_run):
    data, out = case(gimp_run, "gray")
    assert data["base_type"] == "gray" and data["result_type"] == "graya-image"
    assert [layer["name"] for layer in data["image"]["layers"]][1:] == ["Background"]
    source = png(out / "gray-source.png").astype(float)
    result = top_result(data, out).astype(float)
    assert source.shape[:2] == result.shape[:2] == (SIZE, SIZE)
    assert result[..., :3].mean() > source[..., :3].mean() + 5  # brighter
    assert data["source_has_alpha_after"] is False


# -- errors ---------------------------------------------------------------------------------------

def test_history_is_kept_in_the_xcf(gimp_run):
    """The applied edit is listed in the image's history parasite, and still there in the saved .xcf."""
    data, _ = case(gimp_run, "main")
    live, saved = history(data["history"]), history(data["xcf_history"])
    assert [e.instruction for e in live] == [e.instruction for e in saved] == [INSTRUCTION]
    entry = saved[0]
    assert entry.plan.startswith("find red ball, then remove") and entry.layer == f"Lego Edit: {INSTRUCTION}"
    assert abs(entry.time - time.time()) < 600
    thumb = Image.open(__import__("io").BytesIO(entry.thumbnail))
    assert thumb.size == (64, 64) and thumb.mode == "RGBA"
    rgba, mask = truth()
    small = np.asarray(thumb)[..., :3]
    assert red_fraction(small, np.asarray(Image.fromarray(mask).resize((64, 64), Image.NEAREST)) > 127) < 0.1


def test_visible_image_and_successive_edits_never_nest(gimp_run):
    """Default source: the visible image (the veil layer included); the group goes on top, image-sized.
    A second edit of the first result's layer goes above the first group, not inside it."""
    data, out = case(gimp_run, "visible")
    group = data["image"]["layers"][0]
    assert [layer["name"] for layer in data["image"]["layers"]] == [f"Lego Edit: {INSTRUCTION}", "veil", "Background"]
    assert group["children"][0]["size"] == [SIZE, SIZE] and group["children"][0]["offsets"] == [0, 0]
    result = top_result(data, out)
    rgba, mask = truth()
    assert red_fraction(result[..., :3], mask > 127) < 0.02
    veiled = result[700:900, 0:200, :3].astype(int)  # the half-white veil is part of what was sent
    assert veiled.mean() > rgba[700:900, 0:200, :3].astype(int).mean() + 30
    report, _, _ = gimp_run
    chain = report["cases"]["chain"]
    assert chain["status"] == "success", chain
    names = [layer["name"] for layer in chain["image"]["layers"]]
    assert names == ["Lego Edit: make it brighter", f"Lego Edit: {INSTRUCTION}", "veil", "Background"]
    first = chain["image"]["layers"][1]
    assert [child["name"] for child in first["children"]] == ["result"]  # nothing nested inside the first group
    assert [e.instruction for e in history(chain["history"])] == [INSTRUCTION, "make it brighter"]


def layer_tree(layers) -> list:
    """[(id, [children...]) ...] top first: the structure alone."""
    return [(layer["id"], layer_tree(layer["children"])) if layer["group"] else layer["id"] for layer in layers]


def test_each_placement_puts_the_result_where_chosen(gimp_run):
    """above: just above the source, over the results already stacked on it; top: on top of the image;
    group: at the top of the source's group; the visible image: on top whatever the choice. A source
    inside a result group: "above" goes above that whole group, never into it; only "group", asked
    for, puts the new result inside it."""
    report, _, _ = gimp_run
    data = report["cases"]["placement"]
    runs, ids = data["runs"], data["ids"]
    for name in ("above", "above_again", "top", "group", "visible_above", "from_result", "into_result"):
        assert runs[name]["status"] == "success", (name, runs[name])
    result = {name: run["id"] for name, run in runs.items() if "id" in run}
    tree = layer_tree(data["image"]["layers"])
    ids_of = lambda items: [item[0] if isinstance(item, tuple) else item for item in items]  # noqa: E731
    assert ids_of(tree) == [result["visible_above"], result["top"], ids["Group"], ids["Background"]]
    assert ids_of(find(tree, ids["Group"])) == [result["group"], ids["cover"], result["from_result"],
                                                result["above_again"], result["above"], ids["inner"]]
    assert ids_of(find(tree, result["above"])) == [result["into_result"], find_child(data, result["above"])]
    for name in ("above_again", "top", "group", "visible_above", "from_result", "into_result"):
        nested = [child for child in find(tree, result[name]) if isinstance(child, tuple)]
        assert nested == [], (name, nested)  # a result group holds its result layers only
    bad = runs["bad_placement"]
    assert bad["status"] == "execution-error" and "placement must be" in bad["message"] and "sideways" in bad["message"]


def find_child(data, group_id):
    """The id of the result layer (the one non-group child) of a result group."""
    def walk(layers):
        for layer in layers:
            if layer["id"] == group_id:
                return next(child["id"] for child in layer["children"] if not child["group"])
            if layer["group"]:
                found = walk(layer["children"])
                if found is not None:
                    return found
        return None
    return walk(data["image"]["layers"])


def find(tree, wanted):
    for item in tree:
        if isinstance(item, tuple):
            if item[0] == wanted:
                return item[1]
            found = find(item[1], wanted)
            if found is not None:
                return found
    return None


def test_the_dialog_choices_are_kept_in_gimp_across_sessions(gimp_run):
    report, _, _ = gimp_run
    data = report["cases"]["remembered"]
    assert data["choices"] == {"placement": "group", "source": "layer", "builder": "rules", "show_masks": False}
    assert data["persistent"]
    assert '"lego-edit-dialog"' in report["parasiterc"] and "placement" in report["parasiterc"]


def test_no_daemon_is_an_execution_error(gimp_run):
    report, _, log = gimp_run
    data = report["cases"]["no_daemon"]
    assert data["status"] == "execution-error"
    message = data["message"]
    assert "daemon" in message and "lego-edit serve" in message and "tcp://127.0.0.1:" in message
    assert "Traceback" not in message and "Traceback" not in log
    assert data["unchanged"] and data["dirty"] is False
    assert data["seconds"] < 10


def test_refused_instruction_is_an_execution_error(gimp_run):
    report, _, _ = gimp_run
    data = report["cases"]["refused"]
    assert data["status"] == "execution-error"
    assert data["message"].startswith("Lego Edit could not do \u201cflibber the wobble\u201d")
    assert "could not find an edit" in data["message"] and "Traceback" not in data["message"]
    assert data["unchanged"] and data["dirty"] is False


def test_empty_instruction_is_a_calling_error(gimp_run):
    report, _, _ = gimp_run
    data = report["cases"]["empty"]
    assert data["status"] == "calling-error"
    assert "instruction" in data["message"]


def test_timing(gimp_run):
    report, _, _ = gimp_run
    print(f"\nGIMP {report['gimp_version']}: whole batch {report['gimp_seconds']:.1f} s; procedure calls: "
          + ", ".join(f"{name} {c['seconds']:.2f} s" for name, c in report["cases"].items() if "seconds" in c))
    assert report["gimp_seconds"] < 120
