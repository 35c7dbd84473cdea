"""The ``astria-widgets`` command: a thin dispatcher to one module per subcommand.

Subcommands live in ``astria_widgets/commands/<name>.py``, each with ``main(argv) -> int``
and a one-line ``HELP``.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "app": "astria_widgets.commands.app",
    "check": "astria_widgets.commands.check",
    "download": "astria_widgets.commands.download",
    "sandbox": "astria_widgets.commands.sandbox",
    "sync": "astria_widgets.commands.sync",
    "watch": "astria_widgets.commands.watch",
}


def _usage() -> str:
    lines = ["usage: astria-widgets <command> [options]", "", "commands:"]
    for name, module in COMMANDS.items():
        try:
            help_text = getattr(importlib.import_module(module), "HELP", "")
        except ImportError:  # pragma: no cover - a broken install
            help_text = "(unavailable)"
        lines.append(f"  {name:<9} {help_text}")
    lines.append("")
    lines.append("Run 'astria-widgets <command> --help' for the options of one command.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the ``astria-widgets`` command line; returns the exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    module = COMMANDS.get(name)
    if module is None:
        print(f"astria-widgets: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    return int(importlib.import_module(module).main(rest) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
