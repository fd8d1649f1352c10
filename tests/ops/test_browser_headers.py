"""Browser hardening under the production settings: every kind of response (an HTML page, an API answer, a static
file served by WhiteNoise) carries the Content-Security-Policy, Referrer-Policy, Permissions-Policy and
Cross-Origin-Opener-Policy headers, and ``check --deploy`` stays clean with them.

Run in a child process, as ``.ci/run`` does: the production settings refuse to load without a real secret and
hosts, and the test settings (served files from the finders, plain storage) are not what production serves.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.services import REPO_ROOT, child_env

pytestmark = pytest.mark.slow

HOST = "scorecards.example.com"

# Collects the static files into a temporary STATIC_ROOT (hashed names, as deployed), then asks for a page, an API
# answer, a static file and a 404 through the full middleware stack, over HTTPS as the proxy would say.
SCRIPT = """
import json, sys
import django
django.setup()
from django.conf import settings
settings.STATIC_ROOT = sys.argv[1]
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client
call_command("collectstatic", interactive=False, verbosity=0)
client = Client(HTTP_HOST=sys.argv[2])
paths = {
    "html": "/accounts/login/",
    "api": "/api/v1/creators/",
    "api_docs_script": "/api/v1/docs/?script=",
    "static": staticfiles_storage.url("css/app.css"),
    "plotly": staticfiles_storage.url("vendor/plotly-dashboard.min.js"),
    "not_found": "/no-such-page/",
}
out = {}
for kind, path in paths.items():
    response = client.get(path, secure=True)
    out[kind] = {"status": response.status_code, "headers": dict(response.headers)}
print(json.dumps(out))
"""


def _production_env(tmp_path: Path) -> dict[str, str]:
    return child_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=f"sqlite:///{tmp_path / 'headers.sqlite3'}",
        REDIS_URL=None,
        # Set for the whole test process by the browser tests (Playwright's sync API); never in a deployment.
        DJANGO_ALLOW_ASYNC_UNSAFE=None,
        LOG_LEVEL="ERROR",
    )


@pytest.fixture(scope="module")
def responses(tmp_path_factory) -> dict[str, dict]:
    tmp_path = tmp_path_factory.mktemp("headers")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "static"), HOST],
        env=_production_env(tmp_path),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.parametrize("kind", ["html", "api", "api_docs_script", "static", "plotly", "not_found"])
def test_every_kind_of_response_carries_the_browser_hardening_headers(responses, kind):
    response = responses[kind]
    expected_status = {"html": 200, "api": 401, "api_docs_script": 401, "static": 200, "plotly": 200, "not_found": 404}
    assert response["status"] == expected_status[kind], response
    headers = response["headers"]
    policy = _directives(headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    # Nothing inline or evaluated, no other origin: only 'self', data: images and the hash of an empty style.
    sources = [source for values in policy.values() for source in values]
    assert not [s for s in sources if s in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "https:")]
    assert {s for s in sources if not s.startswith("'sha256-")} <= {"'self'", "'none'", "data:"}
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions.split(", ")
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_deploy_check_stays_clean(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(tmp_path),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
