"""Issue 20 item 3: hostile max_spend values on the client, the studio, the form and the pack
picker are refused with a message naming ``max_spend`` before anything is built or sent.

Counted with :func:`hostile.probe` under "checks before sending".
"""

from __future__ import annotations

import pytest
from hostile import probe

from astria_widgets.client import AstriaClient, InputError
from astria_widgets.client.pricing import SpendLimit
from astria_widgets.widgets import PackPicker, PromptStudio, TuneForm

BAD = [-1, -0.01, float("nan"), float("inf"), "5", True, [1], {"usd": 1}]


@pytest.mark.parametrize("bad", BAD, ids=repr)
@pytest.mark.parametrize("where", ["client", "limit", "studio", "form", "picker"])
def test_a_bad_max_spend_is_refused_naming_it(where, bad, client):
    makers = {
        "client": lambda: AstriaClient("k", "http://127.0.0.1:9", max_spend=bad),
        "limit": lambda: SpendLimit(bad),
        "studio": lambda: PromptStudio(client, max_spend=bad),
        "form": lambda: TuneForm(client=client, max_spend=bad),
        "picker": lambda: PackPicker(client, max_spend=bad),
    }
    with pytest.raises(InputError, match="max_spend: give dollars"):
        makers[where]()
    probe("checks before sending")


def test_a_refused_limit_keeps_the_one_set_before(client):
    studio = PromptStudio(client, max_spend=2)
    for bad in BAD:
        with pytest.raises(InputError, match="max_spend"):
            studio.max_spend = bad
        assert studio.max_spend == 2.0
        probe("lost or changed")
