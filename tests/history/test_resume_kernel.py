"""A real Jupyter kernel restarted mid-sweep resumes it (issue 21), requests counted at the sandbox.

The sandbox runs in its own process (``python -m astria_widgets.sandbox --access-log``, slow
enough that the sweep is unfinished), so its access log counts every request any kernel sent.
Kernels are started through ``jupyter_client`` on this worktree's code (``PYTHONPATH``) with
the sandbox's folder as ``ASTRIA_SANDBOX_DIR`` (``connect()`` reuses it) and a history file of
their own (``ASTRIA_HISTORY``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client")

ROOT = Path(__file__).resolve().parents[2]
SPEED = 3.0  # a prompt takes ~10 s: a kernel restart fits in the middle of the sweep
LATENCY = 0.05
LISTING = re.compile(r'"GET /tunes/\d+/prompts[?" ]')
ONE_PROMPT = re.compile(r'"GET /tunes/\d+/prompts/\d+')
POST = re.compile(r'"POST ')

GENERATE = ('%astria generate 1504944 "a red square" --num-images 1 '
            "--sweep seed=1,2,3 --sweep cfg_scale=3,7")
START = """
%load_ext astria_widgets
run = """ + GENERATE + """
import time
deadline = time.monotonic() + 30
while len(run.prompts) < 6 and time.monotonic() < deadline:
    time.sleep(0.05)
print("CREATED", len(run.prompts), run.status)
"""

RESUME = """
import json, time
from astria_widgets import resume
views = resume()
print("SUMMARY", views.summary)
views.wait(120)
item = views.resumed[0]
run = item.run
grid = views.views[0]
print("RESULT " + json.dumps({
    "run_id": item.run_id, "status": run.status,
    "images": sorted(len(v) for v in run.images.values()),
    "cells_with_image": sum(1 for c in grid.cells if c.shown is not None),
    "polls": item.waiter.polls, "reads": item.waiter.reads}))
"""

REFERENCE = """
import json
from astria_widgets.connect import connect
client = connect(quiet=True)
made = [client.create_prompt(1504944, "a red square", seed=s, num_images=1) for s in range(6)]
client.wait_for_prompts(1504944, [p["id"] for p in made], timeout=120)
print("REFERENCE done")
"""


@pytest.fixture(scope="module")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("sandbox-process")
    log = folder / "access.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "astria_widgets.sandbox", "--port", "0", "--data-dir",
             str(folder), "--speed", str(SPEED), "--latency", str(LATENCY), "--access-log",
             "--seed-history", "0"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not (folder / "server.json").exists():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        json.loads((folder / "server.json").read_text())
        yield folder, log
    finally:
        process.terminate()
        process.wait(10)


class Kernel:
    """One kernel through jupyter_client: ``run(code)`` returns its stdout."""

    def __init__(self, env: dict[str, str]) -> None:
        from jupyter_client.manager import KernelManager

        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env, cwd=str(ROOT))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str, timeout: float = 180) -> str:
        out: list[str] = []

        def keep(message: dict) -> None:
            content = message["content"]
            if message["msg_type"] == "stream":
                out.append(content["text"])
            elif message["msg_type"] == "error":
                out.append("\n".join(content["traceback"]))

        reply = self.client.execute_interactive(code, timeout=timeout, output_hook=keep)
        text = "".join(out)
        assert reply["content"]["status"] == "ok", text
        return text

    def restart(self) -> None:
        """What "Restart kernel" does: the process is killed, a new one starts."""
        self.client.stop_channels()
        self.manager.restart_kernel(now=True)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def _env(folder: Path, history: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ASTRIA_API_KEY"}
    env.update(PYTHONPATH=str(ROOT), ASTRIA_SANDBOX_DIR=str(folder),
               ASTRIA_HISTORY=str(history))
    return env


def _count(log: Path, start: int, pattern: re.Pattern[str]) -> int:
    lines = log.read_text(errors="replace").splitlines()[start:]
    return sum(1 for line in lines if pattern.search(line))


def _lines(log: Path) -> int:
    return len(log.read_text(errors="replace").splitlines())


def _result(text: str) -> dict:
    line = next(ln for ln in text.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def _started_then_restarted(kernel: Kernel) -> None:
    created = kernel.run(START)
    assert "CREATED 6 pending" in created, created
    kernel.restart()  # mid-sweep: the watch dies with the kernel


def _reference(kernel: Kernel, log: Path) -> int:
    mark = _lines(log)
    kernel.run(REFERENCE)
    return _count(log, mark, LISTING)


def test_a_kernel_restarted_mid_sweep_resumes_it_with_one_batched_wait(
        sandbox_process, tmp_path, figures):
    folder, log = sandbox_process
    kernel = Kernel(_env(folder, tmp_path / "history.sqlite3"))
    try:
        _started_then_restarted(kernel)
        mark = _lines(log)
        text = kernel.run(RESUME)
        assert "SUMMARY 6 prompts rendering, from 1 run" in text, text
        result = _result(text)
        assert result["status"] == "done"
        assert result["images"] == [1] * 6 and result["cells_with_image"] == 6
        assert result["polls"] == 1
        assert _count(log, mark, POST) == 0  # nothing created again
        assert _count(log, mark, ONE_PROMPT) == 0  # no request per prompt
        resumed = _count(log, mark, LISTING)
        reference = _reference(kernel, log)
        figures("kernel restarted mid-sweep", resumed_listings=resumed,
                one_batched_wait_listings=reference)
        assert resumed <= reference + 2
    finally:
        kernel.shutdown()


def test_two_kernels_resuming_the_same_run_make_the_requests_of_one(
        sandbox_process, tmp_path, figures):
    folder, log = sandbox_process
    env = _env(folder, tmp_path / "history.sqlite3")
    first = Kernel(env)
    second = None
    try:
        _started_then_restarted(first)
        second = Kernel(env)
        mark = _lines(log)
        first.client.execute(RESUME)  # both resume at once
        text_b = second.run(RESUME)
        text_a = ""
        deadline = time.monotonic() + 120
        while "RESULT " not in text_a and time.monotonic() < deadline:
            message = first.client.get_iopub_msg(timeout=120)
            if message["msg_type"] == "stream":
                text_a += message["content"]["text"]
        a, b = _result(text_a), _result(text_b)
        assert a["run_id"] == b["run_id"]
        for result in (a, b):
            assert result["status"] == "done" and result["images"] == [1] * 6
            assert result["cells_with_image"] == 6
        assert sorted([a["polls"], b["polls"]]) == [0, 1]  # one polls, the other follows
        follower = a if a["polls"] == 0 else b
        assert follower["reads"] >= 1
        both = _count(log, mark, LISTING)
        assert _count(log, mark, ONE_PROMPT) == 0
        reference = _reference(second, log)
        figures("two kernels resuming one run", listings_of_both=both,
                one_batched_wait_listings=reference)
        assert both <= reference + 2
    finally:
        first.shutdown()
        if second is not None:
            second.shutdown()
