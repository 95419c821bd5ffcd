"""Runs INSIDE the GIMP 3 GUI (gimp-3.0 under Xvfb, --batch-interpreter=python-fu-eval) for tests/test_gimp_dialog.py.

Opens the photo in an image window, records the image, then calls `plug-in-lego-edit` interactively:
the test drives the dialog with xdotool meanwhile (cancel, preview, discard, apply twice). When the
dialog is closed it records the image again, saves and reloads an XCF (its history), then hands over
to the test for two Ctrl+Z in the image window (flag files in the output folder), recording the
image after each. Writes report.json.
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

procedure = Gimp.get_pdb().lookup_procedure("plug-in-lego-edit")
config = procedure.create_config()
config.set_property("run-mode", Gimp.RunMode.INTERACTIVE)
config.set_property("image", image)
config.set_core_object_array("drawables", [source])
values = procedure.run(config)
report["status"] = values.index(0).value_nick
report["states"]["closed"] = state(image)

xcf = os.path.join(OUT, "edited.xcf")
Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(xcf), None)
reloaded = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(xcf))
report["states"]["reloaded"] = state(reloaded)
reloaded.delete()

handover("undo1")
report["states"]["undo1"] = state(image)
handover("undo2")
report["states"]["undo2"] = state(image)

with open(os.path.join(OUT, "report.json"), "w") as fh:
    json.dump(report, fh, indent=1)
image.clean_all()  # no "unsaved changes" question on --quit
