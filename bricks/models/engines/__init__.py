"""Editing engines behind the model bricks (FLUX.1 Fill, FLUX.2 klein, Qwen-Image-Edit, FLUX.1 Kontext)."""
