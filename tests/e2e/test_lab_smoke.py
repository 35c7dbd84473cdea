"""Smoke test: this package's own widget in a real JupyterLab, and what saving a notebook keeps.

``%load_ext astria_widgets``, then ``%astria login`` shows a ``LoginWidget``. In headless
Chromium the user types a key into its password field and clicks Log in: the click and the
typed value reach the kernel, which checks the key against the sandbox, empties the field and
says who is logged in; the next ``%astria`` command talks to that account. Saving the notebook
writes every widget's state (``saveState`` is on in ``lab.py``'s settings): the status line the
kernel wrote is in the file, which is what gives the other browser tests' "no key in the saved
notebook" its meaning, and the key typed in the browser is not.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from playwright.sync_api import expect

from .conftest import E2E_KEY
from .lab import LabServer, NotebookPage, write_notebook

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def test_login_widget_click_reaches_the_kernel_and_the_saved_state(
    notebook: NotebookPage, page: Any, lab: LabServer, e2e_sandbox: Sandbox
) -> None:
    # an account of its own, so the magic's answers can only come from the key typed below
    key = e2e_sandbox.create_user("sd_smoke_canary_" + secrets.token_hex(12))
    email = f"{key[:11]}@example.invalid"  # the sandbox names a new account after its key
    write_notebook(lab.root / "smoke.ipynb", [
        "%load_ext astria_widgets",
        f"login = %astria login --base-url {e2e_sandbox.url}\nlogin",
    ])
    notebook.open("smoke.ipynb")
    notebook.run_all()

    widget = page.locator(".astria-login")
    status = widget.locator(".astria-login-status")
    expect(status).to_contain_text("Enter your API key", timeout=30_000)
    widget.locator(".astria-login-key input").fill(key)
    widget.locator(".astria-login-button").click()
    expect(status).to_contain_text(f"Logged in to {e2e_sandbox.url}", timeout=30_000)
    expect(status).to_contain_text(email)
    expect(widget.locator(".astria-login-key")).to_have_count(0)  # the form is gone
    assert page.locator("text=Error displaying widget").count() == 0

    # the kernel holds the checked client; the magic now uses that account, not connect()'s
    index = notebook.add_cell(
        "status = %astria status\n"
        "print(status)\n"
        "print('login', login.status, 'field empty', login.key_field.value == '')"
    )
    notebook.run_cell(index)
    output = notebook.output_text(index)
    assert f"API: {e2e_sandbox.url}" in output and f"email={email}" in output
    assert "login ok field empty True" in output

    # saving writes each widget's live state, as the kernel last set it, and no key
    notebook.save()
    text = (lab.root / "smoke.ipynb").read_text()
    state = json.loads(text)["metadata"]["widgets"][WIDGET_STATE]["state"]
    shown = [m["state"].get("value", "") for m in state.values() if m["model_name"] == "HTMLModel"]
    assert any(f"Logged in to {e2e_sandbox.url}" in value for value in shown), shown
    assert key not in text and E2E_KEY not in text
