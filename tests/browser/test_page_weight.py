"""A cold scorecard transfers under 400 KB, measured in Chromium (CDP Network events) against production-like static
serving: ``collectstatic`` into ``CompressedManifestStaticFilesStorage`` (hashed names, gzip and brotli copies),
WhiteNoise serving them from ``STATIC_ROOT`` with no finders, ``DEBUG`` off.

The server is Django's live-server thread over the whole WSGI stack (so WhiteNoise's middleware answers the static
requests, not the test runner's static handler); the browser opens the scorecard with a session cookie and an
empty cache, the first visit a partner makes after logging in on another device.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django.test.testcases import LiveServerThread

from scoring.models import Scorecard
from tests.browser.conftest import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BUDGET = 400 * 1024
# What a scorecard page loads from the static files; the admin's and the API browser's files are not collected.
COLLECT_IGNORE = ["admin/*", "rest_framework/*", "drf_spectacular_sidecar/*"]


class _ProductionServer:
    def __init__(self, thread: LiveServerThread) -> None:
        self.thread = thread

    @property
    def url(self) -> str:
        return f"http://{self.thread.host}:{self.thread.port}"


@pytest.fixture
def production_static_server(transactional_db, tmp_path: Path) -> Iterator[_ProductionServer]:
    root = tmp_path / "staticfiles"
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(
        STATIC_ROOT=root, STORAGES=storages, WHITENOISE_USE_FINDERS=False, WHITENOISE_AUTOREFRESH=False, DEBUG=False
    ):
        call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=COLLECT_IGNORE)
        shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}  # type: ignore[attr-defined]
        # The whole WSGI stack serves the static files (WhiteNoise's middleware), not a test static handler.
        thread = LiveServerThread(  # the static handler is any WSGI wrapper; the stub says a class
            "127.0.0.1", static_handler=lambda handler: handler, connections_override=shared  # type: ignore[arg-type]
        )
        thread.daemon = True
        for connection in shared.values():
            connection.inc_thread_sharing()
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield _ProductionServer(thread)
        finally:
            thread.terminate()
            for connection in shared.values():
                connection.dec_thread_sharing()


def test_a_cold_scorecard_transfers_under_400_kb(browser, scored_world, production_static_server):
    server = production_static_server
    handle = (
        Scorecard.objects.filter(run__is_published=True, creator__primary_category__slug=scored_world.category)
        .order_by("-overall")
        .values_list("creator__handle", flat=True)
        .first()
    )
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies([session_cookie(server.url, scored_world.analyst)])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    responses: dict[str, dict] = {}
    transferred: dict[str, int] = {}
    cdp.on("Network.responseReceived", lambda event: responses.__setitem__(event["requestId"], event["response"]))
    cdp.on(
        "Network.loadingFinished", lambda event: transferred.__setitem__(event["requestId"], event["encodedDataLength"])
    )

    page.goto(f"{server.url}/creators/{handle}/")
    # Every chart of the page drawn (radar, trend, distribution; impact where the creator has one).
    page.wait_for_function(
        "() => { const charts = [...document.querySelectorAll('[data-figure]')];"
        " return charts.length >= 3 && charts.every(chart => chart.dataset.rendered === 'true'); }",
        timeout=15_000,
    )
    page.wait_for_load_state("networkidle")

    by_url = {responses[key]["url"]: size for key, size in transferred.items() if key in responses}
    total = sum(by_url.values())
    report = "\n".join(f"{size:>9,} B  {url}" for url, size in sorted(by_url.items(), key=lambda item: -item[1]))
    print(f"\ncold scorecard: {total:,} B transferred in {len(by_url)} responses\n{report}")
    assert total < BUDGET, report

    # The bundle: the partial one, brotli-compressed, under its hashed name, cached for a year and immutable.
    (bundle,) = [responses[key] for key in transferred if "/static/vendor/plotly-dashboard." in responses[key]["url"]]
    headers = {name.lower(): value for name, value in bundle["headers"].items()}
    assert headers["content-encoding"] == "br"
    assert "immutable" in headers["cache-control"] and "max-age=315360000" in headers["cache-control"]
    assert Path(bundle["url"]).name != "plotly-dashboard.min.js"  # the hashed name
    # The page draws with the three trace types the bundle registers, and no others are in it.
    assert sorted(page.evaluate("Object.keys(Plotly.PlotSchema.get().traces)")) == ["bar", "scatter", "scatterpolar"]
    context.close()
