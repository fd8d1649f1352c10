"""The alerts digest (issue 19 item 3): threshold, the access door at send time, idempotency, the email."""

from __future__ import annotations

import pytest
from django.core import mail

from config.celery import app as celery_app
from partners import alerts
from partners.access import access_for_user
from partners.choices import EmailStatus
from partners.models import AlertSettings, DigestRun, Follow, Notification, NotificationItem
from scoring.services import scoring_run_published_hooks
from tests.conftest import World
from tests.partners.alert_helpers import publish_next_run

pytestmark = pytest.mark.django_db


def follow(world: World, username: str, *handles: str) -> None:
    user = world.users[username]
    Follow.objects.bulk_create(Follow(user=user, creator=world.creators[h]) for h in handles)


@pytest.fixture
def emails(world: World) -> World:
    for name in ("alice", "bob", "charlie"):
        user = world.users[name]
        user.email = f"{name}@example.com"
        user.save(update_fields=["email"])
    return world


def lines_of(user) -> list[tuple[str, str, float | None]]:
    return sorted(
        (item.creator.handle, item.index, item.change)
        for item in NotificationItem.objects.filter(notification__user=user).select_related("creator")
    )


def test_a_followed_creator_that_moved_by_the_threshold_is_in_the_digest_and_the_email(emails):
    world = emails
    handle = world.handles_a[0]
    follow(world, "alice", handle)
    run = publish_next_run(world, {handle: {"overall": 6.0, "volume": -5.0, "care": 4.9}})

    report = alerts.digest_run(run_id=run.pk)

    assert (report.notifications, report.emails) == (1, 1)
    assert lines_of(world.users["alice"]) == sorted([(handle, "overall", 6.0), (handle, "volume", -5.0)])
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert f"@{handle}" in message.body and "Overall" in message.body and "+6.0" in message.body
    assert "\u22125.0" in message.body and "Care" not in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f"@{handle}</a>" in html and "+6.0" in html
    token_url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert "/notifications/unsubscribe/" in token_url and token_url in message.body and token_url in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Notification.objects.get(user=world.users["alice"]).email_status == EmailStatus.SENT


def test_the_threshold_is_the_users_own(emails):
    world = emails
    first, second = world.handles_a[:2]
    follow(world, "alice", first, second)
    follow(world, "bob", first, second)
    AlertSettings.objects.create(user=world.users["bob"], threshold=10)
    run = publish_next_run(world, {first: {"overall": 7.5}, second: {"overall": -12.0}})

    alerts.digest_run(run_id=run.pk)

    assert lines_of(world.users["alice"]) == sorted([(first, "overall", 7.5), (second, "overall", -12.0)])
    assert lines_of(world.users["bob"]) == [(second, "overall", -12.0)]


def test_nothing_to_say_means_no_digest_and_no_email(emails):
    world = emails
    follow(world, "alice", world.handles_a[0])
    run = publish_next_run(world, {world.handles_a[1]: {"overall": 30.0}})  # not followed

    report = alerts.digest_run(run_id=run.pk)

    assert report.notifications == 0 and mail.outbox == []
    assert not Notification.objects.exists()
    assert DigestRun.objects.get(run=run).finished_at is not None


def test_the_first_run_of_a_window_has_no_changes_and_says_nothing(emails):
    world = emails
    follow(world, "alice", *world.handles_a)
    assert alerts.digest_run(run_id=world.run.pk).notifications == 0  # the fixture's run: changes are null
    assert mail.outbox == []


def test_an_index_outside_the_grant_is_never_in_the_digest(emails):
    world = emails
    handle = world.handles_b[0]  # Charlie's partner: performance tier only
    follow(world, "charlie", handle)
    run = publish_next_run(world, {handle: {"care": 20.0, "sales": -30.0, "collaboration": 9.0, "volume": 8.0}})

    alerts.digest_run(run_id=run.pk)

    assert lines_of(world.users["charlie"]) == [(handle, "volume", 8.0)]
    [message] = mail.outbox
    for hidden in ("Care", "Sales", "Collaboration", "+20.0", "\u221230.0", "+9.0"):
        assert hidden not in message.body and hidden not in message.alternatives[0][0]


def test_only_commercial_moves_give_no_digest_without_the_commercial_tier(emails):
    world = emails
    handle = world.handles_b[0]
    follow(world, "charlie", handle)
    run = publish_next_run(world, {handle: {"care": 20.0}})
    assert alerts.digest_run(run_id=run.pk).notifications == 0
    assert mail.outbox == []


def test_a_creator_that_left_the_grant_between_two_runs_is_not_in_the_digest(emails):
    world = emails
    beauty, fashion = world.handles_in("beauty")[0], world.handles_in("fashion")[0]
    follow(world, "alice", beauty, fashion)
    first = publish_next_run(world, {beauty: {"overall": 8.0}, fashion: {"overall": 8.0}})
    alerts.digest_run(run_id=first.pk)
    assert {line[0] for line in lines_of(world.users["alice"])} == {beauty, fashion}

    # The grant loses beauty; the next run moves both creators again.
    world.grant_a.categories.remove(world.categories["beauty"])
    second = publish_next_run(world, {beauty: {"overall": -9.0}, fashion: {"overall": -9.0}})
    mail.outbox.clear()
    alerts.digest_run(run_id=second.pk)

    latest = Notification.objects.get(user=world.users["alice"], run=second)
    assert [item.creator.handle for item in latest.items.all()] == [fashion]
    [message] = mail.outbox
    assert beauty not in message.body and beauty not in message.alternatives[0][0]
    # The earlier digest mentioned beauty: it is not shown any more either (read through the access door).
    access = access_for_user(world.users["alice"])
    shown = alerts.digests_for(access=access, notifications=list(alerts.notifications_shown(access)))
    assert {entry.creator.handle for digest in shown for entry in digest.moved} == {fashion}


def test_a_grant_that_loses_a_tier_after_the_digest_hides_those_lines(emails):
    world = emails
    handle = world.handles_a[0]
    follow(world, "alice", handle)
    run = publish_next_run(world, {handle: {"care": 15.0, "volume": 6.0}})
    alerts.digest_run(run_id=run.pk)
    world.grant_a.commercial = False
    world.grant_a.save()

    access = access_for_user(world.users["alice"])
    [digest] = alerts.digests_for(access=access, notifications=list(alerts.notifications_shown(access)))
    assert [move.index for entry in digest.moved for move in entry.moves] == ["volume"]


def test_an_email_built_then_sent_after_a_grant_change_carries_only_what_is_visible_when_sent(emails):
    world = emails
    beauty, fashion = world.handles_in("beauty")[0], world.handles_in("fashion")[0]
    follow(world, "alice", beauty, fashion)
    run = publish_next_run(world, {beauty: {"overall": 8.0}, fashion: {"overall": 8.0}})
    access = access_for_user(world.users["alice"])
    lines = alerts._moves(run=run, access=access, users=[world.users["alice"]])[world.users["alice"].pk]
    alerts._store(user=world.users["alice"], run=run, lines=lines)
    world.grant_a.categories.remove(world.categories["beauty"])  # between the build and the send

    assert alerts.digest_send(run_id=run.pk) == 1
    [message] = mail.outbox
    assert fashion in message.body and beauty not in message.body


def test_a_second_execution_or_a_redelivery_sends_nothing(emails):
    world = emails
    handle = world.handles_a[0]
    follow(world, "alice", handle)
    run = publish_next_run(world, {handle: {"overall": 6.0}})

    alerts.digest_run(run_id=run.pk)
    assert alerts.digest_run(run_id=run.pk).skipped == "already done"
    # A redelivered task that finds the run's digest unfinished (its worker died before the end) sends nothing
    # already sent either.
    DigestRun.objects.filter(run=run).update(finished_at=None)
    report = alerts.digest_run(run_id=run.pk)

    assert (report.notifications, report.emails) == (0, 0)
    assert Notification.objects.filter(user=world.users["alice"]).count() == 1
    assert len(mail.outbox) == 1


def test_an_email_claimed_by_another_execution_is_not_sent_again(emails):
    world = emails
    handle = world.handles_a[0]
    follow(world, "alice", handle)
    run = publish_next_run(world, {handle: {"overall": 6.0}})
    alerts.digest_run(run_id=run.pk)
    Notification.objects.update(email_status=EmailStatus.SENDING)  # a worker is sending it
    assert alerts.digest_send(run_id=run.pk) == 0
    assert len(mail.outbox) == 1


def test_a_failed_send_is_put_back_to_be_sent_by_the_retry(emails, settings):
    world = emails
    handle = world.handles_a[0]
    follow(world, "alice", handle)
    run = publish_next_run(world, {handle: {"overall": 6.0}})
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    with pytest.raises(OSError):
        alerts.digest_run(run_id=run.pk)
    assert Notification.objects.get().email_status == EmailStatus.PENDING
    assert DigestRun.objects.get(run=run).finished_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    report = alerts.digest_run(run_id=run.pk)
    assert report.emails == 1 and len(mail.outbox) == 1
    assert Notification.objects.get().email_status == EmailStatus.SENT


def test_a_user_who_turned_the_emails_off_gets_the_digest_in_the_product_only(emails):
    world = emails
    handle = world.handles_a[0]
    follow(world, "alice", handle)
    AlertSettings.objects.create(user=world.users["alice"], email_digest=False)
    run = publish_next_run(world, {handle: {"overall": 6.0}})
    report = alerts.digest_run(run_id=run.pk)
    assert (report.notifications, report.emails) == (1, 0) and mail.outbox == []
    assert Notification.objects.get().email_status == EmailStatus.OFF


def test_a_run_that_is_no_longer_published_gets_no_digest(emails):
    world = emails
    handle = world.handles_a[0]
    follow(world, "alice", handle)
    older = publish_next_run(world, {handle: {"overall": 6.0}})
    publish_next_run(world, {handle: {"overall": 6.0}})
    assert alerts.digest_run(run_id=older.pk).skipped == "not the published run"
    assert not Notification.objects.exists()


def test_the_publication_hook_and_the_beat_task_build_the_digest_once(emails, monkeypatch):
    world = emails
    handle = world.handles_a[0]
    follow(world, "alice", handle)
    run = publish_next_run(world, {handle: {"overall": 6.0}})
    # Eager (the embedded set-up), also when the suite runs with a broker: the task runs here.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)

    scoring_run_published_hooks(run_id=run.pk)
    assert len(mail.outbox) == 1 and DigestRun.objects.get(run=run).finished_at is not None
    assert alerts.digest_published_run() is None  # beat: nothing left to do
    assert len(mail.outbox) == 1


def test_the_digest_costs_the_same_queries_for_more_followed_creators(emails):
    world = emails
    few = world.handles_a[:2]
    follow(world, "alice", *few)
    follow(world, "bob", *few)
    run = publish_next_run(world, {h: {"overall": 6.0} for h in world.handles_a})
    Notification.objects.all().delete()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        alerts.digest_run(run_id=run.pk)
    Notification.objects.all().delete()
    DigestRun.objects.all().delete()
    Follow.objects.all().delete()
    follow(world, "alice", *world.handles_a)
    follow(world, "bob", *world.handles_a)
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as large:
        alerts.digest_run(run_id=run.pk)
    assert len(mail.outbox) == 2
    assert NotificationItem.objects.count() == 2 * len(world.handles_a)
    assert len(large) == len(small)


def test_unsubscribe_tokens_name_their_user_and_nothing_else(world):
    alice = world.users["alice"]
    token = alerts.unsubscribe_token(alice)
    assert alerts.unsubscribe_user(token) == alice
    assert alerts.unsubscribe_user(token[:-2] + "xx") is None
    assert alerts.unsubscribe_user("not-a-token") is None
    from django.core import signing

    assert alerts.unsubscribe_user(signing.dumps({"user": alice.pk}, salt="another.purpose")) is None

