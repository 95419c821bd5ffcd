"""The rules planner on how people ask: request forms, paraphrased verbs, scene phenomena, tone words,
geometry, aspect-ratio outpainting, text edits and compound requests (sentences written for these tests)."""

from __future__ import annotations

import pytest

from lego_edit.builder.feedback import steps_of
from lego_edit.builder.rules import PlanRefused, plan_rules


def steps(text: str, **kw):
    return [(s.model, {k: v for k, v in s.inputs.items() if v is not None}) for s in steps_of(plan_rules(text, **kw).workflow)]


def models(text: str, **kw) -> list[str]:
    return [m for m, _ in steps(text, **kw)]


@pytest.mark.parametrize("text", [
    "Could somebody please erase the bicycle leaning on the fence?",
    "[Request] please take out the photobomber",
    "is it possible to delete the trash can",
    "I'd like it if you could remove the lamp post",
    "The kettle needs to be removed",
    "the umbrella must disappear",
    "the traffic cone is to be expunged from the picture",
    "Make sure there are no pigeons in the photo",
    "obliterate the scooter",
    "I want the ladder gone",
    "hi all! can anyone help me remove the sticker on the laptop? thanks in advance",
])
def test_removal_requests_in_many_forms(text):
    assert models(text)[-1] == "FLUX-INPAINT"


def test_true_questions_and_gibberish_are_still_refused():
    for text in ("what is in this picture?", "how many cats are there?", "asdf qwer zxcv"):
        with pytest.raises(PlanRefused):
            plan_rules(text)


@pytest.mark.parametrize("text, brick", [
    ("clear the mist please", "DEHAZE"),
    ("could you get rid of the grain?", "DENOISE"),
    ("remove the noise from this photo", "DENOISE"),
    ("fix the blur", "SHARPEN"),
    ("sharpen it a little", "SHARPEN"),
])
def test_scene_phenomena_are_not_segmented(text, brick):
    found = models(text)
    assert brick in found and "RES" not in found and "FASTINPAINT" not in found


def test_snow_and_rain_are_cleared_by_the_environment_brick():
    (model, inputs), = steps("wipe the snow off the photo")
    assert model == "FLUX-ENV" and "without snow" in inputs["prompt"]


def test_reflections_are_refused_honestly():
    with pytest.raises(PlanRefused, match="no brick that removes reflections"):
        plan_rules("get rid of the reflections in the window")


@pytest.mark.parametrize("text, expected", [
    ("more contrast", [("CONTRAST", 0.3)]),
    ("make it pop", [("CONTRAST", 0.3), ("SATURATION", 0.3)]),
    ("make the photo a touch warmer", [("TEMPERATURE", 0.15)]),
    ("cool it down a lot", [("TEMPERATURE", -0.54)]),
    ("desaturate it slightly", [("SATURATION", -0.24)]),
])
def test_tone_words_plan_the_classical_bricks(text, expected):
    got = [(m, i.get("amount")) for m, i in steps(text)]
    assert got == expected


def test_black_and_white_except_one_object():
    got = steps("make everything black and white except the yellow taxi")
    assert [m for m, _ in got] == ["RES", "INVERSE", "SATURATION"]
    assert got[0][1]["prompt"] == "yellow taxi" and got[2][1]["amount"] == -1.0
    assert got[2][1]["mask"] == "step2[mask]"


def test_darker_and_moodier_keeps_both_parts():
    assert models("darker and moodier") == ["FLUX-BRIGHT", "CONTRAST", "SATURATION"]


@pytest.mark.parametrize("text, step", [
    ("crop it to 16:9", ("CROP", {"aspect": "16:9"})),
    ("crop to a square", ("CROP", {"aspect": "1:1"})),
    ("rotate the image 90 degrees clockwise", ("ROTATE", {"angle": -90.0})),
    ("turn the photo upside down", ("ROTATE", {"angle": 180.0})),
    ("mirror the picture", ("FLIP", {"direction": "horizontal"})),
    ("flip it vertically", ("FLIP", {"direction": "vertical"})),
])
def test_geometry(text, step):
    model, inputs = steps(text)[-1]
    assert (model, {k: v for k, v in inputs.items() if k != "image"}) == step


def test_outpaint_to_an_aspect_ratio_uses_the_image_size():
    from lego_edit.bricks.builtin.canvas import canvas_borders, canvas_ratios

    def grown(cmi, size):
        ratios = canvas_ratios(*(cmi[f"{side}_ratio"] for side in ("left", "right", "top", "bottom")))
        left, right, top, bottom = canvas_borders((size[1], size[0]), ratios)
        return size[0] + left + right, size[1] + top + bottom

    (_, cmi), _ = steps("extend the picture to 16:9", image_size=(1200, 900))
    assert cmi["left_ratio"] == cmi["right_ratio"] == pytest.approx(1 + (16 / 9 * 900 / 1200 - 1) / 2, abs=1e-3)
    assert cmi["top_ratio"] == cmi["bottom_ratio"] == 1.0
    assert grown(cmi, (1200, 900)) == (1600, 900)  # 16:9 once the brick has grown it
    (_, square), _ = steps("make it square", image_size=(1600, 900))
    assert square["top_ratio"] == square["bottom_ratio"] == pytest.approx(1 + (1600 / 900 - 1) / 2, abs=1e-3)
    assert abs(grown(square, (1600, 900))[1] - 1600) <= 2
    (_, banner), _ = steps("expand it into a 2:1 banner", image_size=(1000, 1000))
    assert banner["left_ratio"] == banner["right_ratio"] == 1.5 and grown(banner, (1000, 1000)) == (2000, 1000)


def test_outpaint_twice_as_wide():
    (_, cmi), _ = steps("extend it so it is twice as wide")
    assert cmi["left_ratio"] == cmi["right_ratio"] == 1.5 and cmi["top_ratio"] == cmi["bottom_ratio"] == 1.0


def test_an_expression_is_a_pose_edit():
    assert models("make him grin") == ["FLUX-POSE"]


def test_compound_requests_keep_every_part_or_name_the_one_they_cannot_do():
    assert models("delete the mailbox and increase the contrast")[-1] == "CONTRAST"
    with pytest.raises(PlanRefused) as info:
        plan_rules("remove the bench and make the pavement sparkle")
    assert "'remove the bench'" in info.value.reason and "make the pavement sparkle" in info.value.reason


def test_deleting_text_is_a_removal_of_the_text_region():
    got = steps("please delete the date stamp")
    assert got[0] == ("RES", {"image": "init[image]", "prompt": "date stamp"}) and got[-1][0] == "FLUX-INPAINT"


def test_passive_recolour_and_wish():
    got = steps("The mug should be painted green")
    assert got[0][1]["prompt"] == "mug" and got[-1] == ("FLUX-RCM", {**got[-1][1], "prompt": "green"})


# -- paraphrased restoration and tone (the image named in any state, verbs of improving) ---------------------
@pytest.mark.parametrize("text, brick", [
    ("Improve the photo's crispness and definition", "SHARPEN"),
    ("increase the clarity of this fuzzy snapshot photo", "SHARPEN"),
    ("Restore the sharp edges of the image", "SHARPEN"),
    ("Free the picture from smog", "DEHAZE"),
    ("wipe away the haziness", "DEHAZE"),
    ("defog this shot", "DEHAZE"),
])
def test_restoration_paraphrases(text, brick):
    found = models(text)
    assert brick in found and "RES" not in found


@pytest.mark.parametrize("text", ["Boosting the radiance", "enhance the luminance", "raise the glow"])
def test_luminosity_words_are_brightness(text):
    assert models(text) == ["FLUX-BRIGHT"]


@pytest.mark.parametrize("text, brick", [("please fix the cracks and creases in this old print", "DESCRATCH"),
                                         ("could you remove the red-eye", "RED-EYE")])
def test_damage_is_repaired_by_its_brick_not_segmented(text, brick):
    assert models(text) == [brick]


def test_damage_no_brick_repairs_is_refused_not_segmented():
    with pytest.raises(PlanRefused, match="no brick"):
        plan_rules("please remove the water damage from this print")


def test_a_context_sentence_naming_a_day_is_not_an_environment_edit():
    with pytest.raises(PlanRefused):
        plan_rules("Our graduation day.")


# -- request forms ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Can the trash bag on the porch be removed?",
    "pls take out the cone",
    "Would a kind soul be able to erase the scooter?",
    "I'm happy to tip if someone could delete the signpost",
    "Could some please get rid of the tripod",
    "Could someone photoshop my ex out?",
    "please make the stranger on the bench disappear",
    "Tidy up the photo by erasing the wires",
    "Would like somebody to remove the sticker",
])
def test_more_removal_request_forms(text):
    assert models(text)[-1] == "FLUX-INPAINT"


def test_a_wish_with_a_participle_or_to_be():
    assert models("I'd just like this darkened a bit") == ["FLUX-BRIGHT"]
    got = steps("I want the lighting on my face to be less bright")
    assert got[0] == ("FLUX-BRIGHT", {"image": "init[image]", "ratio": got[0][1]["ratio"]}) and got[0][1]["ratio"] < 0.5
    assert ("RES", {"image": got[1][1]["image"], "prompt": "face"}) in got


@pytest.mark.parametrize("text, value", [
    ("Beside the lamp, add a potted fern", "potted fern"),
    ("On top of the fridge, let's place a radio", "radio"),
    ("Liven up the scene by adding a flock of birds", "flock of birds"),
])
def test_fronted_places_and_by_doing(text, value):
    got = steps(text)
    assert got[0][0] == "ADD-PRED" and got[-1] == ("FLUX-FILL", {**got[-1][1], "prompt": value})


def test_a_request_inside_a_sentence_of_context():
    got = steps("this is my uncle at his wedding, could someone remove the woman behind him, will tip")
    assert got[0][1]["prompt"] == "woman behind the person" and got[-1][0] == "FLUX-INPAINT"


@pytest.mark.parametrize("text", ["do something fun with it", "can someone fix this?", "make it better",
                                  "Could you clean this up?"])
def test_requests_with_no_concrete_edit_say_what_to_change(text):
    with pytest.raises(PlanRefused, match="what to change"):
        plan_rules(text)


# -- RES prompts keep relations to other objects ------------------------------------------------------------
@pytest.mark.parametrize("text, prompt", [
    ("remove the stool to the right of the piano", "stool right of the piano"),
    ("erase the bike behind him", "bike behind the person"),
    ("delete the man at the far right", "rightmost man"),
    ("remove the vase next to the clock", "vase next to the clock"),
    ("make the cup in front of the laptop red", "cup in front of the laptop"),
])
def test_res_prompt_keeps_spatial_relations(text, prompt):
    assert steps(text)[0][1]["prompt"] == prompt


# -- recolour, background and style paraphrases -----------------------------------------------------------------
@pytest.mark.parametrize("text, target, value", [
    ("Dress the boy in navy blue", "boy's clothes", "navy blue"),
    ("Adorn the fence with a white hue", "fence", "white"),
    ("Crimson shall grace the rooftop", "rooftop", "crimson"),
    ("The petals should glow in pink", "petals", "pink"),
    ("Let the hedge be draped in orange", "hedge", "orange"),
    ("Give the lawn a golden appearance", "lawn", "golden"),
    ("Grey the car's paint", "car", "grey"),
    ("could someone make the brass into copper for me", "brass", "copper"),
    ("Mailbox from red to blue", "mailbox", "blue"),
])
def test_recolour_paraphrases(text, target, value):
    got = steps(text)
    assert got[0][1]["prompt"] == target and got[-1][0] == "FLUX-RCM" and got[-1][1]["prompt"] == value


@pytest.mark.parametrize("text", ["make the backdrop whiter", "change the background colour from grey to white",
                                  "I would like a clean, white backround", "please create a plain black background "
                                  "behind the kitten", "Modify the scenery of this photo to portray a desert",
                                  "Rework the setting to reflect a rainforest"])
def test_background_paraphrases(text):
    assert "FLUX-CBG" in models(text)


@pytest.mark.parametrize("text, style", [
    ("Immerse the picture in the gentle washes of watercolor painting", "watercolor painting"),
    ("Infuse the photo with the boldness of pop art", "pop art"),
    ("Capture a timeless mood in black and white", "black and white"),
])
def test_style_named_after_an_expressive_verb(text, style):
    got = steps(text)
    assert got[-1][0] == "FLUX-STYLE" and got[-1][1]["style"] == style


def test_replacing_an_object_with_the_background_removes_it():
    assert models("replace the man on the right with the brick wall background")[-1] == "FLUX-INPAINT"


def test_white_space_around_is_outpainting_and_moving_is_refused():
    assert models("add some white space around the logo") == ["CMI-PRED", "FLUX-FILL"]
    with pytest.raises(PlanRefused, match="moving"):
        plan_rules("move my sister closer to me")


@pytest.mark.parametrize("text", ["make the pavement wet", "add puddles to the road", "make it a rainy street"])
def test_wet_streets_are_an_environment_edit(text):
    (model, inputs), = steps(text)
    assert model == "FLUX-ENV" and "wet" in inputs["prompt"]


@pytest.mark.parametrize("text, prompt, words", [
    ("change the sign to say OPEN", "sign", 'a sign that says "OPEN"'),
    ("Make the banner read 'Welcome Home'", "banner", 'a banner that says "Welcome Home"'),
    ("change the text on the cup to \"Best Mum\"", "text on the cup", 'text that says "Best Mum"'),
])
def test_text_replacement_keeps_the_case_of_the_words(text, prompt, words):
    got = steps(text)
    assert got[0][1]["prompt"] == prompt and got[-1] == ("FLUX-FILL", {**got[-1][1], "prompt": words})


def test_eyes_open_is_a_pose():
    assert models("make my brother's eyes open") == ["FLUX-POSE"]


# -- restoration and weather templates ---------------------------------------------------------------------
@pytest.mark.parametrize("text, brick", [
    ("Restore this grainy photograph", "DENOISE"),
    ("Fix the details of this smudged picture", "SHARPEN"),
    ("Refocus the photo", "SHARPEN"),
    ("Cleanse the photo of visual disturbances", "DENOISE"),
    ("Reveal the hills hidden behind the mist", "DEHAZE"),
    ("Purge the static", "DENOISE"),
])
def test_more_restoration_forms(text, brick):
    assert brick in models(text) and "RES" not in models(text)


@pytest.mark.parametrize("text", ["Chase away the gloom", "Lift the darkness from this photo", "Bring more light to this "
                                  "dim shot", "Brighten this gloomy photo", "give it more light"])
def test_low_light_is_lifted_for_the_whole_image(text):
    assert models(text) == ["FLUX-BRIGHT"]


def test_a_shadow_is_still_removed_as_an_object():
    assert models("Dispel the darkness cast by the shadow on the wall")[-1] == "FLUX-INPAINT"


@pytest.mark.parametrize("text, prompt", [
    ("Melt away the frost", "without snow"), ("Banish the cloudy weather", "clear sunny day"),
    ("Wipe the water drops off", "without rain"), ("Dismiss the drizzle", "without rain"),
])
def test_weather_to_clear(text, prompt):
    (model, inputs), = steps(text)
    assert model == "FLUX-ENV" and prompt in inputs["prompt"]


def test_an_unknown_verb_with_a_weather_word_adds_no_weather():
    with pytest.raises(PlanRefused):
        plan_rules("Quell the blizzard")


def test_image_quality_is_a_general_restoration():
    assert models("Please improve the photo quality") == ["DENOISE", "SHARPEN"]


@pytest.mark.parametrize("text, fix", [
    ("The photo is way too dark", ["FLUX-BRIGHT"]),
    ("it's a bit too grainy", ["DENOISE"]),
    ("This shot came out too blurry", ["SHARPEN"]),
    ("the picture looks too yellow", ["TEMPERATURE"]),
])
def test_complaints_say_what_to_fix(text, fix):
    assert models(text) == fix


def test_a_complaint_about_an_object_fixes_that_object():
    got = steps("the lamp is too bright")
    assert got[0][0] == "FLUX-BRIGHT" and got[0][1]["ratio"] < 0.5 and ("RES", {"image": got[1][1]["image"],
                                                                                "prompt": "lamp"}) in got


@pytest.mark.parametrize("text, prompt", [
    ("there's a jogger ruining the shot", "jogger"),
    ("the bin in the way", "bin"),
    ("Hey all! Need the scaffolding gone", "scaffolding"),
])
def test_what_spoils_the_photo_is_removed(text, prompt):
    got = steps(text)
    assert got[0][1]["prompt"] == prompt and got[-1][0] == "FLUX-INPAINT"


@pytest.mark.parametrize("text, value", [
    ("Populate the picture with three ducks", "three ducks"),
    ("Bring a kitten into the photo", "kitten"),
    ("Set a candle on the cake", "candle"),
    ("Make sure the picture contains a hot air balloon", "hot air balloon"),
    ("Let there be a kite in the sky", "kite"),
])
def test_more_addition_forms(text, value):
    assert steps(text)[-1] == ("FLUX-FILL", {**steps(text)[-1][1], "prompt": value})


@pytest.mark.parametrize("text, prompt", [
    ("See to it that no pigeons appear in the photo", "pigeons"),
    ("make sure the photo has no cones", "cones"),
    ("Take the bucket out of the picture", "bucket"),
    ("Clear the shadow from the pavement", "shadow"),
])
def test_more_removal_forms(text, prompt):
    got = steps(text)
    assert got[0][1]["prompt"] == prompt and got[-1][0] == "FLUX-INPAINT"


def test_clearing_the_sky_is_not_removing_it():
    assert "FLUX-INPAINT" not in (models("clear the sky") if _plans("clear the sky") else [])


def _plans(text: str) -> bool:
    try:
        plan_rules(text)
    except PlanRefused:
        return False
    return True


@pytest.mark.parametrize("text", [
    "Revamp the backdrop of this photo to depict a volcano landscape",
    "Tailor the scenery in this picture to suggest an autumn forest",
    "Rework the surroundings to match a harbour backdrop",
])
def test_setting_to_a_new_place_is_a_background_change(text):
    assert "FLUX-CBG" in models(text)


@pytest.mark.parametrize("text, says", [
    ("Could someone swap our faces?", "faces"),
    ("Can someone put me into this photo of the concert?", "photo of them"),
    ("please merge these two pictures", "second image"),
    ("Can someone make me look slimmer", "reshaping"),
    ("can someone duplicate my cat", "copying"),
    ("could you vectorize the logo", "vectors"),
])
def test_what_needs_more_than_words_is_refused_with_the_reason(text, says):
    with pytest.raises(PlanRefused, match=says):
        plan_rules(text)


def test_context_after_a_comma_stays_out_of_the_res_prompt():
    got = steps("remove the man in the background, my sister wants this for her wedding album")
    assert got[0][1]["prompt"] == "man"


def test_two_objects_each_keep_their_position():
    assert steps("remove the boy on the left and the woman in the middle")[0][1]["prompt"] == \
        "left boy and center woman"


def test_removing_everything_but_one_thing_is_refused_with_advice():
    with pytest.raises(PlanRefused, match="name what to remove"):
        plan_rules("please remove everybody except my son")


def test_instead_of_the_old_colour():
    assert steps("make the scarf green instead of grey")[-1][1]["prompt"] == "green"


def test_fixing_the_lighting_on_a_part_is_a_local_brightness_edit():
    got = steps("could someone fix the lighting on his face")
    assert got[0][0] == "FLUX-BRIGHT" and ("RES", {"image": got[1][1]["image"], "prompt": "face"}) in got


def test_putting_someone_on_a_plain_background_keeps_them():
    got = steps("cut him out and put him on a grey background")
    assert got[-1] == ("FLUX-CBG", {**got[-1][1], "prompt": "grey background"}) and "INVERSE" in [m for m, _ in got]


def test_square_this_is_outpainting():
    assert models("make this a square picture") == ["CMI-PRED", "FLUX-FILL"]


def test_a_colour_cast_is_white_balance():
    assert models("get rid of this yellow cast") == ["WHITE-BALANCE"]
    assert models("Remove the shadow cast on the floor")[-1] == "FLUX-INPAINT"


def test_one_edit_or_another_is_refused():
    with pytest.raises(PlanRefused, match="say which one"):
        plan_rules("remove the sign or make it blue")


def test_a_flash_ruined_brightness_is_darkened():
    (model, inputs), = steps("please correct the exposure in this photo, the flash blew it out")
    assert model == "FLUX-BRIGHT" and inputs["ratio"] < 0.5


def test_a_quoted_verb_and_a_doubt_around_it():
    assert models('is this photo possible to "unblur" if that is possible?') == ["SHARPEN"]


@pytest.mark.parametrize("text, darker", [
    ("Maximizing the luminosity", False), ("Strengthening the light levels", False), ("Perfecting the illumination",
                                                                                     False),
    ("Tempering the brightness", True), ("Subdue the glow", True),
])
def test_any_verb_with_a_brightness_noun_is_a_brightness_edit(text, darker):
    (model, inputs), = steps(text)
    assert model == "FLUX-BRIGHT" and (inputs["ratio"] < 0.5) == darker


@pytest.mark.parametrize("text", ["Bolster the clarity", "Perfect the image's crispness", "Upgrading the visual acuity"])
def test_any_verb_with_a_sharpness_noun_sharpens(text):
    assert models(text) == ["SHARPEN"]


def test_removing_a_light_is_not_a_brightness_edit():
    assert "FLUX-BRIGHT" not in models("remove the light")


@pytest.mark.parametrize("text, brick", [
    ("Get rid of the out-of-focus look", "SHARPEN"), ("Sharpen the fuzzy outlines", "SHARPEN"),
    ("Bring back the crisp edges", "SHARPEN"), ("Recover the colours muted by the fog", "DEHAZE"),
    ("Lessen the clutter created by the grain", "DENOISE"), ("Filter out the speckles", "DENOISE"),
])
def test_restoration_said_around_the_problem(text, brick):
    assert models(text) == [brick]


@pytest.mark.parametrize("text", ["Take away the drizzly mood", "Rid the street of the rainstorm"])
def test_rain_to_clear_said_around_it(text):
    (model, inputs), = steps(text)
    assert model == "FLUX-ENV" and "without rain" in inputs["prompt"]


@pytest.mark.parametrize("text, target, value", [
    ("Let the van be coated in silver", "van", "silver"),
    ("Bestow a lilac hue upon the swan", "swan", "lilac"),
    ("Imbue the clouds with a pink tint", "clouds", "pink"),
    ("Shade the curtains in beige", "curtains", "beige"),
    ("Have the gate painted black", "gate", "black"),
    ("A red colour should cover the barn", "barn", "red"),
    ("Let gold envelop the dome", "dome", "gold"),
    ("Render the mug in teal", "mug", "teal"),
])
def test_more_recolour_forms(text, target, value):
    got = steps(text)
    assert got[0][1]["prompt"] == target and got[-1] == ("FLUX-RCM", {**got[-1][1], "prompt": value})


@pytest.mark.parametrize("text, prompt", [("Dispose of the watermark", "watermark"),
                                          ("Get the logo off this photo", "logo"),
                                          ("Scrub away the caption", "caption")])
def test_more_watermark_removal_forms(text, prompt):
    got = steps(text)
    assert got[0][1]["prompt"] == prompt and got[-1][0] == "FLUX-INPAINT"


def test_it_and_them_refer_to_what_the_context_said_is_there():
    got = steps("We love this one from the park, but there's a bunch of pigeons near us. Could someone remove them?")
    assert got[0][1]["prompt"] == "pigeons" and got[-1][0] == "FLUX-INPAINT"


@pytest.mark.parametrize("text", [
    "Anyone able to erase the bin by the door?",
    "Possible to delete the wires above the house?",
    "Would really appreciate if someone could take out the cone",
    "Could you guys please remove the sticker",
    "Any help removing the tag on his collar would be great",
    "Need someone to tidy up the background, remove the buckets",
    "Could I please get this photo edited so the man in the doorway is gone?",
    "can someone remove the logo lol",
])
def test_forum_request_forms(text):
    assert models(text)[-1] == "FLUX-INPAINT"


def test_bg_is_background_and_a_wish_with_a_participle():
    assert "FLUX-CBG" in models("make bg grey pls")
    assert models("i want the background blurred")[-1] == "BLUR"


def test_less_yellow_is_cooler():
    (model, inputs), = steps("could you make this less yellow")
    assert model == "TEMPERATURE" and inputs["amount"] < 0


def test_a_vague_new_background_asks_which():
    with pytest.raises(PlanRefused, match="which background"):
        plan_rules("swap the background for something nicer")


@pytest.mark.parametrize("text", ["Can I get a new background for this photo? Was thinking of a misty forest, or a lake.",
                                  "Could someone give me a new background? Maybe a city skyline"])
def test_the_new_background_named_in_the_next_sentence(text):
    assert "FLUX-CBG" in models(text)


def test_better_lighting_evens_it_out_and_a_nicer_look_is_an_auto_enhance():
    # better lighting is the classical fix: the shadows lifted and the highlights brought down, nothing guessed beyond
    assert [s.model for s in steps_of(plan_rules("could someone make the lighting nicer in this photo?").workflow)] == \
        ["SHADOWS-HIGHLIGHTS"]
    # the photo as a whole to look nicer: a photo app's one-tap auto (shadows, contrast, colour, each a little)
    assert models("could someone make it look nicer?") == ["SHADOWS-HIGHLIGHTS", "CONTRAST", "SATURATION"]
    with pytest.raises(PlanRefused, match="what to change"):
        plan_rules("could someone fix this?")


def test_a_slash_between_two_edits_keeps_both():
    assert models("brighten the lamp / remove the cable")[-1] == "FLUX-INPAINT"
    assert "FLUX-BRIGHT" in models("brighten the lamp / remove the cable")


@pytest.mark.parametrize("text, old, new", [
    ("Trade the kettle for a teapot", "kettle", "teapot"),
    ("Put a goat in place of the sheep", "sheep", "goat"),
    ("Let a penguin take the place of the duck", "duck", "penguin"),
    ("Instead of the candle, show a lantern", "candle", "lantern"),
])
def test_replacement_said_around_the_place(text, old, new):
    got = steps(text)
    assert got[0][1]["prompt"] == old and got[-1] == ("FLUX-FILL", {**got[-1][1], "prompt": new})


@pytest.mark.parametrize("text", ["Make the picture look hand-drawn", "Add a retro filter", "apply a sepia effect"])
def test_filters_and_looks_are_styles(text):
    assert models(text)[-1] == "FLUX-STYLE"


def test_fixing_the_colours_is_white_balance_and_is_kept_in_a_compound():
    assert models("please remove the bin and correct the colours") [-1] == "WHITE-BALANCE"


def test_an_edit_verb_clause_not_understood_is_named_not_dropped():
    with pytest.raises(PlanRefused, match="remove the kite"):
        plan_rules("remove the kite and make the clouds sing")


def test_remove_background_from_image_is_a_cut_out():
    assert models("how to remove background from image") == ["SOS"]


def test_colourising_is_refused_not_styled():
    with pytest.raises(PlanRefused, match="colouris"):
        plan_rules("colorize this black and white portrait")


def test_a_removal_that_names_no_object_is_refused_not_planned_on_nothing():
    with pytest.raises(PlanRefused, match="whole image"):
        plan_rules("remove everything")


@pytest.mark.parametrize("text, brick", [
    ("The colours are washed out, could you make them pop?", "SATURATION"),
    ("The sky is blown out, can someone bring it back?", "SHADOWS-HIGHLIGHTS"),
    ("could someone make the shadows softer", "SHADOWS-HIGHLIGHTS"),
    ("Can someone even out the lighting?", "SHADOWS-HIGHLIGHTS"),
    ("make the reds more vibrant", "SATURATION"),
    ("My photo is blurry, help", "SHARPEN"),
])
def test_tone_complaints_and_requests(text, brick):
    assert brick in models(text) and "RES" not in models(text)


def test_a_plain_description_of_the_sky_is_no_edit():
    with pytest.raises(PlanRefused):
        plan_rules("the sky is blue")


def test_softening_a_shadow_never_removes_an_object():
    try:
        found = models("soften the shadow under the bench")
    except PlanRefused:
        return
    assert "FLUX-INPAINT" not in found and "FASTINPAINT" not in found


def test_whiten_is_a_recolour():
    assert steps("could you whiten his teeth")[-1][1]["prompt"] == "white"


def test_an_edit_said_twice_is_done_once():
    assert models("there's a cable in the way, can someone remove it?") == ["RES", "FASTINPAINT", "FLUX-INPAINT"]


def test_it_after_context_keeps_the_honest_refusal_for_reflections():
    with pytest.raises(PlanRefused, match="reflections"):
        plan_rules("There's a reflection on the glass, is it possible to remove it?")


def test_a_wish_after_a_comma():
    assert models("The colours are fine, I just want the bin removed")[-1] == "FLUX-INPAINT"


def test_a_colour_change_without_a_colour_recolours_to_a_different_one():
    got = steps("change the scarf colour")
    assert got[0][1]["prompt"] == "scarf" and got[-1] == ("FLUX-RCM", {**got[-1][1], "prompt": "a different colour"})


@pytest.mark.parametrize("text, prompt", [
    ("Ensure the photo is free of wires", "wires"),
    ("The lorry should no longer be visible", "lorry"),
    ("The picture shouldn't contain the ladder", "ladder"),
    ("I don't want the bin in the photo", "bin"),
    ("Make it so there is no scaffolding", "scaffolding"),
    ("Without the tripod, please", "tripod"),
    ("Leave out the kite", "kite"),
    ("Cut the pole from the picture", "pole"),
])
def test_removal_said_as_what_should_not_be_there(text, prompt):
    got = steps(text)
    assert got[0][1]["prompt"] == prompt and got[-1][0] == "FLUX-INPAINT"


def test_not_wanting_a_look_is_no_removal():
    with pytest.raises(PlanRefused):
        plan_rules("I don't want it to look fake")


# -- requests inside longer sentences, local tone, defects said as statements -------------------------------
@pytest.mark.parametrize("text, first, last", [
    ("I would be so grateful if someone could please remove the kite", "RES", "FLUX-INPAINT"),
    ("Request to remove the lamp post from this shot", "RES", "FLUX-INPAINT"),
    ("(Please!) Remove the bucket behind her", "RES", "FLUX-INPAINT"),
    ("If possible lighten and make it a little sharper", "FLUX-BRIGHT", "SHARPEN"),
    ("Is there any hope of brightening this photo up?", "FLUX-BRIGHT", "FLUX-BRIGHT"),
    ("I need this photo edited to fix the over-exposure", "EXPOSURE", "EXPOSURE"),
    ("Would anyone mind removing the sign?", "RES", "FLUX-INPAINT"),
    ("Can someone edit to make it darker", "FLUX-BRIGHT", "FLUX-BRIGHT"),
])
def test_a_request_inside_a_longer_sentence(text, first, last):
    got = models(text)
    assert got[0] == first and got[-1] == last


@pytest.mark.parametrize("text, prompt, brick", [
    ("make the sky more vivid", "sky", "SATURATION"),
    ("increase the contrast of the grass", "grass", "CONTRAST"),
    ("Can you make this night sky pop?", "night sky", "CONTRAST"),
    ("add more colour to the flowers", "flowers", "SATURATION"),
])
def test_tone_on_one_object_is_laid_over_the_image_through_its_mask(text, prompt, brick):
    got = steps(text)
    assert got[0][0] == brick
    res = next(i for m, i in got if m == "RES")
    assert res["prompt"] == prompt and got[-1][0] == "COMPOSE"
    assert plan_rules(text).workflow["process"].startswith(f"adjust the {prompt}:")


@pytest.mark.parametrize("text, brick", [
    ("I got to meet him last night but the picture was blurry", "SHARPEN"),
    ("Took this with my phone, but it's overwhelmed with noise. Can someone fix it?", "DENOISE"),
    ("slightly blurry wedding photo", "SHARPEN"),
    ("Less blurry?", "SHARPEN"),
    ("High contrast effect?", "CONTRAST"),
    ("Resolve the blur in this image", "SHARPEN"),
    ("Make this photo noise-free", "DENOISE"),
    ("Can someone please make this picture not so blurry?", "SHARPEN"),
    ("Sharpen this picture of my son at his christening", "SHARPEN"),
    ("Can you color correct this?", "WHITE-BALANCE"),
    ("brighten the dark parts", "SHADOWS-HIGHLIGHTS"),
    ("give it an HDR look", "SHADOWS-HIGHLIGHTS"),
    ("Make this photo black and white please", "SATURATION"),
    ("remove the clouds", "FLUX-ENV"),
])
def test_image_defects_and_looks_said_plainly(text, brick):
    got = models(text)
    assert brick in got and "RES" not in got and "FLUX-FILL" not in got


@pytest.mark.parametrize("text, target", [
    ("Could someone please remove the white background from this picture?", "<subject>"),
    ("Can someone make the background transparent", "<subject>"),
    ("make this man transparent", "man"),
    ("Could I please get myself cut out of this picture", "person"),
])
def test_removing_a_background_or_making_it_transparent_is_a_cut_out(text, target):
    got = steps(text)
    assert got[0][0] in ("SOS", "RES") and all(m not in ("FASTINPAINT", "FLUX-INPAINT") for m, _ in got)
    if target != "<subject>":
        assert got[0][1]["prompt"] == target


def test_a_background_removed_and_replaced_is_one_background_change():
    got = models("Can someone remove the background of this picture of me and replace it with a white background?")
    assert got[-1] == "FLUX-CBG" and "FASTINPAINT" not in got


@pytest.mark.parametrize("text", [
    "Please lighten and sharpen my dog",  # the shared object goes to both verbs, or the part is refused
    "get rid of the dirt on the sail and generally brighten the sail",
])
def test_no_part_of_a_compound_is_dropped(text):
    try:
        got = models(text)
    except PlanRefused as refused:
        assert "but not" in refused.reason
    else:
        assert len({m for m in got if m not in ("RES", "COMPOSE")}) >= 2


def test_a_part_ruined_by_someone_removes_that_someone():
    assert steps("the moment is slightly ruined by my ex")[0][1]["prompt"] == "ex"


@pytest.mark.parametrize("text, brick", [
    ("My photo came out really dark, any help appreciated", "FLUX-BRIGHT"),
    ("The lighting is harsh, can someone soften it?", "SHADOWS-HIGHLIGHTS"),
    ("the colors are off, can someone fix them", "WHITE-BALANCE"),
    ("would love it if the car was red", "FLUX-RCM"),
])
def test_more_ways_of_asking(text, brick):
    assert brick in models(text)


def test_the_same_brightness_said_twice_is_one_step():
    assert models("Can someone brighten this up a bit? It's way too dark.") == ["FLUX-BRIGHT"]


def test_a_background_example_after_something_nicer_is_the_background():
    assert steps("need the background changed to something nicer, maybe a beach")[-1][1]["prompt"] == "beach"


@pytest.mark.parametrize("text, last", [
    ("Give the bus a fresh coat of yellow", "FLUX-RCM"),
    ("Modify the bicycle so that it appears black", "FLUX-RCM"),
    ("Adjust the color palette of the shirt to orange", "FLUX-RCM"),
    ("Bring a small boat into the lake", "FLUX-FILL"),
    ("Situate a lamp beside the bed", "FLUX-FILL"),
    ("Apply a pop art treatment to the photo", "FLUX-STYLE"),
    ("Transport the subject to a snowy mountain setting", "FLUX-CBG"),
    ("Swap the hue of the balloon for teal", "FLUX-RCM"),
    ("Let the apple take on a golden hue", "FLUX-RCM"),
])
def test_paraphrased_object_edits(text, last):
    got = steps(text)
    assert got[-1][0] == last
    if last == "FLUX-RCM":
        assert got[0][1]["prompt"] in ("bus", "bicycle", "shirt", "balloon", "apple")


@pytest.mark.parametrize("text, first, last", [
    ("Erase any trace of the bicycle", "RES", "FLUX-INPAINT"),
    ("The scene would be better without the fence", "RES", "FLUX-INPAINT"),
    ("Put me on a beach", "RES", "FLUX-CBG"),
    ("Make it look like we are in space", "RES", "FLUX-CBG"),
    ("I want a white background instead", "SOS", "FLUX-CBG"),
    ("Background: sunset beach", "SOS", "FLUX-CBG"),
    ("Make the backdrop a plain grey", "SOS", "FLUX-CBG"),
])
def test_removals_and_backgrounds_said_in_other_words(text, first, last):
    got = models(text)
    assert got[0] == first and got[-1] == last


@pytest.mark.parametrize("text, brick", [
    ("Can someone enhance the colors?", "SATURATION"),
    ("lower the highlights", "SHADOWS-HIGHLIGHTS"),
    ("tone down the saturation", "SATURATION"),
    ("Can someone make it less red?", "WHITE-BALANCE"),
    ("Make the picture look less dull", "CONTRAST"),
    ("make the colors more natural", "WHITE-BALANCE"),
])
def test_tone_words_people_use(text, brick):
    got = models(text)
    assert brick in got and "RES" not in got


@pytest.mark.parametrize("text", [
    "straighten the horizon", "level this photo", "Can someone please level this photo?", "fix the tilt",
    "fix the crooked horizon", "correct the tilt of the image", "make the horizon straight", "the horizon is crooked",
    "this picture is not straight",
])
def test_a_tilted_photo_is_straightened_by_its_own_lines(text):
    assert models(text) == ["STRAIGHTEN"]


@pytest.mark.parametrize("text", ["straighten her hair", "fix the perspective", "straighten the road", "fix the photo",
                                  "correct the image", "level up the colours", "the lighting is uneven"])
def test_straightening_a_thing_or_the_perspective_is_not_levelling_the_photo(text):
    try:
        assert "STRAIGHTEN" not in models(text)
    except PlanRefused:
        pass
