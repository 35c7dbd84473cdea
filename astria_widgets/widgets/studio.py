"""``PromptStudio``: pick a tune, write a prompt, set parameters, run variations, keep results.

The studio renders a :class:`~astria_widgets.client.studio_model.StudioModel` (tunes, preview,
checks, submit) and a :class:`~astria_widgets.widgets.studio_results.StudioResults` (the grid).
Like the tune form, every problem shows next to its field and Submit says why it is disabled;
``studio.errors`` lists them as text. ``submit(sweep=...)`` returns a running
:class:`~astria_widgets.client.generation.GenerationRun` at once (the kernel stays free).
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from astria_widgets.client.checks import spend_limit
from astria_widgets.client.costs import usd
from astria_widgets.client.errors import InputError
from astria_widgets.client.prompt_params import PARAMS
from astria_widgets.client.studio_model import StudioModel
from astria_widgets.client.sweep import SWEEPABLE, parse_values
from astria_widgets.history.recorder import record_generation
from astria_widgets.widgets.compare import CompareView
from astria_widgets.widgets.fallback import StaticFallback
from astria_widgets.widgets.fallback_html import Section, studio_section
from astria_widgets.widgets.formatting import error_html, errors_html, short_error
from astria_widgets.widgets.studio_compare import StudioCompare
from astria_widgets.widgets.studio_params import (
    STUDIO_GROUPS,
    build_groups,
    field_value,
    read_field,
    studio_params,
    write_field,
)
from astria_widgets.widgets.studio_results import StudioResults

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient
    from astria_widgets.client.compare import CompareRun
    from astria_widgets.client.generation import GenerationRun

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())
_NO_SWEEP = "none"


def _default_client() -> AstriaClient:
    """``connect.default_client()``, imported when the studio first needs a client."""
    from astria_widgets.connect import default_client

    return default_client()


class StudioInvalid(InputError):
    """``PromptStudio.submit()`` with problems; ``.problems`` lists every one."""

    def __init__(self, problems: list[str] | str, *, context: str = "") -> None:
        super().__init__(problems, context=context or "The studio is not ready to submit")


class PromptStudio(StudioCompare, StaticFallback, w.VBox):
    """Generate with a trained tune (or a gallery model), sweep parameters, keep the results.

    ``PromptStudio(client=None, tune=None, *, background=False, **initial_values)``:
    ``client`` defaults to ``connect()``; ``tune`` is an id or record to start on;
    ``initial_values`` are ``text`` and any documented image parameter shown by the studio
    (``seed=3``, ``cfg_scale=7``...). The tunes, the chosen tune and the balance are loaded
    before the constructor returns, or with ``background=True`` in a thread that only sets
    widget traits (what the buttons that open a studio use; :meth:`wait_loaded` blocks until
    they are in). The reload button loads in the background too. ``max_spend`` (dollars)
    is the studio's own limit (the client's holds too): a run whose estimate is over what is
    left is refused before sending, said in the studio's message, nothing typed lost.
    """

    valid = traitlets.Bool(False, help="True when Submit is possible")
    reason = traitlets.Unicode("", help="why Submit is disabled ('' when it is not)")
    static_kind = "prompt-studio"  # its output's static copy: widgets/fallback.py

    def __init__(self, client: AstriaClient | None = None, tune: Any = None, *,
                 background: bool = False, max_spend: float | None = None,
                 history: Any = None,
                 **initial_values: Any) -> None:
        self.params = {p.name: p for _g, _l in STUDIO_GROUPS for p in studio_params(_g)}
        unknown = set(initial_values) - {"text", *self.params}
        if unknown:
            raise TypeError(f"PromptStudio got unknown value(s) {', '.join(sorted(unknown))}; "
                            f"known: text, {', '.join(self.params)}")
        # refused before anything is built: a value the studio cannot show is never replaced
        problems = self._value_problems(initial_values)
        if tune is not None:
            try:
                StudioModel.tune_id_of(tune)
            except InputError as exc:
                problems = exc.problems + problems
        try:
            spend_limit(max_spend, "PromptStudio")
        except InputError as exc:
            problems = problems + exc.problems
        if problems:
            raise InputError(problems, context="PromptStudio")
        self.model = StudioModel(client, connect=_default_client, max_spend=max_spend)
        #: where comparisons are recorded (a TuneHistory or a path; None: the account's)
        self.history = history
        self._opened_history: Any = None
        #: the latest comparison's view (``None`` before the first)
        self.comparison: CompareView | None = None
        self._run: GenerationRun | None = None
        self.run_id: str | None = None
        self._refreshing = False
        self._lock = threading.RLock()
        self._loaded = threading.Event()
        self._loaded.set()
        self.balance = w.HTML()
        self.balance.add_class("astria-studio-balance")
        self.search = w.Text(placeholder="search your tunes and the gallery",
                             description="Search", layout=w.Layout(width="300px"))
        self.search.add_class("astria-studio-search")
        self.tune_picker = w.Dropdown(description="Tune", options=[],
                                      layout=w.Layout(width="560px"))
        self.tune_picker.add_class("astria-studio-tune")
        self.reload_button = w.Button(icon="refresh", tooltip="reload your tunes",
                                      layout=w.Layout(width="40px"))
        self.reload_button.on_click(lambda _b: self.start_reload())
        self.compare_with = w.SelectMultiple(description="Compare with", options=[], rows=4,
                                             layout=w.Layout(width="560px"))
        self.compare_with.add_class("astria-studio-compare-with")
        self.compare_box = w.VBox()
        self.compare_box.add_class("astria-studio-compare")
        self.text = w.Textarea(description="Prompt", placeholder="what to generate",
                               layout=w.Layout(width="560px", height="64px"))
        self.text.add_class("astria-studio-text")
        self.preview = w.HTML()
        self.preview.add_class("astria-studio-preview")
        #: the message shown next to each field (``tune``, ``text``, ``sweep``, ``general``...)
        self.messages: dict[str, w.HTML] = {}
        for name in ("tune", "text", "sweep", "compare", "general", *self.params):
            message = w.HTML()
            message.add_class(f"astria-studio-{name.replace('_', '-')}-message")
            self.messages[name] = message
        self.groups, self.fields = build_groups(self.messages)
        sweep_options = [("no sweep", _NO_SWEEP)] + [(n, n) for n in SWEEPABLE]
        self.sweep_rows = w.Dropdown(options=sweep_options, value=_NO_SWEEP,
                                     description="Rows", layout=w.Layout(width="260px"))
        self.sweep_rows.add_class("astria-studio-sweep-rows")
        self.sweep_row_values = w.Text(placeholder="values, e.g. 1, 2, 3",
                                       layout=w.Layout(width="200px"))
        self.sweep_row_values.add_class("astria-studio-sweep-row-values")
        self.sweep_cols = w.Dropdown(options=sweep_options, value=_NO_SWEEP,
                                     description="Columns", layout=w.Layout(width="260px"))
        self.sweep_cols.add_class("astria-studio-sweep-cols")
        self.sweep_col_values = w.Text(placeholder="values, e.g. 3, 7",
                                       layout=w.Layout(width="200px"))
        self.sweep_col_values.add_class("astria-studio-sweep-col-values")
        self.submit_button = w.Button(description="Generate", button_style="primary",
                                      icon="magic", disabled=True)
        self.submit_button.add_class("astria-studio-submit")
        self.submit_button.on_click(lambda _b: self._on_submit_click())
        self.reason_label = w.HTML()
        self.reason_label.add_class("astria-studio-reason")
        #: the run's price before sending, next to Generate (from what the load fetched)
        self.estimate_label = w.HTML()
        self.estimate_label.add_class("astria-studio-estimate")
        self.message = w.HTML()
        self.message.add_class("astria-studio-message")
        self.results = StudioResults(on_use_as_input=self.use_as_input,
                                     on_change=self._on_run_change, on_liked=self.record_like)
        super().__init__(children=[
            w.HBox([w.HTML("<h3 style='margin: 0'>Prompt studio</h3>"), self.balance],
                   layout=w.Layout(justify_content="space-between", align_items="center")),
            w.HBox([self.search, self.reload_button]),
            w.HBox([self.tune_picker, self.messages["tune"]],
                   layout=w.Layout(align_items="center")),
            w.HBox([self.compare_with, self.messages["compare"]],
                   layout=w.Layout(align_items="center")),
            w.HBox([self.text, self.messages["text"]], layout=w.Layout(align_items="center")),
            self.preview, self.groups,
            w.HTML("<b>Variations</b> <small>one prompt per combination, laid out as a grid"
                   "</small>"),
            w.HBox([self.sweep_rows, self.sweep_row_values]),
            w.HBox([self.sweep_cols, self.sweep_col_values]),
            self.messages["sweep"], self.messages["general"],
            w.HBox([self.submit_button, self.estimate_label, self.reason_label],
                   layout=w.Layout(align_items="center", grid_gap="12px")),
            self.message, self.results, self.compare_box,
        ])
        self.add_class("astria-prompt-studio")
        if not background:
            self._load(tune)
        self.set_values(**initial_values)
        for widget in (self.text, self.tune_picker, self.compare_with, self.sweep_rows,
                       self.sweep_row_values, self.sweep_cols, self.sweep_col_values,
                       *self.fields.values()):
            name = "version" if hasattr(widget, "accepted") else "value"
            widget.observe(self._on_change, names=name)
        self.search.observe(self._on_search, names="value")
        self._refresh()
        if background:
            self.start_reload(tune)

    # -- values ------------------------------------------------------------------------------
    def set_values(self, **values: Any) -> None:
        """Set ``text`` and parameter fields (same names as the constructor).

        All or nothing: a value a field cannot show (a switch that is not a clear yes/no, a
        choice the catalogue does not have, text that is not text) raises :class:`InputError`
        naming each such parameter, and no field changes.
        """
        unknown = set(values) - {"text", *self.params}
        if unknown:
            raise TypeError(f"unknown value(s) {', '.join(sorted(unknown))}")
        problems = self._value_problems(values)
        if problems:
            raise InputError(problems, context="PromptStudio")
        for name, value in values.items():
            if name == "text":
                self.text.value = value or ""
            else:
                write_field(self.params[name], self.fields[name], value)

    def _value_problems(self, values: Mapping[str, Any]) -> list[str]:
        """Why each value cannot be shown by its field (image files are checked by theirs)."""
        problems = []
        for name, value in values.items():
            if name == "text":
                if value is not None and not isinstance(value, str):
                    problems.append(f"text: must be text, not {type(value).__name__}")
            elif self.params[name].kind != "file":
                try:
                    field_value(self.params[name], value)
                except ValueError as exc:
                    problems.append(str(exc))
        return problems

    def select_tune(self, tune: Any) -> None:
        """Start on a tune (id or record), loading it if the picker does not list it."""
        record = self.model.select(tune)
        if record is not None:
            with self._lock:
                self._set_options()
                self.tune_picker.value = int(record["id"])

    def start_reload(self, tune: Any = None) -> threading.Thread:
        """Reload your tunes, the gallery's and the balance in a daemon thread (then select
        ``tune``, if given); return the thread at once. The thread only sets widget traits."""
        with self._lock:
            self._loaded = done = threading.Event()

        def run() -> None:
            try:
                self._load(tune)
                self._refresh()
            finally:
                done.set()

        worker = threading.Thread(target=run, name="astria-studio-load", daemon=True)
        worker.start()
        return worker

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Block until the latest (re)load ended; False if ``timeout`` ran out first."""
        with self._lock:
            done = self._loaded
        return done.wait(timeout)

    def _load(self, tune: Any) -> None:
        self._guard(self._reload)
        if tune is not None:
            self._guard(lambda: self.select_tune(tune))

    @property
    def values(self) -> dict[str, Any]:
        """The parameters the studio would send (readable, non-empty fields only)."""
        return {name: value for name, (value, _e) in self._read().items() if value is not None}

    def _read(self) -> dict[str, tuple[Any, str | None]]:
        return {name: read_field(self.params[name], field) for name, field in self.fields.items()}

    def widget_sweep(self) -> tuple[dict[str, list[Any]], list[str]]:
        """The sweep set in the Variations fields, and problems reading it."""
        sweep: dict[str, list[Any]] = {}
        problems: list[str] = []
        for param, text in ((self.sweep_rows.value, self.sweep_row_values.value),
                            (self.sweep_cols.value, self.sweep_col_values.value)):
            if param == _NO_SWEEP:
                continue
            if param in sweep:
                problems.append(f"sweep: {param} is chosen for rows and columns")
                continue
            try:
                sweep[param] = parse_values(param, text)
            except ValueError as exc:
                problems.append(f"sweep[{param}]: {exc}")
        return sweep, problems

    # -- checks ------------------------------------------------------------------------------
    def _problems(self, sweep: Mapping[str, Any] | None) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name, (_value, error) in self._read().items():
            if error:
                found.setdefault(name, []).append(error)
        if self.compare_with.value and sweep and set(sweep) - {"seed"}:
            found.setdefault("compare", []).append(
                "a comparison varies the tunes; sweep only seed (its rows)")
        checked = self.model.problems(self.text.value, self.values, sweep)
        for name, messages in checked.items():
            found.setdefault(name if name in self.messages else "general", []).extend(
                f"{name}: {m}" if name not in self.messages else m for m in messages)
        return found

    @property
    def errors(self) -> list[str]:
        """Every current problem as text naming its field (empty when Submit is possible)."""
        sweep, sweep_problems = self.widget_sweep()
        found = self._problems(sweep)
        out = [m if name == "general" else f"{name}: {m}"
               for name, ms in found.items() for m in ms if name != "sweep"]
        return out + sweep_problems + found.get("sweep", [])

    def _refresh(self) -> None:
        with self._lock:  # from the kernel (typing) and from the run's thread (progress)
            self._refresh_locked()

    def _refresh_locked(self) -> None:
        sweep, sweep_problems = self.widget_sweep()
        found = self._problems(sweep)
        for name, message in self.messages.items():
            lines = found.get(name, [])
            message.value = errors_html(sweep_problems + lines if name == "sweep" else lines)
        plan = self.model.preview(self.text.value)
        if plan is not None:
            self.preview.value = (f"<small>Runs on tune {plan.tune_id} as:</small> "
                                  f"<code>{html.escape(plan.text)}</code>")
        else:
            self.preview.value = ""
        problems = self.errors
        busy = self._run is not None and self._run.status == "creating"
        self.valid = not problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        self.reason = "creating prompts..." if busy else (f"{problems[0]}{more}"
                                                          if problems else "")
        self.submit_button.disabled = busy or bool(problems)
        self.reason_label.value = (html.escape(self.reason) if busy
                                   else errors_html([self.reason] if self.reason else []))
        stopped = self._run.spend_note if self._run is not None else ""
        if stopped and not busy and not problems:  # max_spend stopped the last run's creates
            self.reason_label.value = errors_html([stopped])
        estimate = "" if problems else self.model.estimate_text(self.text.value, self.values,
                                                                 sweep)  # no request
        self.estimate_label.value = f"<small>{html.escape(estimate)}</small>" if estimate else ""

    # -- events ------------------------------------------------------------------------------
    def _guard(self, action: Any) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - a studio never dumps a traceback
            logger.warning("studio action failed: %s", short_error(exc))
            self.message.value = error_html(short_error(exc))

    def _on_change(self, change: dict[str, Any]) -> None:
        with self._lock:  # a load's thread may be setting the options
            if self._refreshing:
                return
            self._refreshing = True
            try:
                if change.get("owner") is self.tune_picker:
                    self.model.select(change["new"])
                    self._set_compare_options()
                self.message.value = ""
                self._refresh()
            except Exception as exc:  # noqa: BLE001
                self.message.value = error_html(short_error(exc))
            finally:
                self._refreshing = False

    def _on_search(self, _change: dict[str, Any]) -> None:
        self._guard(self._set_options)

    def _set_options(self) -> None:
        with self._lock:
            self._set_options_locked()

    def _set_options_locked(self) -> None:
        options = self.model.options(self.search.value)
        chosen = self.model.tune
        if chosen is not None and int(chosen["id"]) not in {v for _l, v in options}:
            options = [o for o in self.model.options() if o[1] == int(chosen["id"])] + options
        self._refreshing = True
        try:
            self.tune_picker.options = options
            self.tune_picker.value = int(chosen["id"]) if chosen is not None else None
            self._set_compare_options()
        finally:
            self._refreshing = False

    def _reload(self) -> None:
        self.model.load_tunes()  # requests outside the lock: edits go on meanwhile
        self._set_options()
        self._show_balance()
        if self.model.note:
            self.message.value = html.escape(self.model.note)

    def _show_balance(self) -> None:
        balance = self.model.balance_mc()
        self.balance.value = f"Balance: <b>{usd(balance, missing='—')}</b>"

    def use_as_input(self, name: str, data: bytes) -> None:
        """Make ``data`` the input image of the next prompt (opens the image-to-image group)."""
        write_field(PARAMS["input_image"], self.fields["input_image"], (name, data))
        self.groups.selected_index = 2

    def _on_run_change(self, run: GenerationRun) -> None:
        if run.done:
            self._guard(self._show_balance)
        self._refresh()
        if run.done:  # the finished grid, once (see widgets/fallback.py: when copies update)
            self.refresh_static(now=True)

    def static_sections(self) -> list[Section]:
        """The tune, the prompt as sent and the latest run's grid, for the static copy."""
        plan = self.model.preview(self.text.value)
        return [studio_section(self.model.tune, plan.text if plan is not None else None),
                *self.results.static_sections()]

    # -- submitting --------------------------------------------------------------------------
    @property
    def max_spend(self) -> float | None:
        """The studio's own limit in dollars (``None``: only the client's)."""
        return self.model.limit.max_spend

    @max_spend.setter
    def max_spend(self, value: float | None) -> None:
        self.model.limit.max_spend = value
        self._refresh()  # the estimate says what is left

    @property
    def run(self) -> GenerationRun | None:
        """The latest run."""
        return self._run

    def submit(self, sweep: Mapping[str, Any] | None = None) -> GenerationRun | CompareRun:
        """Generate: one prompt per combination of ``sweep`` (default: the Variations fields).
        With tunes picked in "Compare with", a comparison instead (a
        :class:`~astria_widgets.client.compare.CompareRun`, shown in ``compare_box``).

        Returns the running :class:`GenerationRun` at once (``.status``, ``.prompts``,
        ``.wait()``, ``.stop()``); raises :class:`StudioInvalid` listing every problem.
        """
        problems: list[str]
        if sweep is None:
            sweep, problems = self.widget_sweep()
        else:
            problems = []
        found = self._problems(sweep)
        problems += [m if n in ("sweep", "general") else f"{n}: {m}"
                     for n, ms in found.items() for m in ms]
        if problems:
            self._refresh()
            raise StudioInvalid(problems)
        if self.compare_with.value:
            try:
                return self._submit_compare(self.text.value, self.values, sweep or {})
            except InputError as exc:
                raise StudioInvalid(exc.problems) from None
        try:  # every cell checked, every image read: nothing is sent if one would fail
            run = self.model.prepare(self.text.value, self.values, sweep)
        except InputError as exc:
            self.message.value = errors_html(exc.problems)
            raise StudioInvalid(exc.problems) from None
        self._run = run
        self.results.show(run)  # subscribed before it starts: no change is missed
        #: the history run of the latest submit (None when the history cannot be written)
        self.run_id = record_generation(run, self.recording_history())
        run.begin()
        self._refresh()
        return run

    def _on_submit_click(self) -> None:
        try:
            self.submit()
        except StudioInvalid:
            self._refresh()
        except Exception as exc:  # noqa: BLE001 - a click never dumps a traceback
            self.message.value = error_html(f"Could not generate: {short_error(exc)}")

    def __repr__(self) -> str:
        tune = self.model.tune
        return (f"PromptStudio(tune={tune.get('id') if tune else None}, "
                f"valid={not self.errors})")
