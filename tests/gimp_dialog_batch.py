"""Runs INSIDE the GIMP 3 GUI (gimp-3.0 under Xvfb, --batch-interpreter=python-fu-eval) for tests/test_gimp_dialog.py.

Opens the photo in an image window, records the image, then calls `plug-in-lego-edit` interactively:
the test drives the dialog with xdotool meanwhile (cancel, preview, discard, a queue, three applied
edits). When the dialog is closed it records the image again, exports the result layers to PNG,
reads the dialog's remembered choices, saves and reloads an XCF (its history), then hands over to
the test for four Ctrl+Z in the image window (flag files in the output folder), recording the image
after each. Writes report.json.
"""

import base64
import hashlib
import json
import os
import sys
import time

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

job = json.load(open(sys.argv[1]))
OUT = job["out"]
report = {"states": {}}


def pixels_hash(drawable):
    width, height = drawable.get_width(), drawable.get_height()
    data = drawable.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, "R'G'B'A u8",
                                     Gegl.AbyssPolicy.NONE)
    return hashlib.sha256(bytes(data)).hexdigest()


def tree(layers):
    out = []
    for layer in layers:
        _, x, y = layer.get_offsets()
        info = {"name": layer.get_name(), "offsets": [x, y], "size": [layer.get_width(), layer.get_height()],
                "visible": layer.get_visible(), "group": layer.is_group_layer()}
        if layer.is_group_layer():
            info["children"] = tree(layer.get_children())
        else:
            info["pixels"] = pixels_hash(layer)
        out.append(info)
    return out


def state(image):
    parasite = image.get_parasite("lego-edit-history")
    return {"layers": tree(image.get_layers()),
            "channels": [[c.get_name(), pixels_hash(c)] for c in image.get_channels()],
            "history": base64.b64encode(bytes(parasite.get_data())).decode("ascii") if parasite else None}


def save_png(image, path):
    procedure = Gimp.get_pdb().lookup_procedure("file-png-export")
    config = procedure.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_property("file", Gio.File.new_for_path(path))
    config.set_property("compression", 1)
    config.set_property("include-thumbnail", False)
    assert procedure.run(config).index(0) == Gimp.PDBStatusType.SUCCESS, Gimp.get_pdb().get_last_error()


def export_results(image):
    """Each top-level group's top layer (its final image) to resultN.png; {group name: file}."""
    files = {}
    for index, group in enumerate(image.get_layers()):
        if not group.is_group_layer():
            continue
        layer = group.get_children()[0]
        copy_image = Gimp.Image.new(layer.get_width(), layer.get_height(), Gimp.ImageBaseType.RGB)
        copy = Gimp.Layer.new_from_drawable(layer, copy_image)
        copy_image.insert_layer(copy, None, 0)
        copy.set_offsets(0, 0)
        path = os.path.join(OUT, f"result{index}.png")
        save_png(copy_image, path)
        copy_image.delete()
        files[group.get_name()] = os.path.basename(path)
    return files


def handover(name, timeout=60.0):
    """Tell the test we are ready for `name`, then wait until it says it is done (GIMP's UI keeps running)."""
    open(os.path.join(OUT, f"{name}.ready"), "w").close()
    deadline = time.monotonic() + timeout
    while not os.path.exists(os.path.join(OUT, f"{name}.done")):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the test never finished {name}")
        time.sleep(0.1)


image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(job["photo"]))
source = image.get_layers()[0]
x, y, w, h = job["selection"]
image.select_rectangle(Gimp.ChannelOps.REPLACE, x, y, w, h)
image.clean_all()
display = Gimp.Display.new(image)
Gimp.displays_flush()
report["states"]["before"] = state(image)

# the choices a previous dialog left (GIMP's global parasite): this dialog must start from them
Gimp.attach_parasite(Gimp.Parasite.new("lego-edit-dialog", Gimp.PARASITE_PERSISTENT, list(json.dumps(
    {"placement": "top", "builder": "rules", "source": "visible"}).encode("utf-8"))))

procedure = Gimp.get_pdb().lookup_procedure("plug-in-lego-edit")
config = procedure.create_config()
config.set_property("run-mode", Gimp.RunMode.INTERACTIVE)
config.set_property("image", image)
config.set_core_object_array("drawables", [source])
values = procedure.run(config)
report["status"] = values.index(0).value_nick
report["states"]["closed"] = state(image)
report["results"] = export_results(image)
choices = Gimp.get_parasite("lego-edit-dialog")
report["choices"] = bytes(choices.get_data()).decode("utf-8") if choices is not None else None

xcf = os.path.join(OUT, "edited.xcf")
Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(xcf), None)
reloaded = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(xcf))
report["states"]["reloaded"] = state(reloaded)
reloaded.delete()

for step in ("undo1", "undo2", "undo3", "undo4"):
    handover(step)
    report["states"][step] = state(image)

with open(os.path.join(OUT, "report.json"), "w") as fh:
    json.dump(report, fh, indent=1)
image.clean_all()  # no "unsaved changes" question on --quit
