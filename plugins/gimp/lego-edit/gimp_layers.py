"""The GIMP side of one edit: read the source, add the result (as a preview or as one undo step), keep the history.

Shared by the procedure's scripted path (lego-edit.py) and its dialog (edit_dialog.py). The helpers
above "the GIMP side" need no GIMP, so tests import this file on any Python; `load_gi()` sets the
gi modules for the rest.

- Source: the layer (its own pixels and offsets), or the visible image (every visible layer as
  shown, image-sized at 0, 0).
- Placement (the user's choice, `PLACEMENTS`): just above the source layer (above earlier results
  stacked on it; a source inside a result group counts as that group), on top of the image, or at
  the top of the source's own group (the one way into an earlier result group: asking for the
  group of a layer inside one). The visible image's result always goes on top: it is the whole
  picture, so anything above it would be shown twice.
- A preview is the same group added with the undo stack frozen, so removing it (Discard, or
  before Apply adds it for real) leaves no trace; Apply adds it inside one undo group.
- History: the image parasite `lego-edit-history` (persistent, undoable) holds the applied edits
  (lego_edit_client.edit_history); a result group carries the parasite `lego-edit-result`.
- The dialog's choices (placement, source, Builder, ...) are remembered in GIMP's global parasite
  `lego-edit-dialog` (persistent: kept across GIMP sessions), whether or not anything was applied;
  GIMP's own last-values store keeps a procedure's arguments only after a successful run.
"""

from __future__ import annotations

import json

HISTORY_PARASITE = "lego-edit-history"
RESULT_PARASITE = "lego-edit-result"
CHOICES_PARASITE = "lego-edit-dialog"
RGBA_FORMAT = "R'G'B'A u8"  # Babl formats: what the daemon gets and sends (RGBA8) and masks (GRAY8)
MASK_FORMAT = "Y u8"
SOURCES = ("visible", "layer")  # the visible image (all layers), or the selected layer alone
BUILDERS = ("", "auto", "rules", "local", "openai")  # "": the daemon's configured Builder
PLACEMENTS = ("above", "top", "group")  # the values of lego_edit_client.workspace.Placement


class PluginError(Exception):
    """A failure to report to the user as one sentence (never a traceback)."""


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


def check_format(layer):
    """The daemon answers in the reply_format asked for; anything else would be written as garbage."""
    fmt = layer.format
    if layer.kind == "mask":
        if fmt != "GRAY8":
            raise PluginError(f"Lego Edit: the daemon sent a mask as {fmt}, not GRAY8; update the daemon.")
    elif fmt != "RGBA8":
        raise PluginError(f"Lego Edit: the daemon sent an image as {fmt}, not RGBA8; update the daemon.")


def result_parts(layers, intermediates, show_masks):
    """(images, masks) to add: the result's images; its masks and, with show_masks, the intermediate ones,
    each ref once."""
    images = [layer for layer in layers if layer.kind != "mask"]
    masks = [layer for layer in layers if layer.kind == "mask"]  # results: always kept
    if show_masks:
        masks = [layer for layer in intermediates if layer.kind == "mask"] + masks
    seen, unique = set(), []
    for layer in masks:
        if layer.ref not in seen:
            seen.add(layer.ref)
            unique.append(layer)
    return images, unique


def normalise_source(value):
    value = (value or "visible").strip().lower()
    if value not in SOURCES:
        raise PluginError(f"Lego Edit: source must be \u201cvisible\u201d (the visible image) or \u201clayer\u201d "
                          f"(the selected layer), not {value!r}.")
    return value


def normalise_builder(value):
    value = (value or "").strip().lower()
    if value not in BUILDERS:
        raise PluginError("Lego Edit: builder must be empty (the daemon's own), auto, rules, local or openai, "
                          f"not {value!r}.")
    return value or None


def normalise_placement(value):
    value = (value or "above").strip().lower()
    if value not in PLACEMENTS:
        raise PluginError("Lego Edit: placement must be \u201cabove\u201d (above the source layer), \u201ctop\u201d (on "
                          f"top of the image) or \u201cgroup\u201d (inside the source's group), not {value!r}.")
    return value


CHOICE_KEYS = {"placement": str, "source": str, "builder": str, "use_selection": bool, "show_masks": bool}


def encode_choices(choices):
    """The dialog's choices as the bytes of a parasite (only the known keys, of the right type)."""
    kept = {key: value for key, value in choices.items() if isinstance(value, CHOICE_KEYS.get(key, ()))}
    return json.dumps(kept, sort_keys=True).encode("utf-8")


def decode_choices(blob):
    """The remembered choices; {} for none or for a blob this version cannot read (never raises)."""
    try:
        data = json.loads(bytes(blob or b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: value for key, value in data.items() if isinstance(value, CHOICE_KEYS.get(key, ()))}


class Picture:
    """What is sent: RGBA pixels, their size, where they sit on the canvas, and the selection under them."""

    def __init__(self, pixels, width, height, ox, oy, mask=None):
        self.pixels, self.width, self.height, self.ox, self.oy, self.mask = pixels, width, height, ox, oy, mask


class Outcome:
    """A finished edit's pieces, host-side: what to add and what to call it."""

    def __init__(self, session, layers, intermediates, picture):
        self.session, self.layers, self.intermediates, self.picture = session, layers, intermediates, picture


# -- the GIMP side ------------------------------------------------------------------------------

Gegl = Gimp = GLib = None  # gi's modules, set by load_gi()


def load_gi():
    global Gegl, Gimp, GLib
    import gi

    gi.require_version("Gimp", "3.0")
    gi.require_version("Gegl", "0.4")
    from gi.repository import Gegl, Gimp, GLib  # noqa: F811 (the globals above)


def read_drawable(drawable, x, y, width, height, fmt):
    buffer = drawable.get_buffer()
    return bytes(buffer.get(Gegl.Rectangle.new(x, y, width, height), 1.0, fmt, Gegl.AbyssPolicy.NONE))


def read_selection(image, ox, oy, width, height):
    """The selection under (ox, oy, width, height) as a mask of that size, or None (nothing selected there)."""
    if Gimp.Selection.is_empty(image):
        return None
    # Outside the image the selection is empty: AbyssPolicy.NONE gives zeros there.
    data = read_drawable(image.get_selection(), ox, oy, width, height, MASK_FORMAT)
    return None if is_blank(data) else data


def read_picture(image, drawable, source, use_selection):
    """The pixels to send: the layer's own (alpha 255 where it has none), or the visible image."""
    if source == "visible":
        width, height = image.get_width(), image.get_height()
        scratch = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
        try:
            layer = Gimp.Layer.new_from_visible(image, scratch, "visible")
            scratch.insert_layer(layer, None, 0)
            pixels = read_drawable(layer, 0, 0, width, height, RGBA_FORMAT)
        finally:
            scratch.delete()
        ox = oy = 0
    else:
        width, height = drawable.get_width(), drawable.get_height()
        _, ox, oy = drawable.get_offsets()
        pixels = read_drawable(drawable, 0, 0, width, height, RGBA_FORMAT)
    mask = read_selection(image, ox, oy, width, height) if use_selection else None
    return Picture(pixels, width, height, ox, oy, mask)


def is_result_group(item):
    return item is not None and item.is_group_layer() and item.get_parasite(RESULT_PARASITE) is not None


def placement(image, drawable, source, mode="above"):
    """(parent, position) for the new group (position 0 is the top).

    above: just above the source and above the result groups already stacked on it (the newest shows),
    outside every earlier result group (a source inside one counts as that group); top, or the visible
    image: on top of the image; group: at the top of the source's own group (a group source: at its
    own top), which is inside an earlier result group only when the source is in one: as asked."""
    if source == "visible" or drawable is None or mode == "top":
        return None, 0
    if mode == "group":
        if drawable.is_group_layer() and not is_result_group(drawable):
            return drawable, 0
        return drawable.get_parent(), 0
    anchor = drawable
    item = drawable
    while item is not None:
        if is_result_group(item):
            anchor = item  # the outermost result group holding the source
        item = item.get_parent()
    parent = anchor.get_parent()
    siblings = parent.get_children() if parent is not None else image.get_layers()  # top first
    position = image.get_item_position(anchor)
    while position > 0 and is_result_group(siblings[position - 1]):
        position -= 1
    return parent, position


def remembered_choices():
    """The dialog's choices as last left (GIMP's global parasite), or {}."""
    parasite = Gimp.get_parasite(CHOICES_PARASITE)
    return decode_choices(bytes(parasite.get_data())) if parasite is not None else {}


def remember_choices(choices):
    Gimp.attach_parasite(Gimp.Parasite.new(CHOICES_PARASITE, Gimp.PARASITE_PERSISTENT, list(encode_choices(choices))))


def write_pixels(drawable, data, x, y, w, h, fmt):
    buffer = drawable.get_buffer()
    buffer.set(Gegl.Rectangle.new(x, y, w, h), fmt, data)
    buffer.flush()
    drawable.update(x, y, w, h)


def add_result_layer(image, group, layer, name, ox, oy):
    """A result image as a new layer on top of `group`, where the source pixels sat."""
    base = image.get_base_type()
    kind = Gimp.ImageType.GRAYA_IMAGE if base == Gimp.ImageBaseType.GRAY else Gimp.ImageType.RGBA_IMAGE
    new = Gimp.Layer.new(image, name, layer.width, layer.height, kind, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(new, group, 0)
    new.set_offsets(ox, oy)
    write_pixels(new, layer.tobytes(), 0, 0, layer.width, layer.height, RGBA_FORMAT)
    return new


def add_mask_channel(image, layer, name, ox, oy):
    """A source-sized mask -> an image-sized hidden channel (the part outside the image dropped)."""
    width, height = image.get_width(), image.get_height()
    channel = Gimp.Channel.new(image, name, width, height, 50.0, Gegl.Color.new("red"))
    image.insert_channel(channel, None, -1)
    channel.set_visible(False)
    part = intersect(ox, oy, layer.width, layer.height, width, height)
    if part is not None:
        x, y, w, h = part
        write_pixels(channel, crop(layer.data, layer.width, 1, x - ox, y - oy, w, h), x, y, w, h, MASK_FORMAT)
    return channel


class Added:
    """What one edit put into the image (to remove a preview): its group and channels."""

    def __init__(self, group, channels):
        self.group, self.channels = group, channels
        self.clean = False  # a preview of a clean image: clean again once it is removed

    def remove(self, image):
        for channel in self.channels:
            if channel.is_valid():
                image.remove_channel(channel)
        if self.group is not None and self.group.is_valid():
            image.remove_layer(self.group)
        self.group, self.channels = None, []


def add_outcome(image, parent, position, outcome, show_masks, words):
    """The group (result images, named in plain words) and the mask channels; returns `Added`."""
    images, masks = result_parts(outcome.layers, outcome.intermediates, show_masks)
    session, picture = outcome.session, outcome.picture
    if not images and not masks:
        raise PluginError(f"Lego Edit: the workflow for \u201c{session.instruction}\u201d gave no image and no mask.")
    for layer in images + masks:
        check_format(layer)
    added, top = Added(None, []), None
    try:
        if images:
            added.group = Gimp.GroupLayer.new(image, words.group_title(session.instruction, session.feedback))
            image.insert_layer(added.group, parent, position)
            added.group.attach_parasite(Gimp.Parasite.new(RESULT_PARASITE, Gimp.PARASITE_PERSISTENT,
                                                          list((session.instruction or "").encode("utf-8"))))
            for index, layer in enumerate(images):  # the workflow's last result is the final image: on top
                top = add_result_layer(image, added.group, layer, words.result_label(index, len(images)),
                                       picture.ox, picture.oy)
        taken = {channel.get_name() for channel in image.get_channels()}
        for layer in masks:
            name = words.mask_label(session.plan, layer.step, taken)
            taken.add(name)
            added.channels.append(add_mask_channel(image, layer, name, picture.ox, picture.oy))
    except Exception:
        added.remove(image)  # never half a result
        raise
    if top is not None:
        image.set_selected_layers([top])
    return added


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


class Frozen:
    """Changes inside leave no undo step (a preview); the image's clean state is kept when it was clean."""

    def __init__(self, image):
        self.image = image

    def __enter__(self):
        self.clean = not self.image.is_dirty()
        self.image.undo_freeze()
        return self

    def __exit__(self, *exc):
        self.image.undo_thaw()
        return False


def read_history(image, history_module):
    parasite = image.get_parasite(HISTORY_PARASITE)
    return history_module.decode(bytes(parasite.get_data())) if parasite is not None else []


def write_history(image, history_module, entries):
    blob = history_module.encode(entries)
    image.attach_parasite(Gimp.Parasite.new(HISTORY_PARASITE, Gimp.PARASITE_PERSISTENT | Gimp.PARASITE_UNDOABLE,
                                            list(blob)))


def history_entry(outcome, group_name):
    """The history record of an applied edit, with a thumbnail of its final image."""
    from lego_edit_client import edit_history, plain_words

    images = [layer for layer in outcome.layers if layer.kind != "mask"]
    thumb = edit_history.thumbnail_png(images[-1].data, images[-1].width, images[-1].height) if images else b""
    session = outcome.session
    return edit_history.HistoryEntry(instruction=session.instruction or "", plan=plain_words.plan_words(session.plan),
                                     feedback=tuple(session.feedback), layer=group_name, thumbnail=thumb)


def apply_outcome(image, drawable, source, outcome, show_masks, mode="above"):
    """Add the edit for real: group, channels and history entry, one undo step. Returns the group (or None)."""
    from lego_edit_client import edit_history, plain_words

    parent, position = placement(image, drawable, source, mode)
    with UndoGroup(image):
        added = add_outcome(image, parent, position, outcome, show_masks, plain_words)
        name = added.group.get_name() if added.group is not None else ""
        entries = read_history(image, edit_history)
        entries.append(history_entry(outcome, name))
        write_history(image, edit_history, entries)
    Gimp.displays_flush()
    return added.group


def show_preview(image, drawable, source, outcome, show_masks, mode="above"):
    """The result on the canvas with no undo step; returns the `Added` to remove (`remove_preview`)."""
    from lego_edit_client import plain_words

    parent, position = placement(image, drawable, source, mode)
    with Frozen(image) as frozen:
        added = add_outcome(image, parent, position, outcome, show_masks, plain_words)
    added.clean = frozen.clean
    Gimp.displays_flush()
    return added


def remove_preview(image, added):
    """Take a preview away again: the image as it was (its clean state too, when it was clean)."""
    if image.is_valid():
        with Frozen(image):
            added.remove(image)
        if getattr(added, "clean", False) and image.is_dirty():
            image.clean_all()
        Gimp.displays_flush()
