"""The gallery and like calls of the client.

``GalleryCalls`` is mixed into :class:`~astria_widgets.client.AstriaClient`:
``list_gallery_tunes`` (public base models and style LoRAs to run prompts on; the gallery's
packs are ``list_packs(gallery=True)``), ``like_prompt`` and ``unlike_prompt``.
"""

from __future__ import annotations

from typing import Any

from astria_widgets.client.base import ClientBase, Record
from astria_widgets.client.checks import record_id


class GalleryCalls(ClientBase):
    """The client's gallery and like calls (see the module docstring)."""

    def list_gallery_tunes(self, *, limit: int | None = None, before_id: int | None = None,
                           offset: int | None = None, **filters: Any) -> list[Record]:
        """Public gallery tunes (base models, style LoRAs) to run on; same filters as tunes."""
        return self._list("/gallery/tunes", limit, before_id, offset, filters)

    def like_prompt(self, prompt_id: int) -> None:
        """Like a prompt (repeating it is harmless, so it is safely resent on failure)."""
        pid = record_id(prompt_id, "prompt_id")
        self._transport.create(f"/prompts/{pid}/likes", lambda: {}, resend_safe=True)

    def unlike_prompt(self, prompt_id: int) -> None:
        """Remove your like from a prompt."""
        self._delete(f"/prompts/{record_id(prompt_id, 'prompt_id')}/likes")
