"""Screenshots of an Xvfb screen, read from the framebuffer file Xvfb keeps with `-fbdir DIR` (XWD format).

No X client library needed: Xvfb maps its screen to DIR/Xvfb_screen0 and keeps it current, so a test
reads the file and has what is on screen, as a Pillow image.
"""

from __future__ import annotations

import struct
from pathlib import Path

from PIL import Image


def read_xwd(path: Path) -> Image.Image:
    data = Path(path).read_bytes()
    fields = struct.unpack(">25I", data[:100])  # the XWD header is big-endian
    header_size, width, height = fields[0], fields[4], fields[5]
    byte_order, bits_per_pixel, bytes_per_line, ncolors = fields[7], fields[11], fields[12], fields[19]
    if bits_per_pixel != 32:
        raise ValueError(f"{path}: {bits_per_pixel} bits a pixel; start Xvfb with a 24-bit screen")
    start = header_size + ncolors * 12
    pixels = data[start:start + bytes_per_line * height]
    return Image.frombuffer("RGB", (width, height), pixels, "raw", "BGRX" if byte_order == 0 else "XRGB",
                           bytes_per_line, 1).copy()


def screenshot(fbdir: Path, out: Path) -> Path:
    """Save the screen of the Xvfb that runs with `-fbdir fbdir` as the PNG `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    read_xwd(Path(fbdir) / "Xvfb_screen0").save(out)
    return out
