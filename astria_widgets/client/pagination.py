"""Keyset iteration over the API's list endpoints (``before_id``, newest first).

A page is fetched with ``limit`` and ``before_id``; the next page starts below the smallest
id seen. Iteration stops on an empty or short page. Ids are de-duplicated defensively, and
rows that are not below the cursor are skipped, so no id is repeated even if the server
misbehaves; a page that brings nothing new ends the loop rather than spinning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

MAX_PAGE_SIZE = 120


def iter_keyset(
    fetch_page: Callable[[dict[str, Any]], list[dict[str, Any]]],
    *,
    page_size: int = MAX_PAGE_SIZE,
    before_id: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield every record from ``fetch_page({"limit", "before_id"})`` pages, newest first."""
    size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    cursor = before_id
    seen: set[Any] = set()
    while True:
        params: dict[str, Any] = {"limit": size}
        if cursor is not None:
            params["before_id"] = cursor
        page = fetch_page(params) or []
        fresh = 0
        lowest = cursor
        for record in page:
            rid = record.get("id")
            if rid in seen or (cursor is not None and isinstance(rid, int) and rid >= cursor):
                continue
            seen.add(rid)
            fresh += 1
            if isinstance(rid, int) and (lowest is None or rid < lowest):
                lowest = rid
            yield record
        if len(page) < size or fresh == 0 or lowest is None or lowest == cursor:
            return
        cursor = lowest
