"""GPU benchmark of the editing engines: one denoising step at 1024² and the peak VRAM, per VRAM preset.

For a lent GPU machine, with random weights (nothing is downloaded): each engine's transformer is built
at full size from its architecture (FLUX.2 klein 4B / 9B, Qwen-Image-Edit's 20B MMDiT, FLUX.1 Kontext's
12B) and run for one edit step at 1024² — the target's latents plus the reference image's, as the
edit pipelines concatenate them — in each VRAM preset: full (bf16), standard (bnb 8-bit) and low-vram
(bnb nf4; skipped without bitsandbytes or CUDA). The standard and low-vram presets offload by model,
so during denoising only the transformer is on the card; "full" keeps the text encoder there too, and
its bytes (counted on the meta device, never allocated) are added to the peak and shown apart. Ratios
are to the full preset of the same engine, measured in the same run.

    python bench/gpu/bench_engines.py                          # GPU, full size, every engine
    python bench/gpu/bench_engines.py --engines flux2-klein-4b --presets full,low-vram
    python bench/gpu/bench_engines.py --tiny                   # CPU smoke test with tiny configs (seconds)

The transformer configs below are the published architectures' sizes; `--config NAME=DIR` reads an
engine's `transformer/config.json` from a downloaded snapshot instead.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

KLEIN_4B = dict(patch_size=1, in_channels=128, num_layers=5, num_single_layers=20, attention_head_dim=128,
                num_attention_heads=24, joint_attention_dim=7680, timestep_guidance_channels=256,
                axes_dims_rope=(32, 32, 32, 32), guidance_embeds=False)
KLEIN_9B = dict(KLEIN_4B, num_layers=8, num_single_layers=24, num_attention_heads=32, joint_attention_dim=12288)
QWEN_20B = dict(patch_size=2, in_channels=64, out_channels=16, num_layers=60, attention_head_dim=128,
                num_attention_heads=24, joint_attention_dim=3584, guidance_embeds=False, axes_dims_rope=(16, 56, 56))
KONTEXT_12B = dict(patch_size=1, in_channels=64, out_channels=64, num_layers=19, num_single_layers=38,
                   attention_head_dim=128, num_attention_heads=24, joint_attention_dim=4096,
                   pooled_projection_dim=768, guidance_embeds=True, axes_dims_rope=[16, 56, 56])
TINY = {
    "flux2": dict(patch_size=1, in_channels=4, num_layers=1, num_single_layers=1, attention_head_dim=16,
                  num_attention_heads=2, joint_attention_dim=48, timestep_guidance_channels=256,
                  axes_dims_rope=(4, 4, 4, 4), guidance_embeds=False),
    "qwen": dict(patch_size=2, in_channels=16, out_channels=4, num_layers=1, attention_head_dim=16,
                 num_attention_heads=2, joint_attention_dim=16, guidance_embeds=False, axes_dims_rope=(8, 4, 4)),
    "flux1": dict(patch_size=1, in_channels=8, out_channels=8, num_layers=1, num_single_layers=1,
                  attention_head_dim=16, num_attention_heads=2, joint_attention_dim=32, pooled_projection_dim=32,
                  guidance_embeds=True, axes_dims_rope=[4, 4, 8]),
}
# text encoders (params counted on the meta device): transformers config class and kwargs
TEXT = {
    "qwen3-4b": ("Qwen3Config", dict(hidden_size=2560, intermediate_size=9728, num_hidden_layers=36,
                                     num_attention_heads=32, num_key_value_heads=8, head_dim=128, vocab_size=151936)),
    "qwen3-8b": ("Qwen3Config", dict(hidden_size=4096, intermediate_size=12288, num_hidden_layers=36,
                                     num_attention_heads=32, num_key_value_heads=8, head_dim=128, vocab_size=151936)),
    "qwen2.5-vl-7b": ("Qwen2Config", dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
                                          num_attention_heads=28, num_key_value_heads=4, vocab_size=152064)),
    "t5-xxl": ("T5Config", dict(d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64, vocab_size=32128,
                                feed_forward_proj="gated-gelu")),
}


@dataclass(frozen=True)
class EngineBench:
    name: str
    family: str  # flux2 | qwen | flux1
    config: dict
    text: str
    vae_factor: int  # pixels per latent
    text_tokens: int


ENGINES = {
    "flux2-klein-4b": EngineBench("flux2-klein-4b", "flux2", KLEIN_4B, "qwen3-4b", 8, 512),
    "flux2-klein-9b": EngineBench("flux2-klein-9b", "flux2", KLEIN_9B, "qwen3-8b", 8, 512),
    "qwen-image-edit": EngineBench("qwen-image-edit", "qwen", QWEN_20B, "qwen2.5-vl-7b", 8, 512),
    "flux1-kontext": EngineBench("flux1-kontext", "flux1", KONTEXT_12B, "t5-xxl", 8, 512),
}
PRESETS = {"full": "none", "standard": "bnb-8bit", "low-vram": "bnb-4bit"}


@dataclass
class Row:
    engine: str
    preset: str
    ms: float | None
    peak_gb: float | None
    transformer_gb: float | None
    text_gb: float
    note: str = ""


def text_encoder_gb(name: str, tiny: bool) -> float:
    """Bytes of the text encoder in bf16, from its architecture on the meta device (nothing allocated)."""
    if tiny:
        return 0.0
    import torch
    import transformers

    cls_name, kwargs = TEXT[name]
    config = getattr(transformers, cls_name)(**kwargs)
    model_cls = transformers.T5EncoderModel if cls_name == "T5Config" else transformers.AutoModelForCausalLM
    with torch.device("meta"):
        model = model_cls.from_config(config) if model_cls is not transformers.T5EncoderModel else model_cls(config)
    return sum(p.numel() for p in model.parameters()) * 2 / 1e9


def _transformer(bench: EngineBench, config: dict):
    import diffusers

    cls = {"flux2": diffusers.Flux2Transformer2DModel, "qwen": diffusers.QwenImageTransformer2DModel,
           "flux1": diffusers.FluxTransformer2DModel}[bench.family]
    return cls(**config)


def _inputs(bench: EngineBench, config: dict, size: int, device: str, dtype, tiny: bool) -> dict:
    """One edit step's inputs: the target's latent tokens followed by the reference image's."""
    import torch

    g = torch.Generator().manual_seed(0)

    def rnd(*shape):
        return torch.randn(*shape, generator=g).to(device, dtype)

    factor = 1 if tiny and bench.family != "qwen" else (16 if tiny else bench.vae_factor)
    side = size // factor // 2
    tokens = side * side
    text = 16 if tiny else bench.text_tokens
    t = torch.full((1,), 0.5, device=device, dtype=dtype)
    if bench.family == "qwen":
        return dict(hidden_states=rnd(1, 2 * tokens, config["in_channels"]),
                    encoder_hidden_states=rnd(1, text, config["joint_attention_dim"]),
                    encoder_hidden_states_mask=torch.ones(1, text, dtype=torch.bool, device=device), timestep=t,
                    img_shapes=[[(1, side, side), (1, side, side)]], return_dict=False)
    ids = torch.zeros(2 * tokens, 4 if bench.family == "flux2" else 3)
    for k in range(2):  # the reference image gets its own index on the first axis
        block = slice(k * tokens, (k + 1) * tokens)
        ids[block, 0] = k
        ids[block, 1] = torch.arange(side).repeat_interleave(side).float()
        ids[block, 2] = torch.arange(side).repeat(side).float()
    txt_ids = torch.zeros(text, ids.shape[1], device=device)
    kwargs = dict(hidden_states=rnd(1, 2 * tokens, config["in_channels"]),
                  encoder_hidden_states=rnd(1, text, config["joint_attention_dim"]), timestep=t,
                  img_ids=ids.to(device), txt_ids=txt_ids, return_dict=False)
    if bench.family == "flux1":
        kwargs.update(pooled_projections=rnd(1, config["pooled_projection_dim"]),
                      guidance=torch.full((1,), 2.5, device=device, dtype=dtype))
    return kwargs


def bench_engine(bench: EngineBench, config: dict, presets: list[str], device: str, size: int, tiny: bool,
                 repeats: int) -> list[Row]:
    import torch
    from bench_gpu import _peak_mb, _quantize, _reset_peak, _timed, _weights_mb

    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    text_gb = text_encoder_gb(bench.text, tiny)
    rows = []
    for preset in presets:
        mode = PRESETS[preset]
        gc.collect()
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
        torch.manual_seed(0)
        model = _transformer(bench, config).to(dtype).eval()
        if mode != "none":
            reason = _quantize(model, mode, device)
            if reason is not None:
                rows.append(Row(bench.name, preset, None, None, None, text_gb, f"skipped: {reason}"))
                del model
                continue
        model.to(device)
        inputs = _inputs(bench, config, size, device, dtype, tiny)
        _reset_peak(device)

        def step(model=model, inputs=inputs):
            with torch.inference_mode():
                model(**inputs)

        ms = _timed(step, device, repeats)  # milliseconds
        peak = _peak_mb(device)
        resident_text = text_gb if preset == "full" else 0.0
        rows.append(Row(bench.name, preset, ms, None if peak is None else peak / 1024 + resident_text,
                        _weights_mb(model) / 1024, text_gb,
                        "text encoder resident" if preset == "full" else "model offload"))
        del model, inputs, step
    return rows


def format_table(rows: list[Row], device: str, size: int) -> str:
    header = ("engine", "preset", "ms/step", "vs full", "peak GB", "vs full", "transformer GB", "text enc GB", "note")
    base = {r.engine: r for r in rows if r.preset == "full" and r.ms is not None}
    lines = []
    for r in rows:
        b = base.get(r.engine)
        lines.append((r.engine, r.preset, "-" if r.ms is None else f"{r.ms:.1f}",
                      "-" if r.ms is None or b is None else f"{r.ms / b.ms:.2f}x",
                      "-" if r.peak_gb is None else f"{r.peak_gb:.2f}",
                      "-" if r.peak_gb is None or b is None or not b.peak_gb else f"{r.peak_gb / b.peak_gb:.2f}x",
                      "-" if r.transformer_gb is None else f"{r.transformer_gb:.2f}", f"{r.text_gb:.2f}", r.note))
    widths = [max(len(str(x[i])) for x in [header, *lines]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [f"editing engines: one edit step at {size}x{size} on {device}", fmt.format(*header),
           fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny configs on the CPU (the smoke test)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--size", type=int, default=None, help="image side (default 1024, tiny 64)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--config", action="append", default=[], metavar="ENGINE=DIR",
                        help="read ENGINE's transformer/config.json from a downloaded snapshot")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("diffusers") is None:
        print("bench_engines needs torch and diffusers (pip install 'lego-edit[models]')", file=sys.stderr)
        return 1
    import torch

    device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    size = args.size or (32 if args.tiny else 1024)
    repeats = args.repeats or (1 if args.tiny else 5)
    overrides = dict(item.split("=", 1) for item in args.config)
    names = [n for n in args.engines.split(",") if n]
    presets = [p for p in args.presets.split(",") if p]
    unknown = [n for n in names if n not in ENGINES] + [p for p in presets if p not in PRESETS]
    if unknown:
        print(f"unknown engine or preset: {', '.join(unknown)}", file=sys.stderr)
        return 2
    rows: list[Row] = []
    for name in names:
        bench = ENGINES[name]
        config = TINY[bench.family] if args.tiny else dict(bench.config)
        if name in overrides:
            config = {k: v for k, v in json.loads((Path(overrides[name]) / "transformer" / "config.json").read_text())
                      .items() if not k.startswith("_")}
        rows += bench_engine(bench, config, presets, device, size, args.tiny, repeats)
        print(format_table(rows[-len(presets):], device, size), file=sys.stderr, flush=True)
    print(format_table(rows, device, size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
