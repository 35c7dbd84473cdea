"""Checking training photos with Astria's inspector: flags, fixes, majority characteristics.

``AstriaClient.inspect_image`` sends one picture to ``POST /images/inspect``; this module turns
its flat answer into what a user can act on (the docs' usage pattern, §2.11 of the API notes):

- :func:`interpret`: every ``true`` boolean is a flag with a one-line fix ("retake without
  sunglasses"), and a ``name`` that is empty or differs from the chosen class is the flag
  ``wrong_class``;
- :func:`majority_characteristics`: string values seen in at least half of the photos become
  the tune's ``characteristics`` (``NONE``, ``""`` and missing count as absent);
- :func:`inspect_images`: several photos at once, in parallel but bounded (``max_workers``),
  each failure kept on its own photo instead of stopping the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from astria_widgets.client.errors import AstriaError

if TYPE_CHECKING:
    from astria_widgets.client.api import AstriaClient

#: One-line fixes of the documented boolean flags (and of ``wrong_class``).
FIXES: dict[str, str] = {
    "blurry": "blurry: retake it in focus, holding the camera still",
    "wearing_sunglasses": "sunglasses: retake without sunglasses",
    "wearing_hat": "hat: retake without a hat",
    "includes_multiple_people": "several people: crop to the one person or retake alone",
    "funny_face": "funny face: use a photo with a natural expression",
    "selfie": "selfie: ask someone else to take it (arm's-length selfies distort faces)",
    "full_body_image_or_longshot": "long shot: use a closer photo where the face is large",
    "low_resolution": "low resolution: use the original photo (at least 512 px)",
    "low_quality": "low quality: retake in good, even light, in colour",
}
#: String keys offered as characteristics (``name`` is the class, checked separately).
CHARACTERISTIC_KEYS: tuple[str, ...] = (
    "body_type", "ethnicity", "age", "glasses", "eye_color", "hair_color", "hair_length",
    "hair_style", "facial_hair", "is_bald", "headcover",
)
DEFAULT_WORKERS = 4
_ABSENT = ("", "NONE", "none", None)


@dataclass(frozen=True)
class Inspection:
    """The inspector's verdict on one photo, ready to show.

    ``flags`` are answer keys (``"blurry"``, ``"wrong_class"``...), ``fixes`` the matching
    one-line advice, ``characteristics`` the string values found; ``error`` is set (and the
    rest empty) when the photo could not be inspected.
    """

    image: str
    flags: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
    characteristics: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    answer: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """True when inspected without any flag."""
        return self.error is None and not self.flags


def interpret(answer: Mapping[str, Any], name: str, image: str = "") -> Inspection:
    """The flags, fixes and characteristics of one ``/images/inspect`` answer for class ``name``."""
    flags = [key for key in FIXES if answer.get(key) is True]
    fixes = [FIXES[key] for key in flags]
    found = answer.get("name")
    wanted = (name or "").strip().lower()
    if "name" in answer and (found in _ABSENT or str(found).lower() != wanted):
        flags.append("wrong_class")
        fixes.append(f"no {wanted} recognised: check the photo shows the subject"
                     if found in _ABSENT else
                     f"looks like a {found}, not a {wanted}: check the class or the photo")
    characteristics = {key: str(answer[key]) for key in CHARACTERISTIC_KEYS
                       if answer.get(key) not in _ABSENT}
    return Inspection(image, tuple(flags), tuple(fixes), characteristics, None, dict(answer))


def majority_characteristics(inspections: Sequence[Inspection]) -> dict[str, str]:
    """Each characteristic whose most common value is seen in at least half of the photos."""
    usable = [i for i in inspections if i.error is None]
    out: dict[str, str] = {}
    for key in CHARACTERISTIC_KEYS:
        counts = Counter(i.characteristics[key] for i in usable if key in i.characteristics)
        if counts:
            value, seen = counts.most_common(1)[0]
            if 2 * seen >= len(usable):
                out[key] = value
    return out


def inspect_images(
    client: AstriaClient, images: Sequence[tuple[str, bytes]], name: str, *,
    max_workers: int = DEFAULT_WORKERS,
    on_result: Callable[[Inspection], Any] | None = None,
) -> list[Inspection]:
    """Inspect ``(file name, bytes)`` photos in parallel (at most ``max_workers`` at once).

    Returns one :class:`Inspection` per photo, in order; an API or input error becomes that
    photo's ``error``. ``on_result`` is called (from a worker thread) as each one finishes.
    """

    def one(item: tuple[str, bytes]) -> Inspection:
        image, data = item
        try:
            result = interpret(client.inspect_image((image, data), name), name, image)
        except AstriaError as exc:
            result = Inspection(image, error=str(exc))
        if on_result is not None:
            on_result(result)
        return result

    if not images:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(images))),
                            thread_name_prefix="astria-inspect") as pool:
        return list(pool.map(one, images))


def start_inspection(
    client: AstriaClient, images: Sequence[tuple[str, bytes]], name: str, *,
    max_workers: int = DEFAULT_WORKERS,
    on_result: Callable[[Inspection], Any] | None = None,
    on_done: Callable[[list[Inspection]], Any] | None = None,
) -> Future[list[Inspection]]:
    """:func:`inspect_images` in a background thread: returns its ``Future`` at once.

    What a button uses, so that the kernel stays free while the photos are checked;
    ``on_result`` still reports each photo as it finishes, and ``on_done(results)`` runs
    before the future resolves (so a caller of ``result()`` sees its effects).
    """

    def run() -> list[Inspection]:
        results = inspect_images(client, images, name, max_workers=max_workers,
                                 on_result=on_result)
        if on_done is not None:
            on_done(results)
        return results

    runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="astria-inspect-run")
    try:
        return runner.submit(run)
    finally:
        runner.shutdown(wait=False)
