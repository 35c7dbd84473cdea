"""Image-to-image over HTTP: the result derives from the input image (file, base64 or a URL
back to the sandbox), follows denoising_strength, and a mask confines the change."""

from __future__ import annotations

import base64

import numpy as np
import requests
from PIL import Image, ImageFilter
from render_helpers import (
    ImageServer,
    correlation,
    create,
    diff,
    images,
    middle,
    pattern,
    pixels,
    png,
    render,
    small_gray,
)
from sandbox_helpers import Api, jpeg

TEXT = "an oil painting of the same scene"


def _upload(image_bytes: bytes, name: str = "input.png") -> dict:
    return {"input_image": (name, image_bytes, "image/png")}


def test_the_result_follows_the_input_more_as_denoising_strength_falls(api: Api) -> None:
    source = pixels(pattern())
    light = render(api, files=_upload(png(pattern())), text=TEXT, seed=4,
                   denoising_strength=0.3)
    strong = render(api, files=_upload(png(pattern())), text=TEXT, seed=4,
                    denoising_strength=0.9)
    default = render(api, files=_upload(png(pattern())), text=TEXT, seed=4)
    text_only = render(api, text=TEXT, seed=4)
    assert light.shape == source.shape  # the input's size is kept
    reference = small_gray(middle(source))
    for result in (light, default, strong):
        assert correlation(small_gray(middle(result)), reference) > 0.8
    assert correlation(small_gray(middle(text_only)), reference) < 0.5
    changes = [diff(middle(r), middle(source)) for r in (light, default, strong)]
    assert changes[0] + 10 < changes[1] < changes[2]
    kept = render(api, files=_upload(png(pattern())), text=TEXT, seed=4, denoising_strength=0)
    assert np.array_equal(middle(kept), middle(source))  # 0 keeps the image


def test_a_mask_confines_the_change_to_its_white_area(api: Api) -> None:
    source = pattern()
    mask = np.zeros((512, 512), np.uint8)
    mask[:, 256:] = 255  # repaint the right half
    mask_png = png(Image.fromarray(mask, "L"))
    result = render(api, files={**_upload(png(source)),
                                "mask_image": ("mask.png", mask_png, "image/png")},
                    text=TEXT, seed=6, denoising_strength=1, style="Comic book")
    before = pixels(source)
    assert np.array_equal(result[:, :256], before[:, :256])
    assert diff(result[:, 256:], before[:, 256:]) > 30
    with_jpeg = render(api, files={"input_image": ("in.jpg", jpeg((90, 160, 40), 512),
                                                   "image/jpeg"),
                                   "mask_image": ("mask.png", mask_png, "image/png")},
                       text=TEXT, seed=6)
    assert np.abs(with_jpeg[:, :256] - np.array([90, 160, 40])).max() <= 3
    assert diff(with_jpeg[:, 256:], with_jpeg[:, :256]) > 20


def test_input_from_base64_is_stored_and_used(api: Api) -> None:
    data = png(pattern())
    encoded = "data:image/png;base64," + base64.b64encode(data).decode()
    prompt = create(api, text=TEXT, seed=4, input_image_base64=encoded)
    assert requests.get(prompt["input_image"], timeout=10).content == data
    assert "input_image_base64" not in prompt or prompt["input_image_base64"] is None
    result = pixels(images(api, prompt)[0])
    from_file = render(api, files=_upload(data), text=TEXT, seed=4)
    assert np.array_equal(result, from_file)
    bad = api.post("/tunes/1504944/prompts", data={
        "prompt[text]": "x", "prompt[input_image_base64]": "data:image/png;base64,bm90IGFu"})
    assert bad.status_code == 422
    assert "not a valid image" in bad.json()["errors"]["input_image_base64"][0]
    garbled = api.post("/tunes/1504944/prompts", data={
        "prompt[text]": "x", "prompt[input_image_base64]": "%%%"})
    assert garbled.json()["errors"]["input_image_base64"] == ["is not valid base64"]


def test_a_generated_image_or_a_stored_upload_can_be_the_next_input(api: Api) -> None:
    first = create(api, files=_upload(png(pattern())), text=TEXT, seed=4)
    first_image = images(api, first)[0]
    by_url = render(api, text=TEXT, seed=4, input_image_url=first["input_image"])
    assert np.array_equal(by_url, pixels(first_image))  # the same upload, the same result
    generated_url = api.get(f"/prompts/{first['id']}").json()["images"][0]
    second = render(api, text="the same, at night", seed=9, input_image_url=generated_url,
                    denoising_strength=0.4)
    reference = small_gray(middle(pixels(first_image)))
    assert correlation(small_gray(middle(second)), reference) > 0.8
    assert diff(second, pixels(first_image)) > 5
    # the loopback names of the sandbox are the same place
    alias = generated_url.replace("127.0.0.1", "localhost")
    assert np.array_equal(render(api, text="the same, at night", seed=9,
                                 input_image_url=alias, denoising_strength=0.4), second)


def test_a_duplicate_keeps_the_input_image(api: Api) -> None:
    original = create(api, files=_upload(png(pattern())), text=TEXT, seed=4)
    copy = api.post(f"/prompts/{original['id']}/duplicate", data={"prompt[seed]": "5"})
    assert copy.status_code == 201, copy.text
    assert copy.json()["input_image"] == original["input_image"]
    result = pixels(images(api, copy.json())[0])
    reference = small_gray(middle(pixels(pattern())))
    assert correlation(small_gray(middle(result)), reference) > 0.8
    assert diff(result, pixels(images(api, original)[0])) > 3  # another seed, another tint


def test_an_input_url_on_another_local_server_is_fetched(api: Api) -> None:
    data = png(pattern())
    from_file = render(api, files=_upload(data), text=TEXT, seed=4)
    with ImageServer({"photo.png": data}) as server:
        fetched = render(api, text=TEXT, seed=4, input_image_url=f"{server.url}/photo.png")
        missing = render(api, text=TEXT, seed=4, input_image_url=f"{server.url}/gone.png")
    assert np.array_equal(fetched, from_file)
    assert diff(middle(missing), middle(from_file)) > 10  # a stand-in instead


def test_the_sandbox_never_fetches_from_itself_under_another_name(api: Api) -> None:
    # Two prompts naming each other's images this way would otherwise fetch each other forever.
    port = api.url.rsplit(":", 1)[1]
    first = create(api, files=_upload(png(pattern())), text=TEXT, seed=4)
    images(api, first)
    real_url = api.get(f"/prompts/{first['id']}").json()["images"][0]
    odd_url = real_url.replace(f"127.0.0.1:{port}", f"127.1:{port}")  # this sandbox too
    assert odd_url != real_url
    from_real = render(api, text=TEXT, seed=9, input_image_url=real_url)
    from_odd = render(api, text=TEXT, seed=9, input_image_url=odd_url)
    stand_in = render(api, text=TEXT, seed=9, input_image_url="https://example.com/p.png")
    reference = small_gray(middle(from_real))
    assert correlation(small_gray(middle(from_odd)), reference) < 0.8  # not the image
    assert from_odd.shape == stand_in.shape


def test_a_controlnet_holds_the_picture_to_the_input(api: Api) -> None:
    source = pattern()
    edges = np.asarray(source.convert("L").filter(ImageFilter.FIND_EDGES)) > 30
    near = np.asarray(Image.fromarray(edges).filter(ImageFilter.MaxFilter(5)))
    plain = render(api, text=TEXT, seed=4)
    guided = render(api, files=_upload(png(source)), text=TEXT, seed=4, controlnet="canny",
                    controlnet_txt2img=True, controlnet_conditioning_scale=1)
    change = np.abs(guided - plain).mean(axis=2)
    body = np.zeros_like(near)
    body[int(512 * 0.2):int(512 * 0.85)] = True  # away from the caption and the footer
    assert change[near & body].mean() > 60 and change[~near & body].mean() < 5
    img2img = render(api, files=_upload(png(source)), text=TEXT, seed=4)
    depth = render(api, files=_upload(png(source)), text=TEXT, seed=4, controlnet="depth")
    assert diff(middle(depth), middle(img2img)) > 5


def test_an_input_url_elsewhere_gets_an_offline_stand_in(api: Api) -> None:
    plain = render(api, text=TEXT, seed=12)
    remote = render(api, text=TEXT, seed=12, input_image_url="https://example.com/photo.jpg")
    other = render(api, text=TEXT, seed=12, input_image_url="https://example.com/other.jpg")
    assert remote.shape == plain.shape
    assert diff(middle(remote), middle(plain)) > 10
    assert diff(middle(remote), middle(other)) > 3  # the stand-in follows the URL
