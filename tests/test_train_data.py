"""The Builder's training set: every source, deduplication, the held-out split, the JSONL round trip
and `lego-edit train data` (base install: no torch needed)."""

from __future__ import annotations

import json

import pytest

from lego_edit.training import data
from tests.train_helpers import BRICKS, photos, small_registry


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    return data.image_files(photos(tmp_path_factory.mktemp("photos")))


def test_rules_distillation_keeps_plans_and_refusals(images):
    registry = small_registry()
    records, counts = data.distill_rules(["make it brighter", "flip the image horizontally", "what is in this picture?",
                                          "remove the dog"], images, registry)
    assert counts == {"planned": 2, "refused": 2, "invalid": 0}
    by = {r.instruction: r for r in records}
    assert by["make it brighter"].workflow["pipeline"][0]["model"] == "FLUX-BRIGHT"
    assert by["what is in this picture?"].refusal and by["what is in this picture?"].workflow is None
    assert by["remove the dog"].refusal  # no removal brick in this catalog: refused, and learnt as a refusal
    assert all(r.source == "rules" and r.image in map(str, images) for r in records)
    without, _ = data.distill_rules(["what is in this picture?"], images, registry, refusals=False)
    assert without == []


def test_images_are_given_by_the_instruction_text(images):
    first = data.pick_image(images, "Make it brighter.")
    assert first == data.pick_image(images, "make it   brighter") and first in images
    assert len({data.pick_image(images, f"make it brighter {i}") for i in range(30)}) == len(images)


def test_worked_examples_with_a_mask_file(images, tmp_path):
    records = data.from_examples(images, tmp_path / "masks")
    assert len(records) >= 5
    masked = [r for r in records if r.mask]
    assert len(masked) == 1
    from lego_edit.bricks.imageio import load_image, load_mask

    mask, image = load_mask(masked[0].mask), load_image(masked[0].image)
    assert mask.shape == image.shape[:2] and mask.any() and not mask.all()
    assert "init[mask]" in json.dumps(masked[0].workflow)


def test_history_keeps_accepted_valid_plans(images, tmp_path):
    registry = small_registry()
    good = {"process": "b", "pipeline": [{"step": 1, "model": "FLUX-BRIGHT", "input": {"image": "init[image]", "ratio": 0.7},
                                          "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]}
    broken = {"process": "x", "pipeline": [{"step": 1, "model": "SOS", "input": {"image": "init[image]"},
                                            "output": {"mask": "step1[mask]"}}, {"result": "[step1[mask]]"}]}
    lines = [{"instruction": "brighter please", "image": images[0].name, "workflow": good},
             {"instruction": "a bit brighter", "image": str(images[1]), "plan": {"reasoning": "why", "workflow": good},
              "feedback": ["don't use FLIP"]},
             {"instruction": "undone one", "image": str(images[0]), "workflow": good, "accepted": False},
             {"instruction": "not in this catalog", "image": str(images[0]), "workflow": broken},
             {"instruction": "breaks its feedback", "image": str(images[0]), "workflow": good,
              "feedback": ["don't use FLUX-BRIGHT"]}]
    history = images[0].parent / "history.jsonl"
    history.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    records, counts = data.from_history(history, registry)
    assert counts == {"kept": 2, "undone": 1, "invalid": 2}
    assert records[0].image == str(images[0]) and records[1].reasoning == "why"
    assert records[1].feedback == ["don't use FLIP"] and records[0].source == "history"
    history.write_text('{"instruction": "x"}\n')
    with pytest.raises(data.DataError, match="history.jsonl:1"):
        data.from_history(history, registry)


def test_deduplication_split_and_round_trip(images, tmp_path):
    records = [data.Record("Make it brighter.", str(images[0]), "rules", workflow={"pipeline": []}),
               data.Record("make it   brighter", str(images[1]), "history", workflow={"pipeline": []}),
               data.Record("make it brighter", str(images[1]), "history", mask=str(images[2]), workflow={"pipeline": []}),
               *data.unannotated([f"edit number {i}" for i in range(200)], images)]
    kept, dropped = data.deduplicate(records)
    assert dropped == 1 and kept[0].source == "rules" and kept[1].mask  # the masked one is another example
    split = data.assign_splits(kept, 10)
    heldout = [r for r in split if r.split == data.HELDOUT]
    assert 5 <= len(heldout) <= 40  # about 10% of 202
    assert data.assign_splits([data.Record("EDIT number 7", "x.png", "rules")], 10)[0].split == next(
        r.split for r in split if r.instruction == "edit number 7")  # the split follows the text, nothing else
    out = data.save(data.relative_to(split, images[0].parent), images[0].parent / "set.jsonl")
    assert json.loads(out.read_text().splitlines()[0])["image"] == images[0].name  # portable: relative inside
    back = data.load(out)
    assert [r.to_dict() for r in back] == [r.to_dict() for r in split]
    assert [r.instruction for r in data.load(out, split=data.HELDOUT)] == [r.instruction for r in heldout]


def test_instruction_lists_in_both_forms(tmp_path):
    (tmp_path / "a.txt").write_text("make it brighter\n\n  flip it \n")
    (tmp_path / "b.jsonl").write_text('{"instruction": "remove the dog", "source": "x"}\n')
    assert data.read_instructions(tmp_path / "a.txt") == ["make it brighter", "flip it"]
    assert data.read_instructions(tmp_path / "b.jsonl") == ["remove the dog"]
    (tmp_path / "c.jsonl").write_text('{"text": 1}\n')
    with pytest.raises(data.DataError, match="c.jsonl:1"):
        data.read_instructions(tmp_path / "c.jsonl")


def test_cli_train_data(images, tmp_path, capsys):
    from lego_edit.daemon.cli.app import main

    rules = tmp_path / "rules.txt"
    rules.write_text("make it brighter\nflip the image horizontally\nwhat is in this picture?\nMake it brighter.\n")
    stage3 = tmp_path / "open.txt"
    stage3.write_text("make the photo look dramatic\n")
    out = tmp_path / "set" / "train.jsonl"
    status = main(["train", "data", "--images", str(images[0].parent), "-o", str(out), "--examples", "--rules",
                   str(rules), "--instructions", str(stage3), "--bricks", ",".join(BRICKS), "--heldout", "0", "--json"])
    assert status == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["duplicates_dropped"] == 2 and summary["heldout"] == 0  # both "make it brighter": a worked example
    assert summary["sources"][f"rules {rules}"] == {"planned": 3, "refused": 1, "invalid": 0}
    records = data.load(out)
    sources = [r.source for r in records]
    assert sources.count("rules") == 2 and sources.count("instructions") == 1 and "examples" in sources
    assert all(r.workflow is None or all(s.get("model") in (*BRICKS, None) for s in r.workflow["pipeline"])
               for r in records)
    assert main(["train", "data", "--images", str(tmp_path / "none"), "-o", str(out), "--examples"]) == 1
    assert "is not a folder" in capsys.readouterr().err
    assert main(["train", "data", "--images", str(images[0].parent), "-o", str(out)]) == 1
    assert "name at least one source" in capsys.readouterr().err


def test_cli_train_stage_refuses_a_bad_config_in_one_line(tmp_path, capsys):
    from lego_edit.daemon.cli.app import main

    toml = tmp_path / "train.toml"
    toml.write_text('[model]\nbase = "no-such-folder"\n[data]\ntrain = "x.jsonl"\n')
    assert main(["train", "sft", "--config", str(toml)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model.base" in err and "never downloads" in err
    toml.write_text('[train]\nmax_step = 3\n')
    assert main(["train", "grpo", "--config", str(toml)]) == 1
    assert "unknown key train.max_step" in capsys.readouterr().err
    toml.write_text('[train]\nmax_steps = "many"\n')
    assert main(["train", "grpo-critic", "--config", str(toml)]) == 1
    assert "train.max_steps must be int" in capsys.readouterr().err
    (tmp_path / "base").mkdir()
    toml.write_text('[model]\nbase = "base"\n[data]\ntrain = "missing.jsonl"\n')
    assert main(["train", "sft", "--config", str(toml)]) == 1
    assert "missing.jsonl does not exist" in capsys.readouterr().err
