"""Generated images show what was asked: seed, text, size and options (pixels over HTTP)."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest
from render_helpers import create, diff, images, middle, pixels, render
from sandbox_helpers import Api

from astria_widgets.sandbox import validate
from astria_widgets.sandbox.looks import GRADINGS, STYLES
from astria_widgets.sandbox.scene import Subject, draw_scene, make_palette

TEXT = "a lighthouse on a cliff above the sea"


def _saturation(a: np.ndarray) -> float:
    rgb = middle(a).reshape(-1, 3)[::37] / 255.0
    return float(np.mean([colorsys.rgb_to_hsv(*p)[1] for p in rgb]))


def test_same_prompt_and_seed_give_the_same_bytes_and_another_seed_another_image(
        api: Api) -> None:
    first = images(api, create(api, text=TEXT, seed=42, cfg_scale=6, style="Cinematic"))[0]
    again = images(api, create(api, text=TEXT, seed=42, cfg_scale=6, style="Cinematic"))[0]
    other = images(api, create(api, text=TEXT, seed=43, cfg_scale=6, style="Cinematic"))[0]
    assert first == again
    assert diff(middle(pixels(first)), middle(pixels(other))) > 20


def test_image_n_of_a_prompt_is_drawn_with_seed_plus_n(api: Api) -> None:
    batch = images(api, create(api, text=TEXT, seed=7, num_images=3))
    assert len(set(batch)) == 3
    assert images(api, create(api, text=TEXT, seed=9))[0] == batch[2]


def test_without_a_seed_every_image_gets_a_seed_of_its_own(api: Api) -> None:
    first, second = images(api, create(api, text=TEXT, num_images=2))
    other = images(api, create(api, text=TEXT))[0]
    assert diff(middle(pixels(first)), middle(pixels(second))) > 10
    assert diff(middle(pixels(first)), middle(pixels(other))) > 10


def test_the_seed_draws_the_composition_and_the_text_is_written_on_top(api: Api) -> None:
    cabin = render(api, text="a cabin in the hills", seed=5)
    house = render(api, text="a small house in the hills at dawn", seed=5)
    height = cabin.shape[0]
    assert diff(cabin[:height // 8], house[:height // 8]) > 3  # the caption differs
    assert np.array_equal(middle(cabin), middle(house))  # the same seed, the same scene


def test_colour_words_in_the_text_steer_the_palette(api: Api) -> None:
    forest = middle(render(api, text="a green forest", seed=11)).reshape(-1, 3).mean(axis=0)
    sunset = middle(render(api, text="a red sunset", seed=11)).reshape(-1, 3).mean(axis=0)
    assert forest[1] - forest[0] > sunset[1] - sunset[0] + 20  # greener against redder


@pytest.mark.parametrize(("params", "size"), [
    ({"w": 640, "h": 384}, (640, 384)),
    ({"w": 768, "aspect_ratio": "16:9"}, (768, 432)),
    ({"aspect_ratio": "9:16"}, (288, 512)),
    ({"aspect_ratio": "21:9", "ar": "portrait"}, (512, 216)),
    ({"ar": "portrait"}, (336, 512)),
    ({"ar": "landscape", "resolution": "1K"}, (1024, 680)),
    ({"w": 320, "h": 256, "super_resolution": True}, (640, 512)),
    ({}, (512, 512)),
])
def test_size_follows_w_h_aspect_ratio_resolution_and_super_resolution(
        api: Api, params: dict, size: tuple[int, int]) -> None:
    image = render(api, text=TEXT, seed=3, **params)
    assert (image.shape[1], image.shape[0]) == size


def test_every_accepted_style_and_grading_has_a_look() -> None:
    assert set(STYLES) == set(validate.STYLES)
    assert set(GRADINGS) == set(validate.COLOR_GRADINGS)


def test_each_style_has_its_own_look(api: Api) -> None:
    plain = render(api, text=TEXT, seed=21)
    looks = {style: render(api, text=TEXT, seed=21, style=style) for style in STYLES}
    for style, image in looks.items():
        assert diff(middle(image), middle(plain)) > 8, style
    names = list(looks)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert diff(middle(looks[a]), middle(looks[b])) > 5, (a, b)
    assert middle(looks["Line art"]).mean() > 170  # dark lines on paper
    assert np.median(middle(looks["Neonpunk"])) < np.median(middle(plain)) * 0.6  # dark
    height = plain.shape[0]
    bar = looks["Cinematic"][height - height // 9 + 2: height - height // 9 + 6]
    assert bar.max() < 40  # a letterbox bar above the footer text


def test_colour_gradings_film_grain_and_guidance_change_the_look(api: Api) -> None:
    plain = render(api, text=TEXT, seed=8)
    portra = render(api, text=TEXT, seed=8, color_grading="Film Portra")
    velvia = render(api, text=TEXT, seed=8, color_grading="Film Velvia")
    ektar = render(api, text=TEXT, seed=8, color_grading="Ektar")
    warmth = [float((middle(a)[..., 0] - middle(a)[..., 2]).mean()) for a in (plain, portra)]
    assert warmth[1] > warmth[0] + 5  # Portra is warmer
    assert _saturation(velvia) > _saturation(plain) + 0.05  # Velvia is more saturated
    assert diff(middle(ektar), middle(plain)) > 5 and diff(middle(ektar), middle(velvia)) > 3
    grain = render(api, text=TEXT, seed=8, film_grain=True)
    detail = [float(np.abs(np.diff(middle(a), axis=1)).mean()) for a in (plain, grain)]
    assert detail[1] > detail[0] * 3  # fine noise between neighbouring pixels
    washed = render(api, text=TEXT, seed=8, cfg_scale=1)
    harsh = render(api, text=TEXT, seed=8, cfg_scale=14)
    assert _saturation(harsh) > _saturation(washed) + 0.2
    unfinished = render(api, text=TEXT, seed=8, steps=4)
    assert diff(middle(unfinished), middle(plain)) > 10


def test_negative_prompt_is_shown_small_at_the_top_and_changes_nothing_else(
        api: Api) -> None:
    plain = render(api, text=TEXT, seed=30)
    negative = render(api, text=TEXT, seed=30, negative_prompt="blurry, lowres, watermark")
    height = plain.shape[0]
    assert diff(plain[:height // 3], negative[:height // 3]) > 2
    assert np.array_equal(plain[height // 2:], negative[height // 2:])


def test_a_referenced_tune_appears_as_a_figure_coloured_by_its_id(api: Api) -> None:
    first = api.make_tune("alice", branch="fast")
    second = api.make_tune("bob", branch="fast")
    plain = render(api, text="portrait in a garden", seed=2)
    with_first = render(api, text=f"<lora:{first['id']}:1> portrait in a garden", seed=2)
    with_second = render(api, text=f"<lora:{second['id']}:1> portrait in a garden", seed=2)
    height, width = plain.shape[:2]
    body = (slice(int(height * 0.72), int(height * 0.76)), slice(width // 2 - width // 10,
                                                                   width // 2 + width // 10))
    assert diff(plain[body], with_first[body]) > 25
    assert diff(with_first[body], with_second[body]) > 25
    checkpoint = render(api, first["id"], text="ohwx portrait in a garden", seed=2)
    assert np.array_equal(checkpoint[body], with_first[body])  # the same tune, the same figure


def test_a_tune_of_a_dog_is_drawn_as_a_dog_and_a_woman_with_long_hair() -> None:
    def figure(kind: str) -> np.ndarray:
        palette = make_palette(np.random.default_rng(1), "a park")
        picture = draw_scene((512, 512), palette, np.random.default_rng(1),
                             (Subject(77, "pet", kind),), seed=1)
        return np.asarray(picture, dtype=np.int16)[150:420, 150:360]  # head and shoulders

    man, dog, woman = figure("man"), figure("dog"), figure("woman")
    assert diff(man, dog) > 15
    assert 3 < diff(man, woman) < diff(man, dog)  # the same figure, longer hair
    assert np.array_equal(figure("Dog"), dog)
