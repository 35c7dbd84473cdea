"""Find widgets the way a browser test selects elements: by DOM class, through public API.

``dom_classes`` reads the synced ``_dom_classes`` trait with ``get_state()`` (the state the front
end receives), so tests never touch a widget's private attributes.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets


def dom_classes(widget: widgets.Widget) -> tuple[str, ...]:
    """The DOM classes of ``widget`` as its front end receives them (none for non-DOM widgets)."""
    if "_dom_classes" not in widget.keys:
        return ()
    return tuple(widget.get_state("_dom_classes")["_dom_classes"])


def descendants(root: widgets.Widget) -> list[widgets.Widget]:
    """``root`` and every widget under it (through the public ``children`` trait), in tree order."""
    found = [root]
    for child in getattr(root, "children", ()):
        found.extend(descendants(child))
    return found


def find(root: widgets.Widget, dom_class: str) -> list[widgets.Widget]:
    """Every widget under ``root`` (itself included) carrying ``dom_class``, in tree order."""
    return [widget for widget in descendants(root) if dom_class in dom_classes(widget)]


def one(root: widgets.Widget, dom_class: str) -> Any:
    """The single widget under ``root`` carrying ``dom_class`` (fails when there are 0 or 2+)."""
    matches = find(root, dom_class)
    assert len(matches) == 1, f"{dom_class}: {len(matches)} widgets"
    return matches[0]
