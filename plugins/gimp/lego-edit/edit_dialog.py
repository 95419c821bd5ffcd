"""The Lego Edit dialog in GIMP: one window that stays open for a series of edits.

It says whether the daemon answers before anything is sent (and starts it when it does not), shows
progress and every message in plain words inside the dialog (never a GIMP error box that closes
it), cancels a job for real (a `cancel` to the daemon, then its `cancelled`), shows a finished
result on the canvas to Apply (one undo step) or Discard (no trace), re-plans with feedback, and
lists this image's earlier edits, kept in the image (saved with the .xcf).

The window title says the state, for people and for the GUI tests alike: "Lego Edit",
"Lego Edit (working)", "Lego Edit (preview)". Every control has a mnemonic (Alt+letter).

The client is polled from a GLib timeout on GIMP's own main loop: no threads, the dialog never blocks.
"""

from __future__ import annotations

import os
import time
import traceback

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
gi.require_version("GdkPixbuf", "2.0")
import gimp_layers  # noqa: E402 (beside this file)
from gi.repository import Gdk, GdkPixbuf, GimpUi, GLib, Gtk  # noqa: E402
from gimp_layers import PluginError  # noqa: E402

POLL_MS = 40
CONNECT_GRACE_S = 1.5  # a daemon that is up answers the first hello well within this
CANCEL_WAIT_S = 5.0  # how long Close waits for the daemon's `cancelled`
TITLE = "Lego Edit"
HINT = ("For example: \u201cremove the red ball\u201d, \u201cmake the sky bluer\u201d, \u201cturn the car red\u201d, "
        "\u201cmake it look like a watercolour painting\u201d, \u201cbrighten the shadows\u201d.")
FEEDBACK_HINT = ("Not quite right? Say what is wrong, in plain words: \u201cthere\u2019s still a smudge\u201d, "
                 "\u201cyou missed the shadow\u201d, \u201conly the left one\u201d, \u201ckeep her face\u201d, "
                 "then Re-plan.")
BUILDERS = (("", "The daemon's choice"), ("auto", "Automatic (best available)"), ("rules", "Rules (offline, instant)"),
            ("local", "Local vision-language model"), ("openai", "OpenAI-compatible model"))


def run(procedure, config, image, drawable, import_client):
    """Show the dialog until it is closed; returns the last group applied (None: nothing applied)."""
    GimpUi.init("plug-in-lego-edit")
    dialog = EditDialog(config, image, drawable, import_client())
    return dialog.run()


def label(text, *, wrap=True, small=False, selectable=False):
    widget = Gtk.Label(label=text, xalign=0.0)
    widget.set_line_wrap(wrap)
    widget.set_max_width_chars(60)
    widget.set_selectable(selectable)
    if small:
        widget.get_style_context().add_class("dim-label")
    return widget


def button(text, handler):
    widget = Gtk.Button.new_with_mnemonic(text)
    widget.connect("clicked", lambda *_: handler())
    return widget


class EditDialog:
    def __init__(self, config, image, drawable, client_module):
        from lego_edit_client import address, daemon_launch, edit_history, plain_words

        self.address, self.launcher, self.history, self.words = address, daemon_launch, edit_history, plain_words
        self.config, self.image, self.drawable, self.cm = config, image, drawable, client_module
        self.daemon_config = client_module.read_config()
        self.client = None
        self.endpoint = ""
        self.connected = False
        self.client_since = 0.0
        self.server_version = ""
        self.session = None  # the edit running now (or the last one)
        self.request_id = None
        self.progress = None  # its last `progress` header
        self.intermediates = []
        self.picture = None  # what the edit was sent (its pixels' place on the canvas)
        self.source = "visible"
        self.preview = None  # gimp_layers.Added on the canvas, not yet applied
        self.outcome = None
        self.last_request = None  # the last finished edit: what Re-plan starts from
        self.feedback = []  # feedback given along the current re-plan chain
        self.cancelling_since = None
        self.applied = None
        self.loop = None
        self.closing = False
        self._build()
        self._connect(self.config.get_property("endpoint") or "")
        self._fill_history()

    # -- layout ---------------------------------------------------------------------------------
    def _build(self):
        self.window = Gtk.Window(title=TITLE)
        self.window.set_default_size(520, -1)
        self.window.connect("delete-event", lambda *_: self.close() or True)
        self.window.connect("key-press-event", self._key)
        box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=6, margin=12)
        self.window.add(box)

        row = Gtk.Box(spacing=6)
        self.connection = label("Looking for the daemon\u2026")
        self.start_button = button("_Start daemon", self.start_daemon)
        self.start_button.set_no_show_all(True)
        row.pack_start(self.connection, True, True, 0)
        row.pack_end(self.start_button, False, False, 0)
        box.pack_start(row, False, False, 0)

        grid = Gtk.Grid(column_spacing=8, row_spacing=6)
        self.instruction = Gtk.Entry(hexpand=True, activates_default=False)
        self.instruction.set_text(self.config.get_property("instruction") or "")
        self.instruction.connect("activate", lambda *_: self.start_edit())
        self.instruction.connect("changed", lambda *_: self._update())
        instruction_label = Gtk.Label.new_with_mnemonic("_Instruction:")
        instruction_label.set_mnemonic_widget(self.instruction)
        grid.attach(instruction_label, 0, 0, 1, 1)
        grid.attach(self.instruction, 1, 0, 1, 1)
        grid.attach(label(HINT, small=True), 1, 1, 1, 1)

        source_box = Gtk.Box(spacing=12)
        self.visible_radio = Gtk.RadioButton.new_with_mnemonic_from_widget(None, "The _visible image (all layers)")
        name = self.drawable.get_name() if self.drawable is not None else "the layer"
        self.layer_radio = Gtk.RadioButton.new_with_mnemonic_from_widget(self.visible_radio,
                                                                         f"This la_yer only ({name})")
        (self.layer_radio if self.config.get_property("source") == "layer" else self.visible_radio).set_active(True)
        source_box.pack_start(self.visible_radio, False, False, 0)
        source_box.pack_start(self.layer_radio, False, False, 0)
        grid.attach(Gtk.Label(label="Edit:", xalign=0.0), 0, 2, 1, 1)
        grid.attach(source_box, 1, 2, 1, 1)

        self.builder = Gtk.ComboBoxText()
        for key, text in BUILDERS:
            self.builder.append(key or "default", text)
        self.builder.set_active_id(self.config.get_property("builder") or "default")
        if self.builder.get_active_id() is None:
            self.builder.set_active_id("default")
        builder_label = Gtk.Label.new_with_mnemonic("_Builder:")
        builder_label.set_mnemonic_widget(self.builder)
        grid.attach(builder_label, 0, 3, 1, 1)
        grid.attach(self.builder, 1, 3, 1, 1)

        self.address_entry = Gtk.Entry(hexpand=True, placeholder_text="127.0.0.1:5588 (from the daemon's settings)")
        self.address_entry.connect("activate", lambda *_: self._connect(self.address_entry.get_text()))
        self.address_entry.connect("focus-out-event", lambda *_: self._address_changed() or False)
        address_label = Gtk.Label.new_with_mnemonic("_Where:")
        address_label.set_mnemonic_widget(self.address_entry)
        address_label.set_tooltip_text("The daemon's address, host:port")
        grid.attach(address_label, 0, 4, 1, 1)
        grid.attach(self.address_entry, 1, 4, 1, 1)
        box.pack_start(grid, False, False, 0)

        self.use_selection = Gtk.CheckButton.new_with_mnemonic("Use the selection as the _mask")
        self.use_selection.set_active(bool(self.config.get_property("use-selection")))
        self.show_masks = Gtk.CheckButton.new_with_mnemonic("Add the workflow's masks as c_hannels")
        self.show_masks.set_active(bool(self.config.get_property("show-masks")))
        checks = Gtk.Box(spacing=12)
        checks.pack_start(self.use_selection, False, False, 0)
        checks.pack_start(self.show_masks, False, False, 0)
        box.pack_start(checks, False, False, 0)

        self.bar = Gtk.ProgressBar(show_text=True)
        self.bar.set_text("")
        box.pack_start(self.bar, False, False, 0)
        self.message = label("", selectable=True)
        box.pack_start(self.message, False, False, 0)
        self.details = Gtk.Expander.new_with_mnemonic("De_tails")
        self.details_text = label("", selectable=True, small=True)
        self.details.add(self.details_text)
        box.pack_start(self.details, False, False, 0)

        feedback_row = Gtk.Box(spacing=6)
        self.feedback_entry = Gtk.Entry(hexpand=True)
        self.feedback_entry.connect("activate", lambda *_: self.replan())
        feedback_label = Gtk.Label.new_with_mnemonic("_Feedback:")
        feedback_label.set_mnemonic_widget(self.feedback_entry)
        self.replan_button = button("_Re-plan", self.replan)
        feedback_row.pack_start(feedback_label, False, False, 0)
        feedback_row.pack_start(self.feedback_entry, True, True, 0)
        feedback_row.pack_start(self.replan_button, False, False, 0)
        box.pack_start(feedback_row, False, False, 0)
        box.pack_start(label(FEEDBACK_HINT, small=True), False, False, 0)

        self.history_expander = Gtk.Expander.new_with_mnemonic("Hist_ory")
        self.history_list = Gtk.ListBox()
        self.history_list.set_selection_mode(Gtk.SelectionMode.SINGLE)
        self.history_list.connect("row-activated", self._history_chosen)
        scroller = Gtk.ScrolledWindow()
        scroller.set_policy(Gtk.PolicyType.NEVER, Gtk.PolicyType.AUTOMATIC)
        scroller.set_min_content_height(150)
        scroller.add(self.history_list)
        self.history_expander.add(scroller)
        box.pack_start(self.history_expander, True, True, 0)

        buttons = Gtk.Box(spacing=6)
        self.edit_button = button("_Edit", self.start_edit)
        self.cancel_button = button("_Cancel edit", self.cancel)
        self.discard_button = button("_Discard", self.discard)
        self.apply_button = button("_Apply", self.apply)
        self.close_button = button("C_lose", self.close)
        for widget in (self.edit_button, self.cancel_button):
            buttons.pack_start(widget, False, False, 0)
        for widget in (self.close_button, self.apply_button, self.discard_button):
            buttons.pack_end(widget, False, False, 0)
        box.pack_end(buttons, False, False, 0)

    def _key(self, window, event):
        """Ctrl+Enter anywhere: Re-plan from the feedback box, else Edit (Enter alone does it in the two boxes)."""
        if event.keyval in (Gdk.KEY_Return, Gdk.KEY_KP_Enter) and event.state & Gdk.ModifierType.CONTROL_MASK:
            self.replan() if self.feedback_entry.has_focus() else self.start_edit()
            return True
        return False

    # -- running --------------------------------------------------------------------------------
    def run(self):
        self.window.show_all()
        try:
            GimpUi.window_set_transient(self.window)
        except Exception:  # an older GimpUi: the window is simply not kept above GIMP's
            pass
        self.instruction.grab_focus()
        self._update()
        GLib.timeout_add(POLL_MS, self._tick)
        self.loop = GLib.MainLoop()
        self.loop.run()
        return self.applied

    def _tick(self):
        if self.closing:
            return False
        try:
            if not self.image.is_valid():  # the image was closed: stop its job, nothing to add it to
                self.preview = None
                self.close()
                return False
            self._poll()
        except Exception as exc:  # never a traceback in a box: the sentence here, the details on stderr
            traceback.print_exc()
            self._say(f"Lego Edit failed unexpectedly: {type(exc).__name__}: {exc}", error=True)
        return True

    def _poll(self):
        if self.client is None:
            return
        for event in self.client.poll(0):
            if event.type == "connected":
                self._set_connected(True)
            elif event.type == "disconnected":
                self._set_connected(False)
            elif event.type == "hello" and event.get("server_version"):
                self.server_version = str(event.get("server_version"))
                self._set_connected(True)
            if self.request_id is not None and event.id == self.request_id:
                self._on_job_event(event)
        if not self.connected and self.client_since and time.monotonic() - self.client_since > CONNECT_GRACE_S:
            self._set_connected(False)
            self.client_since = 0.0

    def _connect(self, text):
        try:
            endpoint = self.address.endpoint_from_address(text)
            endpoint = self.cm.resolve_endpoint(endpoint, config=self.daemon_config)
            curve = self.cm.curve_keys(endpoint, config=self.daemon_config)
        except ValueError as exc:
            self._say(str(exc), error=True)
            return
        if self.client is not None and endpoint == self.endpoint:
            return
        if self.session is not None and not self.session.done:
            self._say("Wait for the edit to finish (or cancel it) before changing the daemon's address.", error=True)
            return
        if self.client is not None:
            self.client.close()
        self.endpoint = endpoint
        self.address_entry.set_text(self.address.address_of(endpoint))
        self.client = self.cm.Client(endpoint, curve=curve, heartbeat_s=1.0, timeout_s=6.0)
        self.connected = False
        self.server_version = ""
        self.client_since = time.monotonic()
        self.connection.set_text(f"Looking for the daemon at {self.address.address_of(endpoint)}\u2026")
        self.client.poll(0)  # opens the socket and sends the first hello

    def _address_changed(self):
        self._connect(self.address_entry.get_text())

    def _set_connected(self, up):
        self.connected = up
        where = self.address.address_of(self.endpoint)
        if up:
            version = f" (lego-edit {self.server_version})" if self.server_version else ""
            self.connection.set_markup(f"<b>\u25cf</b> Connected to the daemon at {GLib.markup_escape_text(where)}"
                                       f"{GLib.markup_escape_text(version)}")
            self.start_button.hide()
        else:
            self.connection.set_markup(f"<b>\u25cb</b> No daemon answers at {GLib.markup_escape_text(where)}. "
                                       "Start it here, from the Lego Edit tray icon, or with "
                                       "<tt>lego-edit serve</tt>.")
            self.start_button.show()
        self._update()

    # -- the buttons ----------------------------------------------------------------------------
    def _options(self):
        self.source = "layer" if self.layer_radio.get_active() else "visible"
        builder = self.builder.get_active_id()
        builder = "" if builder in (None, "default") else builder
        for name, value in (("instruction", self.instruction.get_text().strip()), ("source", self.source),
                            ("builder", builder), ("use-selection", self.use_selection.get_active()),
                            ("show-masks", self.show_masks.get_active()),
                            ("endpoint", self.address_entry.get_text().strip())):
            self.config.set_property(name, value)  # remembered for the next time the dialog opens
        return builder or None

    def start_edit(self):
        if self.session is not None and not self.session.done:
            return
        instruction = " ".join(self.instruction.get_text().split())
        if not instruction:
            self._say("Type what to do first, e.g. \u201cremove the red ball\u201d.", error=True)
            return
        self._drop_preview()
        backend = self._options()
        if self.source == "layer" and (self.drawable is None or not self.drawable.is_valid()):
            self._say("The layer this dialog was opened on is gone: choose \u201cThe visible image\u201d.",
                      error=True)
            return
        picture = gimp_layers.read_picture(self.image, self.drawable, self.source, self.use_selection.get_active())
        image = self.cm.ImageData.rgba(picture.pixels, picture.width, picture.height)
        mask = self.cm.ImageData.gray(picture.mask, picture.width, picture.height) if picture.mask else None
        self.feedback = []
        self._send(instruction, picture, lambda: self.client.send_edit(
            instruction, image, mask, reply_format="RGBA8", backend=backend))

    def replan(self):
        note = " ".join(self.feedback_entry.get_text().split())
        if self.session is not None and not self.session.done:
            return
        if self.last_request is None:
            self._say("Make an edit first; then say here what to change about it.", error=True)
            return
        if not note:
            self._say("Type what to change first, e.g. \u201ckeep the shadow\u201d.", error=True)
            return
        self._drop_preview()
        backend = self._options()
        instruction, previous = self.session.instruction, self.last_request
        feedback = self.feedback + [note]
        self._send(instruction, self.picture, lambda: self.client.send_edit(
            instruction, feedback=[note], replan_of=previous, reply_format="RGBA8", backend=backend),
            feedback=feedback)
        self.feedback = feedback
        self.feedback_entry.set_text("")

    def _send(self, instruction, picture, send, feedback=()):
        self.session = self.cm.EditSession(instruction, feedback=feedback, endpoint=self.endpoint,
                                           connected=self.connected)
        self.picture, self.progress, self.intermediates, self.cancelling_since = picture, None, [], None
        try:
            self.request_id = send()
        except self.cm.LegoError as exc:
            self.request_id = None
            self._say(self.session.fail(exc.code, exc.message).sentence, error=True)
            return
        self.session.sent(self.request_id)
        self.details_text.set_text("")
        self._say("")
        self._update()

    def cancel(self):
        if self.session is None or self.session.done or self.request_id is None:
            return
        try:
            self.client.cancel(self.request_id)
        except self.cm.LegoError as exc:
            self.session.fail(exc.code, exc.message)
            self._job_ended()
            return
        self.cancelling_since = time.monotonic()
        self._say("Cancelling\u2026 (the daemon stops the edit)")
        self._update()

    def apply(self):
        if self.preview is None or self.outcome is None:
            return
        outcome, self.outcome = self.outcome, None
        gimp_layers.remove_preview(self.image, self.preview)
        self.preview = None
        try:
            group = gimp_layers.apply_outcome(self.image, self.drawable, self.source, outcome,
                                              self.show_masks.get_active())
        except PluginError as exc:
            self._say(str(exc), error=True)
            self._update()
            return
        self.applied = group if group is not None else self.applied
        self._fill_history()
        self._say(f"Applied \u201c{outcome.session.instruction}\u201d. Edit > Undo (Ctrl+Z) takes it back in one "
                  "step.")
        self._update()

    def discard(self):
        if self._drop_preview():
            self._say("Discarded: the image is as it was.")
        self._update()

    def start_daemon(self):
        environ = {k: v for k, v in os.environ.items() if k != "LEGO_EDIT_ENDPOINT"}
        configured = self.cm.configured_endpoint(environ, config=self.daemon_config)
        log_path = os.path.join(self.cm.config_dir(), "started-from-gimp.log")
        launch = self.launcher.start_daemon(None if self.endpoint == configured else self.endpoint, log_path)
        if launch.process is None:
            self._say(launch.error, error=True)
            return
        self.client_since = time.monotonic() + 5.0  # give it a moment before saying "no daemon" again
        self.connection.set_text(f"Starting the daemon at {self.address.address_of(self.endpoint)}\u2026")
        self.start_button.hide()

    def close(self):
        if self.closing:
            return
        if self.session is not None and not self.session.done and self.request_id is not None:
            self.cancel()
            deadline = time.monotonic() + CANCEL_WAIT_S
            while not self.session.done and time.monotonic() < deadline:
                for event in self.client.poll(0.1):
                    if event.id == self.request_id:
                        self.session.feed(event)
        self.closing = True
        try:
            if self.image.is_valid():
                self._drop_preview()
        finally:
            if self.client is not None:
                self.client.close()
            self.window.destroy()
            if self.loop is not None:
                self.loop.quit()

    # -- what the daemon says -------------------------------------------------------------------
    def _on_job_event(self, event):
        session = self.session
        session.feed(event)
        if event.type == "progress":
            self.progress = event.header
        elif event.type == "layer":
            self.intermediates.extend(event.layers)
        elif event.type == "plan" and session.plan is not None:
            self.details_text.set_text(session.plan.text)
        if session.done:
            if event.type == "result":
                self.last_request = self.request_id
                self._job_ended()
                self._show(gimp_layers.Outcome(session, event.layers, self.intermediates, self.picture))
            else:
                self._job_ended()
        self._update()

    def _job_ended(self):
        self.request_id, self.cancelling_since = None, None
        failure = self.session.failure
        if failure is not None and failure.code == "cancelled":
            self._say("Cancelled: the daemon stopped the edit; the image is unchanged.")
        elif failure is not None:
            self._say(failure.sentence, error=True)

    def _show(self, outcome):
        try:
            self.preview = gimp_layers.show_preview(self.image, self.drawable, self.source, outcome,
                                                    self.show_masks.get_active())
        except PluginError as exc:
            self._say(str(exc), error=True)
            return
        self.outcome = outcome
        plan = self.words.plan_words(outcome.session.plan)
        self._say(f"Preview on the canvas ({plan}). Apply keeps it as one undo step; Discard removes it; "
                  "or say what to change below and Re-plan.")

    def _drop_preview(self):
        if self.preview is None:
            return False
        gimp_layers.remove_preview(self.image, self.preview)
        self.preview, self.outcome = None, None
        return True

    # -- showing --------------------------------------------------------------------------------
    def _say(self, text, error=False):
        if error and text:
            self.message.set_markup(f"<span foreground='#c01c28'>{GLib.markup_escape_text(text)}</span>")
        else:
            self.message.set_text(text)
        self.message.set_tooltip_text(text or None)

    def _update(self):
        session = self.session
        running = session is not None and not session.done
        has_instruction = bool(self.instruction.get_text().strip())
        self.edit_button.set_sensitive(not running and has_instruction)
        self.cancel_button.set_sensitive(running and self.cancelling_since is None)
        self.apply_button.set_sensitive(self.preview is not None)
        self.discard_button.set_sensitive(self.preview is not None)
        self.replan_button.set_sensitive(not running and self.last_request is not None)
        self.feedback_entry.set_sensitive(self.last_request is not None)
        if running:
            self.bar.set_fraction(session.fraction)
            self.bar.set_text(self.words.status_line(session, self.progress))
        elif session is not None and session.phase.value == "done":
            self.bar.set_fraction(1.0)
            self.bar.set_text(session.status)
        else:
            self.bar.set_fraction(0.0)  # failed or cancelled: the sentence is in the message below
            cancelled = session is not None and session.phase.value == "cancelled"
            self.bar.set_text("Cancelled" if cancelled else "")
        title = f"{TITLE} (working)" if running else f"{TITLE} (preview)" if self.preview is not None else TITLE
        if self.window.get_title() != title:
            self.window.set_title(title)

    def _fill_history(self):
        for row in self.history_list.get_children():
            self.history_list.remove(row)
        entries = gimp_layers.read_history(self.image, self.history)
        self.entries = list(reversed(entries))  # newest first
        for entry in self.entries:
            row = Gtk.Box(spacing=8, margin=2)
            if entry.thumbnail:
                try:
                    loader = GdkPixbuf.PixbufLoader.new_with_type("png")
                    loader.write(entry.thumbnail)
                    loader.close()
                    row.pack_start(Gtk.Image.new_from_pixbuf(loader.get_pixbuf()), False, False, 0)
                except GLib.Error:
                    pass
            row.pack_start(label(entry.text), True, True, 0)
            self.history_list.add(row)
        self.history_expander.set_label(f"Hist_ory ({len(entries)})")
        self.history_expander.set_expanded(bool(entries))
        self.history_list.show_all()

    def _history_chosen(self, listbox, row):
        entry = self.entries[row.get_index()]
        self.instruction.set_text(entry.instruction)
        self.instruction.grab_focus()
