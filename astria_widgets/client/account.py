"""The account and image calls of the client.

``AccountCalls`` is mixed into :class:`~astria_widgets.client.AstriaClient`: ``account``
(``GET /users``: who the key belongs to and the balance, which :mod:`.costs` formats),
``catalogue`` (``GET /cli/models``, once per client: what :mod:`.pricing` prices by),
``fetch_bytes`` (an image URL's bytes; the key goes only to the API's host) and
``inspect_image`` (Astria's inspector on one training photo; :mod:`.inspect` reads the answer).
"""

from __future__ import annotations

from typing import Any

from astria_widgets.client import uploads
from astria_widgets.client.base import ClientBase, Record
from astria_widgets.client.checks import is_http_url, name_title_problems
from astria_widgets.client.errors import InputError


class AccountCalls(ClientBase):
    """The client's account and image calls (see the module docstring)."""

    def account(self) -> Record:
        """The account behind the key (``GET /users``)."""
        return self._get("/users")

    def catalogue(self, *, refresh: bool = False) -> Record:
        """The model catalogue (``GET /cli/models``, no key needed): image models with their
        tune ids and resolutions, video models with their prices and durations. Fetched at most
        once per client (``refresh=True`` fetches it again); :mod:`.pricing` reads it."""
        with self._catalogue_lock:
            if self._catalogue is None or refresh:
                found = self._get("/cli/models")
                self._catalogue = found if isinstance(found, dict) else {}
            return self._catalogue

    def fetch_bytes(self, url: str) -> bytes:
        """Download a file (e.g. a generated image); the key goes only to the API's host."""
        return self._transport.send("GET", url).content

    def inspect_image(self, image: Any, name: str) -> Record:
        """Ask Astria's inspector about one training photo (``POST /images/inspect``).

        ``image`` is a path, bytes, an open file, a ``(filename, bytes)`` pair, or an
        ``https://`` URL (sent as ``file_url``); ``name`` is the tune's class. Files are
        checked first and shrunk to at most 512 px, as the docs advise. Returns the flat
        answer (flags such as ``blurry``, ``wearing_sunglasses``; strings such as
        ``eye_color``); :mod:`astria_widgets.client.inspect` interprets it.
        """
        problems = name_title_problems(name, None)
        fields: list[tuple[str, Any]] = [("name", name.strip() if isinstance(name, str) else "")]
        if isinstance(image, str) and is_http_url(image):
            fields.append(("file_url", image.strip()))
        else:
            named, found = uploads.read_images([image], label="image")
            problems.extend(found)
            if len(named) != 1 and not found:
                problems.append("image: give one picture (a folder holds several)")
            elif named:
                from astria_widgets.imaging import downscale, inspect_image

                file_name, data = named[0]
                problems.extend(inspect_image(data, file_name).problems)
                if not problems:
                    fields.append(("file", uploads.file_part(file_name, downscale(data))))
        if problems:
            raise InputError(problems, context="inspect_image")

        def body() -> dict[str, Any]:
            monitor, content_type = uploads.multipart_body(fields)
            return {"data": monitor, "headers": {"Content-Type": content_type}}

        return self._transport.create("/images/inspect", body, resend_safe=True)
