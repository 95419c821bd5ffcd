"""UPSCALE's classical backend against plain OpenCV resampling of the same input, in one run: quality
(PSNR against the original of photos halved with INTER_AREA, then enlarged x2) and time (x2 and x4 of
a 1024 x 1024 photo), each next to bilinear and plain Lanczos.

Run: python bench/bench_upscale.py   (prints a table; exit status 1 if a budget is missed)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._table import print_table, timed, verdict  # noqa: E402
from lego_edit.bricks.builtin.restore import upscale  # noqa: E402
from lego_edit.bricks.registry import BrickContext  # noqa: E402
from lego_edit.bricks.values import to_rgba  # noqa: E402

CTX = BrickContext()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a[..., :3].astype(np.float64) - b[..., :3].astype(np.float64)) ** 2).mean())
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-12))


def main() -> int:
    rows = []
    ok = True
    for name in ("astronaut", "coffee", "chelsea", "camera"):
        image = to_rgba(getattr(data, name)())
        h, w = image.shape[:2]
        original = np.ascontiguousarray(image[: h - h % 2, : w - w % 2])
        small = cv2.resize(original, (original.shape[1] // 2, original.shape[0] // 2), interpolation=cv2.INTER_AREA)
        size = (original.shape[1], original.shape[0])
        ours = psnr(upscale(CTX, small, 2)["image"], original)
        bilinear = psnr(cv2.resize(small, size, interpolation=cv2.INTER_LINEAR), original)
        lanczos = psnr(cv2.resize(small, size, interpolation=cv2.INTER_LANCZOS4), original)
        good = ours > bilinear + 0.8 and ours > lanczos - 0.2
        ok &= good
        rows.append((f"{name} x2 PSNR (dB): UPSCALE / bilinear / Lanczos", f"{ours:.2f} / {bilinear:.2f} / {lanczos:.2f}",
                     "> bilinear + 0.8, > Lanczos - 0.2", verdict(good)))
    photo = to_rgba(cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_AREA))
    for scale in (2, 4):
        size = (1024 * scale, 1024 * scale)
        ours = timed(lambda s=scale: upscale(CTX, photo, s), repeat=3)
        lanczos = timed(lambda sz=size: cv2.resize(photo, sz, interpolation=cv2.INTER_LANCZOS4), repeat=3)
        ratio = ours / lanczos
        good = ratio < 8.0
        ok &= good
        rows.append((f"1024 px x{scale} time: UPSCALE (ratio to cv2 Lanczos {lanczos * 1000:.0f} ms)",
                     f"{ours * 1000:.0f} ms ({ratio:.1f}x)", "< 8x Lanczos", verdict(good)))
    print_table("UPSCALE (classical) vs OpenCV resampling", rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
