"""The reference implementation's own models as backends, on tiny stand-ins built here: the ONNX
matting graph (SOS, MASK-SEG) is a small graph whose output is a known function of its input, the
Builder is a random Qwen2.5-VL with a random `mimo_lora` adapter (ADD-PRED, CMI-PRED), and
FLUX.1-Canny-dev is a random FluxControlPipeline (FLUX-CBG). Each runs its real loading and
pre/post-processing code."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.models


@pytest.fixture()
def reference_known(monkeypatch):
    """The catalogue entries of the reference's models, as known.py lists them once REFERENCE_MODELS is in."""
    from lego_edit.bricks.models import known
    from lego_edit.bricks.models.reference_backends import REFERENCE_MODELS

    for spec in REFERENCE_MODELS:
        monkeypatch.setitem(known.KNOWN, spec.name, spec)


def ctx_for(manager):
    from lego_edit.bricks.registry import BrickContext

    return BrickContext(progress=lambda *_: None, cancelled=lambda: False, models=manager)


@pytest.fixture()
def configure_paths():
    from lego_edit.bricks.models import configure

    def apply(paths, options=None):
        return configure({"device": "cpu", "paths": {k: str(v) for k, v in paths.items()}, "options": options or {},
                          "idle_unload_seconds": 0})

    yield apply
    configure({})


def spec_backend(brick: str, name: str, settings=None):
    from lego_edit.bricks.models.backends import backend
    from lego_edit.bricks.models.reference_backends import REFERENCE_BACKENDS

    return backend(next(s for s in REFERENCE_BACKENDS if s.brick == brick and s.name == name), settings)


# -- ONNX matting (SOS, MASK-SEG) -----------------------------------------------------------------

def blue_channel_graph(path, pool: int = 16) -> None:
    """input (1x3x1024x1024) -> its channel 0 average-pooled by `pool`: fed BGR, the map is the blue."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    side = 1024 // pool
    nodes = [helper.make_node("Gather", ["input", "zero"], ["first"], axis=1),
             helper.make_node("AveragePool", ["first"], ["output"], kernel_shape=[pool, pool], strides=[pool, pool])]
    graph = helper.make_graph(
        nodes, "matting-stand-in",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 1024, 1024])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, side, side])],
        [helper.make_tensor("zero", TensorProto.INT64, [1], [0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


@pytest.fixture(scope="module")
def matting_root(tmp_path_factory):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("torch")
    from lego_edit.bricks.models.matting import ONNX_FILE

    root = tmp_path_factory.mktemp("lego-edit-snapshot")
    blue_channel_graph(root / ONNX_FILE)
    return root


def scene(width=160, height=96, boxes=((40, 20, 100, 70),), colour=(0, 0, 255)):
    image = np.zeros((height, width, 4), np.uint8)
    image[..., 3] = 255
    for x0, y0, x1, y1 in boxes:
        image[y0:y1, x0:x1, :3] = colour
    return image


def test_sos_masks_the_blue_object_the_stand_in_sees(matting_root, configure_paths):
    from lego_edit.bricks.models.matting import sos

    manager = configure_paths({"mibg-matting": matting_root})
    assert spec_backend("SOS", "mibg-matting").unavailable_reason() is None
    image = scene()
    image[30:40, 50:60, 3] = 200  # a half-transparent patch inside the object
    out = sos(ctx_for(manager), image)
    mask = out["mask"]
    assert mask.shape == image.shape[:2] and set(np.unique(mask)) == {0, 255}
    ys, xs = np.nonzero(mask)
    # bilinear round trips through 1024 and the 64 px map blur each edge by about one pixel
    assert abs(xs.min() - 40) <= 2 and abs(xs.max() - 99) <= 2 and abs(ys.min() - 20) <= 2 and abs(ys.max() - 69) <= 2
    assert mask[25:65, 45:95].all() and not mask[:15].any() and not mask[:, :35].any()
    cut = out["image"]
    assert np.array_equal(cut[..., :3], image[..., :3])
    assert (cut[30:40, 50:60, 3] == 200).all() and (cut[mask == 0][:, 3] == 0).all()


def test_sos_feeds_the_network_bgr_as_the_reference_does(matting_root, configure_paths):
    """The reference's images are OpenCV BGR: a red object is invisible to channel 0, so the map is flat."""
    from lego_edit.bricks.models.matting import sos
    from lego_edit.bricks.registry import BrickError

    manager = configure_paths({"mibg-matting": matting_root})
    with pytest.raises(BrickError, match="flat map"):
        sos(ctx_for(manager), scene(colour=(255, 0, 0)))


def test_mask_seg_segments_only_inside_the_rough_box(matting_root, configure_paths):
    from lego_edit.bricks.models.matting import mask_seg

    manager = configure_paths({"mibg-matting": matting_root})
    image = scene(boxes=((10, 10, 50, 50), (100, 30, 140, 80)))
    rough = np.zeros(image.shape[:2], np.uint8)
    rough[20:90, 90:150] = 255  # around the second object only
    out = mask_seg(ctx_for(manager), image, rough)
    mask = out["mask"]
    assert not mask[:, :90].any() and not mask[:20].any()  # the first object is outside the box
    assert mask[35:75, 105:135].all()
    ys, xs = np.nonzero(mask)
    assert abs(xs.min() - 100) <= 2 and abs(xs.max() - 139) <= 2 and abs(ys.min() - 30) <= 2 and abs(ys.max() - 79) <= 2
    assert (out["image"][..., 3] == mask).all()


def test_matting_refuses_bad_input(matting_root, configure_paths, tmp_path):
    from lego_edit.bricks.models.matting import ONNX_FILE, mask_seg, sos
    from lego_edit.bricks.registry import BrickError, BrickUnavailable

    manager = configure_paths({"mibg-matting": matting_root})
    ctx = ctx_for(manager)
    with pytest.raises(BrickError, match="RGBA"):
        sos(ctx, scene()[..., :3])
    with pytest.raises(BrickError, match="the mask is 10x10 but the image is 160x96"):
        mask_seg(ctx, scene(), np.zeros((10, 10), np.uint8))
    broken = tmp_path / "broken"
    (broken / ONNX_FILE).parent.mkdir(parents=True)
    (broken / ONNX_FILE).write_bytes(b"not an onnx graph")
    with pytest.raises(BrickUnavailable, match="cannot load"):
        sos(ctx_for(configure_paths({"mibg-matting": broken})), scene())
    configure_paths({"mibg-matting": tmp_path / "nowhere"})
    assert "does not exist" in (spec_backend("MASK-SEG", "mibg-matting").unavailable_reason() or "")


# -- the Builder with mimo_lora (ADD-PRED, CMI-PRED) -----------------------------------------------

@pytest.fixture(scope="module")
def mimo_root(tmp_path_factory):
    """A folder laid out like the hub repository: Builder/ (a tiny random Qwen2.5-VL) and mimo_lora/
    (a random LoRA on its attention, B not zero so it changes the output)."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("peft")
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import Qwen2_5_VLForConditionalGeneration

    from tests.tiny_models import qwen_vl

    torch.set_num_threads(2)
    root = tmp_path_factory.mktemp("lego-edit-hub")
    qwen_vl(root / "Builder")
    base = Qwen2_5_VLForConditionalGeneration.from_pretrained(root / "Builder", local_files_only=True)
    torch.manual_seed(3)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                                 init_lora_weights=False))
    peft_model.save_pretrained(root / "mimo_lora")
    return root


def test_the_adapter_loads_on_the_builder(mimo_root, configure_paths):
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file

    from lego_edit.bricks.models.mimo import load_mimo

    manager = configure_paths({"builder": mimo_root, "mimo-lora": mimo_root})
    assert spec_backend("ADD-PRED", "mimo-lora").unavailable_reason() is None
    assert spec_backend("CMI-PRED", "mimo-lora").unavailable_reason() is None
    mimo = load_mimo(manager)
    assert isinstance(mimo.model, PeftModel)
    saved = load_file(str(mimo_root / "mimo_lora" / "adapter_model.safetensors"))
    loaded = dict(mimo.model.named_parameters())
    assert saved and all(any(name.replace(".weight", ".default.weight") in k and torch.equal(p, v) for k, p in
                             loaded.items()) for name, v in saved.items())
    configure_paths({"builder": mimo_root})  # no adapter: the backend says what to pull
    assert "mimo-lora" in (spec_backend("ADD-PRED", "mimo-lora").unavailable_reason() or "")


def test_prompts_and_image_sizes_are_the_reference_ones(mimo_root):
    from transformers import AutoTokenizer

    from lego_edit.bricks.models.mimo import box_request, caption_request
    from lego_edit.bricks.models.vlm import chat_text

    tokenizer = AutoTokenizer.from_pretrained(mimo_root / "Builder", local_files_only=True)
    image = scene(width=300, height=200)
    messages, picture = caption_request(image)
    assert picture.size == (448, 298)  # int(200 / 300 * 448)
    assert chat_text(tokenizer, messages, with_image=True) == (
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Describe this image<|im_end|>\n"
        "<|im_start|>assistant\n")
    messages, picture = box_request(scene(width=200, height=300), "a red hat")
    assert picture.size == (512, 768)
    assert chat_text(tokenizer, messages, with_image=True) == (
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Add a red hat, predict where it should be "
        "placed. Output the answer in the format [x1, y1, x2, y2]<|im_end|>\n<|im_start|>assistant\n")
    _, small = caption_request(scene(width=64, height=64))
    assert small.size == (448, 448)  # small images are enlarged, as the reference does


def test_a_hand_written_answer_gives_the_box_mask():
    from lego_edit.bricks.models.mimo import box_to_mask

    # a 1536 x 1024 image is shown at 768 x 512: the box [100, 50, 199, 149] doubles
    mask = box_to_mask("<think>on the table</think>[100, 50, 199, 149]", "a vase", (1536, 1024))
    ys, xs = np.nonzero(mask)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (200, 399, 100, 299)
    assert mask[100:300, 200:400].all() and mask.sum() == 200 * 200 * 255
    # a hat moves down by int(1024 / 48) = 21 px of the shown image (42 px here)
    hat = box_to_mask("[100, 50, 199, 149]", "a red hat", (1536, 1024))
    assert np.nonzero(hat)[0].min() == 100 + 42
    # with a user mask: centred on its box, standing on its bottom edge, cut to it
    user = np.zeros((1024, 1536), np.uint8)
    user[600:700, 1000:1100] = 255
    placed = box_to_mask("[100, 50, 199, 149]", "a vase", (1536, 1024), user)
    ys, xs = np.nonzero(placed)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (1000, 1099, 600, 699)


def test_an_unparseable_answer_is_a_clear_error():
    from lego_edit.bricks.models.mimo import box_to_mask
    from lego_edit.bricks.registry import BrickError

    with pytest.raises(BrickError, match=r"no \[x1, y1, x2, y2\] box \(answer: 'somewhere on the left'\)"):
        box_to_mask("<think>hmm</think>somewhere on the left", "a dog", (64, 64))
    with pytest.raises(BrickError, match="outside the image"):
        box_to_mask("[900, 900, 950, 950]", "a dog", (64, 64))


def test_mimo_backends_run_the_real_model(mimo_root, configure_paths):
    from lego_edit.bricks.models.mimo import add_pred, caption_and_expand
    from lego_edit.bricks.registry import BrickError

    manager = configure_paths({"builder": mimo_root, "mimo-lora": mimo_root},
                              {"mimo-lora": {"max_new_tokens": 4}})
    ctx = ctx_for(manager)
    image = scene(width=96, height=64)
    with pytest.raises(BrickError, match="ADD-PRED: the box predictor gave no"):  # random weights: no box
        add_pred(ctx, image, "a dog")
    assert [e.key for e in manager.loaded()] == [f"mimo-lora/builder@{mimo_root}@{mimo_root}"]
    assert manager.used_bytes() > 0  # the manager found the Builder + adapter inside to measure and place
    out = caption_and_expand(ctx, scene(width=768, height=512), 2.0, 2.0, 2.0, 2.0)
    assert isinstance(out["caption"], str) and out["caption"] and "\n" not in out["caption"]
    assert out["image"].shape == (704, 1024, 4) and out["mask"].shape == (704, 1024)
    only = caption_and_expand(ctx, image)
    assert only["caption"]
    assert only["image"] is None and only["mask"] is None


# -- FLUX.1 Canny (FLUX-CBG) ----------------------------------------------------------------------

def tiny_flux_canny(folder):
    """A random FluxControlInpaintPipeline: VAE with 2 latent channels and scale factor 1, so the
    transformer takes packed latents 8 + packed control 8 = 16 channels."""
    import torch
    from diffusers import FluxControlInpaintPipeline

    from tests.tiny_models import flux1_pipeline

    torch.manual_seed(0)
    flux1_pipeline(FluxControlInpaintPipeline, 16).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def canny_paths(tmp_path_factory, matting_root):
    pytest.importorskip("diffusers")
    from tests.tiny_models import lama

    root = tmp_path_factory.mktemp("canny")
    return {"flux-canny": tiny_flux_canny(root / "flux-canny"), "lama": lama(root / "lama"),
            "mibg-matting": matting_root}


def test_canny_cbg_keeps_the_foreground_bytes(canny_paths, configure_paths, reference_known):
    from lego_edit.bricks.models.canny_cbg import change_background

    options = {"flux-canny": {"allow_cpu": True, "steps": [1, 1, 2], "resolution": 16, "seed": 0}}
    manager = configure_paths(canny_paths, options)
    assert spec_backend("FLUX-CBG", "flux-canny").unavailable_reason() is None
    rng = np.random.default_rng(0)
    image = np.dstack([rng.integers(0, 256, (40, 56, 3), dtype=np.uint8), np.full((40, 56), 255, np.uint8)])
    image[:, :, 3][:5] = 90  # a translucent strip: the alpha comes back unchanged
    background = np.full((40, 56), 255, np.uint8)
    background[10:30, 16:36] = 0  # the foreground
    events = []
    from lego_edit.bricks.registry import BrickContext

    ctx = BrickContext(progress=lambda f, m="": events.append(m), cancelled=lambda: False, models=manager)
    out = change_background(ctx, image, background, "a sunny beach")["image"]
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(out[..., 3], image[..., 3])
    assert np.array_equal(out[10:30, 16:36], image[10:30, 16:36])  # the foreground: the same bytes
    assert not np.array_equal(out[..., :3][background > 0], image[..., :3][background > 0])
    assert {m.split()[1] for m in events if m.startswith("pass")} == {"1/3", "2/3", "3/3"}


def test_canny_cbg_asks_the_builder_for_the_new_scene(mimo_root, configure_paths):
    """With the Builder and mimo_lora here, the prompt gets their description of the new picture."""
    from lego_edit.bricks.models import mimo
    from lego_edit.bricks.models.canny_cbg import DESCRIBE, describe

    rgb = np.full((40, 60, 3), 120, np.uint8)
    foreground = np.zeros((40, 60), np.uint8)
    foreground[10:30, 20:40] = 255
    assert describe(ctx_for(configure_paths({})), rgb, foreground, "a beach") == ""
    manager = configure_paths({"builder": mimo_root, "mimo-lora": mimo_root}, {"mimo-lora": {"max_new_tokens": 3}})
    said = describe(ctx_for(manager), rgb, foreground, "a beach")
    only = np.dstack([rgb * (foreground[..., None] > 0), np.full((40, 60), 255, np.uint8)]).astype(np.uint8)
    picture = mimo.shown_image(only, 768)
    assert picture.size == (768, 512)
    direct = mimo.ask(ctx_for(manager), [{"role": "user", "content": DESCRIBE.format(scene="a beach")}], picture)
    assert said and said == mimo.final_answer(direct).replace("\n", "")
    assert DESCRIBE.format(scene="a beach") == "a beach, give a description of the image after changing the background"


def test_canny_cbg_control_and_refusals(canny_paths, configure_paths, reference_known):
    from lego_edit.bricks.models.canny_cbg import control_image, grown_past
    from lego_edit.bricks.registry import BrickError

    rgb = np.zeros((40, 40, 3), np.uint8)
    rgb[10:30, 10:30] = 200
    rgb[0:5, 0:40] = 255  # a bright band in the background
    foreground = np.zeros((40, 40), np.uint8)
    foreground[10:30, 10:30] = 255
    first = control_image(rgb, foreground, foreground, first=True)
    assert first[..., 0].any() and not first[:8].any()  # only the foreground's edges
    later = control_image(rgb, foreground, foreground, first=False)
    assert later[:8].any()  # then the picture's own edges outside it too
    assert set(np.unique(first)) <= {0, 255}
    bigger = np.zeros_like(foreground)
    bigger[8:32, 8:32] = 255
    assert not grown_past(foreground, foreground) and grown_past(foreground, bigger) is False
    much = np.zeros_like(foreground)
    much[9:31, 9:31] = 255  # IoU 400/484 < 0.85: not the same subject
    assert not grown_past(foreground, much)

    from lego_edit.bricks.models.canny_cbg import change_background

    ctx = ctx_for(configure_paths(canny_paths, {"flux-canny": {"allow_cpu": True}}))
    image = np.dstack([rgb, np.full((40, 40), 255, np.uint8)])
    with pytest.raises(BrickError, match="no foreground"):
        change_background(ctx, image, np.full((40, 40), 255, np.uint8), "a beach")
    with pytest.raises(BrickError, match="needs a prompt"):
        change_background(ctx, image, 255 - foreground, "  ")
    with pytest.raises(BrickError, match="the mask is 4x4"):
        change_background(ctx, image, np.zeros((4, 4), np.uint8), "a beach")
    configure_paths({k: v for k, v in canny_paths.items() if k != "flux-canny"})
    assert "flux-canny" in (spec_backend("FLUX-CBG", "flux-canny").unavailable_reason() or "")
