"""make_thumbnail: upright, small, decoded at reduced size, cached by content."""

from __future__ import annotations

import io

import pytest
from corpus import photo
from PIL import Image, ImageOps

from astria_widgets.imaging.thumbnails import LRUCache, clear_thumbnail_cache, make_thumbnail


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        return im.size


@pytest.mark.parametrize(("orientation", "expected"), [
    (None, (128, 96)), (1, (128, 96)), (3, (128, 96)), (6, (96, 128)), (8, (96, 128)),
])
def test_thumbnail_is_upright(orientation: int | None, expected: tuple[int, int]) -> None:
    data = photo(800, 600, seed=orientation or 0, orientation=orientation)
    assert _size(make_thumbnail(data)) == expected


def test_rotated_pixels_follow_exif() -> None:
    im = Image.new("RGB", (800, 600), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 400, 600))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise: red ends up on top
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", exif=exif, quality=95)
    thumb = Image.open(io.BytesIO(make_thumbnail(buffer.getvalue(), size=64)))
    top, bottom = thumb.getpixel((24, 5)), thumb.getpixel((24, 58))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_jpeg_is_decoded_at_reduced_size(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []
    real = ImageOps.exif_transpose

    def spy(image: Image.Image, **kwargs: object) -> Image.Image:
        seen.append(image.size)
        return real(image, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ImageOps, "exif_transpose", spy)
    clear_thumbnail_cache()
    make_thumbnail(photo(2048, 1536, seed=5), size=128)
    assert seen == [(256, 192)]  # libjpeg scaled by 1/8 while decoding


def test_odd_modes_give_rgb_thumbnails() -> None:
    for im in (Image.new("CMYK", (300, 300)), Image.new("RGBA", (300, 300), (0, 0, 0, 0)),
               Image.new("I;16", (300, 300), 40000), Image.new("P", (300, 300))):
        buffer = io.BytesIO()
        im.save(buffer, "TIFF" if im.mode == "CMYK" else "PNG")
        thumb = Image.open(io.BytesIO(make_thumbnail(buffer.getvalue(), size=32)))
        assert thumb.mode in ("RGB", "L") and thumb.size == (32, 32)


def test_cache_returns_the_same_bytes_without_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_thumbnail_cache()
    data = photo(640, 480, seed=77)
    first = make_thumbnail(data)
    monkeypatch.setattr(Image, "open", lambda *a, **kw: pytest.fail("decoded again"))
    assert make_thumbnail(bytes(data)) is first
    with pytest.raises(pytest.fail.Exception):
        make_thumbnail(data, size=64)  # another size is another entry


def test_lru_forgets_least_recently_used() -> None:
    lru = LRUCache(2)
    lru.put(("a", 1), b"a")
    lru.put(("b", 1), b"b")
    assert lru.get(("a", 1)) == b"a"
    lru.put(("c", 1), b"c")
    assert lru.get(("b", 1)) is None and lru.get(("a", 1)) == b"a" and len(lru) == 2


def test_bad_data_raises_clear_errors() -> None:
    with pytest.raises(Image.UnidentifiedImageError):
        make_thumbnail(b"not an image")
    with pytest.raises(ValueError):
        make_thumbnail(photo(), size=0)
