"""An in-memory stand-in for the client's list/get methods, counting every call.

Used to drive ``TuneHistory`` through cases a live server makes awkward to arrange:
unfinished tunes deep in the history, deletions, a sync interrupted mid-way.
"""

from __future__ import annotations

from typing import Any

from astria_widgets.client.errors import NotFoundError, TransportError

T0 = "2024-01-01T00:00:00.000Z"
T1 = "2024-01-01T00:00:30.000Z"
T2 = "2024-01-01T00:20:30.000Z"


def tune(tune_id: int, state: str = "trained") -> dict[str, Any]:
    """A tune record in ``state`` (queued, training, trained, failed)."""
    record: dict[str, Any] = {
        "id": tune_id,
        "title": f"t{tune_id}",
        "created_at": T0,
        "started_training_at": None,
        "trained_at": None,
        "expires_at": None,
        "updated_at": T0,
        "error": None,
    }
    if state in {"training", "trained", "failed"}:
        record["started_training_at"] = record["updated_at"] = T1
    if state == "trained":
        record["trained_at"] = record["updated_at"] = T2
        record["expires_at"] = "2999-01-01T00:00:00.000Z"
    if state == "failed":
        record["error"] = "Training failed: worker timed out"
    return record


class FakeAPI:
    """``list_tunes``/``get_tune``/``list_prompts``/``get_prompt`` over dicts, counted."""

    base_url = "http://fake.invalid"
    is_sandbox = True

    def __init__(self, tunes: list[dict[str, Any]] | None = None) -> None:
        self.tunes: dict[int, dict[str, Any]] = {t["id"]: t for t in tunes or []}
        self.prompts: dict[int, dict[str, Any]] = {}
        self.calls: list[tuple[str, Any]] = []
        self.fail_on_call: int | None = None  # raise TransportError on this call number

    def _count(self, name: str, arg: Any) -> None:
        self.calls.append((name, arg))
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise TransportError("connection dropped (simulated)")

    @staticmethod
    def _page(rows: dict[int, dict[str, Any]], limit: int, before_id: int | None) -> list:
        ids = sorted((i for i in rows if before_id is None or i < before_id), reverse=True)
        return [dict(rows[i]) for i in ids[: max(1, min(limit or 20, 120))]]

    def list_tunes(self, *, limit: int | None = None, before_id: int | None = None) -> list:
        self._count("list_tunes", before_id)
        return self._page(self.tunes, limit or 20, before_id)

    def get_tune(self, tune_id: int) -> dict[str, Any]:
        self._count("get_tune", tune_id)
        if tune_id not in self.tunes:
            raise NotFoundError("not found", status_code=404, method="GET", path="/tunes")
        return dict(self.tunes[tune_id])

    def list_prompts(
        self, tune_id: Any = None, *, limit: int | None = None, before_id: int | None = None
    ) -> list:
        self._count("list_prompts", before_id)
        return self._page(self.prompts, limit or 20, before_id)

    def get_prompt(self, tune_id: Any, prompt_id: int) -> dict[str, Any]:
        self._count("get_prompt", prompt_id)
        if prompt_id not in self.prompts:
            raise NotFoundError("not found", status_code=404, method="GET", path="/prompts")
        return dict(self.prompts[prompt_id])
