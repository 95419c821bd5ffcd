#!/usr/bin/env python3
"""Lego Edit for GIMP 3: Filters > AI > Lego Edit…

Sends the visible image (or the selected layer), and the selection as a mask, with a plain-language
instruction to the Lego Edit daemon, and brings the result back as a layer group, with the masks the
workflow made as channels. Nothing already in the image is modified.

Interactively a dialog stays open (edit_dialog.py): it says whether the daemon answers (and can
start it), queues edits while others run (each with its own cancel, which the daemon honours),
shows progress in plain words, shows each finished result on the canvas to Apply (one undo step)
or Discard (no trace), takes feedback to re-plan, and lists this image's earlier edits (kept in
the .xcf).

Procedure `plug-in-lego-edit` (one drawable), arguments:
  instruction    what to do ("remove the red ball")
  endpoint       the daemon's ZeroMQ endpoint; empty = $LEGO_EDIT_ENDPOINT, else the daemon's
                 config.toml ([daemon] endpoint), else tcp://127.0.0.1:5588
  source         "visible" (the visible image, all layers; default) or "layer" (the selected layer)
  builder        the Builder that plans: "" (the daemon's own), "auto", "rules", "local", "openai"
  use-selection  send the selection as the mask (default true)
  show-masks     add the masks the workflow made as channels (default true)
  placement      where the result group goes: "above" the source layer (default), on "top" of the
                 image, or inside the source's "group"; never inside an earlier result group (the
                 visible image's result always goes on top)
Return value: `group`, the layer group holding the result. A script's call applies the result at once
(one undo step) and fails with the error's sentence as its message.

When the daemon requires CURVE the keys are the ones `lego-edit keys` wrote beside config.toml
(lego_edit_client.settings, shared with the Krita plugin and the daemon).

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

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import gimp_layers  # noqa: E402 (beside this file)
from gimp_layers import PluginError  # noqa: E402


class CallingError(PluginError):
    """The call itself is wrong (no instruction): GIMP's calling error, before anything is sent."""


def import_client():
    try:
        import lego_edit_client
    except ImportError as exc:
        hint = ("pyzmq is missing from GIMP's Python" if getattr(exc, "name", "") == "zmq"
                else f"the Lego Edit client is missing ({exc})")
        raise PluginError(f"Lego Edit: {hint}. Reinstall the plug-in with `lego-edit install --gimp`.") from None
    return lego_edit_client


# -- the GIMP side ------------------------------------------------------------------------------

Gimp = GLib = GObject = None  # gi's modules, set by load_gi()


def load_gi():
    global Gimp, GLib, GObject
    import gi

    gi.require_version("Gimp", "3.0")
    from gi.repository import Gimp, GLib, GObject  # noqa: F811 (the globals above)

    gimp_layers.load_gi()


def show_progress(session, progress=None):
    from lego_edit_client import plain_words

    Gimp.progress_set_text(f"Lego Edit: {plain_words.status_line(session, progress)}")
    Gimp.progress_update(session.fraction)


def run_edit(client_module, endpoint, daemon_config, session, picture, backend):
    """Connect, send the edit and wait for it (GIMP's progress bar follows); PluginError with the session's
    sentence when it fails. Returns the `Outcome`."""
    try:
        curve = client_module.curve_keys(endpoint, config=daemon_config)
    except ValueError as exc:
        raise PluginError(f"Lego Edit: {exc}") from None
    client = client_module.Client(endpoint, curve=curve)

    def on_event(event):
        if session.feed(event):
            show_progress(session, event.header if event.type == "progress" else None)

    try:
        client.hello(timeout=CONNECT_TIMEOUT_S)
        session.connected = True
        image = client_module.ImageData.rgba(picture.pixels, picture.width, picture.height)
        mask = client_module.ImageData.gray(picture.mask, picture.width, picture.height) \
            if picture.mask is not None else None
        result = client.edit(session.instruction, image, mask, reply_format="RGBA8", backend=backend,
                             on_event=on_event)
        return gimp_layers.Outcome(session, result.layers, result.intermediates, picture)
    except client_module.LegoError as exc:
        raise PluginError(session.fail(exc.code, exc.message, step=exc.step, brick=exc.brick).sentence) from None
    except Exception as exc:
        if type(exc).__name__ == "ZMQError":  # a malformed endpoint, typically
            raise PluginError(f"Lego Edit: cannot use the daemon address {endpoint!r}: {exc}") from None
        raise
    finally:
        client.close()


def return_values(procedure, status, message=None, group=None):
    values = procedure.new_return_values(status, GLib.Error(message) if message else GLib.Error())
    if group is not None:
        values.remove(1)  # the default `group` value, replaced by the real one
        values.insert(1, GObject.Value(Gimp.GroupLayer, group))
    return values


def scripted(image, drawable, config):
    """A script's call: edit and apply at once. Returns the group; PluginError for a failure."""
    instruction = (config.get_property("instruction") or "").strip()
    if not instruction:
        raise CallingError("Lego Edit: type an instruction, e.g. \u201cremove the red ball\u201d.")
    source = gimp_layers.normalise_source(config.get_property("source"))
    backend = gimp_layers.normalise_builder(config.get_property("builder"))
    mode = gimp_layers.normalise_placement(config.get_property("placement"))
    client_module = import_client()
    daemon_config = client_module.read_config()
    endpoint = client_module.resolve_endpoint(config.get_property("endpoint"), config=daemon_config)
    session = client_module.EditSession(instruction, endpoint=endpoint)
    Gimp.progress_init("Lego Edit: sending the image\u2026")
    try:
        picture = gimp_layers.read_picture(image, drawable, source, bool(config.get_property("use-selection")))
        outcome = run_edit(client_module, endpoint, daemon_config, session, picture, backend)
        Gimp.progress_set_text("Lego Edit: adding the result\u2026")
        return gimp_layers.apply_outcome(image, drawable, source, outcome, bool(config.get_property("show-masks")),
                                         mode)
    finally:
        Gimp.progress_end()


def edit(procedure, run_mode, image, drawables, config, data):
    """The procedure: check the call, then the dialog (interactive) or an edit applied at once (scripts)."""
    calling_error = Gimp.PDBStatusType.CALLING_ERROR
    if len(drawables) != 1:
        return return_values(procedure, calling_error, "Lego Edit works on one layer: select exactly one.")
    drawable = drawables[0]
    if not drawable.is_layer():
        return return_values(procedure, calling_error,
                             "Lego Edit works on a layer, not on a channel or a layer mask: select a layer.")
    try:
        if run_mode == Gimp.RunMode.INTERACTIVE:
            import edit_dialog

            group = edit_dialog.run(procedure, config, image, drawable, import_client)
            status = Gimp.PDBStatusType.SUCCESS if group is not None else Gimp.PDBStatusType.CANCEL
            return return_values(procedure, status, group=group)
        group = scripted(image, drawable, config)
    except CallingError as exc:
        return return_values(procedure, calling_error, str(exc))
    except PluginError as exc:
        return return_values(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, str(exc))
    except Exception as exc:  # a bug or an unexpected host state: an error message, the traceback on stderr
        traceback.print_exc()
        return return_values(procedure, Gimp.PDBStatusType.EXECUTION_ERROR,
                             f"Lego Edit failed unexpectedly: {type(exc).__name__}: {exc}")
    return return_values(procedure, Gimp.PDBStatusType.SUCCESS, group=group)


def create_procedure(plugin, name):
    procedure = Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, edit, None)
    procedure.set_image_types("RGB*, GRAY*")
    procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
    procedure.set_menu_label(MENU_LABEL)
    procedure.add_menu_path(MENU_PATH)
    procedure.set_documentation(
        "Edit the image with a plain-language instruction (Lego Edit)",
        "Sends the visible image (or the selected layer), and the selection as a mask, to the Lego Edit "
        "daemon, which plans the instruction as a workflow of bricks and runs it. The result comes back "
        "as a layer group; the masks the workflow made become channels. Nothing already in the image is "
        "changed, and applying the result is one undo step.",
        name)
    procedure.set_attribution("Lego Edit", "Lego Edit authors", "2025")
    flags = GObject.ParamFlags.READWRITE
    procedure.add_string_argument("instruction", "_Instruction",
                                  "What to do, e.g. \u201cremove the red ball\u201d", "", flags)
    procedure.add_string_argument("endpoint", "_Daemon address",
                                  "Where the Lego Edit daemon listens (host:port or a ZeroMQ endpoint); empty: "
                                  "$LEGO_EDIT_ENDPOINT, the daemon's config.toml, or 127.0.0.1:5588", "", flags)
    procedure.add_string_argument("source", "_Source",
                                  "\u201cvisible\u201d: the visible image (all layers); \u201clayer\u201d: the "
                                  "selected layer alone", "visible", flags)
    procedure.add_string_argument("builder", "_Builder",
                                  "Who plans the edit: empty for the daemon's own choice, or auto, rules, local, "
                                  "openai", "", flags)
    procedure.add_boolean_argument("use-selection", "_Use the selection as the mask",
                                   "Send the selection as the mask", True, flags)
    procedure.add_boolean_argument("show-masks", "Add the _workflow's masks as channels",
                                   "Add the masks the workflow made as channels, named after what they cover",
                                   True, flags)
    procedure.add_string_argument("placement", "_Placement",
                                  "Where the result goes: \u201cabove\u201d the source layer, on \u201ctop\u201d of the "
                                  "image, or inside the source's \u201cgroup\u201d (the visible image's result: on top)",
                                  "above", flags)
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
