#!/usr/bin/env python3
"""Lego Edit for GIMP 3: Filters > AI > Lego Edit…

Sends the active layer (and the selection, as a mask) with a plain-language instruction to the Lego
Edit daemon, and brings the result back as a layer group above the source layer, with the masks the
workflow made as channels, all in one undo step. The source layer is never modified.

Procedure `plug-in-lego-edit` (one drawable), arguments:
  instruction    what to do ("remove the red ball")
  endpoint       the daemon's ZeroMQ endpoint; empty = $LEGO_EDIT_ENDPOINT, else the daemon's
                 config.toml ([daemon] endpoint), else tcp://127.0.0.1:5588
  use-selection  send the selection (cropped to the layer) as the mask (default true)
  show-masks     add the masks the workflow made as channels (default true)
Return value: `group`, the layer group holding the result.

When the daemon requires CURVE (off loopback, or `curve = "always"` in its config.toml), the keys
are the ones `lego-edit keys` wrote beside config.toml. Finding the endpoint, the config and the
keys is the client's (lego_edit_client.settings), shared with the Krita plugin and the daemon.

What to show while it runs (status, progress, the error sentence) and what to call the group and
the layers is the client's EditSession, shared with the Krita plugin; this file is the GIMP side.

Runs on GIMP's own Python: imports only the standard library, gi and the Lego Edit client that the
installer copies beside this file (lego_edit_client/). gi is imported by `load_gi()`, called from
`_main()`: the tests import this file on any Python.
"""

from __future__ import annotations

import os
import sys
import traceback

PROC_NAME = "plug-in-lego-edit"
MENU_PATH = "<Image>/Filters/AI"
MENU_LABEL = "_Lego Edit\u2026"
CONNECT_TIMEOUT_S = 3.0  # for the first hello: a daemon that is up answers in milliseconds
RGBA_FORMAT = "R'G'B'A u8"  # Babl formats: what the daemon gets and sends (RGBA8) and masks (GRAY8)
MASK_FORMAT = "Y u8"

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


class PluginError(Exception):
    """A failure to report to the user as the procedure's error message (never a traceback)."""


# -- helpers that need no GIMP ------------------------------------------------------------------

def intersect(x, y, w, h, width, height):
    """The part of rectangle (x, y, w, h) inside (0, 0, width, height), or None."""
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, width), min(y + h, height)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1 - x0, y1 - y0


def crop(data, width, bpp, x, y, w, h):
    """Rows y..y+h, columns x..x+w of a packed width-wide image with bpp bytes a pixel."""
    stride = width * bpp
    if x == 0 and w == width:
        return bytes(data[y * stride:(y + h) * stride])
    view = memoryview(data)
    start, size = x * bpp, w * bpp
    return b"".join(view[row * stride + start:row * stride + start + size] for row in range(y, y + h))


def is_blank(mask):
    return mask.count(0) == len(mask)


def import_client():
    try:
        import lego_edit_client
    except ImportError as exc:
        hint = ("pyzmq is missing from GIMP's Python" if getattr(exc, "name", "") == "zmq"
                else f"the Lego Edit client is missing ({exc})")
        raise PluginError(f"Lego Edit: {hint}. Reinstall the plug-in with `lego-edit install --gimp`.") from None
    return lego_edit_client


def check_format(layer):
    """The daemon answers in the reply_format asked for; anything else would be written as garbage."""
    fmt = layer.format
    if layer.kind == "mask":
        if fmt != "GRAY8":
            raise PluginError(f"Lego Edit: the daemon sent mask {layer.name!r} as {fmt}; expected GRAY8")
    elif fmt != "RGBA8":
        raise PluginError(f"Lego Edit: the daemon sent layer {layer.name!r} as {fmt}; expected RGBA8")


def result_parts(result, show_masks):
    """(images, masks) to add: the result's images; its masks and, with show_masks, the intermediate ones,
    each ref once."""
    images = [layer for layer in result.layers if layer.kind != "mask"]
    masks = [layer for layer in result.layers if layer.kind == "mask"]  # results: always kept
    if show_masks:
        masks = [layer for layer in result.intermediates if layer.kind == "mask"] + masks
    seen, unique = set(), []
    for layer in masks:
        if layer.ref not in seen:
            seen.add(layer.ref)
            unique.append(layer)
    return images, unique


# -- the GIMP side ------------------------------------------------------------------------------

Gegl = Gimp = GimpUi = GLib = GObject = None  # gi's modules, set by load_gi()


def load_gi():
    global Gegl, Gimp, GimpUi, GLib, GObject
    import gi

    gi.require_version("Gimp", "3.0")
    gi.require_version("GimpUi", "3.0")
    gi.require_version("Gegl", "0.4")
    from gi.repository import Gegl, Gimp, GimpUi, GLib, GObject  # noqa: F811 (the globals above)


def read_layer(drawable):
    """RGBA bytes of the whole drawable (alpha 255 where it has none: the source is not touched)."""
    width, height = drawable.get_width(), drawable.get_height()
    buffer = drawable.get_buffer()
    data = buffer.get(Gegl.Rectangle.new(0, 0, width, height), 1.0, RGBA_FORMAT, Gegl.AbyssPolicy.NONE)
    return bytes(data), width, height


def read_selection(image, drawable):
    """The selection under the drawable as a drawable-sized mask, or None (no selection there)."""
    if Gimp.Selection.is_empty(image):
        return None
    _, ox, oy = drawable.get_offsets()
    width, height = drawable.get_width(), drawable.get_height()
    buffer = image.get_selection().get_buffer()
    # Outside the image the selection is empty: AbyssPolicy.NONE gives zeros there.
    data = bytes(buffer.get(Gegl.Rectangle.new(ox, oy, width, height), 1.0, MASK_FORMAT, Gegl.AbyssPolicy.NONE))
    return None if is_blank(data) else data


def write_pixels(drawable, data, x, y, w, h, fmt):
    buffer = drawable.get_buffer()
    buffer.set(Gegl.Rectangle.new(x, y, w, h), fmt, data)
    buffer.flush()
    drawable.update(x, y, w, h)


def add_result_layer(image, group, layer, name, ox, oy):
    """A result image as a new layer on top of `group`, at the source layer's offsets."""
    base = image.get_base_type()
    kind = Gimp.ImageType.GRAYA_IMAGE if base == Gimp.ImageBaseType.GRAY else Gimp.ImageType.RGBA_IMAGE
    new = Gimp.Layer.new(image, name, layer.width, layer.height, kind, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(new, group, 0)
    new.set_offsets(ox, oy)
    write_pixels(new, layer.tobytes(), 0, 0, layer.width, layer.height, RGBA_FORMAT)
    return new


def add_mask_channel(image, layer, name, ox, oy):
    """A drawable-sized mask -> an image-sized hidden channel (the part outside the image dropped)."""
    width, height = image.get_width(), image.get_height()
    channel = Gimp.Channel.new(image, name, width, height, 50.0, Gegl.Color.new("red"))
    image.insert_channel(channel, None, -1)
    channel.set_visible(False)
    part = intersect(ox, oy, layer.width, layer.height, width, height)
    if part is not None:
        x, y, w, h = part
        write_pixels(channel, crop(layer.data, layer.width, 1, x - ox, y - oy, w, h), x, y, w, h, MASK_FORMAT)
    return channel


class UndoGroup:
    """Everything inside is one undo step; the group is closed even on an error (GIMP warns of open ones)."""

    def __init__(self, image):
        self.image = image

    def __enter__(self):
        self.image.undo_group_start()
        return self.image

    def __exit__(self, *exc):
        self.image.undo_group_end()
        return False


def apply_result(image, drawable, session, result, show_masks):
    """Everything the edit adds, as one undo step. Returns the group (None for a masks-only result)."""
    _, ox, oy = drawable.get_offsets()
    images, masks = result_parts(result, show_masks)
    if not images and not masks:
        raise PluginError(f"Lego Edit: the workflow for \u201c{session.instruction}\u201d gave no image and no mask.")
    for layer in images + masks:
        check_format(layer)
    group = top = None
    with UndoGroup(image):
        if images:
            group = Gimp.GroupLayer.new(image, session.group_name)
            image.insert_layer(group, drawable.get_parent(), image.get_item_position(drawable))
            for layer in images:  # the workflow's last result is the final image: it ends up on top
                top = add_result_layer(image, group, layer, session.layer_name(layer).label, ox, oy)
        for layer in masks:
            add_mask_channel(image, layer, session.layer_name(layer).label, ox, oy)
        if top is not None:
            image.set_selected_layers([top])
    return group


def run_dialog(procedure, config):
    """The procedure's own dialog (instruction, endpoint, options); False when the user cancels it."""
    GimpUi.init(PROC_NAME)
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config, title="Lego Edit")
    dialog.fill(None)
    try:  # Enter in the instruction box runs the edit
        dialog.get_widget("instruction", GObject.TYPE_NONE).get_entry().set_activates_default(True)
    except Exception:  # pragma: no cover - a GimpUi without this widget: the OK button still works
        pass
    ok = dialog.run()
    dialog.destroy()
    return ok


def show_progress(session):
    Gimp.progress_set_text(f"Lego Edit: {session.status}")
    Gimp.progress_update(session.fraction)


def run_edit(client_module, endpoint, daemon_config, session, picture, selection):
    """Connect, send the edit and wait for it (GIMP's progress bar follows); PluginError with the session's
    sentence when it fails."""
    try:
        curve = client_module.curve_keys(endpoint, config=daemon_config)
    except ValueError as exc:
        raise PluginError(f"Lego Edit: {exc}") from None
    client = client_module.Client(endpoint, curve=curve)

    def on_event(event):
        if session.feed(event):
            show_progress(session)

    try:
        client.hello(timeout=CONNECT_TIMEOUT_S)
        session.connected = True
        return client.edit(session.instruction, picture, selection, reply_format="RGBA8", on_event=on_event)
    except client_module.LegoError as exc:
        raise PluginError(session.fail(exc.code, exc.message, step=exc.step, brick=exc.brick).sentence) from None
    except Exception as exc:
        if type(exc).__name__ == "ZMQError":  # a malformed endpoint, typically
            raise PluginError(f"Lego Edit: cannot use the daemon endpoint {endpoint!r}: {exc}") from None
        raise
    finally:
        client.close()


def return_values(procedure, status, message=None, group=None):
    values = procedure.new_return_values(status, GLib.Error(message) if message else GLib.Error())
    if group is not None:
        values.remove(1)  # the default `group` value, replaced by the real one
        values.insert(1, GObject.Value(Gimp.GroupLayer, group))
    return values


def edit(procedure, run_mode, image, drawables, config, data):
    """The procedure: check the call, ask (interactively), read the layer, edit, add the result."""
    calling_error = Gimp.PDBStatusType.CALLING_ERROR
    if len(drawables) != 1:
        return return_values(procedure, calling_error, "Lego Edit works on one layer: select exactly one.")
    drawable = drawables[0]
    if not drawable.is_layer():
        return return_values(procedure, calling_error,
                             "Lego Edit works on a layer, not on a channel or a layer mask: select a layer.")
    if run_mode == Gimp.RunMode.INTERACTIVE and not run_dialog(procedure, config):
        return return_values(procedure, Gimp.PDBStatusType.CANCEL)
    instruction = (config.get_property("instruction") or "").strip()
    if not instruction:
        return return_values(procedure, calling_error,
                             "Lego Edit: type an instruction, e.g. \u201cremove the red ball\u201d.")
    try:
        client_module = import_client()
        # the endpoint and the CURVE keys as the daemon's own tools find them (lego_edit_client.settings)
        daemon_config = client_module.read_config()
        endpoint = client_module.resolve_endpoint(config.get_property("endpoint"), config=daemon_config)
        session = client_module.EditSession(instruction, endpoint=endpoint)
        Gimp.progress_init(f"Lego Edit: {session.status}")
        pixels, width, height = read_layer(drawable)
        mask = read_selection(image, drawable) if config.get_property("use-selection") else None
        picture = client_module.ImageData.rgba(pixels, width, height)
        selection = client_module.ImageData.gray(mask, width, height) if mask is not None else None
        result = run_edit(client_module, endpoint, daemon_config, session, picture, selection)
        Gimp.progress_set_text("Lego Edit: adding the result\u2026")
        group = apply_result(image, drawable, session, result, bool(config.get_property("show-masks")))
    except PluginError as exc:
        return return_values(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, str(exc))
    except Exception as exc:  # a bug or an unexpected host state: an error message, the traceback on stderr
        traceback.print_exc()
        return return_values(procedure, Gimp.PDBStatusType.EXECUTION_ERROR,
                             f"Lego Edit failed unexpectedly: {type(exc).__name__}: {exc}")
    finally:
        Gimp.progress_end()
    Gimp.displays_flush()
    return return_values(procedure, Gimp.PDBStatusType.SUCCESS, group=group)


def create_procedure(plugin, name):
    procedure = Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, edit, None)
    procedure.set_image_types("RGB*, GRAY*")
    procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
    procedure.set_menu_label(MENU_LABEL)
    procedure.add_menu_path(MENU_PATH)
    procedure.set_documentation(
        "Edit the layer with a plain-language instruction (Lego Edit)",
        "Sends the layer, and the selection as a mask, to the Lego Edit daemon, which plans the "
        "instruction as a workflow of bricks and runs it. The result comes back as a layer group "
        "above the layer; the masks the workflow made become channels. The layer itself is not "
        "changed, and everything is one undo step.",
        name)
    procedure.set_attribution("Lego Edit", "Lego Edit authors", "2025")
    flags = GObject.ParamFlags.READWRITE
    procedure.add_string_argument("instruction", "_Instruction",
                                  "What to do, e.g. \u201cremove the red ball\u201d", "", flags)
    procedure.add_string_argument("endpoint", "_Daemon endpoint",
                                  "ZeroMQ endpoint of the Lego Edit daemon; empty: $LEGO_EDIT_ENDPOINT, "
                                  "the daemon's config.toml, or tcp://127.0.0.1:5588", "", flags)
    procedure.add_boolean_argument("use-selection", "_Use the selection as the mask",
                                   "Send the selection (cropped to the layer) as the mask", True, flags)
    procedure.add_boolean_argument("show-masks", "Add the _workflow's masks as channels",
                                   "Add the masks the workflow made as channels, named by step and brick",
                                   True, flags)
    procedure.add_group_layer_return_value("group", "Group", "The layer group holding the result (none "
                                           "when the workflow gave only masks)", True, flags)
    return procedure


def _main():
    load_gi()

    class LegoEdit(Gimp.PlugIn):
        def do_query_procedures(self):
            return [PROC_NAME]

        def do_set_i18n(self, name):
            return False

        def do_create_procedure(self, name):
            return create_procedure(self, name)

    Gimp.main(LegoEdit.__gtype__, sys.argv)


if __name__ == "__main__":
    _main()
