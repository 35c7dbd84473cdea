"""Per-image and set-level checks over the bad-input corpus (tests/corpus.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from corpus import CorpusCase, build_image_corpus, photo
from PIL import Image, ImageFile

from astria_widgets.imaging import (
    MAX_FILE_BYTES,
    MAX_IMAGES,
    apply_set_checks,
    check_training_set,
    inspect_image,
    size_problem,
)

CASE_IDS = [
    "not-an-image", "html-renamed", "pdf-renamed", "random-bytes", "truncated-jpeg",
    "truncated-png", "corrupt-png", "zero-byte", "one-pixel", "small", "bomb", "bigger-bomb",
    "animated-gif", "cmyk", "sixteen-bit", "alpha", "palette-transparency", "exif-rotated",
    "non-ascii-name", "spaces-in-name", "mixed-name", "oversized", "duplicate", "too-many",
    "heic", "unsupported-format",
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CorpusCase]:
    return {c.case: c for c in build_image_corpus(tmp_path_factory.mktemp("corpus"))}


def test_corpus_covers_every_case(corpus: dict[str, CorpusCase]) -> None:
    assert sorted(corpus) == sorted(CASE_IDS)
    for case in corpus.values():
        assert [p.read_bytes() for p in case.paths] == [data for _, data in case.items]


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_corpus_case_gets_its_verdict(corpus: dict[str, CorpusCase], case_id: str) -> None:
    case = corpus[case_id]
    items = [(p.name, p.read_bytes()) for p in case.paths]  # through the file system
    report = check_training_set(items)[-1]
    assert report.name == case.name
    for message in report.messages:
        assert message.startswith(f"{case.name}: "), message
    if case.expect == "problem":
        assert not report.ok
        assert case.matches(report.problems), report.problems
    elif case.expect == "warning":
        assert report.ok, report.problems
        assert case.matches(report.warnings), report.warnings
    else:
        assert report.ok and report.messages == (), report.messages


def test_exif_rotated_photo_reports_upright_size(corpus: dict[str, CorpusCase]) -> None:
    report = inspect_image(corpus["exif-rotated"].data, "portrait.jpg")
    assert (report.width, report.height) == (600, 800)


def test_bombs_and_good_files_are_checked_without_decoding(
    corpus: dict[str, CorpusCase], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError(f"{self.format} image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    for case_id in ("bomb", "bigger-bomb", "non-ascii-name", "exif-rotated"):
        case = corpus[case_id]
        report = inspect_image(case.data, case.name)
        assert (report.ok, case.expect) in ((True, "ok"), (False, "problem")), report
    png = inspect_image(photo(fmt="PNG"), "a.png")  # PNG: verified chunk by chunk
    assert png.ok and png.format == "PNG"


def test_duplicate_names_both_files_and_is_lifted_when_first_goes() -> None:
    same = photo(seed=21)
    reports = check_training_set([("a.jpg", same), ("b.jpg", photo(seed=22)), ("c.jpg", same)])
    assert [r.ok for r in reports] == [True, True, False]
    assert "c.jpg" in reports[2].problems[0] and "a.jpg" in reports[2].problems[0]
    without_first = apply_set_checks([inspect_image(same, "c.jpg")])
    assert without_first[0].ok


def test_too_many_blocks_only_the_extras_and_ignores_blocked_ones() -> None:
    items = [(f"{i}.jpg", photo(512, 512, seed=100 + i)) for i in range(5)]
    items.insert(1, ("bad.jpg", b"not a picture"))
    reports = check_training_set(items, max_images=3)
    assert [r.ok for r in reports] == [True, False, True, True, False, False]
    assert "image 4 of 5" in reports[4].problems[0]
    assert "remove 2" in reports[5].problems[0]
    assert MAX_IMAGES == 50


def test_size_limit_boundaries() -> None:
    assert size_problem("a.jpg", MAX_FILE_BYTES) is None
    message = size_problem("a.jpg", MAX_FILE_BYTES + 1)
    assert message is not None and "30.0 MiB" in message
    assert "empty" in (size_problem("a.jpg", 0) or "")


def test_report_is_filled_in_for_a_good_image() -> None:
    data = photo(700, 520, seed=3)
    report = inspect_image(data, "ok.jpg")
    assert (report.ok, report.width, report.height, report.format) == (True, 700, 520, "JPEG")
    assert report.size == len(data) and len(report.sha256) == 64


def test_memoryview_input_and_odd_names(tmp_path: Path) -> None:
    name = "naïve <b>&amp; 写真.png"
    data = photo(600, 600, fmt="PNG")
    report = inspect_image(memoryview(data), name)  # type: ignore[arg-type]
    assert report.ok and report.name == name


def test_transparency_warning_only_when_alpha_is_present() -> None:
    rgba = Image.new("RGBA", (600, 600), (10, 20, 30, 0))
    out = io.BytesIO()
    rgba.save(out, "PNG")
    assert any("transparency" in w for w in inspect_image(out.getvalue(), "t.png").warnings)
    assert inspect_image(photo(fmt="PNG"), "plain.png").warnings == ()
