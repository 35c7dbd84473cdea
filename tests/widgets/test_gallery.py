"""The gallery shows what a prompt delivered: pictures as thumbnails, videos as players."""

from __future__ import annotations

import ipywidgets as w
from corpus import photo

from astria_widgets.client import AstriaClient
from astria_widgets.client.uploads import video_format
from astria_widgets.widgets.gallery import MAX_INLINE_VIDEO_BYTES, Gallery


def _video_of_a_sandbox_prompt(client: AstriaClient) -> bytes:
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="fast", title="video source")
    client.wait_for_tune(tune["id"], timeout=60)
    prompt = client.create_prompt(tune["id"], "a lighthouse on a cliff", video_model="kling25",
                                  video_prompt="waves crash", video_duration=5)
    done = client.wait_for_prompt(tune["id"], prompt["id"], timeout=60)
    return client.fetch_bytes(done["images"][0])


def test_a_video_from_the_sandbox_plays_and_a_picture_is_a_thumbnail(client) -> None:
    video = _video_of_a_sandbox_prompt(client)
    assert video_format(video) == "mp4"
    gallery = Gallery()
    player = gallery.add(video, caption="#1 video")
    picture = gallery.add(photo(seed=3), caption="#2 picture")
    assert isinstance(player, w.Video) and player.format == "mp4" and player.value == video
    assert not player.autoplay and player.controls
    assert isinstance(picture, w.Image) and picture.format == "jpeg"
    assert len(picture.value) < 40_000  # a thumbnail, not the photo
    assert gallery.count == 2


def test_a_video_too_big_for_one_widget_message_gets_a_card_not_its_bytes() -> None:
    huge = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * MAX_INLINE_VIDEO_BYTES
    card = Gallery().add(huge, caption="#3")
    assert isinstance(card, w.HTML)
    assert "MP4 video" in card.value and "client.download" in card.value
    assert len(card.value) < 1000
