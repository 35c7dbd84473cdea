"""The pack calls of the client: list and read packs, create one, order one.

``PackCalls`` is mixed into :class:`~astria_widgets.client.AstriaClient`: ``list_packs``
(yours, or the gallery's with ``gallery=True``), ``get_pack``, ``create_pack`` and
``create_tune_from_pack`` (train a tune with a pack's prompts, or run them on tunes you have).
What an order costs is :mod:`.costs`' to say.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from astria_widgets.client import encoding, uploads
from astria_widgets.client.base import CLOCK_SLACK, Record, first_record
from astria_widgets.client.checks import (
    as_urls,
    callback_problems,
    check_characteristics,
    name_title_problems,
    pack_key,
    record_id,
    stripped,
    url_problems,
)
from astria_widgets.client.errors import InputError
from astria_widgets.client.pagination import MAX_PAGE_SIZE
from astria_widgets.client.status import parse_time
from astria_widgets.client.tunes import TuneCalls

GALLERY_PACKS_PRICED = 20
"""How many of the gallery's packs :meth:`PackCalls.gallery_packs` reads (their details)."""


class PackCalls(TuneCalls):
    """The client's pack calls (see the module docstring); an order finds its tune again by
    title like ``create_tune`` does."""

    def list_packs(self, *, gallery: bool = False, limit: int | None = None,
                   offset: int | None = None, public: bool | None = None,
                   listed: bool | None = None) -> list[Record]:
        """Your packs, or the public gallery packs with ``gallery=True``."""
        path = "/gallery/packs" if gallery else "/packs"
        params = {"limit": limit, "offset": offset, "public": public, "listed": listed}
        return list(self._get(path, params) or [])

    def get_pack(self, pack_id_or_slug: int | str) -> Record:
        """One pack by numeric id or slug."""
        return self._get(f"/p/{pack_key(pack_id_or_slug, 'pack_id_or_slug')}")

    def gallery_packs(self, *, refresh: bool = False) -> list[Record]:
        """The details of the first :data:`GALLERY_PACKS_PRICED` gallery packs (``GET
        /gallery/packs``, then ``GET /p/:id`` of each the list gives without
        ``template_prompts``, through :meth:`run_all`; a pack whose detail fails is left out):
        the figures :mod:`.pricing` estimates a tune's training from. Fetched at most once per
        client (``refresh=True`` fetches them again); sends requests, so never on the kernel's
        thread in a widget callback."""
        with self._gallery_packs_lock:
            if self._gallery_packs is None or refresh:
                listed = [p for p in self.list_packs(gallery=True)
                          if isinstance(p, Mapping)][:GALLERY_PACKS_PRICED]
                found = self.run_all(  # the detail over the listing (its cost_mc_hash kept)
                    lambda p: p if p.get("template_prompts") is not None
                    else {**p, **self.get_pack(p["id"])}, listed)
                self._gallery_packs = [p for p in found if isinstance(p, Mapping)]
            return self._gallery_packs

    def create_pack(self, title: str, *, base_tune_id: int | None = None,
                    model_type: str | None = None, subtitle: str | None = None) -> Record:
        """Create an (empty, private) pack; fill it with ``update_prompt(id, pack_id=...)``."""
        problems = []
        if not isinstance(title, str) or not title.strip():
            problems.append("title: the pack title is empty")
        if base_tune_id is not None:
            try:
                base_tune_id = record_id(base_tune_id, "base_tune_id")
            except InputError as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputError(problems, context="create_pack")
        clean = title.strip()
        pack = {"title": clean, "base_tune_id": base_tune_id, "model_type": model_type,
                "subtitle": subtitle}

        def find(started: datetime) -> Record | None:
            mine = [p for p in self.list_packs(limit=MAX_PAGE_SIZE) if p.get("title") == clean
                    and (parse_time(p.get("created_at")) or started) >= started - CLOCK_SLACK]
            return max(mine, key=lambda p: p.get("id") or 0) if mine else None

        return first_record(self._transport.create(
            "/packs", lambda: {"json": {"pack": encoding.clean_json(pack)}},
            find_existing=find))

    def create_tune_from_pack(
        self,
        pack_id: int | str,
        *,
        name: str | None = None,
        title: str | None = None,
        images: Any = (),
        image_urls: Iterable[str] = (),
        tune_ids: Sequence[int] | None = None,
        prompt_ids: Sequence[int] | None = None,
        callback: str | None = None,
        prompts_callback: str | None = None,
        characteristics: Mapping[str, str] | None = None,
        prompt_attributes: Mapping[str, Any] | None = None,
    ) -> Record:
        """Train a tune with a pack's prompts, or run the pack on existing ``tune_ids``."""
        problems: list[str] = []
        try:
            pack = pack_key(pack_id, "pack_id")
        except InputError as exc:
            problems.extend(exc.problems)
        urls = as_urls(image_urls)
        image_inputs = uploads.as_list(images)
        if not tune_ids:
            problems.extend(name_title_problems(name, title))
            title = str(uuid.uuid4()) if title is None else title
            if not image_inputs and not urls:
                problems.append("images: give at least one training image or image URL")
        problems.extend(url_problems("image_urls", urls))
        problems.extend(callback_problems(callback=callback, prompts_callback=prompts_callback))
        problems.extend(check_characteristics(characteristics)[1])
        if problems:
            raise InputError(problems, context="create_tune_from_pack")
        parts = uploads.prepare_training_images(image_inputs, context="create_tune_from_pack") \
            if image_inputs else []
        tune = {
            "name": name, "title": title, "image_urls": [u.strip() for u in urls] or None,
            "callback": stripped(callback), "prompts_callback": stripped(prompts_callback),
            "characteristics": check_characteristics(characteristics)[0] or None,
            "prompt_attributes": dict(prompt_attributes) if prompt_attributes else None,
            "tune_ids": [int(t) for t in tune_ids] if tune_ids else None,
            "prompt_ids": [int(p) for p in prompt_ids] if prompt_ids else None,
        }
        find = None if tune_ids or title is None else (
            lambda started: self._find_tune_by_title(title))
        return first_record(self._transport.create(
            f"/p/{pack}/tunes", self._body("tune", tune, parts, "images", None),
            find_existing=find,
        ))
