"""The contract suite: the documented calls end to end, against the sandbox or the real API.

:func:`run_contract` drives a client through the public API the way a user does: read the
account and the catalogues, list tunes, create two tunes with ``branch="fast"`` (the API's
free mock mode; one from files, one from image URLs), page the tunes, wait for both, create two
prompts and wait for them, list and page the prompts, like one, download the images, delete
the prompts and the tunes. Each check is timed and recorded as passed, failed or skipped (when
a check it needs failed); what was created is deleted at the end whatever happened.

Spending nothing: the client's session is replaced for the run by a
:class:`~astria_widgets.contract.guard.FreeOnlySession`, which refuses before sending every
create that is not free (:data:`SPENDING_RULE`). Checking: a
:class:`~astria_widgets.contract.traffic.TrafficCheck` of the client's transport checks every
request and every answer against the schema, and the answers of endpoints the docs show an
example of are compared with the snapshots of those examples. The :class:`~.report.Report`
lists both kinds of difference (fields and types only) and is scrubbed of the key and of
signed URLs' query strings.
"""

from __future__ import annotations

import io
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from astria_widgets.client import AstriaClient, AstriaError, prompt_status, tune_status
from astria_widgets.client.transport import observe
from astria_widgets.contract.guard import FREE_BRANCH, FreeOnlySession
from astria_widgets.contract.report import CheckResult, Report
from astria_widgets.contract.schema import Contract, Difference, load_contract
from astria_widgets.contract.snapshots import compare, snapshots_for
from astria_widgets.contract.traffic import TrafficCheck

#: Said before a run starts and written into the report.
SPENDING_RULE = (
    f"every create is refused before sending unless it is free: tunes only with "
    f"branch={FREE_BRANCH!r} (the API's free mock mode), prompts only on those tunes; likes "
    "and deletes only on what this run created; nothing else that writes is sent. "
    "Everything created is deleted at the end."
)
#: The training image URL of the docs' create-tune examples (used by the from-URLs check).
DOCS_IMAGE_URLS = ("https://i.imgur.com/HLHBnl9.jpeg",)
TUNE_CLASS = "dog"


def training_images(count: int = 4, size: int = 512, seed: int = 19) -> list[tuple[str, bytes]]:
    """``count`` distinct JPEG pictures (gradients and shapes), ``(name, bytes)`` each."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    out = []
    for index in range(count):
        base = tuple(rng.randrange(40, 200) for _ in range(3))
        im = Image.new("RGB", (size, size), base)
        draw = ImageDraw.Draw(im)
        for _ in range(12):
            x, y = rng.randrange(size), rng.randrange(size)
            r = rng.randrange(20, size // 3)
            colour = tuple(rng.randrange(256) for _ in range(3))
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        buffer = io.BytesIO()
        im.save(buffer, "JPEG", quality=90)
        out.append((f"contract-{index + 1}.jpg", buffer.getvalue()))
    return out


@dataclass
class _State:
    """What the checks hand on to each other (ids of what was created, records)."""

    run_id: str
    workdir: Path
    image_urls: tuple[str, ...]
    timeout: float
    tunes: dict[str, dict[str, Any]] = field(default_factory=dict)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    deleted_prompts: set[int] = field(default_factory=set)
    deleted_tunes: set[int] = field(default_factory=set)


Check = Callable[[AstriaClient, _State], str]


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


# -- the checks: each returns a one-line detail or raises ------------------------------------------
def check_account(client: AstriaClient, state: _State) -> str:  # noqa: ARG001
    """``GET /users``: the account behind the key, with its balance."""
    account = client.account()
    _need(isinstance(account, dict) and isinstance(account.get("id"), int),
          "the account has no integer id")
    _need("usd_balance_mc" in account, "the account has no usd_balance_mc (its balance)")
    return "the account and its balance field are there"


def check_catalogue(client: AstriaClient, state: _State) -> str:  # noqa: ARG001
    """``GET /cli/models``: the model catalogue the official CLI reads."""
    catalogue = client.transport.request("GET", "/cli/models")
    _need(isinstance(catalogue, dict) and isinstance(catalogue.get("models"), dict),
          "the catalogue has no models map")
    return f"{len(catalogue['models'])} image models, " \
           f"{len(catalogue.get('video_models') or {})} video models"


def check_list_tunes(client: AstriaClient, state: _State) -> str:  # noqa: ARG001
    """``GET /tunes``: one page of your tunes."""
    page = client.list_tunes(limit=3)
    _need(isinstance(page, list), "the tune list is not a list")
    ids = [t.get("id") for t in page]
    _need(ids == sorted(ids, reverse=True), "the page is not newest first")
    return f"{len(page)} tunes on the first page of 3"


def check_gallery(client: AstriaClient, state: _State) -> str:  # noqa: ARG001
    """``GET /gallery/tunes``, ``GET /gallery/packs``, ``GET /p/:id``: public models, packs."""
    tunes = client.list_gallery_tunes(limit=3)
    packs = client.list_packs(gallery=True, limit=3)
    _need(isinstance(tunes, list) and isinstance(packs, list), "a gallery list is not a list")
    detail = f"{len(tunes)} gallery tunes, {len(packs)} gallery packs"
    if packs:
        pack = client.get_pack(packs[0]["id"])
        _need(pack.get("id") == packs[0]["id"], "GET /p/:id answered another pack")
        detail += ", the first pack read"
    return detail


def _create(client: AstriaClient, state: _State, key: str, **how: Any) -> str:
    title = f"astria-widgets contract {state.run_id} {key}"
    tune = client.create_tune(name=TUNE_CLASS, title=title, branch=FREE_BRANCH, **how)
    _need(isinstance(tune.get("id"), int), "the created tune has no integer id")
    state.tunes[key] = tune
    _need(tune.get("branch", FREE_BRANCH) == FREE_BRANCH,
          f"the tune was made on branch {tune.get('branch')!r}, not {FREE_BRANCH!r}")
    _need(tune.get("title") == title, "the tune's title is not the one sent")
    return f"tune {tune['id']}"


def check_create_from_files(client: AstriaClient, state: _State) -> str:
    """``POST /tunes`` (multipart): a ``fast`` tune from four picture files."""
    folder = state.workdir / "training"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in training_images():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return _create(client, state, "files", images=paths)


def check_create_from_urls(client: AstriaClient, state: _State) -> str:
    """``POST /tunes`` (JSON): a ``fast`` tune from image URLs."""
    return _create(client, state, "urls", image_urls=list(state.image_urls))


def check_page_tunes(client: AstriaClient, state: _State) -> str:
    """``GET /tunes`` with ``before_id``: pages of one tune each reach both new tunes."""
    wanted = {t["id"] for t in state.tunes.values()}
    seen: list[int] = []
    for tune in client.iter_tunes(page_size=1):
        seen.append(tune["id"])
        if wanted <= set(seen) or len(seen) >= 20:
            break
    _need(wanted <= set(seen), f"paging did not reach tunes {sorted(wanted - set(seen))}")
    _need(len(seen) == len(set(seen)), "a tune came twice")
    _need(seen == sorted(seen, reverse=True), "the pages are not newest first")
    return f"{len(seen)} pages of one tune"


def check_wait_for_tunes(client: AstriaClient, state: _State) -> str:
    """``GET /tunes/:id`` until trained: both tunes train."""
    states = []
    for key, tune in state.tunes.items():
        final = client.wait_for_tune(tune["id"], timeout=state.timeout)
        state.tunes[key] = final
        states.append(tune_status(final))
        _need(states[-1] == "trained", f"tune {tune['id']} ended {states[-1]}")
    return "both trained"


def check_create_prompts(client: AstriaClient, state: _State) -> str:
    """``POST /tunes/:id/prompts``: two prompts on the tune made from files."""
    tune = state.tunes["files"]
    token = tune.get("token") or "ohwx"
    for seed in (11, 12):
        prompt = client.create_prompt(tune["id"], f"a photo of {token} {TUNE_CLASS} on a beach",
                                      num_images=1, seed=seed)
        _need(isinstance(prompt.get("id"), int), "the created prompt has no integer id")
        state.prompts.append(prompt)
    return f"prompts {', '.join(str(p['id']) for p in state.prompts)}"


def check_wait_for_prompts(client: AstriaClient, state: _State) -> str:
    """``GET /tunes/:id/prompts`` until settled: both prompts have images."""
    tune_id = state.tunes["files"]["id"]
    finals = client.wait_for_prompts(tune_id, [p["id"] for p in state.prompts],
                                     timeout=state.timeout)
    state.prompts = finals
    for prompt in finals:
        _need(prompt_status(prompt) == "done",
              f"prompt {prompt['id']} ended {prompt_status(prompt)}")
    return f"{sum(len(p.get('images') or []) for p in finals)} images"


def check_page_prompts(client: AstriaClient, state: _State) -> str:
    """``GET /tunes/:id/prompts``, ``GET /prompts/:id``: list, page and read the prompts."""
    tune_id = state.tunes["files"]["id"]
    wanted = {p["id"] for p in state.prompts}
    listed = {p["id"] for p in client.list_prompts(tune_id, limit=10)}
    _need(wanted <= listed, "the tune's prompt list lacks a new prompt")
    seen = [p["id"] for p in client.iter_prompts(tune_id, page_size=1)]
    _need(wanted <= set(seen) and seen == sorted(set(seen), reverse=True),
          "paging the prompts did not give each new prompt once, newest first")
    first = state.prompts[0]["id"]
    _need(client.get_prompt(None, first).get("id") == first, "GET /prompts/:id: another id")
    return f"{len(seen)} pages of one prompt"


def check_like(client: AstriaClient, state: _State) -> str:
    """``POST /prompts/:id/likes``: like a prompt."""
    prompt = state.prompts[0]
    client.like_prompt(prompt["id"])
    after = client.get_prompt(state.tunes["files"]["id"], prompt["id"])
    if "liked" in after:
        _need(after["liked"] is True, "the prompt is not liked after the like")
        return "liked (the prompt says liked: true)"
    return "liked"


def check_download(client: AstriaClient, state: _State) -> str:
    """Download every image of the prompts into a folder."""
    paths = client.download(state.prompts, state.workdir / "downloads",
                            progress=lambda done, total: None)
    expected = sum(len(p.get("images") or []) for p in state.prompts)
    _need(len(paths) == expected, f"{len(paths)} files saved for {expected} images")
    _need(all(Path(p).stat().st_size > 0 for p in paths), "an empty file was saved")
    return f"{len(paths)} files"


def check_delete_prompts(client: AstriaClient, state: _State) -> str:
    """``DELETE /prompts/:id``: delete both prompts."""
    for prompt in state.prompts:
        client.delete_prompt(prompt["id"])
        state.deleted_prompts.add(prompt["id"])
    return f"{len(state.prompts)} deleted"


def check_delete_tunes(client: AstriaClient, state: _State) -> str:
    """``DELETE /tunes/:id``: delete both tunes."""
    for tune in state.tunes.values():
        client.delete_tune(tune["id"])
        state.deleted_tunes.add(tune["id"])
    return f"{len(state.tunes)} deleted"


#: (name, check, names of the checks it needs)
CHECKS: tuple[tuple[str, Check, tuple[str, ...]], ...] = (
    ("account", check_account, ()),
    ("catalogue", check_catalogue, ()),
    ("list_tunes", check_list_tunes, ()),
    ("gallery", check_gallery, ()),
    ("create_tune_from_files", check_create_from_files, ()),
    ("create_tune_from_urls", check_create_from_urls, ()),
    ("page_tunes", check_page_tunes, ("create_tune_from_files", "create_tune_from_urls")),
    ("wait_for_tunes", check_wait_for_tunes, ("create_tune_from_files",
                                              "create_tune_from_urls")),
    ("create_prompts", check_create_prompts, ("wait_for_tunes",)),
    ("wait_for_prompts", check_wait_for_prompts, ("create_prompts",)),
    ("list_and_page_prompts", check_page_prompts, ("wait_for_prompts",)),
    ("like_prompt", check_like, ("wait_for_prompts",)),
    ("download", check_download, ("wait_for_prompts",)),
    ("delete_prompts", check_delete_prompts, ("create_prompts",)),
    ("delete_tunes", check_delete_tunes, ("create_tune_from_files", "create_tune_from_urls")),
)


def _summary(check: Check) -> str:
    """The first line of a check's docstring as plain text (no reST quotes)."""
    return (check.__doc__ or "").strip().splitlines()[0].replace("``", "")


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}"[:500]


def _cleanup(client: AstriaClient, state: _State) -> list[str]:
    """Delete whatever the run created and has not deleted yet; returns what failed."""
    problems = []
    for prompt in state.prompts:
        if prompt.get("id") not in state.deleted_prompts:
            try:
                client.delete_prompt(prompt["id"])
                state.deleted_prompts.add(prompt["id"])
            except AstriaError as exc:
                problems.append(f"prompt {prompt.get('id')}: {_describe(exc)}")
    for tune in state.tunes.values():
        if tune.get("id") not in state.deleted_tunes:
            try:
                client.delete_tune(tune["id"])
                state.deleted_tunes.add(tune["id"])
            except AstriaError as exc:
                problems.append(f"tune {tune.get('id')}: {_describe(exc)}")
    return problems


def _differences(contract: Contract, traffic: TrafficCheck) -> tuple[list[dict[str, Any]],
                                                                     list[dict[str, Any]]]:
    schema: dict[tuple[str, ...], dict[str, Any]] = {}
    for finding in traffic.findings:
        for diff in finding.differences:
            _count(schema, diff)
    snapshot: dict[tuple[str, ...], dict[str, Any]] = {}
    for endpoint, body in traffic.bodies:
        for shot in snapshots_for(endpoint.label):
            for diff in compare(shot, body, endpoint=endpoint.label):
                _count(snapshot, diff)
    return list(schema.values()), list(snapshot.values())


def _count(table: dict[tuple[str, ...], dict[str, Any]], diff: Difference) -> None:
    key = (diff.endpoint, diff.part, diff.field, diff.kind)
    if key in table:
        table[key]["count"] += 1
    else:
        table[key] = {**diff.as_dict(), "count": 1}


def run_contract(client: AstriaClient, *, workdir: Path | str, target: str | None = None,
                 image_urls: Sequence[str] = DOCS_IMAGE_URLS, timeout: float | None = None,
                 log: Callable[[str], Any] | None = None,
                 guard: FreeOnlySession | None = None) -> Report:
    """Run every check with ``client`` and return the report (see the module docstring).

    ``client``'s session is replaced by a :class:`FreeOnlySession` for good (make a client for
    the run). ``workdir``: where training pictures and downloads are written. ``target``:
    ``"sandbox"`` or ``"astria"`` (default: from ``client.is_sandbox``). ``timeout``: seconds
    each wait may take (default 120 on the sandbox, 1800 on the real API). ``log(line)`` is told
    about each check as it ends. ``guard``: the session to install (default: a new
    :class:`FreeOnlySession`; tests give one whose ``send`` is a fake API).
    """
    from astria_widgets._version import __version__

    target = target or ("sandbox" if client.is_sandbox else "astria")
    contract = load_contract()
    if guard is None:
        guard = FreeOnlySession(contract, base_path=urlsplit(client.base_url).path)
    client.transport.mount_retries(guard)
    client.transport.session = guard
    traffic = TrafficCheck(contract, answers="all", transports=[client.transport])
    traffic.keep_bodies = True
    state = _State(run_id=uuid.uuid4().hex[:8], workdir=Path(workdir),
                   image_urls=tuple(image_urls),
                   timeout=timeout if timeout is not None else (
                       120.0 if target == "sandbox" else 1800.0))
    report = Report(target=target, api=client.base_url, version=__version__,
                    started_at=datetime.now(timezone.utc).isoformat(timespec="seconds")
                    .replace("+00:00", "Z"), spending_rule=SPENDING_RULE)
    results: dict[str, CheckResult] = {}
    started = time.perf_counter()
    stop = observe(traffic)
    try:
        for name, check, needs in CHECKS:
            result = CheckResult(name, _summary(check))
            results[name] = result
            report.checks.append(result)
            missing = [n for n in needs if results[n].status != "passed"]
            if missing:
                result.detail = f"needs {', '.join(missing)}"
            else:
                began = time.perf_counter()
                try:
                    result.detail = check(client, state)
                    result.status = "passed"
                except Exception as exc:  # a check that breaks is a failed check
                    result.status = "failed"
                    result.detail = _describe(exc)
                result.seconds = time.perf_counter() - began
            if log is not None:
                log(f"{result.status:<7} {name} ({result.seconds:.1f} s) {result.detail}")
    finally:
        leftovers = _cleanup(client, state)
        stop()
        if leftovers:
            report.checks.append(CheckResult("cleanup", "delete what the run created",
                                             "failed", 0.0, "; ".join(leftovers)))
    report.seconds = time.perf_counter() - started
    report.schema_differences, report.snapshot_differences = _differences(contract, traffic)
    counts = traffic.counts
    report.traffic = {"requests_checked": counts.requests_checked,
                      "responses_checked": counts.responses_checked,
                      "refused_by_the_api": counts.refused,
                      "by_endpoint": dict(sorted(counts.by_endpoint.items()))}
    report.refused = list(guard.refused)
    return report
