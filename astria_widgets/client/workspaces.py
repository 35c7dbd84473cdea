"""The workspace and theme calls of the client.

``WorkspaceCalls`` is mixed into :class:`~astria_widgets.client.AstriaClient`:
``list_workspaces`` and ``create_workspace`` (the scope every request is sent in is the
client's ``workspace_id`` setting, :class:`~astria_widgets.client.base.ClientBase`), and
``create_theme`` (the service writes ten prompts per tune from a theme).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from astria_widgets.client import encoding
from astria_widgets.client.base import CLOCK_SLACK, ClientBase, Record, first_record
from astria_widgets.client.checks import record_id
from astria_widgets.client.errors import InputError
from astria_widgets.client.status import parse_time


class WorkspaceCalls(ClientBase):
    """The client's workspace and theme calls (see the module docstring)."""

    def list_workspaces(self) -> list[Record]:
        """Your workspaces (``id``, ``title``, ``slug``...)."""
        return list(self._get("/workspaces") or [])

    def create_workspace(self, title: str) -> Record:
        """Create a workspace; a create that may have gone through is looked up by title."""
        if not isinstance(title, str) or not title.strip():
            raise InputError("title: the workspace title is empty", context="create_workspace")
        clean = title.strip()

        def find(started: datetime) -> Record | None:
            mine = [w for w in self.list_workspaces() if w.get("title") == clean
                    and (parse_time(w.get("created_at")) or started) >= started - CLOCK_SLACK]
            return max(mine, key=lambda w: w.get("id") or 0) if mine else None

        return first_record(self._transport.create(
            "/workspaces", lambda: {"json": {"workspace": {"title": clean}}},
            find_existing=find))

    def create_theme(self, theme: str, tune_ids: Sequence[int], *,
                     num_images: int | None = None, w: int | None = None,
                     h: int | None = None) -> None:
        """Have the service write ten prompts per tune from a theme (``POST /themes``).

        The prompts are queued in the background; list them with ``list_prompts(tune_id)``.
        """
        problems = []
        if not isinstance(theme, str) or not theme.strip():
            problems.append("theme: the theme is empty")
        ids = []
        for index, value in enumerate(tune_ids or ()):
            try:
                ids.append(record_id(value, f"tune_ids[{index}]"))
            except InputError as exc:
                problems.extend(exc.problems)
        if not ids and not problems:
            problems.append("tune_ids: give at least one tune id")
        if problems:
            raise InputError(problems, context="create_theme")
        extra = encoding.clean_json({"num_images": num_images, "w": w, "h": h})
        body = {"theme": theme.strip(), "tune_ids": ids, "prompt_attributes": extra or None}
        self._transport.create("/themes", lambda: {"json": {"theme": encoding.clean_json(body)}})
