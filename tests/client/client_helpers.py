"""Small shared helpers for the client's sandbox tests (photos; request counting: counting.py)."""

from __future__ import annotations

from corpus import photo


def photos(count: int, start: int = 0) -> list[tuple[str, bytes]]:
    """``count`` distinct valid training photos as (name, bytes) pairs."""
    return [(f"photo-{i}.jpg", photo(seed=start + i)) for i in range(count)]
