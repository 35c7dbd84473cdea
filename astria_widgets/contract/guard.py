"""The spending guard of the contract run: a session that sends only what costs nothing.

:class:`FreeOnlySession` is the ``requests`` session of the client the contract suite drives
(``astria-widgets check``, ``pytest -m contract``). Before anything is sent it decides by the
contract's endpoint table (:meth:`~astria_widgets.contract.schema.Contract.endpoint`):

- reads (``GET``, ``HEAD``) go through;
- ``POST /tunes`` only with ``branch`` ``fast`` in the body (the API's free mock mode; without
  a branch the service picks ``sd15``, which is paid);
- ``POST /tunes/:id/prompts`` only on a ``fast`` tune this session created (a prompt on a mock
  tune is free; one on any other tune is billed);
- likes, and deletes of a tune or prompt, only on objects this session created;
- anything else that writes (pack runs, themes, duplicates, inspections, updates...) never.

A refused request raises :class:`SpendRefused` (an :class:`~astria_widgets.client.InputError`:
nothing was sent) naming the request and why. What was refused is kept in :attr:`refused`.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import requests

from astria_widgets.client.errors import InputError
from astria_widgets.contract.schema import Contract, load_contract
from astria_widgets.contract.traffic import OpaqueBody, sent_params

FREE_BRANCH = "fast"
_LIKES = {"L1", "L1s", "L2", "L2s"}
_PROMPT_DELETES = {"P6", "P6t"}


class SpendRefused(InputError):
    """A request the contract run refused before sending, because it could cost money."""


def _path_id(path: str, after: str) -> int | None:
    """The number following the segment ``after`` in ``path`` (``/tunes/5/prompts`` -> 5)."""
    parts = path.strip("/").split("/")
    for index, part in enumerate(parts[:-1]):
        if part == after:
            digits = parts[index + 1].removesuffix(".json")
            return int(digits) if digits.isdigit() else None
    return None


class FreeOnlySession(requests.Session):
    """A ``requests.Session`` that refuses, before sending, every request that could spend.

    ``base_path``: the path of the API's base URL when it has one (``/api``), cut before the
    endpoint is looked up. See the module docstring for the rules.
    """

    def __init__(self, contract: Contract | None = None, *, base_path: str = "") -> None:
        super().__init__()
        self.contract = contract or load_contract()
        self.base_path = base_path.rstrip("/")
        self.fast_tunes: set[int] = set()
        self.tunes: set[int] = set()
        self.prompts: set[int] = set()
        self.refused: list[str] = []
        self._lock = threading.Lock()

    def refusal(self, method: str, url: str, params: Any = None, json: Any = None,
                data: Any = None) -> str | None:
        """Why a request must not be sent (None when it is free)."""
        method = method.upper()
        if method in ("GET", "HEAD", "OPTIONS"):
            return None
        path = urlsplit(url).path or "/"
        if self.base_path and path.startswith(self.base_path + "/"):
            path = path[len(self.base_path):]
        endpoint = self.contract.endpoint(method, path)
        what = f"{method} {endpoint.path if endpoint else path}"
        if endpoint is None:
            return f"{what} is not a documented call of the free contract run"
        with self._lock:
            fast, tunes, prompts = set(self.fast_tunes), set(self.tunes), set(self.prompts)
        if endpoint.id == "T1":
            try:
                tune = sent_params(url, params, json, data).get("tune")
            except OpaqueBody:
                tune = None
            branch = tune.get("branch") if isinstance(tune, dict) else None
            if branch != FREE_BRANCH:
                given = "no branch (the service then trains on sd15)" if branch is None \
                    else f"branch {branch!r}"
                return (f"{what} with {given} would cost money; this run creates only "
                        f"branch={FREE_BRANCH!r} tunes (the API's free mock mode)")
            return None
        if endpoint.id == "P1":
            tune_id = _path_id(path, "tunes")
            if tune_id in fast:
                return None
            return (f"{what} on tune {tune_id} would be billed; this run creates prompts only on "
                    f"the branch={FREE_BRANCH!r} tunes it made")
        if endpoint.id in _LIKES or endpoint.id in _PROMPT_DELETES:
            prompt_id = _path_id(path, "prompts")
            if prompt_id in prompts:
                return None
            return f"{what}: prompt {prompt_id} was not made by this run; it is left alone"
        if endpoint.id == "T4":
            tune_id = _path_id(path, "tunes")
            if tune_id in tunes:
                return None
            return f"{what}: tune {tune_id} was not made by this run; it is left alone"
        return f"{what} is not part of the free contract run (it could cost money or change " \
               "your account)"

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        """Send the request unless :meth:`refusal` objects (then :class:`SpendRefused`)."""
        method_text = method.decode() if isinstance(method, bytes) else str(method)
        url_text = url.decode() if isinstance(url, bytes) else str(url)
        why = self.refusal(method_text, url_text, kwargs.get("params"), kwargs.get("json"),
                           kwargs.get("data"))
        if why is not None:
            with self._lock:
                self.refused.append(why)
            raise SpendRefused(f"refused before sending: {why}", context="contract run")
        response = super().request(method, url, *args, **kwargs)
        self._learn(method_text.upper(), url_text, response)
        return response

    def _learn(self, method: str, url: str, response: requests.Response) -> None:
        """Remember the tunes and prompts this session created (from their answers)."""
        if method != "POST" or not 200 <= response.status_code < 300:
            return
        path = urlsplit(url).path or "/"
        if self.base_path and path.startswith(self.base_path + "/"):
            path = path[len(self.base_path):]
        endpoint = self.contract.endpoint(method, path)
        if endpoint is None or endpoint.id not in ("T1", "P1"):
            return
        try:
            record = response.json()
        except ValueError:
            return
        if isinstance(record, list) and record:  # the CLI tolerates a list; so do we
            record = record[0]
        if not isinstance(record, dict) or not isinstance(record.get("id"), int):
            return
        with self._lock:
            if endpoint.id == "T1":
                self.tunes.add(record["id"])
                if record.get("branch", FREE_BRANCH) == FREE_BRANCH:
                    self.fast_tunes.add(record["id"])
            else:
                self.prompts.add(record["id"])
