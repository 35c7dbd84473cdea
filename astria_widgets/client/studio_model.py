"""``StudioModel``: what the PromptStudio shows and does, without any widget.

It holds the tunes a user can pick (their own usable tunes, newest first, then the gallery's
base models and LoRAs), the selected tune, and answers the studio's questions through the
client: the text as it will be sent (:func:`~astria_widgets.client.references.plan_prompt`),
the problems of the current values (:mod:`~astria_widgets.client.prompt_params`), the account
balance, and ``submit`` (a :class:`~astria_widgets.client.generation.GenerationRun`). The widget
only renders it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from astria_widgets.client.checks import record_id
from astria_widgets.client.costs import usd
from astria_widgets.client.errors import AstriaError, InputError
from astria_widgets.client.generation import GenerationRun
from astria_widgets.client.pricing import (
    RECENT_PROMPTS,
    Estimate,
    SpendLimit,
    catalogue_or_empty,
    estimate_prompts,
    left_mc,
    limits_of,
)
from astria_widgets.client.prompt_params import param_problems
from astria_widgets.client.references import PromptPlan, plan_prompt
from astria_widgets.client.status import TUNE_UNUSABLE, tune_status
from astria_widgets.client.sweep import plan_sweep

if TYPE_CHECKING:
    from astria_widgets.client.api import AstriaClient

Record = dict[str, Any]
OWN_TUNES_LIMIT = 120
GALLERY_LIMIT = 200


def tune_label(tune: Mapping[str, Any], *, gallery: bool = False) -> str:
    """How a tune reads in the picker, e.g. ``#12 Anna (woman, flux1 lora) · trained``."""
    kind_text = tune.get("model_type") or "checkpoint"
    if gallery:
        return f"Gallery: {tune.get('title')} (#{tune.get('id')}, {tune.get('branch')} {kind_text})"
    parts = [p for p in (tune.get("name"), f"{tune.get('branch')} {kind_text}") if p]
    state = tune_status(tune)
    shown = "" if state == "trained" else f" · {state}"
    return f"#{tune.get('id')} {tune.get('title')} ({', '.join(parts)}){shown}"


def filter_options(options: list[tuple[str, int]], search: str) -> list[tuple[str, int]]:
    """The options whose label contains every word of ``search`` (case-insensitive)."""
    words = search.lower().split()
    return [o for o in options if all(w in o[0].lower() for w in words)]


class StudioModel:
    """The studio's state and actions (see the module docstring).

    ``client`` may be ``None``: :meth:`resolve_client` then calls ``connect`` once, a function
    returning a client chosen above this layer (the studio passes ``connect.default_client``:
    the real API with a key, else the sandbox); without either, there is no client to use.
    ``max_spend`` (dollars) is the studio's own limit (:attr:`limit`), held with the client's.
    """

    def __init__(self, client: AstriaClient | None = None, *,
                 connect: Callable[[], AstriaClient] | None = None,
                 max_spend: float | None = None) -> None:
        #: the studio's own max_spend and what its runs spent (the client's limit holds too)
        self.limit = SpendLimit(max_spend, context="PromptStudio")
        self._client = client
        self._connect = connect
        self.own: list[Record] = []
        self.gallery: list[Record] = []
        self.tune: Record | None = None
        self.note = ""
        #: what the estimate next to Generate is made from, fetched by :meth:`load_pricing`
        #: (never on a widget callback's thread): the catalogue and the recent prompts
        self.pricing: tuple[Mapping[str, Any], list[Record]] | None = None

    @property
    def client(self) -> AstriaClient | None:
        """The client (``None`` until resolved)."""
        return self._client

    def resolve_client(self) -> AstriaClient:
        """The client, made by ``connect`` the first time when none was given."""
        if self._client is None:
            if self._connect is None:
                raise InputError("client: give an AstriaClient (or a connect function)",
                                 context="StudioModel")
            self._client = self._connect()
            if self._client.is_sandbox:
                self.note = ("No ASTRIA_API_KEY: using the local sandbox at "
                             f"{self._client.base_url}.")
        return self._client

    # -- tunes -------------------------------------------------------------------------------
    def load_tunes(self) -> None:
        """Fetch your usable tunes (newest first) and the gallery's tunes."""
        client = self.resolve_client()
        now = client.transport.server_now()
        self.own = [t for t in client.list_tunes(limit=OWN_TUNES_LIMIT)
                    if tune_status(t, now) not in TUNE_UNUSABLE]
        self.gallery = client.list_gallery_tunes(limit=GALLERY_LIMIT)
        self.load_pricing()

    def load_pricing(self) -> None:
        """Fetch what :meth:`estimate` prices by: the catalogue (once per client) and the
        account's recent prompts (again at each load). Sends requests."""
        client = self.resolve_client()
        try:
            recent = client.list_prompts(limit=RECENT_PROMPTS)
        except AstriaError:
            recent = []
        self.pricing = (catalogue_or_empty(client), recent)

    def options(self, search: str = "") -> list[tuple[str, int]]:
        """(label, tune id) of every pickable tune matching ``search``: yours, then gallery."""
        found = [(tune_label(t), int(t["id"])) for t in self.own]
        found += [(tune_label(t, gallery=True), int(t["id"])) for t in self.gallery]
        return filter_options(found, search)

    @staticmethod
    def tune_id_of(tune: int | Mapping[str, Any]) -> int:
        """The id of a tune given by id or record, by the client's one id rule
        (:func:`~astria_widgets.client.checks.record_id`): ``True`` or ``5.7`` is an
        :class:`InputError` naming ``tune``, never tune 1 or tune 5."""
        if isinstance(tune, Mapping):
            return record_id(tune.get("id"), "tune['id']")
        return record_id(tune, "tune")

    def select(self, tune: int | Mapping[str, Any] | None) -> Record | None:
        """Pick a tune by id or record (an id not loaded is fetched); ``None`` clears."""
        if tune is None:
            self.tune = None
        elif isinstance(tune, Mapping):
            self.tune_id_of(tune)
            self.tune = dict(tune)
        else:
            tid = self.tune_id_of(tune)
            known = {int(t["id"]): t for t in (*self.own, *self.gallery)}
            self.tune = known.get(tid) or self.resolve_client().get_tune(tid)
            if tid not in known:
                self.own.insert(0, self.tune)
        return self.tune

    # -- checks and preview ------------------------------------------------------------------
    def preview(self, text: str) -> PromptPlan | None:
        """Where the prompt runs and its text as sent (``None`` without a usable tune)."""
        if self.tune is None:
            return None
        try:
            return plan_prompt(self.tune, text)
        except ValueError:
            return None

    def problems(self, text: str, params: Mapping[str, Any],
                 sweep: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
        """Every problem by field (``tune``, ``text``, a parameter, or ``sweep``)."""
        found = param_problems({k: v for k, v in params.items() if v is not None})
        if self.tune is None:
            found.setdefault("tune", []).append("choose a tune to generate with")
        elif tune_status(self.tune) in TUNE_UNUSABLE:
            found.setdefault("tune", []).append(
                f"tune {self.tune.get('id')} is {tune_status(self.tune)}; choose another")
        if not text.strip():
            found.setdefault("text", []).append("type what to generate")
        if sweep is not None:
            swept = sweep if isinstance(sweep, Mapping) else {}
            try:
                plan_sweep(sweep, {k: v for k, v in params.items()
                                   if v is not None and k not in swept})
            except InputError as exc:
                found.setdefault("sweep", []).extend(exc.problems)
        return found

    def estimate(self, text: str, params: Mapping[str, Any],
                 sweep: Mapping[str, Any] | None = None) -> Estimate | None:
        """The price of generating now (every sweep cell), from what :meth:`load_pricing`
        fetched: no request. ``None`` before that, without a usable tune, or with values the
        sweep refuses."""
        if self.pricing is None or self.tune is None:
            return None
        try:
            plan = plan_prompt(self.tune, text)
            swept = sweep if isinstance(sweep, Mapping) else {}
            grid = plan_sweep(sweep, {k: v for k, v in params.items()
                                      if v is not None and k not in swept})
        except (ValueError, InputError):
            return None
        base = self.tune.get("base_tune_id") if int(self.tune["id"]) == plan.tune_id else None
        catalogue, recent = self.pricing
        return estimate_prompts(catalogue, [((plan.tune_id, base), cell.params)
                                            for cell in grid.cells], lambda: recent)

    def estimate_text(self, text: str, params: Mapping[str, Any],
                      sweep: Mapping[str, Any] | None = None) -> str:
        """``"≈ $0.46 for 100 prompts · catalogue price"`` (and what max_spend has left, when
        a limit is set), or ``""`` when there is nothing to price yet. No request."""
        found = self.estimate(text, params, sweep)
        if found is None or self._client is None:
            return ""
        lefts = [m for m in (left_mc(h) for h in limits_of(self._client, self.limit))
                 if m is not None]
        return found.text + (f" · {usd(min(lefts))} left of max_spend" if lefts else "")

    def balance_mc(self) -> int | None:
        """The account balance in millicents (``GET /users`` ``usd_balance_mc``)."""
        value = self.resolve_client().account().get("usd_balance_mc")
        return int(value) if isinstance(value, (int, float)) else None

    # -- running -----------------------------------------------------------------------------
    def submit(self, text: str, params: Mapping[str, Any],
               sweep: Mapping[str, Any] | None = None, *,
               timeout: float | None = None) -> GenerationRun:
        """Start one prompt per sweep combination; returns the running handle at once.

        A swept parameter overrides the same fixed parameter. Raises :class:`InputError`
        listing every problem before anything is sent.
        """
        return self.prepare(text, params, sweep, timeout=timeout).begin()

    def prepare(self, text: str, params: Mapping[str, Any],
                sweep: Mapping[str, Any] | None = None, *,
                timeout: float | None = None) -> GenerationRun:
        """Like :meth:`submit`, but not started yet (a view subscribes, then ``begin()``)."""
        if self.tune is None:
            raise InputError("tune: choose a tune to generate with", context="generate")
        swept = sweep if isinstance(sweep, Mapping) else {}
        fixed = {k: v for k, v in params.items() if v is not None and k not in swept}
        recent = self.pricing[1] if self.pricing is not None else None  # fetched by the load
        return GenerationRun.prepare(self.resolve_client(), [self.tune], text, fixed, sweep,
                                     timeout=timeout, limit=self.limit, recent=recent)
