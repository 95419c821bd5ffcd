"""TRIM's speed against the classic Pillow trim (ImageChops.difference from the corner colour, then getbbox),
on the same padded photo in the same run.

The photo is scikit-image's coffee scaled to SIZE megapixels, padded unevenly with white. Pillow's recipe is
exact-match only (no tolerance, no transparency, no specks); TRIM does more per pixel (premultiplied alpha, a
tolerance, 8-connected specks left out), so the budget is a ratio, not parity. Both must find the same box.

Run: python bench/bench_trim.py [--sizes 6,24]   (exit 1 if a budget is missed)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._table import print_table, timed, verdict  # noqa: E402

BUDGET = 4.0  # TRIM may take at most this many times Pillow's exact trim


def padded_photo(megapixels: float):
    import cv2
    import numpy as np
    from skimage import data

    photo = data.coffee()
    scale = (megapixels * 1e6 / (photo.shape[0] * photo.shape[1])) ** 0.5
    photo = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = photo.shape[:2]
    out = np.full((h + 130, w + 170, 4), 255, np.uint8)
    out[50:50 + h, 20:20 + w, :3] = photo
    return out, (20, 50, 20 + w, 50 + h)


def pillow_trim(image):
    from PIL import Image, ImageChops

    pil = Image.fromarray(image[..., :3])  # an opaque photo: RGB (getbbox of RGBA looks at alpha only)
    background = Image.new(pil.mode, pil.size, pil.getpixel((0, 0)))
    return ImageChops.difference(pil, background).getbbox()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="6,24", help="megapixels, comma-separated")
    args = parser.parse_args()

    import numpy as np

    from lego_edit.bricks.builtin.geometry import trim
    from lego_edit.bricks.registry import BrickContext

    ctx = BrickContext()
    rows, ok = [], True
    for size in (float(s) for s in args.sizes.split(",")):
        image, want = padded_photo(size)
        out = trim(ctx, image)["image"]
        left, top, right, bottom = want
        same = pillow_trim(image) == want and np.array_equal(out, image[top:bottom, left:right])
        ours = timed(lambda image=image: trim(ctx, image), repeat=3)
        base = timed(lambda image=image: pillow_trim(image), repeat=3)
        ratio = ours / base
        ok &= same and ratio <= BUDGET
        rows += [(f"{size:g} MP: Pillow difference + getbbox", f"{base * 1000:.0f} ms", "baseline", ""),
                 (f"{size:g} MP: TRIM", f"{ours * 1000:.0f} ms ({ratio:.2f}x)", f"<= {BUDGET:g}x",
                  verdict(ratio <= BUDGET)),
                 (f"{size:g} MP: same box as Pillow and the truth", str(same), "True", verdict(same))]
    print_table("TRIM against Pillow's exact trim (same image, same run)", rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
