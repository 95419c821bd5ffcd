"""Runs INSIDE GIMP 3 (gimp-console-3.0 --batch-interpreter=python-fu-eval) for tests/test_gimp.py.

Usage from the batch command line:
    import sys; sys.argv = ["gimp_batch", "/path/job.json"]; exec(open("/path/gimp_batch.py").read())

The job file names the photo, the daemon endpoints and an output folder. This script calls the
`plug-in-lego-edit` procedure as a script would (non-interactively) in a few situations (each
placement among them), saves XCFs,
exports layers and channels to PNG from inside GIMP, and writes report.json describing everything
the host test checks. (The dialog is driven in the GUI by tests/gimp_dialog_batch.py.)
Any exception propagates, so the batch exits 64 and the test shows the traceback.
"""

import base64
import json
import os
import sys
import time

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

PROC = "plug-in-lego-edit"

job = json.load(open(sys.argv[1]))
OUT = job["out"]
report = {"gimp_version": Gimp.version(), "cases": {}, "phases": []}
T0 = time.perf_counter()


def phase(name):
    report["phases"].append([name, round(time.perf_counter() - T0, 3)])


def gfile(path):
    return Gio.File.new_for_path(path)


def load(path):
    return Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, gfile(path))


def save_png(image, path):
    """GIMP's own PNG export, with light compression (the default level 9 takes seconds a layer)."""
    procedure = Gimp.get_pdb().lookup_procedure("file-png-export")
    config = procedure.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_property("file", gfile(path))
    config.set_property("compression", 1)
    config.set_property("include-thumbnail", False)
    values = procedure.run(config)
    assert values.index(0) == Gimp.PDBStatusType.SUCCESS, (path, Gimp.get_pdb().get_last_error())


def export_layer(drawable, path):
    """A layer, alone and at its own size, to PNG (through GIMP's own PNG export)."""
    width, height = drawable.get_width(), drawable.get_height()
    image = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
    copy = Gimp.Layer.new_from_drawable(drawable, image)
    image.insert_layer(copy, None, 0)
    copy.set_offsets(0, 0)
    copy.set_visible(True)
    save_png(image, path)
    image.delete()


def export_channel(channel, path):
    """A channel to an 8-bit grey PNG holding its "Y u8" values unchanged."""
    width, height = channel.get_width(), channel.get_height()
    data = channel.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, "Y u8", Gegl.AbyssPolicy.NONE)
    image = Gimp.Image.new(width, height, Gimp.ImageBaseType.GRAY)
    layer = Gimp.Layer.new(image, "mask", width, height, Gimp.ImageType.GRAY_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, None, 0)
    buffer = layer.get_buffer()
    buffer.set(Gegl.Rectangle.new(0, 0, width, height), "Y' u8", data)  # the layer's own format: no conversion
    buffer.flush()
    save_png(image, path)
    image.delete()


def describe_layer(layer):
    _, x, y = layer.get_offsets()
    info = {"name": layer.get_name(), "id": layer.get_id(), "offsets": [x, y], "size": [layer.get_width(),
            layer.get_height()], "visible": layer.get_visible(), "has_alpha": layer.has_alpha(),
            "group": layer.is_group_layer()}
    if layer.is_group_layer():
        info["children"] = [describe_layer(child) for child in layer.get_children()]
    return info


def describe(image):
    return {"size": [image.get_width(), image.get_height()],
            "layers": [describe_layer(layer) for layer in image.get_layers()],
            "channels": [{"name": c.get_name(), "size": [c.get_width(), c.get_height()], "visible": c.get_visible()}
                         for c in image.get_channels()]}


def run(image, drawable, **args):
    """Call the procedure the way a script would; returns (status name, error message, seconds)."""
    pdb = Gimp.get_pdb()
    procedure = pdb.lookup_procedure(PROC)
    assert procedure is not None, f"{PROC} is not registered (the plug-in did not load)"
    config = procedure.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [drawable])
    for key, value in args.items():
        config.set_property(key.replace("_", "-"), value)
    start = time.perf_counter()
    values = procedure.run(config)
    seconds = time.perf_counter() - start
    status = values.index(0)
    message = pdb.get_last_error() if status != Gimp.PDBStatusType.SUCCESS else ""
    group = values.index(1) if status == Gimp.PDBStatusType.SUCCESS and values.length() > 1 else None
    return status.value_nick, message, round(seconds, 3), group


def history_blob(image):
    """The image's history parasite, base64 (the host test decodes it), or None."""
    parasite = image.get_parasite("lego-edit-history")
    return base64.b64encode(bytes(parasite.get_data())).decode("ascii") if parasite is not None else None


def snapshot(image):
    return {"layers": len(image.get_layers()), "channels": len(image.get_channels()),
            "dirty": image.is_dirty(), "undo_enabled": image.undo_is_enabled()}


def success_case(name, image, layer, export_channels=True, xcf=True, **args):
    """Run, then record everything about the result; saves name.xcf and re-reads it."""
    case = {"before": snapshot(image), "source_has_alpha_before": layer.has_alpha()}
    image.clean_all()
    case["dirty_after_clean"] = image.is_dirty()
    channels_before = {c.get_id() for c in image.get_channels()}
    phase(f"{name}: before run")
    status, message, seconds, group = run(image, layer, **args)
    phase(f"{name}: after run")
    case.update(status=status, message=message, seconds=seconds, after=snapshot(image),
                source_has_alpha_after=layer.has_alpha(), image=describe(image))
    if status != "success":
        report["cases"][name] = case
        return case
    case["returned_group"] = group.get_name() if group is not None else None
    # Export the source, every layer of the group and the new channels, from inside GIMP.
    export_layer(layer, os.path.join(OUT, f"{name}-source.png"))
    exported = []
    for index, child in enumerate(group.get_children()):
        path = os.path.join(OUT, f"{name}-layer{index}.png")
        export_layer(child, path)
        exported.append(os.path.basename(path))
    case["layer_files"] = exported
    new_channels = [c for c in image.get_channels() if c.get_id() not in channels_before]
    case["channel_files"] = {}
    if export_channels:
        for index, channel in enumerate(new_channels):
            path = os.path.join(OUT, f"{name}-channel{index}.png")
            export_channel(channel, path)
            case["channel_files"][channel.get_name()] = os.path.basename(path)
    phase(f"{name}: exported")
    case["history"] = history_blob(image)
    if xcf:
        path = os.path.join(OUT, f"{name}.xcf")
        assert Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, gfile(path), None), path
        reloaded = load(path)
        case["xcf"] = describe(reloaded)
        case["xcf_history"] = history_blob(reloaded)
        reloaded.delete()
        phase(f"{name}: xcf saved and reloaded")
    report["cases"][name] = case
    return case


def select_rect(image, rect):
    x, y, w, h = rect
    image.select_rectangle(Gimp.ChannelOps.REPLACE, x, y, w, h)


# A: the photo as the only layer (no alpha), a rectangle selection around the ball.
image = load(job["photo"])
source = image.get_layers()[0]
select_rect(image, job["selection"])
success_case("main", image, source, instruction=job["instruction"], endpoint=job["endpoint"], source="layer")

# B: a layer larger than the canvas with a negative offset (canvas cut to 800x700, layer moved left).
image = load(job["photo_rgba"])
image.resize(800, 700, -100, 0)
source = image.get_layers()[0]
x, y, w, h = job["selection"]
select_rect(image, [x - 100, y, w, h])
success_case("offset", image, source, xcf=False, instruction=job["instruction"], endpoint=job["endpoint"], source="layer")

# C: a layer smaller than the image, placed at an offset, without the selection and without masks.
image = load(job["photo"])
base = image.get_layers()[0]
small_rect = job["small_rect"]
sx, sy, sw, sh = small_rect
small = Gimp.Layer.new(image, "small", sw, sh, Gimp.ImageType.RGB_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
image.insert_layer(small, None, 0)
small.set_offsets(sx, sy)
pixels = base.get_buffer().get(Gegl.Rectangle.new(sx, sy, sw, sh), 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.NONE)
buffer = small.get_buffer()
buffer.set(Gegl.Rectangle.new(0, 0, sw, sh), "R'G'B'A u8", pixels)
buffer.flush()
select_rect(image, job["selection"])  # present but not used
success_case("small", image, small, xcf=False, instruction=job["instruction"], endpoint=job["endpoint"],
             use_selection=False, show_masks=False, source="layer")

# G: a grayscale image (results become grey layers with alpha), an edit that needs no mask.
image = load(job["photo"])
image.convert_grayscale()
source = image.get_layers()[0]
image.select_rectangle(Gimp.ChannelOps.REPLACE, 10, 10, 50, 50)
success_case("gray", image, source, xcf=False, instruction="make it brighter", endpoint=job["endpoint"], use_selection=False,
             source="layer")
report["cases"]["gray"]["base_type"] = image.get_base_type().value_nick
report["cases"]["gray"]["result_type"] = image.get_layers()[0].get_children()[0].type().value_nick

# D: no daemon at the endpoint -> an execution error with a readable message; the image unchanged.
image = load(job["photo"])
source = image.get_layers()[0]
image.clean_all()
before = describe(image)
status, message, seconds, _ = run(image, source, instruction=job["instruction"], endpoint=job["dead_endpoint"])
report["cases"]["no_daemon"] = {"status": status, "message": message, "seconds": seconds,
                                "unchanged": describe(image) == before, "dirty": image.is_dirty()}

# E: an instruction the planner refuses -> the daemon's explanation as the error; the image unchanged.
status, message, seconds, _ = run(image, source, instruction="flibber the wobble", endpoint=job["endpoint"])
report["cases"]["refused"] = {"status": status, "message": message, "seconds": seconds,
                              "unchanged": describe(image) == before, "dirty": image.is_dirty()}

# F: an empty instruction is a calling error, before any connection.
status, message, seconds, _ = run(image, source, instruction="  ", endpoint=job["dead_endpoint"])
report["cases"]["empty"] = {"status": status, "message": message, "seconds": seconds}

# V: the visible image (the default source) of a photo under a half-transparent layer, then a second edit
# with the first result selected: both groups at the top level of the image, the second above the first.
image = load(job["photo"])
base = image.get_layers()[0]
veil = Gimp.Layer.new(image, "veil", 200, 200, Gimp.ImageType.RGBA_IMAGE, 50.0, Gimp.LayerMode.NORMAL)
image.insert_layer(veil, None, 0)
veil.set_offsets(0, 700)
veil.fill(Gimp.FillType.WHITE)
select_rect(image, job["selection"])
chain = success_case("visible", image, veil, export_channels=False, xcf=False, instruction=job["instruction"],
                     endpoint=job["endpoint"])
first = image.get_layers()[0]
inner = first.get_children()[0] if first.is_group_layer() else first
status, message, seconds, group = run(image, inner, instruction="make it brighter", endpoint=job["endpoint"],
                                      source="layer", use_selection=False)
report["cases"]["chain"] = {"status": status, "message": message, "seconds": seconds, "image": describe(image),
                            "history": history_blob(image)}

# P: each placement in a layer tree with a group (small image: the tree is what is checked, and speed).
# Background, then "Group" holding "cover" above "inner"; every edit reads "inner" (or a result) alone.
image = load(job["photo"])
image.scale(160, 160)
background = image.get_layers()[0]
folder = Gimp.GroupLayer.new(image, "Group")
image.insert_layer(folder, None, 0)
inner = Gimp.Layer.new_from_drawable(background, image)
inner.set_name("inner")
image.insert_layer(inner, folder, 0)
cover = Gimp.Layer.new(image, "cover", 40, 40, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
image.insert_layer(cover, folder, 0)
placed = {}
for name, drawable, args in (("above", inner, {"placement": "above"}), ("above_again", inner, {"placement": "above"}),
                             ("top", inner, {"placement": "top"}), ("group", inner, {"placement": "group"}),
                             ("visible_above", inner, {"placement": "above", "source": "visible"})):
    args.setdefault("source", "layer")
    status, message, seconds, group = run(image, drawable, instruction="make it brighter", endpoint=job["endpoint"],
                                          use_selection=False, show_masks=False, **args)
    placed[name] = {"status": status, "message": message, "id": group.get_id() if group is not None else None}
# a source inside a result group: "above" goes above that result group; "group" (asked for) inside it
nested_source = Gimp.Item.get_by_id(placed["above"]["id"]).get_children()[0]
for name, mode in (("from_result", "above"), ("into_result", "group")):
    status, message, seconds, group = run(image, nested_source, instruction="make it brighter",
                                          endpoint=job["endpoint"], use_selection=False, show_masks=False,
                                          source="layer", placement=mode)
    placed[name] = {"status": status, "message": message, "id": group.get_id() if group is not None else None}
status, message, seconds, _ = run(image, inner, instruction="make it brighter", endpoint=job["dead_endpoint"],
                                  placement="sideways")
placed["bad_placement"] = {"status": status, "message": message}
report["cases"]["placement"] = {"runs": placed, "image": describe(image),
                                "ids": {"Group": folder.get_id(), "inner": inner.get_id(), "cover": cover.get_id(),
                                        "Background": background.get_id()}}

# R: the dialog's remembered choices, through the plug-in's own functions, in GIMP's global parasites.
sys.path.insert(0, job["plugin_dir"])
import gimp_layers  # noqa: E402 (the installed plug-in's module)

gimp_layers.load_gi()
gimp_layers.remember_choices({"placement": "group", "source": "layer", "builder": "rules", "show_masks": False,
                              "unknown": 1})
parasite = Gimp.get_parasite(gimp_layers.CHOICES_PARASITE)
report["cases"]["remembered"] = {"choices": gimp_layers.remembered_choices(),
                                 "persistent": bool(parasite.get_flags() & Gimp.PARASITE_PERSISTENT)}

phase("end")
with open(os.path.join(OUT, "report.json"), "w") as fh:
    json.dump(report, fh, indent=1)
