"""The Lego Edit dialog in GIMP: one window that stays open for a series of edits.

It says whether the daemon answers before anything is sent (and starts it when it does not), shows
progress and every message in plain words inside the dialog (never a GIMP error box that closes
it), queues edits while others run (Edit stays available; each waiting or running edit has its own
cancel, a `cancel` to the daemon, and the daemon's per-client limit is shown), shows each finished
result on the canvas in turn to Apply (one undo step) or Discard (no trace), re-plans with
feedback, puts results where the user chose (remembered), and lists this image's earlier edits,
kept in the image (saved with the .xcf). The queue, the previews waiting and what Re-plan starts
from are lego_edit_client.workspace's, the logic the Krita docker uses too.

The window title says the state, for people and for the GUI tests alike: "Lego Edit",
"Lego Edit (working)", "Lego Edit (preview)", "Lego Edit (preview 1 of 2)" (more results waiting).
Every control has a mnemonic (Alt+letter); Alt+1 ... Alt+9 cancel the queue's first ... ninth edit.

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
gi.require_version("Pango", "1.0")
import gimp_layers  # noqa: E402 (beside this file)
from gi.repository import Gdk, GdkPixbuf, GimpUi, GLib, Gtk, Pango  # noqa: E402
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


def choice_row(grid, row, mnemonic, items, chosen, default):
    """A labelled drop-down on `row` of `grid` showing `chosen` (the remembered id), else `default`."""
    combo = Gtk.ComboBoxText()
    for key, text in items:
        combo.append(key, text)
    combo.set_active_id(chosen or default)
    if combo.get_active_id() is None:
        combo.set_active_id(default)
    caption = Gtk.Label.new_with_mnemonic(mnemonic)
    caption.set_mnemonic_widget(combo)
    grid.attach(caption, 0, row, 1, 1)
    grid.attach(combo, 1, row, 1, 1)
    return combo


class Job:
    """One edit sent from this dialog: its session, what it read, where its result goes, what came back."""

    def __init__(self, session, picture, source, placement, show_masks):
        self.session, self.picture, self.source, self.placement = session, picture, source, placement
        self.show_masks = show_masks
        self.request_id = None
        self.progress = None  # its last `progress` header
        self.intermediates = []
        self.outcome = None  # gimp_layers.Outcome once its result came
        self.added = None  # gimp_layers.Added while its preview is on the canvas
        self.cancelling_since = None

    @property
    def done(self):
        return self.session.done

    @property
    def instruction(self):
        return self.session.instruction or ""


class EditDialog:
    def __init__(self, config, image, drawable, client_module):
        from lego_edit_client import address, daemon_launch, edit_history, plain_words
        from lego_edit_client.workspace import Placement, Workspace

        self.address, self.launcher, self.history, self.words = address, daemon_launch, edit_history, plain_words
        self.placements = list(Placement)
        self.config, self.image, self.drawable, self.cm = config, image, drawable, client_module
        self.daemon_config = client_module.read_config()
        self.workspace = Workspace()
        self.state = self.workspace.state(image)  # this dialog edits one image
        self.client = None
        self.endpoint = ""
        self.connected = False
        self.client_since = 0.0
        self.server_version = ""
        self.last_ended = None  # the job that ended last (what the bar shows when nothing runs)
        self.queue_rows = []  # (job, label) per row of the queue list
        self.applied = None
        self.loop = None
        self.closing = False
        try:
            self.choices = gimp_layers.remembered_choices()
        except Exception:  # an unreadable store is no reason to refuse the dialog
            self.choices = {}
        self._build()
        self._connect(self.config.get_property("endpoint") or "")
        self._fill_history()

    # -- layout ---------------------------------------------------------------------------------
    def _choice(self, key, prop):
        return self.choices[key] if key in self.choices else self.config.get_property(prop)

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
        (self.layer_radio if self._choice("source", "source") == "layer" else self.visible_radio).set_active(True)
        self.layer_radio.connect("toggled", lambda *_: self._update())
        source_box.pack_start(self.visible_radio, False, False, 0)
        source_box.pack_start(self.layer_radio, False, False, 0)
        grid.attach(Gtk.Label(label="Edit:", xalign=0.0), 0, 2, 1, 1)
        grid.attach(source_box, 1, 2, 1, 1)

        self.placement = choice_row(grid, 3, "_Put the result:",
                                    [(place.value, place.label) for place in self.placements],
                                    self._choice("placement", "placement"), "above")
        self.builder = choice_row(grid, 4, "_Builder:", [(key or "default", text) for key, text in BUILDERS],
                                  self._choice("builder", "builder"), "default")

        self.address_entry = Gtk.Entry(hexpand=True, placeholder_text="127.0.0.1:5588 (from the daemon's settings)")
        self.address_entry.connect("activate", lambda *_: self._connect(self.address_entry.get_text()))
        self.address_entry.connect("focus-out-event", lambda *_: self._address_changed() or False)
        address_label = Gtk.Label.new_with_mnemonic("_Where:")
        address_label.set_mnemonic_widget(self.address_entry)
        address_label.set_tooltip_text("The daemon's address, host:port")
        grid.attach(address_label, 0, 5, 1, 1)
        grid.attach(self.address_entry, 1, 5, 1, 1)
        box.pack_start(grid, False, False, 0)

        self.use_selection = Gtk.CheckButton.new_with_mnemonic("Use the selection as the _mask")
        self.use_selection.set_active(bool(self._choice("use_selection", "use-selection")))
        self.show_masks = Gtk.CheckButton.new_with_mnemonic("Add the workflow's masks as c_hannels")
        self.show_masks.set_active(bool(self._choice("show_masks", "show-masks")))
        checks = Gtk.Box(spacing=12)
        checks.pack_start(self.use_selection, False, False, 0)
        checks.pack_start(self.show_masks, False, False, 0)
        box.pack_start(checks, False, False, 0)

        self.bar = Gtk.ProgressBar(show_text=True)
        self.bar.set_text("")
        box.pack_start(self.bar, False, False, 0)
        self.queue_label = label("", small=True)
        box.pack_start(self.queue_label, False, False, 0)
        self.queue_list = Gtk.ListBox()
        self.queue_list.set_selection_mode(Gtk.SelectionMode.NONE)
        box.pack_start(self.queue_list, False, False, 0)
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
        self.edit_button.set_tooltip_text("Run the instruction; while other edits run it waits its turn")
        self.cancel_button = button("_Cancel edit", self.cancel)
        self.cancel_button.set_tooltip_text("Stop the newest edit (each edit in the list has its own \u2715)")
        self.discard_button = button("_Discard", self.discard)
        self.apply_button = button("_Apply", self.apply)
        self.variation_button = button("_Next variation", self.next_variation)
        self.variation_button.set_tooltip_text("Discard this preview and run the same plan again with a new seed "
                                               "(only the steps that depend on it run again)")
        self.close_button = button("C_lose", self.close)
        for widget in (self.edit_button, self.cancel_button):
            buttons.pack_start(widget, False, False, 0)
        for widget in (self.close_button, self.apply_button, self.discard_button, self.variation_button):
            buttons.pack_end(widget, False, False, 0)
        box.pack_end(buttons, False, False, 0)

    def _key(self, window, event):
        """Ctrl+Enter: Re-plan from the feedback box, else Edit; Alt+1 ... Alt+9: cancel that edit of the queue."""
        state = event.state
        if event.keyval in (Gdk.KEY_Return, Gdk.KEY_KP_Enter) and state & Gdk.ModifierType.CONTROL_MASK:
            self.replan() if self.feedback_entry.has_focus() else self.start_edit()
            return True
        if state & Gdk.ModifierType.MOD1_MASK and Gdk.KEY_1 <= event.keyval <= Gdk.KEY_9:
            running = self.workspace.running
            index = event.keyval - Gdk.KEY_1
            if index < len(running):
                self.cancel_job(running[index])
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
            if not self.image.is_valid():  # the image was closed: stop its jobs, nothing to add them to
                for job in self.state.previews:
                    job.added = None
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
        changed = False
        for event in self.client.poll(0):
            if event.type == "connected":
                self.workspace.heard(self.client.server)
                self._set_connected(True)
            elif event.type == "disconnected":
                self._set_connected(False)
            elif event.type == "hello":
                self.workspace.heard(event.header)
                if event.get("server_version"):
                    self.server_version = str(event.get("server_version"))
                self._set_connected(True)
            job = self.workspace.job(event.id)
            if job is not None and not job.done:
                self._on_job_event(job, event)
                changed = True
        if not self.connected and self.client_since and time.monotonic() - self.client_since > CONNECT_GRACE_S:
            self._set_connected(False)
            self.client_since = 0.0
        if changed:
            self._update()

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
        if self.workspace.running:
            self._say("Wait for the edits to finish (or cancel them) before changing the daemon's address.",
                      error=True)
            return
        if self.client is not None:
            self.client.close()
        self.endpoint = endpoint
        self.address_entry.set_text(self.address.address_of(endpoint))
        self.client = self.cm.Client(endpoint, curve=curve, heartbeat_s=1.0, timeout_s=6.0)
        self.connected = False
        self.server_version = ""
        self.workspace.limit = None
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
        """The choices now (remembered for the next time the dialog opens); returns the Builder (None: the daemon's)."""
        source = "layer" if self.layer_radio.get_active() else "visible"
        builder = self.builder.get_active_id()
        builder = "" if builder in (None, "default") else builder
        placement = self.placement.get_active_id() or "above"
        address = self.address_entry.get_text().strip()
        for name, value in (("instruction", self.instruction.get_text().strip()), ("source", source),
                            ("builder", builder), ("use-selection", self.use_selection.get_active()),
                            ("show-masks", self.show_masks.get_active()), ("endpoint", address),
                            ("placement", placement)):
            self.config.set_property(name, value)  # GIMP keeps these after a run that applied something
        self.choices = {"source": source, "builder": builder, "placement": placement,
                        "use_selection": self.use_selection.get_active(), "show_masks": self.show_masks.get_active()}
        try:
            gimp_layers.remember_choices(self.choices)
        except Exception:  # not remembered: the edit itself is unaffected
            traceback.print_exc()
        return source, placement, builder or None

    def _refuse_when_down(self):
        """No daemon answered (past the first hello's grace): say so at once instead of sending into the void."""
        if self.connected or self.client_since:
            return False
        self._say(self.cm.error_sentence("not_running", endpoint=self.endpoint, connected=False), error=True)
        return True

    def start_edit(self):
        instruction = " ".join(self.instruction.get_text().split())
        if not instruction:
            self._say("Type what to do first, e.g. \u201cremove the red ball\u201d.", error=True)
            return
        if not self.workspace.can_submit:
            self._say(f"{self.workspace.limit} edits are already running or waiting, the daemon's limit for one "
                      "client: wait for one to finish or cancel one.", error=True)
            return
        if self._refuse_when_down():
            return
        source, placement, backend = self._options()
        if source == "layer" and (self.drawable is None or not self.drawable.is_valid()):
            self._say("The layer this dialog was opened on is gone: choose \u201cThe visible image\u201d.",
                      error=True)
            return
        picture = gimp_layers.read_picture(self.image, self.drawable, source, self.use_selection.get_active())
        image = self.cm.ImageData.rgba(picture.pixels, picture.width, picture.height)
        mask = self.cm.ImageData.gray(picture.mask, picture.width, picture.height) if picture.mask else None
        self._send(Job(self._session(instruction), picture, source, placement, self.show_masks.get_active()),
                   lambda: self.client.send_edit(instruction, image, mask, reply_format="RGBA8", backend=backend))

    def replan(self):
        note = " ".join(self.feedback_entry.get_text().split())
        last = self.state.last
        if last is None:
            self._say("Make an edit first; then say here what to change about it.", error=True)
            return
        if not note:
            self._say("Type what to change first, e.g. \u201ckeep the shadow\u201d.", error=True)
            return
        if not self.workspace.can_submit or self._refuse_when_down():
            return
        if any(job is last for job in self.state.previews):  # the correction replaces the result it corrects
            if last.added is not None:
                self._remove_preview(last)
            else:
                self.workspace.resolved(last)
            self._show_next()
        _, _, backend = self._options()
        instruction, previous = last.instruction, last.request_id
        session = self._session(instruction, feedback=list(last.session.feedback) + [note])
        self._send(Job(session, last.picture, last.source, last.placement, last.show_masks),
                   lambda: self.client.send_edit(instruction, feedback=[note], replan_of=previous,
                                                 reply_format="RGBA8", backend=backend))
        self.feedback_entry.set_text("")

    def _session(self, instruction, feedback=()):
        return self.cm.EditSession(instruction, feedback=feedback, endpoint=self.endpoint, connected=self.connected)

    def _send(self, job, send):
        try:
            job.request_id = send()
        except self.cm.LegoError as exc:
            self._say(job.session.fail(exc.code, exc.message).sentence, error=True)
            self._update()
            return
        job.session.sent(job.request_id)
        self.workspace.add(self.image, job)
        self.details_text.set_text("")
        self._say("")
        self._update()

    def cancel(self):
        """Cancel edit: the newest edit not yet finished (the others keep their place in the queue)."""
        running = [job for job in self.workspace.running if job.cancelling_since is None]
        if running:
            self.cancel_job(running[-1])

    def cancel_job(self, job):
        if job.done or job.cancelling_since is not None:
            return
        try:
            self.client.cancel(job.request_id)
        except self.cm.LegoError as exc:
            job.session.fail(exc.code, exc.message)
            self._ended(job, None)
            return
        job.cancelling_since = time.monotonic()
        self._say(f"Cancelling \u201c{job.instruction}\u201d\u2026 (the daemon stops the edit)")
        self._update()

    def apply(self):
        job = self.state.preview
        if job is None or job.added is None:
            return
        self._remove_preview(job)
        try:
            group = gimp_layers.apply_outcome(self.image, self.drawable, job.source, job.outcome, job.show_masks,
                                              job.placement)
        except PluginError as exc:
            self._say(str(exc), error=True)
            self._update()
            return
        self.applied = group if group is not None else self.applied
        self._fill_history()
        self._say(f"Applied \u201c{job.instruction}\u201d. Edit > Undo (Ctrl+Z) takes it back in one step.")
        self._show_next()
        self._update()

    def discard(self):
        job = self.state.preview
        if job is not None and job.added is not None:
            self._remove_preview(job)
            self._say("Discarded: the image is as it was.")
            self._show_next()
        self._update()

    def next_variation(self):
        """The shown preview's plan again with a new seed; refused in words when no step depends on the seed."""
        job = self.state.preview
        if job is None or job.added is None:
            return
        sentence = job.session.variation_sentence
        if sentence is not None:
            self._say(sentence)
            return
        if not self.workspace.can_submit or self._refuse_when_down():
            return
        self._remove_preview(job)
        picture = job.picture
        image = self.cm.ImageData.rgba(picture.pixels, picture.width, picture.height)
        self._send(Job(self.cm.EditSession.next_variation(job.session), picture, job.source, job.placement,
                       job.show_masks),
                   lambda: self.client.send_variation(job.request_id, image, reply_format="RGBA8"))
        self._show_next()
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
        running = self.workspace.running
        for job in running:
            self.cancel_job(job)
        deadline = time.monotonic() + CANCEL_WAIT_S
        while self.client is not None and any(not job.done for job in running) and time.monotonic() < deadline:
            for event in self.client.poll(0.1):
                job = self.workspace.job(event.id)
                if job is not None:
                    job.session.feed(event)
        self.closing = True
        try:
            if self.image.is_valid():
                for job in self.state.previews:
                    if job.added is not None:
                        self._remove_preview(job)
        finally:
            if self.client is not None:
                self.client.close()
            self.window.destroy()
            if self.loop is not None:
                self.loop.quit()

    # -- what the daemon says -------------------------------------------------------------------
    def _on_job_event(self, job, event):
        session = job.session
        session.feed(event)
        if event.type == "progress":
            job.progress = event.header
        elif event.type == "layer":
            job.intermediates.extend(event.layers)
        elif event.type == "plan" and session.plan is not None:
            self.details_text.set_text(session.plan.text)
        if session.done:
            self._ended(job, event)

    def _ended(self, job, event):
        """`job` finished: its result waits as a preview (shown when it is the oldest), else the reason is said."""
        self.last_ended = job
        job.cancelling_since = None
        if event is not None and event.type == "result":
            job.outcome = gimp_layers.Outcome(job.session, event.layers, job.intermediates, job.picture)
            self.workspace.finished(job, preview=True, replannable=True)
            if self.state.preview is not job and self.state.preview is not None:
                self._say(f"\u201c{job.instruction}\u201d is ready: it is shown once you Apply or Discard the "
                          "preview on the canvas.")
            self._show_next()
            return
        self.workspace.finished(job, preview=False, replannable=False)
        failure = job.session.failure
        if failure is not None and failure.code == "cancelled":
            self._say(f"Cancelled \u201c{job.instruction}\u201d: the daemon stopped the edit; the image is "
                      "unchanged.")
        elif failure is not None:
            self._say(failure.sentence, error=True)

    def _show_next(self):
        """The oldest finished result on the canvas (one preview at a time, so it is clear what Apply keeps)."""
        while self.state.preview is not None and self.state.preview.added is None:
            job = self.state.preview
            try:
                job.added = gimp_layers.show_preview(self.image, self.drawable, job.source, job.outcome,
                                                     job.show_masks, job.placement)
            except PluginError as exc:
                self.workspace.resolved(job)
                self._say(str(exc), error=True)
                continue
            plan = self.words.plan_words(job.session.plan)
            if job.session.plan is not None:
                seed = job.session.seed_text
                self.details_text.set_text(job.session.plan.text + (f"\n{seed}" if seed else ""))
            self._say(f"Preview of \u201c{job.instruction}\u201d on the canvas ({plan}). Apply keeps it as one undo "
                      "step; Discard removes it; or say what to change below and Re-plan.")

    def _remove_preview(self, job):
        gimp_layers.remove_preview(self.image, job.added)
        job.added = None
        self.workspace.resolved(job)

    # -- showing --------------------------------------------------------------------------------
    def _say(self, text, error=False):
        if error and text:
            self.message.set_markup(f"<span foreground='#c01c28'>{GLib.markup_escape_text(text)}</span>")
        else:
            self.message.set_text(text)
        self.message.set_tooltip_text(text or None)

    def _update(self):
        running = self.workspace.running
        shown = self.state.preview if self.state.preview is not None and self.state.preview.added is not None else None
        has_instruction = bool(self.instruction.get_text().strip())
        can_submit = self.workspace.can_submit
        self.edit_button.set_sensitive(has_instruction and can_submit)
        self.cancel_button.set_sensitive(any(job.cancelling_since is None for job in running))
        self.apply_button.set_sensitive(shown is not None)
        self.discard_button.set_sensitive(shown is not None)
        self.variation_button.set_sensitive(shown is not None and can_submit)
        self.replan_button.set_sensitive(can_submit and self.state.last is not None)
        self.feedback_entry.set_sensitive(self.state.last is not None)
        layer = self.layer_radio.get_active()
        self.placement.set_sensitive(layer)
        self.placement.set_tooltip_text(None if layer else "The visible image's result always goes on top of the "
                                        "image (it is the whole picture)")
        if running:
            job = running[0]  # the daemon runs this client's edits in order: the first is the one working
            self.bar.set_fraction(job.session.fraction)
            self.bar.set_text(self.words.status_line(job.session, job.progress))
        elif shown is not None:
            self.bar.set_fraction(1.0)
            self.bar.set_text(shown.session.status)
        else:
            self.bar.set_fraction(0.0)  # failed or cancelled: the sentence is in the message below
            cancelled = self.last_ended is not None and self.last_ended.session.phase.value == "cancelled"
            self.bar.set_text("Cancelled" if cancelled else "")
        self._fill_queue(running)
        waiting = len(self.state.previews)
        if shown is not None:
            title = f"{TITLE} (preview)" if waiting <= 1 else f"{TITLE} (preview 1 of {waiting})"
        else:
            title = f"{TITLE} (working)" if running else TITLE
        if self.window.get_title() != title:
            self.window.set_title(title)

    def _fill_queue(self, running):
        self.queue_label.set_text(self.workspace.queue_text())
        self.queue_label.set_visible(bool(running))
        if [job for job, _ in self.queue_rows] != running:
            for row in self.queue_list.get_children():
                self.queue_list.remove(row)
            self.queue_rows = []
            for number, job in enumerate(running, start=1):
                line = Gtk.Box(spacing=6, margin=1)
                text_label = label("", wrap=False)
                text_label.set_ellipsize(Pango.EllipsizeMode.END)
                line.pack_start(text_label, True, True, 0)
                cross = Gtk.Button(label="\u2715")
                cross.set_relief(Gtk.ReliefStyle.NONE)
                cross.set_tooltip_text(f"Cancel this edit (Alt+{number})" if number <= 9 else "Cancel this edit")
                cross.connect("clicked", lambda _button, j=job: self.cancel_job(j))
                line.pack_end(cross, False, False, 0)
                self.queue_list.add(line)
                self.queue_rows.append((job, text_label))
            self.queue_list.show_all()
        self.queue_list.set_visible(bool(running))
        for number, (job, text_label) in enumerate(self.queue_rows, start=1):
            status = "cancelling\u2026" if job.cancelling_since is not None else \
                self.words.status_line(job.session, job.progress)
            text_label.set_text(f"{number}. {job.instruction} \u2014 {status}")

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
