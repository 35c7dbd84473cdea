"""The ``%astria`` line magic (``%load_ext astria_widgets``).

``%astria tunes`` (the history as a DataFrame), ``%astria form`` (a ``TuneForm``),
``%astria watch ID`` (a ``TuneProgress``), ``%astria generate ID "text" [...]`` (a running
``GenerationRun``), ``%astria sandbox`` (start the local sandbox and use
it), ``%astria status`` (which API, which account, unfinished work), ``%astria resume`` (the
unfinished runs with their widgets again), ``%astria login`` (a ``LoginWidget``) and
``%astria help [COMMAND]``. Each command returns its object, so it shows as the cell's result
and can be kept in a variable (``form = %astria form``). The magic keeps one client for the
session: the one ``%astria sandbox`` or ``%astria login`` set up, else ``connect()``.
"""

from __future__ import annotations

import argparse
import itertools
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

if TYPE_CHECKING:
    import pandas as pd

    from astria_widgets.client import AstriaClient
    from astria_widgets.client.generation import GenerationRun
    from astria_widgets.widgets.form import TuneForm
    from astria_widgets.widgets.login import LoginWidget
    from astria_widgets.widgets.progress import TuneProgress

HELP: dict[str, str] = {
    "tunes": """\
%astria tunes [--limit N | --all]
    Your tunes, newest first, as a typed pandas DataFrame (astria_widgets.tunes_dataframe).
    --limit N   at most N tunes (default 100)
    --all       every tune (follows the pages to the end)""",
    "form": """\
%astria form [FIELD=VALUE ...] [prompt=TEXT ...]
    A TuneForm to pick images, fill in the fields and prompts, submit and watch it train.
    FIELD is one of title, name, token, branch, model_type, preset, base_tune_id, steps,
    face_crop, training_face_correct, auto_extend, characteristics ("key: value"), callback,
    image_urls; fields left out follow the docs' recommendations (shown in the form); each
    prompt=TEXT adds a prompt row. Example:
        form = %astria form name=man branch=fast prompt="ohwx man as an astronaut\"""",
    "watch": """\
%astria watch TUNE_ID
    Live progress of an existing tune and its prompts (a TuneProgress; returns at once,
    the kernel stays free). Keep it to call .wait(timeout) or .stop().""",
    "generate": """\
%astria generate TUNE_ID "TEXT" [--num-images N] [--seed S] [--cfg-scale X] [...]
                 [--sweep PARAM=V1,V2 [--sweep PARAM=V1,V2]]
    Generate with a tune (yours or a gallery model): the prompt runs where the tune's kind
    says, with its reference and token added (client.generate). Every documented image
    parameter is an option (--aspect-ratio 16:9, --super-resolution, --input-image PATH...).
    --sweep makes one prompt per combination (rows x columns); give each PARAM once.
    Everything (every value, every image) is checked before the first prompt is sent.
    Returns the running handle at once (.status, .prompts, .wait(), .stop()); the kernel
    stays free. Example:
        run = %astria generate 123 "in a navy suit" --sweep seed=1,2 --sweep cfg_scale=3,7""",
    "sandbox": """\
%astria sandbox [--speed S]
    Use the local Astria sandbox for the following %astria commands (even when
    ASTRIA_API_KEY is set); returns its client. Reuses the sandbox already running or
    starts one in-process, like connect(sandbox=True). --speed S: a sandbox started now runs
    S times faster than the real service (default 60: a 20-minute training takes 20 s); a
    running sandbox keeps its own speed (the printed line says so).""",
    "status": """\
%astria status
    Which API the magic talks to (the real API or the sandbox, its URL), which account,
    its balance in dollars, and the unfinished work of the local history ("1 tune
    training, 37 prompts rendering, from 2 runs": %astria resume reattaches it).""",
    "resume": """\
%astria resume
    After a kernel restart: every unfinished run of the local history (sweeps, trainings,
    pack orders) with its widget again (a sweep's grid, a tune's progress), followed from
    where it is. Sends no create; when another notebook already follows a run, this one
    reads the history instead of polling too. Returns the views (.wait(), .stop()).""",
    "login": """\
%astria login
    A LoginWidget: paste an API key for the real API (cleared from the widget at once);
    following %astria commands use the checked client.""",
    "help": """\
%astria help [COMMAND]
    This help, or the help of one command.""",
}

USAGE = (
    "Usage: %astria COMMAND [ARGS]   (COMMAND: "
    + ", ".join(HELP)
    + ")\n\n"
    + "\n\n".join(HELP.values())
)

_SECRET_WORDS = ("key", "token", "secret", "password")
_INT_FIELDS = ("base_tune_id", "steps")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises ``UsageError`` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"%astria {self.prog}: {message}\n\n{HELP.get(self.prog, USAGE)}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise UsageError(message or HELP.get(self.prog, USAGE))


@dataclass(frozen=True)
class ConnectionStatus:
    """What ``%astria status`` reports: the API, whether it is the sandbox, the account."""

    base_url: str
    sandbox: bool
    account: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    unfinished: str | None = None  # the history's unfinished work, when it could be read

    def __repr__(self) -> str:
        kind = "the local sandbox" if self.sandbox else "the Astria API"
        lines = [f"API: {self.base_url} ({kind})"]
        if self.error:
            lines.append(f"Account: not reachable ({self.error})")
        else:
            shown = ", ".join(f"{k}={v}" for k, v in self.account.items() if v not in (None, ""))
            lines.append(f"Account: {shown or 'ok'}")
            from astria_widgets.client.costs import balance_mc, usd

            if balance_mc(self.account) is not None:  # usd_balance_mc, in dollars
                lines.append(f"Balance: {usd(balance_mc(self.account))}")
        if self.unfinished is not None:
            lines.append(f"Unfinished: {self.unfinished}"
                         + ("" if self.unfinished.startswith("no ") else " (%astria resume)"))
        return "\n".join(lines)


def _public_account(account: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in account.items()
        if not any(word in k.lower() for word in _SECRET_WORDS) and not isinstance(v, dict | list)
    }


def _typed(parse: Callable[[Any, str], Any], param: Any, text: str) -> Any:
    """``parse(param, text)`` for argparse: its reason becomes the usage message."""
    try:
        return parse(param, text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


@magics_class
class AstriaMagics(Magics):
    """Holds the session's client and implements ``%astria``."""

    def __init__(self, shell: Any = None) -> None:
        super().__init__(shell)
        self.client: AstriaClient | None = None
        self._commands: dict[str, Callable[[list[str]], Any]] = {
            "tunes": self._tunes,
            "form": self._form,
            "watch": self._watch,
            "generate": self._generate,
            "sandbox": self._sandbox,
            "status": self._status,
            "resume": self._resume,
            "login": self._login,
            "help": self._help,
        }

    @line_magic
    def astria(self, line: str) -> Any:
        """Astria from IPython. ``%astria help`` lists the commands; each returns its object."""
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%astria: {exc}") from None
        if not argv:
            return self._help([])
        command = self._commands.get(argv[0])
        if command is None:
            raise UsageError(f"%astria: unknown command {argv[0]!r}\n\n{USAGE}")
        if any(a in ("-h", "--help") for a in argv[1:]):
            return self._help([argv[0]])
        return command(argv[1:])

    # ------------------------------------------------------------------ helpers
    def get_client(self) -> AstriaClient:
        """The session's client: set by ``sandbox``/``login``, else ``connect()``."""
        if self.client is None:
            from astria_widgets.connect import connect

            self.client = connect()
        return self.client

    def _set_client(self, client: AstriaClient) -> None:
        self.client = client

    # ------------------------------------------------------------------ commands
    def _tunes(self, args: list[str]) -> pd.DataFrame:
        parser = _Parser(prog="tunes", add_help=False)
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--limit", type=int, default=100)
        group.add_argument("--all", action="store_true")
        options = parser.parse_args(args)
        if options.limit < 1:  # defaults to 100, so always a number
            raise UsageError("%astria tunes: --limit must be at least 1")
        from astria_widgets.frames import tunes_dataframe

        records = self.get_client().iter_tunes()
        if not options.all:
            records = itertools.islice(records, options.limit)
        return tunes_dataframe(list(records))

    def _form(self, args: list[str]) -> TuneForm:
        from astria_widgets.client.tune_fields import FIELD_NAMES
        from astria_widgets.widgets.form import TuneForm

        values: dict[str, Any] = {}
        prompts: list[str] = []
        for arg in args:
            name, sep, value = arg.partition("=")
            if not sep:
                raise UsageError(
                    f"%astria form: expected FIELD=VALUE, got {arg!r}\n\n{HELP['form']}"
                )
            if name == "prompt":
                prompts.append(value)
            elif name in FIELD_NAMES:
                values[name] = value
            else:
                raise UsageError(f"%astria form: unknown field {name!r}\n\n{HELP['form']}")
        if prompts:
            values["prompts"] = prompts
        return TuneForm(client=self.client, **values)

    def _watch(self, args: list[str]) -> TuneProgress:
        parser = _Parser(prog="watch", add_help=False)
        parser.add_argument("tune_id", type=int)
        options = parser.parse_args(args)
        from astria_widgets.client.errors import InputError
        from astria_widgets.widgets.progress import watch_tune

        try:
            return watch_tune(options.tune_id, client=self.client)
        except InputError as exc:  # the one id rule: 0 or -5 is no tune
            raise UsageError(f"%astria watch: {exc}\n\n{HELP['watch']}") from None

    def _generate(self, args: list[str]) -> GenerationRun:
        from astria_widgets.client.errors import AstriaError
        from astria_widgets.client.generation import GenerationRun
        from astria_widgets.client.prompt_params import PARAMS, parse_text
        from astria_widgets.client.sweep import parse_values
        from astria_widgets.history.recorder import record_generation

        parser = _Parser(prog="generate", add_help=False)
        parser.add_argument("tune_id", type=int)
        parser.add_argument("text")
        parser.add_argument("--sweep", action="append", default=[], metavar="PARAM=V1,V2")
        for name, param in PARAMS.items():
            flag = "--" + name.replace("_", "-")
            if param.kind == "bool":
                parser.add_argument(flag, dest=name, action="store_true", default=None)
            elif param.kind in ("int", "float", "enum", "text", "url", "file"):
                parser.add_argument(flag, dest=name, default=None,
                                    type=lambda text, p=param: _typed(parse_text, p, text))
        options = vars(parser.parse_args(args))
        sweep: dict[str, list[Any]] = {}
        for item in options.pop("sweep"):
            name, sep, values = item.partition("=")
            name = name.strip()
            if sep and name in sweep:  # refused, not merged or replaced: say how to give it
                raise UsageError(f"%astria generate: --sweep {name} is given twice; give all "
                                 f"its values once, e.g. --sweep {name}=V1,V2,V3")
            try:
                if not sep:
                    raise ValueError("expected PARAM=V1,V2")
                sweep[name] = parse_values(name, values)
            except ValueError as exc:
                raise UsageError(f"%astria generate: --sweep {item!r}: {exc}") from None
        tune_id, text = options.pop("tune_id"), options.pop("text")
        params = {k: v for k, v in options.items() if v is not None}
        client = self.get_client()
        try:
            run = GenerationRun.prepare(client, [client.get_tune(tune_id)], text, params, sweep)
            record_generation(run)  # the history keeps it: %astria resume after a restart
            return run.begin()
        except AstriaError as exc:
            raise UsageError(f"%astria generate: {exc}") from None

    def _sandbox(self, args: list[str]) -> AstriaClient:
        from astria_widgets.connect import connect, speed_argument

        parser = _Parser(prog="sandbox", add_help=False)
        parser.add_argument("--speed", type=speed_argument, default=None)  # the sandbox's rule
        options = parser.parse_args(args)

        # Reuses the running sandbox or starts one, even with ASTRIA_API_KEY set; says which.
        self.client = connect(sandbox=True, speed=options.speed)
        return self.client

    def _status(self, args: list[str]) -> ConnectionStatus:
        _Parser(prog="status", add_help=False).parse_args(args)
        client = self.get_client()
        try:
            account = _public_account(client.account())
            error = None
        except Exception as exc:  # noqa: BLE001 - reported in the status, not raised
            account, error = {}, getattr(exc, "message", "") or type(exc).__name__
        try:  # the history file only, no request
            from astria_widgets.history.paths import default_history
            from astria_widgets.history.resume import unfinished_summary

            unfinished: str | None = str(unfinished_summary(default_history(client)))
        except Exception:  # noqa: BLE001 - a history that cannot be read is left out
            unfinished = None
        return ConnectionStatus(str(client.base_url), bool(client.is_sandbox), account, error,
                                unfinished)

    def _resume(self, args: list[str]) -> Any:
        _Parser(prog="resume", add_help=False).parse_args(args)
        from astria_widgets.widgets.resume import resume

        return resume(self.get_client())

    def _login(self, args: list[str]) -> LoginWidget:
        parser = _Parser(prog="login", add_help=False)
        parser.add_argument("--base-url", default=None)
        options = parser.parse_args(args)
        from astria_widgets.widgets.login import LoginWidget

        widget = LoginWidget(base_url=options.base_url, on_login=self._set_client)
        if widget.client is not None:
            self.client = widget.client
        return widget

    def _help(self, args: list[str]) -> None:
        if args and args[0] not in HELP:
            raise UsageError(f"%astria help: unknown command {args[0]!r}\n\n{USAGE}")
        print(HELP[args[0]] if args else USAGE)
        return None


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%astria`` (called by ``%load_ext astria_widgets``)."""
    ipython.register_magics(AstriaMagics(ipython))


def unload_ipython_extension(ipython: Any) -> None:
    """Remove ``%astria`` (called by ``%unload_ext astria_widgets``)."""
    manager = ipython.magics_manager
    manager.magics["line"].pop("astria", None)
    manager.registry.pop("AstriaMagics", None)
