"""Rebuild this folder's small evaluation suite from scikit-image's sample photos: python make_suite.py

Four public-domain / CC0 photos, 192 px on the long side, one with a red ball painted on it (its truth
mask is exactly the painted disc), and suite.jsonl naming an instruction, edit type and truth per item.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

HERE = Path(__file__).resolve().parent
LONG = 192


def small(photo: np.ndarray) -> np.ndarray:
    h, w = photo.shape[:2]
    scale = LONG / max(h, w)
    return cv2.resize(photo, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def ball(photo: np.ndarray, centre: tuple[int, int], radius: int) -> tuple[np.ndarray, np.ndarray]:
    """The photo with a shaded red disc painted on it, and the disc's mask (as bricks/samples.py paints it)."""
    h, w = photo.shape[:2]
    truth = np.zeros((h, w), np.uint8)
    cv2.circle(truth, centre, radius, 255, -1)
    yy, xx = np.mgrid[0:h, 0:w]
    shade = 1.0 - 0.35 * ((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / radius**2
    red = np.stack([210 * shade, 25 * shade, 30 * shade], axis=-1).clip(0, 255).astype(np.uint8)
    out = photo.copy()
    out[truth > 0] = red[truth > 0]
    return out, truth


def save(array: np.ndarray, name: str) -> str:
    Image.fromarray(array).save(HERE / name, optimize=True)
    return name


def main() -> None:
    rocket, rocket_truth = ball(small(data.rocket()), (108, 22), 11)
    save(rocket, "rocket_ball.png")
    save(rocket_truth, "rocket_ball_truth.png")
    save(small(data.coffee()), "coffee.png")
    save(small(data.chelsea()), "chelsea.png")
    save(small(data.astronaut()), "astronaut.png")
    items = [
        {"id": "rocket-remove-ball", "image": "rocket_ball.png", "instruction": "remove the red ball",
         "type": "remove", "truth_mask": "rocket_ball_truth.png", "source": "painted"},
        {"id": "rocket-remove-masked", "image": "rocket_ball.png", "instruction": "remove this",
         "type": "remove", "mask": "rocket_ball_truth.png", "truth_mask": "rocket_ball_truth.png",
         "source": "painted"},
        {"id": "rocket-recolour-ball", "image": "rocket_ball.png", "instruction": "make the red ball blue",
         "type": "adjust", "truth_mask": "rocket_ball_truth.png", "source": "painted"},
        {"id": "chelsea-sketch", "image": "chelsea.png", "instruction": "turn the photo into a pencil sketch",
         "type": "style", "source": "photo"},
        {"id": "coffee-contrast", "image": "coffee.png", "instruction": "increase the contrast",
         "type": "tone", "source": "photo"},
        {"id": "astronaut-rotate", "image": "astronaut.png", "instruction": "rotate the photo 90 degrees",
         "type": "geometry", "source": "photo"},
        {"id": "chelsea-remove-dog", "image": "chelsea.png", "instruction": "remove the dog",
         "type": "remove", "source": "photo"},
        {"id": "rocket-question", "image": "rocket_ball.png", "instruction": "what is in this picture?",
         "type": "other", "source": "photo"},
    ]
    (HERE / "suite.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")


if __name__ == "__main__":
    main()
