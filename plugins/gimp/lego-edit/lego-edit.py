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

Runs on GIMP's own Python: imports only the standard library, gi and the Lego Edit client that the
installer copies beside this file (lego_edit_client/). The code above `_main()` needs no gi, so
the tests can import this file on any Python.
"""

from __future__ import annotations

import os
import sys
import traceback

PROC_NAME = "plug-in-lego-edit"
MENU_PATH = "<Image>/Filters/AI"
MENU_LABEL = "_Lego Edit\u2026"
GROUP_PREFIX = "Lego Edit: "
CONNECT_TIMEOUT_S = 3.0  # for the first hello: a daemon that is up answers in milliseconds

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


class PluginError(Exception):
    """A failure to report to the user as the procedure's error message (never a traceback)."""


# -- helpers that need no GIMP ------------------------------------------------------------------

def group_name(instruction):
    text = " ".join(instruction.split())
    if len(text) > 80:
        text = text[:79] + "\u2026"
    return GROUP_PREFIX + text


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


class Progress:
    """Daemon events -> one overall fraction and a line of text."""

    def __init__(self):
        self.steps = 0
        self.done = {}

    def update(self, event):
        """(fraction or None, text or None) for an event."""
        kind = event.type
        header = event.header
        if kind == "accepted":
            position = header.get("position") or header.get("queue_position")
            if position:
                return 0.0, f"Lego Edit: waiting for the daemon ({position} ahead)"
            return 0.0, "Lego Edit: planning\u2026"
        if kind == "plan":
            self.steps = int(header.get("steps") or len(_pipeline_steps(header.get("workflow"))) or 0)
            return 0.0, "Lego Edit: plan ready, running\u2026"
        if kind == "progress":
            steps = header.get("steps") or self.steps
            if isinstance(steps, int) and steps > 0:
                self.steps = steps
            step = header.get("step")
            fraction = header.get("fraction")
            if isinstance(step, int) and isinstance(fraction, (int, float)):
                self.done[step] = min(max(float(fraction), 0.0), 1.0)
            total = sum(self.done.values()) / self.steps if self.steps else None
            label = f"Lego Edit: step {step}/{self.steps or '?'} {header.get('brick') or ''}".rstrip()
            message = header.get("message")
            if message:
                label += f" \u2014 {message}"
            return (None if total is None else min(total, 1.0)), label
        return None, None


def _pipeline_steps(workflow):
    if isinstance(workflow, dict):
        return [s for s in workflow.get("pipeline", []) if isinstance(s, dict) and "step" in s]
    return []


def error_message(exc, endpoint, instruction, connected):
    """A LegoError (from the client) -> a readable message for the user."""
    code = getattr(exc, "code", "")
    message = getattr(exc, "message", "") or str(exc)
    start_hint = "Start it with `lego-edit serve` (or from the Lego Edit tray icon) and try again."
    if not connected and code in ("timeout", "disconnected"):
        return f"Lego Edit: no daemon answers at {endpoint}. Is it running? {start_hint}"
    if code in ("timeout", "disconnected"):
        return f"Lego Edit: lost the daemon at {endpoint} during the edit ({message}). {start_hint}"
    if code == "cancelled":
        return "Lego Edit: the edit was cancelled."
    if code == "busy":
        return f"Lego Edit: the daemon is busy with other edits; try again in a moment ({message})."
    if code == "too_large":
        return f"Lego Edit: the layer is too large for the daemon ({message})."
    step, brick = getattr(exc, "step", None), getattr(exc, "brick", None)
    where = ""
    if step is not None:
        where = f" (step {step}{' ' + brick if brick else ''})"
    elif brick:
        where = f" ({brick})"
    return f"Lego Edit could not do \u201c{instruction}\u201d{where}: {message}"


def import_client():
    try:
        import lego_edit_client
    except ImportError as exc:
        hint = ("pyzmq is missing from GIMP's Python" if getattr(exc, "name", "") == "zmq"
                else f"the Lego Edit client is missing ({exc})")
        raise PluginError(f"Lego Edit: {hint}. Reinstall the plug-in with `lego-edit install --gimp`.") from None
    return lego_edit_client


# -- the GIMP side ------------------------------------------------------------------------------

def _main():
    import gi

    gi.require_version("Gimp", "3.0")
    gi.require_version("GimpUi", "3.0")
    gi.require_version("Gegl", "0.4")
    from gi.repository import Gegl, Gimp, GimpUi, GLib, GObject

    rgba_format = "R'G'B'A u8"
    mask_format = "Y u8"

    def read_layer(drawable):
        """RGBA bytes of the whole drawable (alpha 255 where it has none: the source is not touched)."""
        width, height = drawable.get_width(), drawable.get_height()
        buffer = drawable.get_buffer()
        data = buffer.get(Gegl.Rectangle.new(0, 0, width, height), 1.0, rgba_format, Gegl.AbyssPolicy.NONE)
        return bytes(data), width, height

    def read_selection(image, drawable):
        """The selection under the drawable as a drawable-sized mask, or None (no selection there)."""
        if Gimp.Selection.is_empty(image):
            return None
        _, ox, oy = drawable.get_offsets()
        width, height = drawable.get_width(), drawable.get_height()
        buffer = image.get_selection().get_buffer()
        # Outside the image the selection is empty: AbyssPolicy.NONE gives zeros there.
        data = bytes(buffer.get(Gegl.Rectangle.new(ox, oy, width, height), 1.0, mask_format,
                                Gegl.AbyssPolicy.NONE))
        return None if is_blank(data) else data

    def write(drawable, data, x, y, w, h, fmt):
        buffer = drawable.get_buffer()
        buffer.set(Gegl.Rectangle.new(x, y, w, h), fmt, data)
        buffer.flush()
        drawable.update(x, y, w, h)

    def add_result_layer(image, group, position, layer, ox, oy):
        base = image.get_base_type()
        kind = Gimp.ImageType.GRAYA_IMAGE if base == Gimp.ImageBaseType.GRAY else Gimp.ImageType.RGBA_IMAGE
        new = Gimp.Layer.new(image, layer.name or "result", layer.width, layer.height, kind, 100.0,
                             Gimp.LayerMode.NORMAL)
        image.insert_layer(new, group, position)
        new.set_offsets(ox, oy)
        write(new, layer.tobytes(), 0, 0, layer.width, layer.height, rgba_format)
        return new

    def add_mask_channel(image, layer, ox, oy):
        """A drawable-sized mask -> an image-sized hidden channel (the part outside the image dropped)."""
        width, height = image.get_width(), image.get_height()
        color = Gegl.Color.new("red")
        channel = Gimp.Channel.new(image, layer.name or layer.ref or "mask", width, height, 50.0, color)
        image.insert_channel(channel, None, -1)
        channel.set_visible(False)
        part = intersect(ox, oy, layer.width, layer.height, width, height)
        if part is not None:
            x, y, w, h = part
            data = crop(layer.data, layer.width, 1, x - ox, y - oy, w, h)
            write(channel, data, x, y, w, h, mask_format)
        return channel

    def check_format(layer):
        fmt = layer.format
        if layer.kind == "mask":
            if fmt != "GRAY8":
                raise PluginError(f"Lego Edit: the daemon sent mask {layer.name!r} as {fmt}; expected GRAY8")
        elif fmt != "RGBA8":
            raise PluginError(f"Lego Edit: the daemon sent layer {layer.name!r} as {fmt}; expected RGBA8")

    def apply(image, drawable, instruction, result, show_masks):
        """Everything the edit adds, as one undo step. Returns the group (None for a masks-only result)."""
        _, ox, oy = drawable.get_offsets()
        images = [layer for layer in result.layers if layer.kind != "mask"]
        masks = [layer for layer in result.layers if layer.kind == "mask"]  # results: always kept
        if show_masks:
            masks = [layer for layer in result.intermediates if layer.kind == "mask"] + masks
        if not images and not masks:
            raise PluginError(f"Lego Edit: the workflow for \u201c{instruction}\u201d gave no image and no mask.")
        for layer in images + masks:
            check_format(layer)
        group = None
        image.undo_group_start()
        try:
            top = None
            if images:
                group = Gimp.GroupLayer.new(image, group_name(instruction))
                image.insert_layer(group, drawable.get_parent(), image.get_item_position(drawable))
                # The workflow's last result is the final image: it ends up on top.
                for layer in images:
                    top = add_result_layer(image, group, 0, layer, ox, oy)
            seen = set()
            for layer in masks:
                if layer.ref in seen:
                    continue
                seen.add(layer.ref)
                add_mask_channel(image, layer, ox, oy)
            if top is not None:
                image.set_selected_layers([top])
        finally:
            image.undo_group_end()
        return group

    def edit(procedure, run_mode, image, drawables, config, data):
        def fail(status, message):
            return procedure.new_return_values(status, GLib.Error(message))

        if len(drawables) != 1:
            return fail(Gimp.PDBStatusType.CALLING_ERROR, "Lego Edit works on one layer: select exactly one.")
        drawable = drawables[0]
        if not drawable.is_layer():
            return fail(Gimp.PDBStatusType.CALLING_ERROR,
                        "Lego Edit works on a layer, not on a channel or a layer mask: select a layer.")

        if run_mode == Gimp.RunMode.INTERACTIVE:
            GimpUi.init(PROC_NAME)
            dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config, title="Lego Edit")
            dialog.fill(None)
            try:  # Enter in the instruction box runs the edit
                dialog.get_widget("instruction", GObject.TYPE_NONE).get_entry().set_activates_default(True)
            except Exception:  # pragma: no cover - a GimpUi without this widget: the OK button still works
                pass
            ok = dialog.run()
            dialog.destroy()
            if not ok:
                return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())

        instruction = (config.get_property("instruction") or "").strip()
        use_selection = bool(config.get_property("use-selection"))
        show_masks = bool(config.get_property("show-masks"))
        if not instruction:
            return fail(Gimp.PDBStatusType.CALLING_ERROR,
                        "Lego Edit: type an instruction, e.g. \u201cremove the red ball\u201d.")

        progress = Progress()
        try:
            client_module = import_client()
            # the endpoint and the CURVE keys as the daemon's own tools find them (lego_edit_client.settings)
            daemon_config = client_module.read_config()
            endpoint = client_module.resolve_endpoint(config.get_property("endpoint"), config=daemon_config)
            Gimp.progress_init("Lego Edit: connecting\u2026")
            pixels, width, height = read_layer(drawable)
            mask = read_selection(image, drawable) if use_selection else None
            picture = client_module.ImageData.rgba(pixels, width, height)
            selection = client_module.ImageData.gray(mask, width, height) if mask is not None else None

            def on_event(event):
                fraction, text = progress.update(event)
                if text:
                    Gimp.progress_set_text(text)
                if fraction is not None:
                    Gimp.progress_update(fraction)

            try:
                curve = client_module.curve_keys(endpoint, config=daemon_config)
            except ValueError as exc:
                raise PluginError(f"Lego Edit: {exc}") from None
            client = client_module.Client(endpoint, curve=curve)
            connected = False
            try:
                client.hello(timeout=CONNECT_TIMEOUT_S)
                connected = True
                Gimp.progress_set_text("Lego Edit: planning\u2026")
                result = client.edit(instruction, picture, selection, reply_format="RGBA8", on_event=on_event)
            except client_module.LegoError as exc:
                raise PluginError(error_message(exc, endpoint, instruction, connected)) from None
            except Exception as exc:
                if type(exc).__name__ == "ZMQError":  # a malformed endpoint, typically
                    raise PluginError(f"Lego Edit: cannot use the daemon endpoint {endpoint!r}: {exc}") from None
                raise
            finally:
                client.close()
            Gimp.progress_set_text("Lego Edit: adding the result\u2026")
            group = apply(image, drawable, instruction, result, show_masks)
        except PluginError as exc:
            return fail(Gimp.PDBStatusType.EXECUTION_ERROR, str(exc))
        except Exception as exc:  # a bug or an unexpected host state: an error message, the traceback on stderr
            traceback.print_exc()
            return fail(Gimp.PDBStatusType.EXECUTION_ERROR,
                        f"Lego Edit failed unexpectedly: {type(exc).__name__}: {exc}")
        finally:
            Gimp.progress_end()
        Gimp.displays_flush()
        values = procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())
        if group is not None:
            values.remove(1)  # the default `group` value, replaced by the real one
            values.insert(1, GObject.Value(Gimp.GroupLayer, group))
        return values

    class LegoEdit(Gimp.PlugIn):
        def do_query_procedures(self):
            return [PROC_NAME]

        def do_set_i18n(self, name):
            return False

        def do_create_procedure(self, name):
            procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, edit, None)
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

    Gimp.main(LegoEdit.__gtype__, sys.argv)


if __name__ == "__main__":
    _main()
