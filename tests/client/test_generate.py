"""``client.generate`` against the sandbox: where each kind of tune runs and what its text says."""

from __future__ import annotations

import io

import pytest
from client_helpers import photos
from corpus import photo

from astria_widgets.client import InputError, prompt_status

FLUX_DEV = 1504944


def _tune(client, **kw):
    args = {"name": "man", "image_urls": ["https://example.com/a.jpg"], "branch": "fast"}
    return client.create_tune(**{**args, **kw})


def test_flux_lora_prompt_runs_on_its_base_tune_and_references_it(client):
    tune = _tune(client, branch="flux1", model_type="lora", token="ohwx")
    prompt = client.generate(tune["id"], "in a navy suit", seed=7, num_images=2)
    assert prompt["tune_id"] == FLUX_DEV
    assert prompt["text"] == f"<lora:{tune['id']}:1> ohwx man in a navy suit"
    done = client.wait_for_prompt(FLUX_DEV, prompt["id"], timeout=60)
    assert prompt_status(done) == "done" and len(done["images"]) == 2
    assert client.fetch_bytes(done["images"][0]).startswith(b"\x89PNG")


def test_checkpoint_prompt_runs_on_the_tune_itself_with_token_and_class(client):
    tune = _tune(client, branch="sd15", token="sks", name="dog")
    assert tune["model_type"] is None
    prompt = client.generate(tune, "on a beach")
    assert prompt["tune_id"] == tune["id"] and prompt["text"] == "sks dog on a beach"
    done = client.wait_for_prompt(tune["id"], prompt["id"], timeout=60)
    assert prompt_status(done) == "done" and done["images"]


def test_faceid_prompt_runs_on_its_base_with_a_faceid_reference_and_the_class(client):
    tune = _tune(client, model_type="faceid", name="woman", base_tune_id=690204)
    prompt = client.generate(tune["id"], "trekking in the alps")
    assert prompt["tune_id"] == 690204
    assert prompt["text"] == f"<faceid:{tune['id']}:1> woman trekking in the alps"


def test_sdxl_tune_is_pti_and_runs_on_sdxl_base_with_a_lora_reference(client):
    tune = _tune(client, branch="sdxl1", name="cat")
    assert tune["model_type"] == "pti"
    prompt = client.generate(tune["id"], "astronaut")
    assert prompt["tune_id"] == 666678
    assert prompt["text"] == f"<lora:{tune['id']}:1> ohwx cat astronaut"


def test_multi_subject_prompt_references_both_tunes_on_their_shared_base(client):
    man = _tune(client, branch="flux1", model_type="lora", name="man")
    woman = _tune(client, branch="flux1", model_type="lora", name="woman", token="zwx")
    prompt = client.generate([man["id"], woman], "dancing")
    assert prompt["tune_id"] == FLUX_DEV
    assert prompt["text"] == (f"<lora:{man['id']}:1> <lora:{woman['id']}:1> "
                              "ohwx man and zwx woman dancing")


def test_the_adapter_weight_goes_into_the_reference(client):
    tune = _tune(client, branch="flux1", model_type="lora")
    assert client.generate(tune, "soft", weight=0.6)["text"] == \
        f"<lora:{tune['id']}:0.6> ohwx man soft"
    with pytest.raises(InputError, match="weight: 3 must be a number above 0 and at most 2"):
        client.generate(tune, "x", weight=3)


def test_nothing_the_user_already_wrote_is_added_twice(client):
    tune = _tune(client, branch="flux1", model_type="lora")
    text = f"photo of ohwx man <lora:{tune['id']}:0.7> smiling"
    assert client.generate(tune, text)["text"] == text


def test_gallery_model_runs_on_itself_without_added_words(client):
    gallery = {t["id"]: t for t in client.list_gallery_tunes(title="Flux1.dev")}
    assert set(gallery) == {FLUX_DEV, 3063697}  # title is a substring filter (Krea Flux1.dev)
    prompt = client.generate(gallery[FLUX_DEV], "a lighthouse at dusk")
    assert prompt["tune_id"] == FLUX_DEV and prompt["text"] == "a lighthouse at dusk"


def test_list_gallery_tunes_filters_by_branch(client):
    tunes = client.list_gallery_tunes(branch="sdxl1")
    assert tunes and {t["branch"] for t in tunes} == {"sdxl1"}
    assert 666678 in [t["id"] for t in tunes]


def test_plan_prompt_shows_the_text_without_creating_anything(client):
    tune = _tune(client, branch="flux1", model_type="lora")
    plan = client.plan_prompt(tune["id"], "at the beach")
    assert (plan.tune_id, plan.text) == (FLUX_DEV, f"<lora:{tune['id']}:1> ohwx man at the beach")
    assert client.list_prompts(FLUX_DEV) == []


def test_input_image_as_path_bytes_file_and_url_with_a_mask(client, tmp_path):
    tune = _tune(client, branch="flux1", model_type="lora")
    path = tmp_path / "in.jpg"
    path.write_bytes(photo(seed=3))
    for given in (str(path), path, photo(seed=4), io.BytesIO(photo(seed=5))):
        prompt = client.generate(tune, "restyled", input_image=given, denoising_strength=0.4,
                                 mask_image=photos(1)[0])
        assert prompt["denoising_strength"] == 0.4
    prompt = client.generate(tune, "restyled", input_image="https://example.com/in.jpg",
                             controlnet="pose")
    assert prompt["input_image_url"] == "https://example.com/in.jpg"


def test_a_checkpoint_cannot_join_a_multi_subject_prompt(client):
    ckpt = _tune(client, branch="sd15")
    lora = _tune(client, branch="flux1", model_type="lora")
    with pytest.raises(InputError, match=f"tune: tune {ckpt['id']} is a checkpoint"):
        client.generate([lora, ckpt], "together")


def test_tunes_on_different_bases_cannot_share_a_prompt(client):
    flux = _tune(client, branch="flux1", model_type="lora")
    sdxl = _tune(client, branch="sdxl1")
    with pytest.raises(InputError, match="different base tunes"):
        client.generate([flux, sdxl], "together")


def test_a_failed_tune_is_refused_before_sending(client):
    tune = _tune(client, title="broken [fail]")
    final = client.wait_for_tune(tune["id"], timeout=60)
    with pytest.raises(InputError, match=f"tune: tune {final['id']} failed training"):
        client.generate(final["id"], "anything")


def test_every_problem_is_reported_at_once_naming_its_parameter(client):
    tune = _tune(client, branch="flux1", model_type="lora")
    with pytest.raises(InputError) as info:
        client.generate(tune, "  ", seed=-2, cfg_scale=20, inpaint_faces=True,
                        controlnet="pose", mask_image=b"not an image", cfg=3)
    text = str(info.value)
    for expected in ("text: the prompt text is empty", "seed: -2 is outside -1...4294967295",
                     "cfg_scale: 20 is outside 0...15",
                     "inpaint_faces: needs super_resolution=True",
                     "controlnet: needs an input image", "mask_image: needs an input image",
                     "cfg: is not a documented prompt parameter"):
        assert expected in text
    assert client.list_prompts(FLUX_DEV) == []


def test_input_image_that_is_not_an_image_or_missing_names_the_parameter(client, tmp_path):
    tune = _tune(client, branch="flux1", model_type="lora")
    with pytest.raises(InputError, match=r"input_image: \S+ is not an image"):
        client.generate(tune, "x", input_image=b"hello")
    with pytest.raises(InputError, match="input_image: .*file not found"):
        client.generate(tune, "x", input_image=tmp_path / "missing.jpg")
    with pytest.raises(InputError, match="tune: 'abc' is not a numeric id"):
        client.generate("abc", "x")
