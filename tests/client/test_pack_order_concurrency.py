"""Issue 20 item 1, the pack picker: its loading (the lists, pack details and covers) goes
through ``client.run_all``, at most ``client.concurrency`` requests in flight, counted at the
sandbox (``state.faults.peak_in_flight``), as in ``test_concurrency.py``."""

from __future__ import annotations

import pytest

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings
from astria_widgets.client.pack_order import PackOrder
from astria_widgets.client.transport import observe


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    from astria_widgets.sandbox import Sandbox

    with Sandbox(port=0, data_dir=tmp_path_factory.mktemp("packs"), speed=600.0) as sandbox:
        yield sandbox


def _client(sb, **kw) -> AstriaClient:
    client = AstriaClient(sb.create_user(), sb.url, retry=RetrySettings.fast(), **kw)
    client.poll = PollPolicy.fast()
    return client


def test_pack_details_and_covers_load_side_by_side_within_concurrency(sb):
    client = _client(sb, concurrency=3)
    for n in range(6):
        client.create_pack(f"mine {n}", base_tune_id=1504944)
    order = PackOrder(client)
    sb.latency = 0.05
    try:
        sb.state.faults.reset_peak()
        options = order.list_packs()
        assert sb.state.faults.peak_in_flight == 2  # the two lists at once
        sb.state.faults.reset_peak()
        loaded = order.load_all(key for _label, key in options)
    finally:
        sb.latency = 0
    assert len(options) == 9 and len(loaded) == 9
    assert not any(isinstance(v, BaseException) for v in loaded.values())
    assert sb.state.faults.peak_in_flight == 3  # the bound, and reached
    assert client.transport.gate.peak == 3
    gallery = [order.cached(str(p["id"])) for p in order.gallery]
    assert all(p is not None and p.get("cover_url") for p in gallery)
    assert all(order.cover_bytes(p) for p in gallery)  # fetched with the details


def test_a_pack_is_fetched_once_however_often_it_is_asked_for(sb):
    client = _client(sb, concurrency=4)
    order = PackOrder(client)
    sent: list[str] = []
    stop = observe(lambda ex: sent.append(ex.url) if ex.transport is client.transport else None)
    sb.latency = 0.05
    try:
        loaded = order.load_all(["260", "260", "261"])
        again = client.run_all(order.load, ["261", "261", "261"])
    finally:
        sb.latency = 0
        stop()
    assert set(loaded) == {"260", "261"}
    assert all(r is again[0] for r in again)
    details = [url for url in sent if "/p/" in url]
    assert len(details) == 2, details


def test_the_picker_loads_the_listed_packs_ahead(sb):
    pytest.importorskip("ipywidgets")
    from astria_widgets.widgets import PackPicker

    client = _client(sb, concurrency=2)
    picker = PackPicker(client)
    assert picker.preloading is not None
    loaded = picker.preloading.result(timeout=60)
    assert set(loaded) == {key for _label, key in picker.select.options}
    assert all(picker.model.cached(key) is not None for key in loaded)
    assert client.transport.gate.peak <= 2
