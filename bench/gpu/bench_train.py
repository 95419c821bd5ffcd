"""GPU benchmark of the Builder's three training stages, with random weights (nothing is downloaded).

For a lent GPU machine: builds Qwen2.5-VL-3B from its config with random weights (a BPE tokenizer
trained in memory on the catalog prompt stands in for Qwen's), writes a training set with the rules
Builder over tests/data/instructions/open_domain.jsonl and scikit-image photos, and runs stage 1
(SFT), stage 2 (GRPO, ground-truth rewards) and stage 3 (GRPO with the critic: the workflows run
on the offline bricks, the judge is a loopback chat server) for a few steps each with a LoRA. Prints
the time per optimiser step (median) and the peak GPU memory of each stage, each with its ratio to
stage 1 measured in the same run.

    python bench/gpu/bench_train.py                # GPU, 3B
    python bench/gpu/bench_train.py --tiny         # CPU smoke test with the tiny test model (a minute)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

ROOT = Path(__file__).resolve().parents[2]
OPEN_DOMAIN = ROOT / "tests" / "data" / "instructions" / "open_domain.jsonl"

QWEN25_VL_3B = dict(
    text_config=dict(vocab_size=151936, hidden_size=2048, intermediate_size=11008, num_hidden_layers=36,
                     num_attention_heads=16, num_key_value_heads=2, max_position_embeddings=32768,
                     rope_theta=1000000.0, rope_scaling={"type": "mrope", "mrope_section": [16, 24, 24]},
                     tie_word_embeddings=True),
    vision_config=dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, out_hidden_size=2048,
                       patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=112,
                       fullatt_block_indexes=[7, 15, 23, 31]))


def build_3b(folder: Path, registry) -> Path:
    """Qwen2.5-VL-3B's architecture, random weights in bfloat16, with the tests' tokenizer recipe."""
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from transformers.models.qwen2_vl import Qwen2VLImageProcessorPil

    from tests.train_helpers import tiny_builder

    tiny = tiny_builder(folder / "tokenizer-source", registry, vocab=8000)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny)
    ids = {s: tok.convert_tokens_to_ids(s) for s in ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>",
                                                     "<|vision_end|>", "<|im_end|>")}
    config = Qwen2_5_VLConfig(**QWEN25_VL_3B, image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
                              vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
                              eos_token_id=ids["<|im_end|>"], pad_token_id=tok.pad_token_id)
    with torch.device("cuda"):
        model = Qwen2_5_VLForConditionalGeneration(config).to(torch.bfloat16)
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = tok.pad_token_id
    out = folder / "qwen2.5-vl-3b-random"
    model.save_pretrained(out)
    tok.save_pretrained(out)
    Qwen2VLImageProcessorPil(min_pixels=28 * 28 * 4, max_pixels=448 * 448).save_pretrained(out)
    del model
    torch.cuda.empty_cache()
    return out


class StepTimer:
    """A TrainerCallback: wall time of each optimiser step and the peak GPU memory."""

    def __init__(self, device: str) -> None:
        from transformers import TrainerCallback

        self.device, self.times = device, []
        outer = self

        class Callback(TrainerCallback):
            def on_step_begin(self, args, state, control, **kwargs):
                outer._start = time.perf_counter()

            def on_step_end(self, args, state, control, **kwargs):
                outer._sync()
                outer.times.append(time.perf_counter() - outer._start)

        self.callback = Callback()
        self._start = 0.0

    def _sync(self) -> None:
        import torch

        if self.device == "cuda":
            torch.cuda.synchronize()

    def peak_gb(self) -> float | None:
        import torch

        return torch.cuda.max_memory_allocated() / 2**30 if self.device == "cuda" else None


def run_stage(stage: str, cfg, registry, device: str, judge=None) -> tuple[float, float | None, int]:
    import torch

    from lego_edit.training import stages

    timer = StepTimer(device)
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    kwargs = {"registry": registry, "callbacks": (timer.callback,), **({"judge": judge} if judge is not None else {})}
    result = stages.run(stage, cfg, **kwargs)
    steady = timer.times[1:] or timer.times
    return statistics.median(steady), timer.peak_gb(), result.steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="CPU smoke test with the tiny test model")
    parser.add_argument("--steps", type=int, default=3, help="optimiser steps per stage")
    parser.add_argument("--instructions", type=int, default=64, help="instructions from the open-domain list")
    args = parser.parse_args(argv)

    import torch

    from bench._table import print_table
    from lego_edit.training import data
    from lego_edit.training.config import TrainConfig
    from tests.chat_server import ChatServer
    from tests.train_helpers import photos, small_registry, tiny_builder

    device = "cpu" if args.tiny else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        print("no GPU here: run with --tiny for the CPU smoke test")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.tiny:
            from lego_edit.bricks import default_registry  # noqa: F401 (the catalog loads before timing)

            registry = small_registry()
            model = tiny_builder(root / "model", registry)
            instructions = ["make it brighter", "flip the image horizontally"]
        else:
            from lego_edit.bricks import default_registry

            registry = default_registry()
            model = build_3b(root, registry)
            instructions = data.read_instructions(OPEN_DOMAIN)[: args.instructions]
        images = data.image_files(photos(root / "photos"))
        records, counts = data.distill_rules(instructions, images, registry)
        data.save(records, root / "sft.jsonl")
        data.save(data.unannotated(instructions, images), root / "open.jsonl")
        server = ChatServer(['{"reasoning": "ok", "score": [7, 8]}'] * 10000)
        from lego_edit.evaluation.judge import JudgeConfig, make_judge

        judge = make_judge("openai", JudgeConfig(base_url=server.url, model="judge"))
        base = {"model": {"base": str(model), "device": device, "gradient_checkpointing": not args.tiny},
                "data": {"train": str(root / "sft.jsonl"), "bricks": registry.names()},
                "train": {"max_steps": args.steps, "learning_rate": 1e-4, "progress": False, "save_steps": 1000,
                          "resume": False},
                "grpo": {"num_generations": 2 if args.tiny else 4, "max_completion_length": 8 if args.tiny else 256}}
        figures = {}
        for stage, extra in (("sft", {}), ("grpo", {}), ("grpo-critic", {"data": {"train": str(root / "open.jsonl")}})):
            cfg_dict = json.loads(json.dumps(base))
            for table, values in extra.items():
                cfg_dict[table].update(values)
            cfg_dict["train"]["output"] = str(root / stage)
            cfg = TrainConfig.from_dict(cfg_dict)
            figures[stage] = run_stage(stage, cfg, registry, device, judge if stage == "grpo-critic" else None)
        server.close()
    sft_time, sft_peak, _ = figures["sft"]
    rows = []
    for stage, (seconds, peak, steps) in figures.items():
        rows.append((f"{stage} s/step ({steps} steps)", f"{seconds:.2f}", f"x{seconds / sft_time:.2f} of sft", "-"))
        if peak is not None:
            rows.append((f"{stage} peak GPU memory", f"{peak:.1f} GiB", f"x{peak / sft_peak:.2f} of sft"
                         if sft_peak else "-", "yes" if peak < 139 else "NO"))
    kind = "tiny model, CPU" if args.tiny else "Qwen2.5-VL-3B random weights, LoRA r=16, GPU"
    print_table(f"Builder training ({kind}; {counts['planned']} plans, {counts['refused']} refusals)", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
