"""Follows and the alerts digest (issue 19 item 3): the rules, used by the pages, the API and the Celery task.

After each publication ``digest_run(run_id=...)`` builds, for every user who follows creators or subscribes to
saved searches, one digest of that run, *through the access door at that moment* (``access_for_user``,
``Scorecard.objects.visible_to``, ``access.visible_indices``):

- followed creators whose overall score or a visible index moved by at least the user's threshold (points, a
  per-user setting, ``DEFAULT_ALERT_THRESHOLD`` by default), from the run's ``<index>_change`` columns;
- creators new to a subscribed saved search (``partners.saved_searches.new_matches``, the one definition).

Nothing to say: no digest and no email. A digest is a ``Notification`` unique per (user, run), so a second
execution or a redelivered task writes nothing; its email is claimed by one process (``pending`` to ``sending``)
before it is sent, so it is sent at most once. The email is rendered from templates (a plain-text and an HTML
part) from the lines the user can see *when it is sent*, with a signed one-click unsubscribe link (RFC 8058).

Set-based: users with the same access scope (the members of one partner) share one scorecard query for all the
creators they follow and one query per subscribed search; there is no query per creator.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from creators.models import Creator
from partners import saved_searches
from partners.access import Access, access_for_user
from partners.backends import MEMBERSHIP_LOADED_ATTR
from partners.choices import DEFAULT_ALERT_THRESHOLD, EmailStatus, ItemKind
from partners.models import AlertSettings, DigestRun, Follow, Notification, NotificationItem, SavedSearch
from scoring.catalogue import FILTERABLE_INDICES
from scoring.models import Scorecard, ScoringRun

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "partners.alerts.unsubscribe"
# Notifications handled per round trip when their emails are sent.
SEND_BATCH = 200
# New matches of one saved search listed in one digest (the search itself shows them all).
NEW_MATCHES_PER_SEARCH = 20


# --- follows ------------------------------------------------------------------------------------------------
def follow_set(*, access: Access, creator: Creator, following: bool) -> bool:
    """Follow (or stop following) a creator the caller has already found visible; True when something changed."""
    if following:
        _, created = Follow.objects.get_or_create(user_id=access.user.pk, creator=creator)
        return created
    deleted, _ = Follow.objects.filter(user_id=access.user.pk, creator=creator).delete()
    return bool(deleted)


def followed_ids(*, access: Access, creator_ids: Iterable[int]) -> set[int]:
    """Which of ``creator_ids`` the user follows (one query; for the follow buttons of a page)."""
    ids = list(creator_ids)
    if not ids:
        return set()
    return set(Follow.objects.visible_to(access).filter(creator_id__in=ids).values_list("creator_id", flat=True))


def alert_settings_for(user: Any) -> AlertSettings:
    """The user's settings, or the defaults (unsaved) when it never changed them."""
    found = AlertSettings.objects.filter(user_id=user.pk).first()
    return found if found is not None else AlertSettings(user=user)


# --- the digest: build ----------------------------------------------------------------------------------------
@dataclass
class Line:
    """One line of a digest before it is stored."""

    kind: str
    creator_id: int
    index: str = ""
    value: float | None = None
    change: float | None = None
    search_name: str = ""
    search_id: int | None = None


@dataclass
class DigestReport:
    run_id: int
    users: int = 0
    notifications: int = 0
    emails: int = 0
    skipped: str = ""
    seconds: float = 0.0
    details: dict[str, float] = field(default_factory=dict)


def digest_published_run() -> DigestReport | None:
    """The beat task's rule: the digest of the published run, unless it is finished already (or no run yet)."""
    run = ScoringRun.objects.filter(is_published=True).only("pk").first()
    if run is None or DigestRun.objects.filter(run_id=run.pk, finished_at__isnull=False).exists():
        return None
    return digest_run(run_id=run.pk)


def digest_run(*, run_id: int) -> DigestReport:
    """Build and send the digest of a published run for every user with follows or subscriptions (idempotent)."""
    started = time.monotonic()
    report = DigestReport(run_id=run_id)
    run = ScoringRun.objects.filter(pk=run_id).defer("medians", "timings").first()
    if run is None or not run.is_published:
        # A newer run was published meanwhile (it has a digest of its own), or the run is gone.
        report.skipped = "not the published run"
        return report
    digest, _ = DigestRun.objects.get_or_create(run=run)
    if digest.finished_at is not None:
        report.skipped = "already done"
        return report
    users = _candidates(run)
    report.users = len(users)
    groups: dict[tuple[Any, ...], list[tuple[Any, Access]]] = defaultdict(list)
    for user in users:
        access = access_for_user(user)
        if access.is_partner:
            groups[_scope_key(access)].append((user, access))
    report.details["access_s"] = round(time.monotonic() - started, 3)
    lines: dict[int, list[Line]] = defaultdict(list)
    for members in groups.values():
        access = members[0][1]  # the same scope for every member: visibility reads only the scope
        for user_id, user_lines in _moves(run=run, access=access, users=[user for user, _ in members]).items():
            lines[user_id].extend(user_lines)
        for user_id, user_lines in _new_matches(run=run, access=access, users=[user for user, _ in members]).items():
            lines[user_id].extend(user_lines)
    report.details["lines_s"] = round(time.monotonic() - started - report.details["access_s"], 3)
    by_id = {user.pk: user for user in users}
    for user_id, user_lines in lines.items():
        if user_lines and _store(user=by_id[user_id], run=run, lines=user_lines):
            report.notifications += 1
    report.emails = digest_send(run_id=run.pk)
    report.seconds = round(time.monotonic() - started, 3)
    DigestRun.objects.filter(pk=digest.pk).update(
        finished_at=timezone.now(), users=report.users, notifications=report.notifications, emails=report.emails,
        seconds=report.seconds,
    )
    logger.info("digest of run %s: %s users, %s notifications, %s emails in %.1f s", run_id, report.users,
                report.notifications, report.emails, report.seconds)
    return report


def _candidates(run: ScoringRun) -> list[Any]:
    """Active users who follow someone or subscribe to a search and have no digest of this run yet, loaded with
    their membership (so that building their access costs one query) and their settings."""
    wanted = Q(pk__in=Follow.objects.values("user_id")) | _subscriber_q()
    users = list(
        get_user_model()
        .objects.filter(wanted, is_active=True, membership__isnull=False)
        .exclude(pk__in=Notification.objects.filter(run=run).values("user_id"))
        .select_related("membership__partner__weights", "alert_settings")
        .order_by("pk")
    )
    for user in users:
        setattr(user, MEMBERSHIP_LOADED_ATTR, True)
    return users


def _subscriber_q() -> Q:
    """Users subscribed to a saved search."""
    return Q(pk__in=SavedSearch.subscribers.through.objects.values("user_id"))


def _scope_key(access: Access) -> tuple[Any, ...]:
    """What visibility depends on: members of one partner share it (their grants are the partner's)."""
    return (access.partner_id, access.tiers, access.category_ids, access.creator_ids)


def _threshold(user: Any) -> int:
    try:
        return int(user.alert_settings.threshold)
    except AlertSettings.DoesNotExist:
        return DEFAULT_ALERT_THRESHOLD


def _moved(change: float | None, threshold: int) -> bool:
    # Compared as shown (one decimal): a move printed as "+5.0" is a move of 5.
    return change is not None and round(abs(change), 1) >= threshold


def _moves(*, run: ScoringRun, access: Access, users: Sequence[Any]) -> dict[int, list[Line]]:
    """The moves of the creators these users (one access scope) follow, on the visible indices: one query for
    the follows and one for the moved scorecards, whatever the number of users and creators."""
    indices = access.visible_indices
    if not indices:
        return {}
    followers: dict[int, list[int]] = defaultdict(list)
    for user_id, creator_id in Follow.objects.filter(user__in=[u.pk for u in users]).values_list(
        "user_id", "creator_id"
    ):
        followers[creator_id].append(user_id)
    if not followers:
        return {}
    thresholds = {user.pk: _threshold(user) for user in users}
    floor = min(thresholds.values()) - 0.05  # SQL pre-filter; ``_moved`` decides as shown
    moved = reduce(or_, (Q(**{f"{n}_change__gte": floor}) | Q(**{f"{n}_change__lte": -floor}) for n in indices))
    cards = (
        Scorecard.objects.visible_to(access)
        .filter(moved, run_id=run.pk, creator_id__in=list(followers))
        .values_list("creator_id", *indices, *(f"{n}_change" for n in indices))
    )
    lines: dict[int, list[Line]] = defaultdict(list)
    for row in cards:
        creator_id, values, changes = row[0], row[1 : 1 + len(indices)], row[1 + len(indices) :]
        for user_id in followers[creator_id]:
            for name, value, change in zip(indices, values, changes, strict=True):
                if _moved(change, thresholds[user_id]):
                    lines[user_id].append(
                        Line(kind=ItemKind.MOVE, creator_id=creator_id, index=name, value=value, change=change)
                    )
    return lines


def _new_matches(*, run: ScoringRun, access: Access, users: Sequence[Any]) -> dict[int, list[Line]]:
    """Creators new to the saved searches these users (one access scope) subscribe to: the one definition,
    ``saved_searches.new_matches`` (matching in this run, not in the compared run), once per search whatever the
    number of its subscribers; the first ``NEW_MATCHES_PER_SEARCH`` in the search's own order."""
    partner_id = access.partner_id
    if run.compared_run_id is None or partner_id is None:
        return {}
    user_ids = [user.pk for user in users]
    through = SavedSearch.subscribers.through
    readers: dict[int, list[int]] = defaultdict(list)
    for search_id, user_id in through.objects.filter(
        user_id__in=user_ids, savedsearch__partner_id=partner_id
    ).values_list("savedsearch_id", "user_id"):
        readers[search_id].append(user_id)
    if not readers:
        return {}
    since = ScoringRun.objects.filter(pk=run.compared_run_id).defer("medians", "timings").first()
    lines: dict[int, list[Line]] = defaultdict(list)
    for search in SavedSearch.objects.filter(pk__in=list(readers)).order_by("pk"):
        # A search the user can no longer see (another user's search that was unshared) says nothing to it.
        allowed = [u for u in readers[search.pk] if search.shared or search.created_by_id == u]
        if not allowed:
            continue
        matches = saved_searches.new_matches(search, access, since, run=run)
        creator_ids = list(matches.values_list("creator_id", flat=True)[:NEW_MATCHES_PER_SEARCH])
        for user_id in allowed:
            lines[user_id].extend(
                Line(kind=ItemKind.NEW_MATCH, creator_id=creator_id, search_name=search.name, search_id=search.pk)
                for creator_id in creator_ids
            )
    return lines


def _store(*, user: Any, run: ScoringRun, lines: list[Line]) -> bool:
    """The user's digest of the run with its lines, once: False when it exists already (a second execution)."""
    try:
        settings_row: AlertSettings | None = user.alert_settings
    except AlertSettings.DoesNotExist:
        settings_row = None
    emailed = (settings_row is None or settings_row.email_digest) and bool(user.email)
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            user=user, run=run,
            defaults={"as_of": run.as_of, "email_status": EmailStatus.PENDING if emailed else EmailStatus.OFF},
        )
        if created:
            NotificationItem.objects.bulk_create(
                NotificationItem(
                    notification=notification, kind=line.kind, creator_id=line.creator_id, index=line.index,
                    value=line.value, change=line.change, search_name=line.search_name, search_id=line.search_id,
                )
                for line in lines
            )
    return created


# --- the digest: send -----------------------------------------------------------------------------------------
def digest_send(*, run_id: int) -> int:
    """Send the run's digests that are still to send, each at most once, over one mail connection; the number
    sent. A digest whose lines the user can no longer see (a grant changed since it was built) is not sent."""
    pending = Notification.objects.filter(run_id=run_id, email_status=EmailStatus.PENDING)
    ids = list(pending.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    sent = 0
    with get_connection() as connection:
        for start in range(0, len(ids), SEND_BATCH):
            batch = Notification.objects.filter(pk__in=ids[start : start + SEND_BATCH]).select_related(
                "user__membership__partner__weights", "user__alert_settings"
            )
            for notification in batch.order_by("pk"):
                sent += _send_one(notification, connection)
    return sent


def _send_one(notification: Notification, connection: Any) -> int:
    claimed = Notification.objects.filter(pk=notification.pk, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.SENDING
    )
    if not claimed:
        return 0  # another execution has it
    user = notification.user
    setattr(user, MEMBERSHIP_LOADED_ATTR, True)
    try:
        message = digest_email(notification=notification, access=access_for_user(user), connection=connection)
        if message is None:
            Notification.objects.filter(pk=notification.pk).update(email_status=EmailStatus.OFF)
            return 0
        message.send()
    except Exception:
        # Not sent: back to the queue for the next execution (the task retries).
        Notification.objects.filter(pk=notification.pk).update(email_status=EmailStatus.PENDING)
        raise
    Notification.objects.filter(pk=notification.pk).update(email_status=EmailStatus.SENT, emailed_at=timezone.now())
    return 1


# --- reading digests (page, API, email) -----------------------------------------------------------------------
@dataclass
class CreatorMoves:
    creator: Creator
    moves: list[NotificationItem]


@dataclass
class SearchNews:
    name: str
    creators: list[Creator]


@dataclass
class Digest:
    """A digest as the user may see it now: its visible lines, grouped for the page and the email."""

    notification: Notification
    moved: list[CreatorMoves]
    new: list[SearchNews]

    @property
    def count(self) -> int:
        return sum(len(entry.moves) for entry in self.moved) + sum(len(news.creators) for news in self.new)


def notifications_shown(access: Access) -> Any:
    """The user's digests that still have a line it can see now (a digest whose every line left the grant is
    not shown), for the page and the API to page through, newest first."""
    visible = NotificationItem.objects.visible_to(access).filter(notification=OuterRef("pk"))
    return Notification.objects.filter(Exists(visible), user_id=access.user.pk).order_by("-created_at", "-id")


def digests_for(*, access: Access, notifications: Sequence[Notification]) -> list[Digest]:
    """The given notifications of the user with their lines visible now (one query), without the empty ones."""
    items: dict[int, list[NotificationItem]] = defaultdict(list)
    visible = (
        NotificationItem.objects.visible_to(access)
        .filter(notification_id__in=[n.pk for n in notifications])
        .select_related("creator")
        .order_by("notification_id", "creator__handle", "id")
    )
    for item in visible:
        items[item.notification_id].append(item)
    digests = []
    for notification in notifications:
        if items[notification.pk]:
            digests.append(_grouped(notification, items[notification.pk]))
    return digests


_INDEX_ORDER = {name: position for position, name in enumerate(FILTERABLE_INDICES)}


def _grouped(notification: Notification, items: list[NotificationItem]) -> Digest:
    moved: dict[int, CreatorMoves] = {}
    news: dict[str, SearchNews] = {}
    for item in items:
        if item.kind == ItemKind.MOVE:
            moved.setdefault(item.creator_id, CreatorMoves(creator=item.creator, moves=[])).moves.append(item)
        else:
            news.setdefault(item.search_name, SearchNews(name=item.search_name, creators=[])).creators.append(
                item.creator
            )
    for entry in moved.values():
        entry.moves.sort(key=lambda item: _INDEX_ORDER.get(item.index, 99))
    return Digest(notification=notification, moved=list(moved.values()), new=sorted(news.values(), key=_name))


def _name(news: SearchNews) -> str:
    return news.name.lower()


# --- email ----------------------------------------------------------------------------------------------------
def unsubscribe_token(user: Any) -> str:
    """A signed token naming the user, for the one-click unsubscribe link (no expiry: a link in an old email must
    still work; a key rotation keeps it valid through ``SECRET_KEY_FALLBACKS``)."""
    return signing.dumps({"user": user.pk}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_user(token: str) -> Any:
    """The user a token names, or ``None`` when it is not a token this product signed."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    user_id = data.get("user") if isinstance(data, dict) else None
    if not isinstance(user_id, int):
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


def unsubscribe(user: Any) -> None:
    """Stop the digest emails of ``user`` (the digests stay on its notifications page)."""
    AlertSettings.objects.update_or_create(user=user, defaults={"email_digest": False})


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def digest_email(
    *, notification: Notification, access: Access, connection: Any = None
) -> EmailMultiAlternatives | None:
    """The email of a digest, from the lines ``access`` can see now; ``None`` when none is left."""
    digests = digests_for(access=access, notifications=[notification])
    if not digests:
        return None
    digest = digests[0]
    unsubscribe_url = absolute(reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(access.user)}))
    context = {
        "digest": digest,
        "user": access.user,
        "site_url": settings.SITE_URL,
        "notifications_url": absolute(reverse("notifications:list")),
        "unsubscribe_url": unsubscribe_url,
        "threshold": _threshold(access.user),
    }
    subject = render_to_string("partners/email/digest_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("partners/email/digest.txt", context),
        to=[access.user.email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("partners/email/digest.html", context), "text/html")
    return message
