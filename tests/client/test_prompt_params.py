"""Every documented prompt parameter check, without a server (the one catalogue)."""

from __future__ import annotations

import pytest

from astria_widgets.client.prompt_params import (
    GROUPS,
    PARAMS,
    group_params,
    param_problems,
    problem_list,
)

# (parameter, a valid value, an invalid value, words of the message for the invalid one)
CASES = [
    ("num_images", 8, 9, "9 is outside 1...8"),
    ("num_images", 1, 0, "0 is outside 1...8"),
    ("num_images", 2, 2.5, "must be a whole number"),
    ("seed", 4294967295, 4294967296, "outside -1...4294967295"),
    ("seed", -1, -2, "-2 is outside"),
    ("seed", 0, "7", "must be a whole number, not '7'"),
    ("cfg_scale", 7.5, 15.5, "15.5 is outside 0...15"),
    ("cfg_scale", 0, True, "must be a number, not True"),
    ("cfg_scale", 3, float("nan"), "must be a number, not NaN"),
    ("steps", 50, 51, "51 is outside 0...50"),
    ("w", 512, 513, "513 is not a multiple of 8"),
    ("h", 768, 32, "32 is outside 64...4096"),
    ("denoising_strength", 0.5, 1.2, "1.2 is outside 0...1"),
    ("controlnet_conditioning_scale", 1, -0.1, "-0.1 is outside 0...1"),
    ("aspect_ratio", "16:9", "16/9", "'16/9' is not one of 1:1, 16:9"),
    ("ar", "portrait", "3:2", "'3:2' is not one of"),
    ("resolution", "2K", "8K", "'8K' is not one of 1K, 2K, 4K"),
    ("scheduler", "dpm++2m_karras", "ddim", "'ddim' is not one of"),
    ("style", "Neonpunk", "neonpunk", "'neonpunk' is not one of"),
    ("color_grading", "Ektar", "Kodak", "'Kodak' is not one of"),
    ("backend_version", 0, 2, "2 is not one of 0, 1"),
    ("backend_version", 1, True, "True is not one of 0, 1"),
    ("super_resolution", True, "yes", "must be True or False, not 'yes'"),
    ("face_correct", False, 1, "must be True or False"),
    ("face_swap", True, "no", "must be True or False"),
    ("film_grain", True, 0, "must be True or False"),
    ("negative_prompt", "blurry", 5, "must be text, not int"),
    ("callback", "https://example.com/h", "ftp://x", "must be an http(s):// URL"),
    ("input_image_url", "https://example.com/a.jpg", "a.jpg", "must be an http(s):// URL"),
    ("video_upscale_target_resolution", "4k", "8k", "'8k' is not one of"),
    ("workspace_id", 3, 0, "0 is less than 1"),
]


@pytest.mark.parametrize(("name", "good", "bad", "message"), CASES)
def test_each_value_check(name, good, bad, message):
    # an input image so that the image-to-image rules do not add their own problem
    base = {} if name == "input_image_url" else {"input_image_url": "https://example.com/i.png"}
    assert param_problems({**base, name: good}) == {}
    problems = param_problems({**base, name: bad})
    assert list(problems) == [name]
    assert message in problems[name][0]


def test_inpaint_faces_and_hires_fix_need_super_resolution():
    assert param_problems({"inpaint_faces": True, "hires_fix": True}) == {
        "inpaint_faces": ["needs super_resolution=True"],
        "hires_fix": ["needs super_resolution=True"]}
    assert param_problems({"inpaint_faces": True, "hires_fix": True,
                           "super_resolution": True}) == {}
    assert param_problems({"inpaint_faces": False}) == {}


@pytest.mark.parametrize("name", ["controlnet", "denoising_strength", "mask_image",
                                  "controlnet_conditioning_scale", "mask_image_url"])
def test_image_to_image_parameters_need_an_input_image(name):
    value = {"controlnet": "pose", "denoising_strength": 0.5, "mask_image": b"x",
             "controlnet_conditioning_scale": 0.5,
             "mask_image_url": "https://example.com/m.png"}[name]
    assert param_problems({name: value}) == {
        name: ["needs an input image (input_image or input_image_url)"]}
    assert param_problems({name: value, "input_image_url": "https://example.com/i.png"}) == {}


def test_one_input_image_and_one_mask_only():
    problems = param_problems({"input_image": b"x", "input_image_url": "https://e.com/a.png",
                               "mask_image": b"m", "mask_image_url": "https://e.com/m.png"})
    assert problems == {
        "input_image_url": ["give one input image, not both input_image and input_image_url"],
        "mask_image_url": ["give one mask, not both mask_image and mask_image_url"]}


def test_unknown_names_are_problems_with_a_hint_and_none_means_not_given():
    assert param_problems({"cfg": 3})["cfg"] == [
        "is not a documented prompt parameter (did you mean cfg_scale?)"]
    assert param_problems({"seed": None, "controlnet": None}) == {}


def test_problem_list_names_each_parameter():
    assert problem_list({"seed": ["a", "b"], "w": ["c"]}) == ["seed: a", "seed: b", "w: c"]


def test_every_parameter_has_a_known_group_and_the_studio_groups_are_complete():
    keys = {key for key, _ in GROUPS}
    assert all(p.group in keys for p in PARAMS.values())
    assert [p.name for p in group_params("everyday")] == [
        "num_images", "seed", "aspect_ratio", "w", "h", "resolution", "negative_prompt"]
    quality = {p.name for p in group_params("quality")}
    assert {"super_resolution", "inpaint_faces", "hires_fix", "face_correct", "face_swap",
            "cfg_scale", "steps", "scheduler", "style", "color_grading", "film_grain",
            "backend_version"} <= quality
    assert {"input_image", "mask_image", "controlnet", "denoising_strength"} <= {
        p.name for p in group_params("image-to-image")}
