"""Issue 16, follow-ups: the gaps of the same families found after the first fixes.

1. ``video_first_frame``, ``video_last_frame``, ``input_video`` and ``audio_reference`` given as
   a local path string are uploaded (the documented reading: "file / URL", multipart), an
   http(s) URL goes in the ``*_url`` parameter, and an unusable file is refused naming the
   parameter before anything is sent ("lost or changed", "image reading").
2. A user-given id goes through the one id rule (``client.api.record_id``) everywhere:
   ``TuneBrowser.select``, ``TuneDetail.show``, ``watch_tune``, ``TuneProgress``,
   ``TuneWatch``, ``PromptsWatch``, ``%astria watch`` and ``astria-widgets watch``:
   ``True`` is not tune 1 and ``5.7`` is not tune 5 ("lost or changed").
3. Prompt parameters take numpy numbers (a DataFrame's column) where the catalogue takes
   numbers, and an integral float for an integer parameter is sent as the int ("smaller").
4. The studio's "Download all" says what it saved and what was already there ("archive").

Every input tried is counted with :func:`hostile.probe`.
"""

from __future__ import annotations

import functools
import importlib
import io
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hostile import probe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from PIL import Image

from astria_widgets.client import InputError
from astria_widgets.client.downloads import DownloadCounts
from astria_widgets.client.prompt_params import PARAMS, param_problems
from astria_widgets.client.sweep import plan_sweep
from astria_widgets.client.watch import PromptsWatch, TuneWatch

FLUX_DEV = 1504944
WAIT = 60  # seconds; a guard against hangs, not a timing assertion


def png_bytes(colour: tuple[int, int, int] = (200, 10, 10)) -> bytes:
    """A small valid PNG."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "PNG")
    return out.getvalue()


@functools.lru_cache(maxsize=1)
def mp4_bytes() -> bytes:
    """A short valid MP4 (the sandbox's own encoder)."""
    from astria_widgets.sandbox import video

    return video.render_mp4("a dancer", 2, label="upload")


MP3_BYTES = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(256)  # an ID3-tagged MP3's start

# parameter -> (a video model that takes it, file suffix, its bytes, parameters it goes with)
MEDIA: dict[str, tuple[str, str, Callable[[], bytes], dict[str, Any]]] = {
    "video_first_frame": ("kling30_pro", ".png", png_bytes, {}),
    "video_last_frame": ("kling30_pro", ".png", png_bytes, {}),
    "input_video": ("seedance2_720p", ".mp4", mp4_bytes, {}),
    "audio_reference": ("seedance2_720p", ".mp3", lambda: MP3_BYTES, {"video_audio": True}),
}


def video_params(name: str) -> dict[str, Any]:
    """The parameters of a video prompt that takes ``name``."""
    model, _suffix, _data, extra = MEDIA[name]
    return {"video_model": model, "video_prompt": "it moves slowly", **extra}


def bounded(call: Callable[[], Any], unblock: Path | None = None) -> Any:
    """Run ``call`` in a thread; fail (after unblocking a FIFO reader) if it takes > 10 s."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        if unblock is not None:  # a writer lets the blocked open() return
            os.close(os.open(unblock, os.O_WRONLY | os.O_NONBLOCK))
            thread.join(10)
        pytest.fail("reading a file input blocked")
    if "error" in result:
        raise result["error"]
    return result.get("value")


# -- 1. video and audio inputs given as paths ---------------------------------------------------
@pytest.mark.parametrize("name", list(MEDIA))
@pytest.mark.parametrize("how", ["str", "Path", "~"])
def test_a_local_media_path_is_uploaded_not_sent_as_text(client, tmp_path, monkeypatch, name,
                                                         how):
    _model, suffix, make, _extra = MEDIA[name]
    data = make()
    path = tmp_path / f"my {name}{suffix}"
    path.write_bytes(data)
    monkeypatch.setenv("HOME", str(tmp_path))
    given_as = {"str": str(path), "Path": path, "~": f"~/{path.name}"}[how]
    prompt = client.generate(FLUX_DEV, "a robot", **video_params(name), **{name: given_as})
    url = prompt[name]
    assert url.startswith(client.base_url + "/files/uploads/"), url
    assert client.fetch_bytes(url) == data  # the file itself, not its path as text
    probe("lost or changed")


@pytest.mark.parametrize("name", list(MEDIA))
def test_a_media_url_goes_in_its_url_parameter(client, name):
    url = f"https://example.com/media/{name}{MEDIA[name][1]}"
    _plan, ready = client.prepare_prompt(FLUX_DEV, "a robot", **video_params(name),
                                         **{name: f" {url} "})
    assert ready[f"{name}_url"] == url and name not in ready
    with pytest.raises(InputError, match=rf"{name}: give one of {name} and {name}_url"):
        client.prepare_prompt(FLUX_DEV, "a robot", **video_params(name),
                              **{name: url, f"{name}_url": url})
    assert client.list_prompts() == []
    probe("lost or changed")


@pytest.fixture
def bad_media(tmp_path: Path) -> dict[str, Any]:
    """Unusable file inputs by kind (each parameter's wrong content is chosen per test)."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    (folder / "inside.png").write_bytes(png_bytes())
    fifo = tmp_path / "f.mp4"
    os.mkfifo(fifo)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("not a picture, a video or a sound")
    huge = tmp_path / "huge.mp4"
    with open(huge, "wb") as handle:
        handle.truncate(2**30 + 1)  # sparse: cheap to make, over every limit
    return {"missing": str(tmp_path / "nope.mp4"), "folder": str(folder), "fifo": str(fifo),
            "device": "/dev/zero", "empty": str(empty), "text": str(text), "huge": str(huge),
            "blank": "  ", "number": 5, "bool": True, "list": [str(text)]}


WRONG_CONTENT = {"video_first_frame": mp4_bytes, "video_last_frame": lambda: MP3_BYTES,
                 "input_video": png_bytes, "audio_reference": png_bytes}
BAD_KINDS = ["missing", "folder", "fifo", "device", "empty", "text", "huge", "blank", "number",
             "bool", "list", "wrong-content"]


@pytest.mark.parametrize("kind", BAD_KINDS)
@pytest.mark.parametrize("name", list(MEDIA))
def test_an_unusable_media_input_is_refused_naming_it_before_sending(client, tmp_path,
                                                                     bad_media, name, kind):
    if kind == "wrong-content":
        value: Any = tmp_path / f"wrong{MEDIA[name][1]}"
        value.write_bytes(WRONG_CONTENT[name]())
        value = str(value)
    else:
        value = bad_media[kind]
    unblock = Path(bad_media["fifo"]) if kind == "fifo" else None
    with pytest.raises(InputError) as info:
        bounded(lambda: client.generate(FLUX_DEV, "a robot", **video_params(name),
                                        **{name: value}), unblock=unblock)
    assert any(p.startswith(f"{name}: ") for p in info.value.problems), info.value.problems
    assert "\n" not in "".join(info.value.problems)
    assert client.list_prompts() == []
    probe("image reading")


# -- 2. the one id rule wherever a user gives an id ---------------------------------------------
BAD_IDS = [True, False, np.bool_(True), 5.7, 0.5, np.float64(5.7), float("nan"), float("inf"),
           -1, 0, np.int64(-5), "1e3", "5.7", "abc", "", "٣", [1], (5,), b"5", object()]
SAME_AS_5 = [5, 5.0, np.int64(5), np.uint8(5), np.float32(5.0), "5", " 5 "]


def browser_with(*ids: int):
    from astria_widgets.widgets.browser import TuneBrowser

    return TuneBrowser([{"id": i, "title": f"tune {i}"} for i in ids])


@pytest.mark.parametrize("given", BAD_IDS, ids=repr)
def test_browser_select_refuses_an_id_it_would_truncate(given):
    browser = browser_with(1, 5)
    browser.select(5)
    with pytest.raises(InputError, match="tune_id"):
        browser.select(given)
    assert browser.selected_id == 5 and browser.detail.tune_id == 5  # the choice stays
    probe("lost or changed")


@pytest.mark.parametrize("given", SAME_AS_5, ids=repr)
def test_browser_select_takes_every_spelling_of_a_whole_id(given):
    browser = browser_with(1, 5)
    browser.select(given)
    assert browser.selected_id == 5 and type(browser.selected_id) is int
    probe("lost or changed")


@pytest.mark.parametrize("given", BAD_IDS, ids=repr)
def test_the_detail_pane_refuses_an_id_it_would_truncate(given):
    from astria_widgets.widgets.browser_detail import TuneDetail

    detail = TuneDetail()
    detail.show(5, {"title": "five"}, None)
    with pytest.raises(InputError, match="tune_id"):
        detail.show(given, {"title": "other"}, None)
    assert detail.tune_id == 5
    probe("lost or changed")


@pytest.fixture
def no_fetch(client, monkeypatch) -> list[Any]:
    """The ids the client was asked for (nothing is fetched for a refused id)."""
    fetched: list[Any] = []
    monkeypatch.setattr(client, "get_tune", lambda tid: fetched.append(tid) or {"id": tid})
    return fetched


@pytest.mark.parametrize("given", BAD_IDS, ids=repr)
def test_watch_tune_and_tune_progress_refuse_an_id_they_would_truncate(client, no_fetch, given):
    from astria_widgets.widgets.progress import TuneProgress, watch_tune

    with pytest.raises(InputError, match="tune_id"):
        watch_tune(given, client)
    with pytest.raises(InputError, match="tune_id"):
        TuneProgress(given)
    assert no_fetch == []  # not tune 1, not tune 5
    probe("lost or changed")


@pytest.mark.parametrize("given", BAD_IDS, ids=repr)
def test_the_watches_refuse_an_id_they_would_truncate(client, no_fetch, given):
    with pytest.raises(InputError, match="tune"):
        TuneWatch(client, given)
    with pytest.raises(InputError, match="tune"):
        TuneWatch(client, {"id": given, "title": "x"})
    with pytest.raises(InputError, match="tune_id"):
        PromptsWatch(client, given)
    with pytest.raises(InputError, match=r"prompt_ids\[1\]"):
        PromptsWatch(client, FLUX_DEV, [7, given])
    assert no_fetch == []
    probe("lost or changed")


def test_a_whole_id_of_another_type_is_watched_as_that_tune(client):
    from astria_widgets.widgets.progress import watch_tune

    for same in (float(FLUX_DEV), np.int64(FLUX_DEV), str(FLUX_DEV)):
        progress = watch_tune(same, client)
        try:
            assert progress.tune_id == FLUX_DEV
            assert progress.wait(timeout=WAIT)["id"] == FLUX_DEV
        finally:
            progress.stop()
        assert TuneWatch(client, same).tune_id == FLUX_DEV
        assert PromptsWatch(client, same, [same]).prompt_ids == [FLUX_DEV]
        probe("lost or changed")


@pytest.mark.parametrize("given", BAD_IDS, ids=repr)
def test_the_history_reads_no_tune_for_an_id_it_would_truncate(client, tmp_path, given):
    from astria_widgets.history import TuneHistory

    for title in ("one", "two"):
        client.create_tune(name="man", title=title, image_urls=["https://example.com/a.jpg"],
                           branch="fast", prompts=["ohwx man, portrait"])
    with TuneHistory(tmp_path / "h.sqlite", client) as history:
        history.sync()
        history.sync_prompts()
        first = min(r["id"] for r in history.records())
        assert history.get(first) is not None and history.prompt_records(first)
        for wrong in (given, True, first + 0.7):  # never tune 1, never a truncated id
            assert history.get(wrong) is None
            assert history.prompt_records(wrong) == []
            assert (wrong in history) is False
    probe("lost or changed")


@pytest.fixture(scope="module")
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "astria_widgets")
    yield ip
    ip.run_line_magic("unload_ext", "astria_widgets")


@pytest.mark.parametrize("arg", ["0", "-5", "5.7", "True", "1e3"])
def test_the_watch_magic_refuses_a_bad_id_in_one_message(shell, client, no_fetch, arg):
    shell.magics_manager.registry["AstriaMagics"].client = client
    with pytest.raises(UsageError, match="tune_id"):
        shell.run_line_magic("astria", f"watch -- {arg}")
    assert no_fetch == []
    probe("lost or changed")


@pytest.mark.parametrize("arg", ["0", "-5"])
def test_the_watch_command_refuses_a_bad_id_before_connecting(monkeypatch, capsys, arg):
    from astria_widgets.commands import watch

    def no_connect(**_kw: Any) -> None:
        raise AssertionError("connected for an id that cannot be a tune")

    monkeypatch.setattr(importlib.import_module("astria_widgets.connect"), "connect",
                        no_connect)
    with pytest.raises(SystemExit) as info:
        watch.main(["--", arg])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "tune_id" in err and "Traceback" not in err
    probe("commands")


ids_anything = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70), st.booleans(), st.none(),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(min_value=0, max_value=1e7),
    st.integers(min_value=-3, max_value=10**7).map(np.int64),
    st.integers(min_value=0, max_value=200).map(float), st.text(max_size=8),
    st.integers(min_value=-3, max_value=10**6).map(str), st.booleans().map(np.bool_),
)


def exact_id(value: Any) -> int | None:
    """The id ``value`` stands for exactly, or None (the test's own reading of the rule)."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        number = int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else None
    elif isinstance(value, (int, np.integer)):
        number = int(value)
    elif isinstance(value, float) and value == value and abs(value) != float("inf") and \
            value.is_integer():
        number = int(value)
    else:
        number = None
    return number if number is not None and number >= 1 else None


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=ids_anything)
def test_any_given_id_is_that_exact_tune_or_refused_by_name(client, value):
    from astria_widgets.widgets.progress import TuneProgress

    wanted = exact_id(value)
    for build, label in ((lambda: TuneWatch(client, value).tune_id, "tune"),
                         (lambda: PromptsWatch(client, FLUX_DEV, [value]).prompt_ids[0],
                          "prompt_ids[0]"),
                         (lambda: TuneProgress(value).tune_id, "tune_id")):
        if value is None and label != "prompt_ids[0]":
            continue  # "no tune yet" for these two
        if wanted is None:
            with pytest.raises(InputError) as info:
                build()
            assert all(p.startswith(label) for p in info.value.problems), info.value.problems
        else:
            assert build() == wanted


# -- 3. numpy numbers and integral floats -------------------------------------------------------
SENT_AS = [
    ("seed", np.int64(3), 3), ("seed", np.uint32(7), 7), ("seed", 1.0, 1),
    ("seed", np.float64(2.0), 2), ("seed", -1.0, -1), ("num_images", np.int8(2), 2),
    ("steps", 30.0, 30), ("w", np.float32(512.0), 512), ("h", np.int16(768), 768),
    ("cfg_scale", np.float64(7.5), 7.5), ("cfg_scale", np.int64(7), 7),
    ("cfg_scale", np.float32(3.0), 3.0), ("backend_version", np.int64(1), 1),
    ("backend_version", 0.0, 0), ("super_resolution", np.bool_(True), True),
    ("film_grain", np.bool_(False), False),
]


@pytest.mark.parametrize("name, value, sent", SENT_AS, ids=repr)
def test_numpy_numbers_and_integral_floats_are_sent_as_plain_numbers(client, name, value, sent):
    _plan, ready = client.prepare_prompt(FLUX_DEV, "a fox", **{name: value})
    assert ready[name] == sent and type(ready[name]) is type(sent), ready
    assert str(ready[name]) == str(sent)  # what goes on the wire: "3", not "3.0"
    probe("smaller")


def test_a_numpy_seed_is_the_seed_of_the_prompt(client):
    prompt = client.generate(FLUX_DEV, "a fox", seed=np.int64(42), cfg_scale=np.float64(4.5),
                             num_images=np.int64(1), steps=20.0)
    assert (prompt["seed"], prompt["cfg_scale"], prompt["steps"]) == (42, 4.5, 20)
    probe("smaller")


REFUSED = [
    ("seed", 1.5), ("seed", np.float64(1.5)), ("seed", np.float64("nan")),
    ("seed", np.int64(2**40)), ("num_images", np.float32(2.5)), ("num_images", np.int64(9)),
    ("w", np.int64(513)), ("cfg_scale", np.float64("inf")), ("cfg_scale", np.float64(16)),
    ("super_resolution", np.int64(1)), ("backend_version", np.float64(0.5)),
    ("backend_version", np.bool_(True)), ("seed", np.str_("3")), ("seed", np.array([3])),
]


@pytest.mark.parametrize("name, value", REFUSED, ids=repr)
def test_a_number_that_cannot_be_sent_is_refused_by_name(client, name, value):
    with pytest.raises(InputError) as info:
        client.prepare_prompt(FLUX_DEV, "a fox", **{name: value})
    assert any(p.startswith(f"{name}: ") for p in info.value.problems), info.value.problems
    assert client.list_prompts() == []
    probe("smaller")


@pytest.mark.parametrize("name, value, sent", [
    ("seed", np.int64(3), 3), ("seed", 1.0, 1), ("seed", np.float64(8.0), 8),
    ("cfg_scale", np.float64(7.5), 7.5), ("num_images", np.int32(2), 2),
    ("backend_version", np.int64(1), 1), ("super_resolution", np.bool_(True), True),
], ids=repr)
def test_the_studio_shows_numpy_numbers_as_the_numbers_they_are(client, name, value, sent):
    from astria_widgets.widgets import PromptStudio

    studio = PromptStudio(client=client, tune=FLUX_DEV, text="x", **{name: value})
    assert studio.values[name] == sent and type(studio.values[name]) is type(sent)
    assert not [e for e in studio.errors if name in e], studio.errors
    probe("smaller")


@pytest.mark.parametrize("values", [
    [np.int64(1), np.int64(2)], np.array([1, 2]), [1.0, 2.0], np.array([1.0, 2.0]),
], ids=repr)
def test_a_sweep_of_numpy_values_plans_plain_numbers(values):
    plan = plan_sweep({"seed": values})
    assert [c.params["seed"] for c in plan.cells] == [1, 2]
    assert all(type(c.params["seed"]) is int for c in plan.cells)
    assert [c.label for c in plan.cells] == ["seed 1", "seed 2"]
    with pytest.raises(InputError, match=r"sweep\[seed\].*repeat"):
        plan_sweep({"seed": [np.int64(1), 1.0]})
    probe("smaller")


# -- 4. the studio's Download all says saved vs already present ---------------------------------
def test_download_all_says_what_it_saved_and_what_was_already_there(client, tmp_path):
    from astria_widgets.widgets import PromptStudio

    studio = PromptStudio(client=client, tune=FLUX_DEV, text="a lighthouse")
    run = studio.submit(sweep={"seed": [1, 2]})
    run.wait(timeout=WAIT)
    results = studio.results
    results.folder.value = str(tmp_path / "kept")
    results.download_button.click()
    assert len(results.download.wait(timeout=WAIT)) == 2
    assert "Saved 2 files" in results.message.value
    assert "0 already there" in results.message.value
    results.download_button.click()  # the same folder again: nothing new to save
    assert len(results.download.wait(timeout=WAIT)) == 2
    assert "Saved 0 files" in results.message.value, results.message.value
    assert "2 already there" in results.message.value
    counts = DownloadCounts()
    run.download(tmp_path / "kept", counts=counts)
    assert (counts.saved, counts.present) == (0, 2)
    probe("archive")


# -- the catalogue's rules hold for random numbers too -------------------------------------------
numpy_numbers = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40).map(np.int64),
    st.integers(min_value=0, max_value=255).map(np.uint8),
    st.floats(allow_nan=True, allow_infinity=True).map(np.float64),
    st.floats(width=32).map(np.float32), st.booleans().map(np.bool_),
    st.integers(min_value=-5, max_value=5000).map(float),
    st.floats(min_value=-2, max_value=60),
)
NUMBER_PARAMS = sorted(n for n, p in PARAMS.items()
                       if p.kind in ("int", "float", "bool")
                       or (p.kind == "enum" and all(isinstance(c, int) for c in p.choices)))


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(NUMBER_PARAMS), value=numpy_numbers)
def test_a_number_is_sent_as_the_plain_number_it_is_or_refused_by_name(name, value):
    from astria_widgets.client.prompt_params import plain_value

    problems = param_problems({name: value})
    if problems:
        assert set(problems) == {name}, problems
        return
    sent = plain_value(PARAMS[name], value)
    assert type(sent) in (bool, int, float)
    assert sent == value
    if PARAMS[name].kind == "int":
        assert type(sent) is int
    if PARAMS[name].kind == "bool":
        assert type(sent) is bool
