"""The contract run's report: JSON for us, a readable text summary for the person who ran it.

Nothing secret gets in: every string of the report passes through :func:`scrub` (the API key
replaced by ``***``, every query string with a ``name=value`` in it by ``?[query]``, so a
signed URL loses its signature), and differences name fields and JSON types, never values.
The account's name and email are not reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from astria_widgets.client.errors import scrub as scrub_key

REPORT_NAME = "astria-contract-report"
_QUERY = re.compile(r"\?[^\s\"'<>]*=[^\s\"'<>]*")


def scrub(text: str, secret: str | None = None) -> str:
    """``text`` without the key (``secret``) and with every query string (``?a=b...``, as a
    signed URL carries its signature) as ``?[query]``."""
    return _QUERY.sub("?[query]", scrub_key(str(text), secret))


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL: no path, no query, no credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


@dataclass
class CheckResult:
    """One check of the run: ``status`` is ``passed``, ``failed`` or ``skipped``."""

    name: str
    description: str
    status: str = "skipped"
    seconds: float = 0.0
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The check as a JSON-able dict."""
        return {"name": self.name, "description": self.description, "status": self.status,
                "seconds": round(self.seconds, 3), "detail": self.detail}


@dataclass
class Report:
    """What a contract run found (see :func:`astria_widgets.contract.suite.run_contract`)."""

    target: str
    api: str
    started_at: str
    seconds: float = 0.0
    version: str = ""
    checks: list[CheckResult] = field(default_factory=list)
    schema_differences: list[dict[str, Any]] = field(default_factory=list)
    snapshot_differences: list[dict[str, Any]] = field(default_factory=list)
    traffic: dict[str, Any] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    spending_rule: str = ""

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that failed."""
        return [c for c in self.checks if c.status == "failed"]

    @property
    def passed(self) -> bool:
        """True when no check failed (differences are reported, not failures)."""
        return not self.failed

    def as_dict(self, secret: str | None = None) -> dict[str, Any]:
        """The report as JSON-able data, every string scrubbed (:func:`scrub`)."""
        data = {
            "report": "astria-widgets contract check",
            "version": self.version,
            "target": self.target,
            "api": origin_of(self.api),
            "started_at": self.started_at,
            "seconds": round(self.seconds, 2),
            "spending_rule": self.spending_rule,
            "passed": self.passed,
            "checks": [c.as_dict() for c in self.checks],
            "schema_differences": self.schema_differences,
            "snapshot_differences": self.snapshot_differences,
            "traffic": self.traffic,
            "refused_before_sending": self.refused,
        }
        return _scrubbed(data, lambda text: scrub(text, secret))

    def text(self, secret: str | None = None) -> str:
        """The readable summary (scrubbed like :meth:`as_dict`)."""
        data = self.as_dict(secret)
        where = "the sandbox" if data["target"] == "sandbox" else "the Astria API"
        counts = {s: sum(c["status"] == s for c in data["checks"])
                  for s in ("passed", "failed", "skipped")}
        lines = [
            f"astria-widgets {data['version']} contract check against {where} ({data['api']})",
            f"started {data['started_at']}, run time {data['seconds']:.1f} s",
            f"spending: {data['spending_rule']}",
            "refused before sending: " + ("; ".join(data["refused_before_sending"]) or "none"),
            "",
            f"checks: {counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['skipped']} skipped",
        ]
        width = max((len(c["name"]) for c in data["checks"]), default=10)
        for check in data["checks"]:
            mark = {"passed": "PASS", "failed": "FAIL"}.get(check["status"], "SKIP")
            line = (f"  {mark}  {check['name']:<{width}}  {check['seconds']:6.2f} s  "
                    f"{check['description']}")
            lines.append(line)
            if check["detail"]:
                lines.append(f"        {check['detail']}")
        lines.append("")
        lines += _difference_lines("schema differences", data["schema_differences"])
        lines += _difference_lines("snapshot differences (the docs' example answers)",
                                   data["snapshot_differences"])
        traffic = data["traffic"]
        if traffic:
            lines.append(f"traffic: {traffic.get('requests_checked', 0)} requests and "
                         f"{traffic.get('responses_checked', 0)} answers checked against the "
                         f"schema, over {len(traffic.get('by_endpoint', {}))} endpoints")
        return "\n".join(lines) + "\n"

    def write(self, directory: Path | str, secret: str | None = None) -> tuple[Path, Path]:
        """Write ``astria-contract-report.json`` and ``.txt`` into ``directory``."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        json_path = folder / f"{REPORT_NAME}.json"
        text_path = folder / f"{REPORT_NAME}.txt"
        json_path.write_text(json.dumps(self.as_dict(secret), indent=2) + "\n", encoding="utf-8")
        text_path.write_text(self.text(secret), encoding="utf-8")
        return json_path, text_path


def _difference_lines(title: str, items: list[dict[str, Any]]) -> list[str]:
    if not items:
        return [f"{title}: none"]
    lines = [f"{title}: {len(items)}"]
    for item in items:
        extra = ""
        if item.get("expected") or item.get("found"):
            extra = f" (expected {item.get('expected') or '-'}, found {item.get('found') or '-'})"
        seen = f", seen {item['count']}x" if item.get("count", 1) > 1 else ""
        lines.append(f"  {item['endpoint']} {item['part']} {item['field']}: {item['kind']}"
                     f"{extra}{seen}")
    return lines


def _scrubbed(value: Any, clean: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_scrubbed(v, clean) for v in value]
    if isinstance(value, dict):
        return {clean(str(k)): _scrubbed(v, clean) for k, v in value.items()}
    return value
