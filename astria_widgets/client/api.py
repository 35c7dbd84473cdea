"""``AstriaClient``: the transport and settings, and one class of calls per resource.

The client is thin: :class:`~astria_widgets.client.base.ClientBase` holds the transport (key,
base URL, retries, workspace scope) and the polling policy; each resource's calls live in their
own module and are mixed in here, so the calls keep their flat names (``client.create_tune``,
``client.list_prompts``, ``client.generate``...) with their signatures and docstrings:

==========================  ===============================================================
module                      calls
==========================  ===============================================================
:mod:`.tunes`               list_tunes, iter_tunes, get_tune, create_tune, update_tune,
                            delete_tune
:mod:`.prompts`             create_prompt, list_prompts, iter_prompts, get_prompt,
                            duplicate_prompt, update_prompt, delete_prompt
:mod:`.packs`               list_packs, get_pack, create_pack, create_tune_from_pack
:mod:`.workspaces`          list_workspaces, create_workspace, create_theme
:mod:`.gallery`             list_gallery_tunes, like_prompt, unlike_prompt
:mod:`.account`             account, fetch_bytes, inspect_image
:mod:`.generate`            plan_prompt, prepare_prompt, generate (and read_prompt_files)
:mod:`.downloads`           download
:mod:`.waits`               wait_for_tune, wait_for_prompt, wait_for_prompts
==========================  ===============================================================

The input checks the calls share (ids, URLs, tokens, characteristics) are :mod:`.checks`'.
Records are returned as the JSON came (plain ``dict``).
"""

from __future__ import annotations

from astria_widgets.client.account import AccountCalls
from astria_widgets.client.base import DEFAULT_BASE_URL

# The input checks and file inputs, importable from here as before issue 18; their home is
# client/checks.py (and client/generate.py for the file inputs).
from astria_widgets.client.checks import (
    HTTP_URL_RULE,
    characteristic_problem,
    check_characteristics,
    is_http_url,
    record_id,
    token_problem,
)
from astria_widgets.client.downloads import DownloadCalls
from astria_widgets.client.gallery import GalleryCalls
from astria_widgets.client.generate import FILE_INPUTS, GenerateCalls, read_prompt_files
from astria_widgets.client.packs import PackCalls
from astria_widgets.client.waits import WaitCalls
from astria_widgets.client.workspaces import WorkspaceCalls

__all__ = [
    "DEFAULT_BASE_URL", "FILE_INPUTS", "HTTP_URL_RULE", "AstriaClient",
    "characteristic_problem", "check_characteristics", "is_http_url", "read_prompt_files",
    "record_id", "token_problem",
]


class AstriaClient(PackCalls, GenerateCalls, DownloadCalls, WaitCalls, WorkspaceCalls,
                   GalleryCalls, AccountCalls):
    """A client for the Astria fine-tuning API (or the local sandbox).

    ``api_key`` defaults to ``$ASTRIA_API_KEY``; ``base_url`` to ``$ASTRIA_BASE_URL``, else
    ``https://api.astria.ai``. ``retry`` and ``poll`` hold the retry and polling timings;
    ``session`` injects a ``requests.Session`` (used as given, without the retry adapter).
    The key is never part of a repr, message or log (``repr`` says ``key=set`` /
    ``key=missing``). The calls are grouped by resource (see :mod:`.api`).
    """
