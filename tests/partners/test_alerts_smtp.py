"""The alerts digest end to end: a real SMTP server receives the digest of a real run published by a real worker.

PostgreSQL, Redis, a ``celery worker`` subprocess (as in ``tests/api/test_end_to_end.py``) and an SMTP server
(``aiosmtpd``) started by the test. A scoring run is requested in this process and computed and published by the
worker, whose publication queues the digest task; the worker sends the emails over SMTP. The test checks what
arrived against the published scorecards (visible indices only, per partner), follows the unsubscribe link, and
then publishes a second run over the same data: no change, no email. Skipped without ``DATABASE_URL`` (PostgreSQL)
and ``REDIS_URL``.
"""

from __future__ import annotations

import email
import os
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from config.celery import app as celery_app
from creators import formatting
from creators.models import Video
from partners.access import access_for_user
from partners.models import AlertSettings, DigestRun, Follow
from scoring.catalogue import FIELDS_BY_NAME
from scoring.models import Scorecard, ScoringRun
from scoring.services import scoring_run_request
from tests.reliability.services import celery_worker, current_database_url, free_port, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (settings.USING_POSTGRES and settings.REDIS_URL),
        reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL: real database, broker and Celery worker",
    ),
]

TIMEOUT = 120
SITE = "http://testserver"


class Inbox:
    """The aiosmtpd handler: every message the server accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def worker(smtp: tuple[Inbox, int]) -> Iterator[Path]:
    """One worker (``deploy/worker.sh``, prefork, 2 processes) on the test database, sending email to the test's
    server."""
    celery_app.control.purge()
    worker = celery_worker(
        database_url=current_database_url(),
        redis_url=str(settings.REDIS_URL),
        name=f"alerts-smtp-{os.getpid()}",
        extra_env={
            # The test process's settings (the test database's hasher, no throttles) rather than the base ones.
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp[1]),
            "DEFAULT_FROM_EMAIL": "Creator Scorecards <alerts@scorecards.test>",
            "SITE_URL": SITE,
        },
    )
    try:
        yield worker.log_path
    finally:
        worker.stop(timeout=30)
        celery_app.control.purge()


def publish_and_digest(worker_log: Path) -> ScoringRun:
    """Request a run (the worker computes and publishes it), then wait for its digest to finish."""
    requested = scoring_run_request(triggered_by="test")

    def published() -> ScoringRun | None:
        run = ScoringRun.objects.get(pk=requested.pk)
        assert run.status != "failed", run.error
        return run if run.is_published else None

    try:
        run = wait_until(published, timeout=TIMEOUT, what="the run to publish")
        wait_until(lambda: DigestRun.objects.filter(run=run, finished_at__isnull=False).exists(), timeout=TIMEOUT,
                   what="the digest to finish")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{worker_log.read_text(errors='replace')[-4000:]}") from error
    return run


def expected_lines(run: ScoringRun, user: Any, handle: str) -> list[tuple[str, str, str]]:
    """(label, value, change) of each visible index of ``handle`` that moved by at least the default threshold, read
    from the published scorecard through the user's access."""
    access = access_for_user(user)
    card = Scorecard.objects.visible_to(access).get(run=run, creator__handle=handle)
    lines = []
    for name in access.visible_indices:
        moved = getattr(card, f"{name}_change")
        if moved is not None and round(abs(moved), 1) >= 5:
            lines.append((FIELDS_BY_NAME[name].label, formatting.score(getattr(card, name)), formatting.change(moved)))
    return lines


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def add_varied_videos(world: Any) -> None:
    """Between 3 and 8 videos per creator over the last weeks, with different views, engagement and shop links:
    indices with a signal (one video each would tie every creator)."""
    now = timezone.now()
    videos = []
    for k, creator in enumerate(sorted(world.creators.values(), key=lambda c: c.handle)):
        for i in range(3 + k % 6):
            views = 1_000 * (k + 1) + 137 * i
            videos.append(Video(
                external_id=f"smtp-{creator.pk}-{i}", creator=creator,
                posted_at=now - timedelta(days=2 + 5 * i + k % 4),
                views=views, likes=views // (5 + k % 7), comments=k + i, shares=i, is_shoppable=(k + i) % 3 == 0,
            ))
    Video.objects.bulk_create(videos)


def test_the_digest_of_a_published_run_reaches_the_smtp_server_once(world, smtp, worker):
    add_varied_videos(world)
    inbox, _ = smtp
    alice, charlie = world.users["alice"], world.users["charlie"]
    for user in (alice, charlie):
        user.email = f"{user.username}@partner.test"
        user.save(update_fields=["email"])
    beauty, electronics = world.handles_a[0], world.handles_b[0]
    Follow.objects.create(user=alice, creator=world.creators[beauty])
    Follow.objects.create(user=charlie, creator=world.creators[electronics])

    # 1. A real run over these videos, compared with the fixture's made-up run: big moves.
    run = publish_and_digest(worker)
    assert run.compared_run_id == world.run.pk
    for user, handle in ((alice, beauty), (charlie, electronics)):
        lines = expected_lines(run, user, handle)
        assert lines, f"{handle} should have moved"
        [message] = wait_until(lambda user=user: inbox.to(user.email), timeout=10, what=f"{user}'s email")
        assert message["From"] == "Creator Scorecards <alerts@scorecards.test>"
        plain, html = text_and_html(message)
        assert f"@{handle}" in plain and f"@{handle}</a>" in html
        for label, value, change in lines:
            assert f"{label}: {value} ({change} points)" in plain
            assert f"<td>{label}</td>" in html
    # Charlie's grant has no commercial tier: none of its indices, whatever moved.
    charlie_plain, charlie_html = text_and_html(inbox.to(charlie.email)[0])
    for hidden in ("Collaboration", "Care", "Sales"):
        assert hidden not in charlie_plain and hidden not in charlie_html

    # 2. The unsubscribe link of Alice's email: a confirmation page, then one click stops the emails.
    message = inbox.to(alice.email)[0]
    link = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text_and_html(message)[0]
    path = re.sub(f"^{re.escape(SITE)}", "", link)
    client = Client(enforce_csrf_checks=True)
    assert "Stop the emails" in client.get(path).content.decode()
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert AlertSettings.objects.get(user=alice).email_digest is False

    # 3. A second publication over the same data: nothing moved, nothing is sent (to anyone).
    received = len(inbox.messages)
    second = publish_and_digest(worker)
    assert second.compared_run_id == run.pk
    assert not Scorecard.objects.filter(run=second, overall_change__gt=0).exists()
    time.sleep(1)  # the worker has finished the digest; give a stray message time to arrive
    assert len(inbox.messages) == received
