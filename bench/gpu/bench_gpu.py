"""GPU benchmark of the model backends, with random weights at full size (nothing is downloaded).

For a lent GPU machine: builds the real architectures from their configs — the FLUX.1 Fill
transformer (12 B), Grounding DINO tiny + SAM ViT-B, big-lama — and measures, at 1024 x 1024, the
time of one FLUX denoising step and the peak VRAM for each offload mode (none / model / sequential)
and each quantization (bnb 4/8-bit, torchao int8, skipped when the library is missing), and the
same for a segmentation pass and a LaMa pass. Prints one table.

    python bench/gpu/bench_gpu.py                 # GPU, full size
    python bench/gpu/bench_gpu.py --tiny          # CPU smoke test with the tiny test configs (seconds)
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.util
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

FLUX_FILL_CONFIG = dict(patch_size=1, in_channels=384, out_channels=64, num_layers=19, num_single_layers=38,
                        attention_head_dim=128, num_attention_heads=24, joint_attention_dim=4096,
                        pooled_projection_dim=768, guidance_embeds=True, axes_dims_rope=[16, 56, 56])
FLUX_TINY_CONFIG = dict(patch_size=1, in_channels=20, out_channels=8, num_layers=1, num_single_layers=1,
                        attention_head_dim=16, num_attention_heads=2, joint_attention_dim=32,
                        pooled_projection_dim=32, guidance_embeds=True, axes_dims_rope=[4, 4, 8])


@dataclass
class Row:
    component: str
    mode: str
    size: int
    ms: float | None
    peak_mb: float | None
    weights_mb: float | None
    note: str = ""


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _reset_peak(device: str) -> None:
    import torch

    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_mb(device: str) -> float | None:
    import torch

    return torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None


def _timed(fn: Callable[[], object], device: str, repeats: int) -> float:
    fn()  # warm-up (kernels, offload hooks moving weights in)
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    _sync(device)
    return (time.perf_counter() - start) / repeats * 1000


def _weights_mb(module) -> float:
    from lego_edit.bricks.models.manager import module_bytes

    return module_bytes(module) / 2**20


# -- FLUX -----------------------------------------------------------------------------------------

def _flux_inputs(config: dict, size: int, vae_factor: int, device: str, dtype):
    import torch

    side = size // vae_factor // 2  # latents are packed 2x2
    tokens, text = side * side, 512 if config["joint_attention_dim"] >= 4096 else 16
    g = torch.Generator().manual_seed(0)
    def rnd(*shape):
        return torch.randn(*shape, generator=g).to(device, dtype)
    ids = torch.zeros(tokens, 3)
    ids[:, 1] = torch.arange(side).repeat_interleave(side)
    ids[:, 2] = torch.arange(side).repeat(side)
    return dict(hidden_states=rnd(1, tokens, config["in_channels"]),
                encoder_hidden_states=rnd(1, text, config["joint_attention_dim"]),
                pooled_projections=rnd(1, config["pooled_projection_dim"]),
                timestep=torch.full((1,), 0.5, device=device, dtype=dtype),
                guidance=torch.full((1,), 30.0, device=device, dtype=dtype),
                img_ids=ids.to(device), txt_ids=torch.zeros(text, 3, device=device), return_dict=False)


def _quantize(model, mode: str, device: str) -> str | None:
    """Quantize the transformer's linear layers in place; returns why not, if it cannot be done."""
    import torch

    if mode == "torchao-int8":
        if importlib.util.find_spec("torchao") is None:
            return "torchao not installed"
        from torchao.quantization import int8_weight_only, quantize_

        quantize_(model, int8_weight_only())
        return None
    if importlib.util.find_spec("bitsandbytes") is None:
        return "bitsandbytes not installed"
    if not device.startswith("cuda"):
        return "bitsandbytes needs CUDA"
    import bitsandbytes as bnb

    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if not isinstance(child, torch.nn.Linear):
                continue
            if mode == "bnb-4bit":
                layer = bnb.nn.Linear4bit(child.in_features, child.out_features, bias=child.bias is not None,
                                          compute_dtype=torch.bfloat16, quant_type="nf4")
                layer.weight = bnb.nn.Params4bit(child.weight.data.cpu(), requires_grad=False, quant_type="nf4")
            else:
                layer = bnb.nn.Linear8bitLt(child.in_features, child.out_features, bias=child.bias is not None,
                                            has_fp16_weights=False)
                layer.weight = bnb.nn.Int8Params(child.weight.data.cpu(), requires_grad=False)
            if child.bias is not None:
                layer.bias = torch.nn.Parameter(child.bias.data.cpu(), requires_grad=False)
            setattr(parent, name, layer.to(device))
    return None


def bench_flux(device: str, size: int, tiny: bool, modes: list[str], repeats: int) -> list[Row]:
    import torch
    from diffusers import FluxTransformer2DModel

    config = FLUX_TINY_CONFIG if tiny else FLUX_FILL_CONFIG
    dtype = torch.float32 if device == "cpu" else torch.bfloat16
    vae_factor = 1 if tiny else 8
    rows = []
    for mode in modes:
        _reset_peak(device)
        torch.manual_seed(0)
        build_on = "cpu" if mode in ("model", "sequential", "bnb-4bit", "bnb-8bit") or device == "cpu" else device
        previous = torch.get_default_dtype()
        torch.set_default_dtype(dtype)  # built directly in bf16: 24 GB, not 48 GB then a copy
        try:
            with torch.device(build_on):
                model = FluxTransformer2DModel(**config).eval()
        finally:
            torch.set_default_dtype(previous)
        weights = _weights_mb(model)
        note = ""
        if mode in ("bnb-4bit", "bnb-8bit", "torchao-int8"):
            reason = _quantize(model, mode, device)
            if reason:
                rows.append(Row("flux-fill transformer", mode, size, None, None, weights, f"skipped: {reason}"))
                del model
                continue
            weights = _weights_mb(model)
        elif mode == "model" and device != "cpu":
            from accelerate import cpu_offload_with_hook

            model, hook = cpu_offload_with_hook(model, execution_device=device)
            note = "first step moves the weights in"
        elif mode == "sequential" and device != "cpu":
            from accelerate import cpu_offload

            cpu_offload(model, execution_device=device)
        inputs = _flux_inputs(config, size, vae_factor, device, dtype)
        with torch.inference_mode():
            ms = _timed(functools.partial(model, **inputs), device, 1 if mode == "sequential" else repeats)
        rows.append(Row("flux-fill transformer", mode, size, ms, _peak_mb(device), weights, note))
        del model, inputs
    return rows


# -- segmentation and LaMa ------------------------------------------------------------------------

def bench_segmentation(device: str, size: int, tiny: bool, repeats: int) -> list[Row]:
    import torch
    from transformers import GroundingDinoConfig, GroundingDinoForObjectDetection, SamConfig, SamModel

    rows = []
    if tiny:
        import tempfile

        from tests import tiny_models

        with tempfile.TemporaryDirectory() as tmp:
            dino = GroundingDinoForObjectDetection.from_pretrained(tiny_models.grounding_dino(Path(tmp) / "d"))
            sam = SamModel.from_pretrained(tiny_models.sam(Path(tmp) / "s"))
        dino_side, sam_side, text_len = 128, 64, 8
    else:
        torch.manual_seed(0)
        dino = GroundingDinoForObjectDetection(GroundingDinoConfig())  # the grounding-dino-tiny architecture
        sam = SamModel(SamConfig())  # ViT-B
        dino_side, sam_side, text_len = 800, 1024, 8  # the processors' working sizes for a 1024 px image
    for name, model, make in (
            ("grounding-dino", dino, lambda: dict(pixel_values=torch.randn(1, 3, dino_side, dino_side, device=device),
                                                 input_ids=torch.randint(0, 100, (1, text_len), device=device))),
            ("sam", sam, lambda: dict(pixel_values=torch.randn(1, 3, sam_side, sam_side, device=device),
                                      input_boxes=torch.tensor([[[10.0, 10.0, sam_side / 2, sam_side / 2]]], device=device),
                                      multimask_output=False))):
        _reset_peak(device)
        model = model.to(device).eval()
        inputs = make()
        with torch.inference_mode():
            ms = _timed(lambda m=model, i=inputs: m(**i), device, repeats)
        rows.append(Row(name, "float32", size, ms, _peak_mb(device), _weights_mb(model)))
        model.to("cpu")
    return rows


def bench_lama(device: str, size: int, tiny: bool, repeats: int) -> list[Row]:
    import torch

    from tests import lama_arch

    torch.manual_seed(0)
    model = lama_arch.build(tiny=tiny).to(device).eval()
    _reset_peak(device)
    image = torch.rand(1, 3, size, size, device=device)
    mask = torch.zeros(1, 1, size, size, device=device)
    mask[..., size // 4: size // 2, size // 4: size // 2] = 1
    with torch.inference_mode():
        ms = _timed(lambda: model(image, mask), device, repeats)
    return [Row("lama (big-lama)" if not tiny else "lama (tiny)", "float32", size, ms, _peak_mb(device),
                _weights_mb(model))]


def format_table(rows: list[Row], device: str) -> str:
    lines = [f"device: {device}",
             f"{'component':<24} {'mode':<14} {'px':>5} {'ms/step':>10} {'peak MB':>9} {'weights MB':>11}  note",
             "-" * 90]
    for r in rows:
        ms = f"{r.ms:10.1f}" if r.ms is not None else f"{'-':>10}"
        peak = f"{r.peak_mb:9.0f}" if r.peak_mb is not None else f"{'-':>9}"
        weights = f"{r.weights_mb:11.1f}" if r.weights_mb is not None else f"{'-':>11}"
        lines.append(f"{r.component:<24} {r.mode:<14} {r.size:>5} {ms} {peak} {weights}  {r.note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="tiny configs on the CPU: a smoke test")
    parser.add_argument("--size", type=int, help="image side (default 1024, 64 with --tiny)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", default="none,model,sequential,bnb-4bit,bnb-8bit,torchao-int8")
    parser.add_argument("--only", default="flux,segmentation,lama")
    args = parser.parse_args(argv)
    import torch

    device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    if device == "cpu" and not args.tiny:
        print("no CUDA GPU: run with --tiny for a CPU smoke test", file=sys.stderr)
        return 2
    size = args.size or (64 if args.tiny else 1024)
    repeats = 1 if args.tiny else args.repeats
    modes = [m for m in args.modes.split(",") if m]
    if args.tiny:  # the offload modes only mean something with a GPU
        modes = [m for m in modes if m not in ("model", "sequential")]
    rows: list[Row] = []
    only = set(args.only.split(","))
    if "flux" in only:
        rows += bench_flux(device, size, args.tiny, modes, repeats)
    if "segmentation" in only:
        rows += bench_segmentation(device, size, args.tiny, repeats)
    if "lama" in only:
        rows += bench_lama(device, size, args.tiny, repeats)
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    print(format_table(rows, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
