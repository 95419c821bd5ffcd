"""Pixels between Krita and the wire, in pure Python (no numpy inside Krita).

Krita hands out a layer's pixels in its own channel order: B, G, R, A for 8- and 16-bit RGBA
(little-endian 16-bit values), gray then alpha for GRAYA. Everything here is done with bytes
slicing, which runs at C speed: a 4K layer converts in a few milliseconds.

Colour spaces that cannot be converted that way (float, CMYK, Lab, ...) raise UnsupportedColorSpace
with a sentence for the user that says what to do.

Large canvases are read and written in strips of a few rows (`strips`), so the docker can
spread a 4500 x 4500 layer over several timer ticks instead of freezing Krita for a second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


class UnsupportedColorSpace(Exception):
    """A layer Lego Edit cannot read or write; str(exc) is the explanation shown in the docker."""


SUPPORTED = {("RGBA", "U8"), ("RGBA", "U16"), ("GRAYA", "U8"), ("GRAYA", "U16")}


def _explain(model: str, depth: str, what: str) -> str:
    return (f"{what} is {model}/{depth}; Lego Edit reads and writes 8- and 16-bit integer RGB or grayscale. "
            f"Convert it with Image > Convert Image Color Space (e.g. RGB/Alpha, 8-bit integer), "
            f"or choose Source = visible image.")


def check_space(model: str, depth: str, what: str = "the layer") -> None:
    if (model, depth) not in SUPPORTED:
        raise UnsupportedColorSpace(_explain(model, depth, what))


# -- Krita -> BGRA8 -----------------------------------------------------------------------------

def to_bgra8(data: bytes, model: str, depth: str, pixels: int, what: str = "the layer") -> bytes:
    """`pixelData` bytes of a node in (model, depth) -> BGRA8 bytes (4 a pixel)."""
    check_space(model, depth, what)
    data = bytes(data)
    if model == "RGBA":
        if depth == "U8":
            out = data
        else:  # U16: the high byte of each little-endian channel, order stays B, G, R, A
            out = data[1::2]
    else:
        step = 2 if depth == "U8" else 4
        hi = 0 if depth == "U8" else 1
        gray, alpha = data[hi::step], data[hi + step // 2::step]
        buf = bytearray(4 * pixels)
        buf[0::4] = gray
        buf[1::4] = gray
        buf[2::4] = gray
        buf[3::4] = alpha
        out = bytes(buf)
    if len(out) != 4 * pixels:
        raise ValueError(f"{what}: got {len(data)} bytes of {model}/{depth} pixel data for {pixels} pixels")
    return out


# -- wire -> Krita ------------------------------------------------------------------------------

def wire_to_bgra8(data: bytes, fmt: str, pixels: int) -> bytes:
    """A reply layer (BGRA8, RGBA8 or GRAY8) -> BGRA8. Masks become opaque gray."""
    data = bytes(data)
    if fmt == "BGRA8":
        out = data
    elif fmt == "RGBA8":
        buf = bytearray(data)
        buf[0::4] = data[2::4]
        buf[2::4] = data[0::4]
        out = bytes(buf)
    elif fmt == "GRAY8":
        buf = bytearray(4 * pixels)
        buf[0::4] = data
        buf[1::4] = data
        buf[2::4] = data
        buf[3::4] = b"\xff" * pixels
        out = bytes(buf)
    else:
        raise ValueError(f"the daemon answered in format {fmt!r}; the plugin asks for BGRA8")
    if len(out) != 4 * pixels:
        raise ValueError(f"a {fmt} layer of {pixels} pixels cannot hold {len(data)} bytes")
    return out


def from_bgra8(data: bytes, model: str, depth: str, pixels: int) -> bytes:
    """BGRA8 -> `setPixelData` bytes for a node in (model, depth)."""
    check_space(model, depth, "the new layer")
    if model == "RGBA":
        if depth == "U8":
            return data
        buf = bytearray(8 * pixels)  # v -> v * 257: both bytes of each 16-bit channel are v
        buf[0::2] = data
        buf[1::2] = data
        return bytes(buf)
    gray, alpha = data[1::4], data[3::4]  # green stands for gray: results of a gray input are gray
    if depth == "U8":
        buf = bytearray(2 * pixels)
        buf[0::2] = gray
        buf[1::2] = alpha
    else:
        buf = bytearray(4 * pixels)
        buf[0::4] = gray
        buf[1::4] = gray
        buf[2::4] = alpha
        buf[3::4] = alpha
    return bytes(buf)


# -- reading a document -------------------------------------------------------------------------

@dataclass
class Source:
    """What an edit sends: the pixels of the canvas rectangle, and where they came from."""

    node: object | None  # the source layer; None when the source is the visible image
    x: int
    y: int
    width: int
    height: int
    bgra: bytes | bytearray
    mask: bytes | None  # GRAY8 of the same rectangle, or None
    label: str


STRIP_BYTES = 1 << 19  # about this many bytes a strip: a few milliseconds of Krita's readBytes / writeBytes
TILE = 64  # Krita's tile side
BAND = TILE // 4  # strips are whole quarters of a tile row: short enough for a 4500-pixel-wide canvas


def strips(width: int, height: int, bytes_per_pixel: int = 4, budget: int = STRIP_BYTES) -> list[tuple[int, int]]:
    """(y, rows) bands covering the canvas top to bottom, each about `budget` bytes, in multiples of BAND rows.

    Whole tile rows would touch each tile once, but at 4500 pixels wide one tile row is over a megabyte,
    tens of milliseconds of copying on a busy machine; a quarter of it keeps each slice of work short."""
    rows = max(BAND, (budget // max(width * bytes_per_pixel, 1)) // BAND * BAND)
    return [(y, min(rows, height - y)) for y in range(0, height, rows)]


def is_result_group(node) -> bool:
    """A group made by Lego Edit (applied or still a preview)."""
    try:
        return node.type() == "grouplayer" and node.name().startswith(RESULT_PREFIXES)
    except Exception:
        return False


RESULT_PREFIXES = ("Lego Edit: ", "Lego Edit preview: ")


def topmost_paint_layer(doc):
    """The topmost visible paint layer (searching into groups), else the topmost paint layer, else None."""
    def walk(node):
        for child in reversed(list(node.childNodes())):  # childNodes() is bottom to top
            yield child
            if child.type() == "grouplayer":
                yield from walk(child)

    layers = [n for n in walk(doc.rootNode()) if n.type() == "paintlayer"]
    for node in layers:
        if node.visible():
            return node
    return layers[0] if layers else None


def _pass_through(node) -> bool:
    try:
        return bool(node.passThroughMode())
    except Exception:  # not a GroupLayer wrapper
        return False


def topmost_paint_layer_in(group):
    """The topmost visible paint layer directly in `group`, or None."""
    for child in reversed(list(group.childNodes())):
        if child.type() == "paintlayer" and child.visible():
            return child
    return None


def source_node(doc):
    """The document's active layer if it is a paint or group layer (a group is read as it is composited);
    otherwise (under kritarunner there is no active node at all) the topmost visible paint layer."""
    node = doc.activeNode()
    if node is not None and node.type() in ("paintlayer", "grouplayer"):
        return node
    return topmost_paint_layer(doc)


def selection_mask(doc, x: int, y: int, width: int, height: int) -> bytes | None:
    """The selection over the rectangle as GRAY8 (soft edges kept), or None when nothing is selected."""
    selection = doc.selection()
    if selection is None or selection.width() <= 0 or selection.height() <= 0:
        return None
    data = bytes(selection.pixelData(x, y, width, height))
    if len(data) != width * height or not data.strip(b"\0"):
        return None
    return data


def has_selection(doc) -> bool:
    selection = doc.selection() if doc is not None else None
    return selection is not None and selection.width() > 0 and selection.height() > 0


def read_source(doc, *, visible_image: bool = False, use_selection: bool = True, node=None) -> Source:
    """The pixels to edit: a layer (`node`, or `source_node(doc)`) or the projection, over the canvas."""
    reading = read_source_in_strips(doc, visible_image=visible_image, use_selection=use_selection, node=node)
    while True:
        try:
            next(reading)
        except StopIteration as done:
            return done.value


def read_source_in_strips(doc, *, visible_image: bool = False, use_selection: bool = True, node=None,
                          timings: dict | None = None):
    """`read_source` one strip at a time: a generator that yields after each strip and returns the Source.

    Colour-space problems and a missing layer are raised before the first strip is read. The pixels
    are appended strip by strip (a bytearray grows in place), so no step touches the whole buffer at
    once. `timings`, when given, gets the seconds of the wait for pending updates and of the slowest strip."""
    timings = {} if timings is None else timings
    width, height = doc.width(), doc.height()
    if visible_image:
        model, depth, what = doc.colorModel(), doc.colorDepth(), "the image"
        read = doc.pixelData
        node, label = None, "visible image"
    else:
        node = node or source_node(doc)
        if node is None:
            raise LookupError("the document has no paint layer to edit")
        model, depth, what = node.colorModel(), node.colorDepth(), f"layer '{node.name()}'"
        # a group has no pixels of its own: what it shows is its projection; a pass-through group (a
        # result group) has none either, and what it shows is its topmost visible layer
        if node.type() == "grouplayer" and _pass_through(node):
            node = topmost_paint_layer_in(node) or node
        read = node.projectionPixelData if node.type() == "grouplayer" else node.pixelData
        label = node.name()
    check_space(model, depth, what)
    if visible_image:
        yield
        clock = time.perf_counter()
        doc.waitForDone()  # pending updates in; a full refreshProjection() would recompose the whole image
        timings["waiting for pending updates"] = time.perf_counter() - clock
        yield
    bgra = bytearray()
    for y, rows in strips(width, height, 8 if depth == "U16" else 4):
        clock = time.perf_counter()
        bgra += to_bgra8(read(0, y, width, rows), model, depth, width * rows, what)
        spent = time.perf_counter() - clock
        if spent > timings.get("longest strip read", 0.0):
            timings["longest strip read"] = spent
        yield
    mask = None
    if use_selection and has_selection(doc):
        selection, buf = doc.selection(), bytearray()
        for y, rows in strips(width, height, 1):
            buf += bytes(selection.pixelData(0, y, width, rows))
            yield
        if len(buf) == width * height and buf.count(0) != len(buf):
            mask = bytes(buf)
    return Source(node=node, x=0, y=0, width=width, height=height, bgra=bgra, mask=mask, label=label)


# -- writing results ----------------------------------------------------------------------------

def write_strip(node, data, fmt: str, width: int, y: int, rows: int) -> None:
    """Rows y..y+rows of a reply layer (`data`: the whole layer's bytes or a view of them, in `fmt`)."""
    channels = 1 if fmt == "GRAY8" else 4
    band = data[channels * width * y:channels * width * (y + rows)]
    bgra = wire_to_bgra8(band, fmt, width * rows)
    node.setPixelData(from_bgra8(bgra, node.colorModel(), node.colorDepth(), width * rows), 0, y, width, rows)
