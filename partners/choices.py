"""Enumerations of partners, their roles and their audit trail."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """What a partner user may do. Each role includes everything the previous one may do."""

    VIEWER = "viewer", "Viewer"  # browses, filters, compares, keeps shortlists
    ANALYST = "analyst", "Analyst"  # + CSV export and the API
    MANAGER = "manager", "Manager"  # + the partner's audit trail and users


# Roles allowed to export CSV and to use the REST API.
EXPORT_ROLES = frozenset({Role.ANALYST, Role.MANAGER})
API_ROLES = frozenset({Role.ANALYST, Role.MANAGER})
AUDIT_ROLES = frozenset({Role.MANAGER})


class EntryStatus(models.TextChoices):
    """Where a shortlisted creator stands in the partner's campaign (DESIGN section 7), in workflow order."""

    TO_CONTACT = "to_contact", "To contact"
    CONTACTED = "contacted", "Contacted"
    AGREED = "agreed", "Agreed"
    DECLINED = "declined", "Declined"


# The longest note of a shortlist entry (characters), on the pages and in the API.
ENTRY_NOTE_MAX_LENGTH = 2000


class AuditOutcome(models.TextChoices):
    OK = "ok", "OK"
    DENIED = "denied", "Denied"
    ERROR = "error", "Error"


class AuditAction:
    """The action names written to ``AuditEvent.action``.

    Free text on purpose (the API and dashboard may record new actions without a migration); these are the ones
    the access layer itself writes or that every caller should reuse.
    """

    HOME_VIEW = "home.view"
    CREATOR_LIST = "creator.list"
    CREATOR_VIEW = "creator.view"
    CREATOR_COMPARE = "creator.compare"
    CREATOR_EXPORT = "creator.export"
    CREATOR_VIDEOS = "creator.videos"
    CREATOR_SIMILAR = "creator.similar"
    CATEGORY_LIST = "category.list"
    API_CALL = "api.call"
    LOGIN_LOCKOUT = "login.lockout"
    ACCESS_DENIED = "access.denied"
    EXPORT_QUOTA = "export.quota_exceeded"
    SHORTLIST_CHANGE = "shortlist.change"
    SAVED_SEARCH_LIST = "saved_search.list"
    SAVED_SEARCH_CHANGE = "saved_search.change"
    SAVED_SEARCH_OPEN = "saved_search.open"
    SHORTLIST_VIEW = "shortlist.view"
    SHORTLIST_EXPORT = "shortlist.export"
    WEIGHTS_CHANGE = "weights.change"


class AlertAction:
    """Audit actions of follows and the alerts digest (see ``AuditAction``)."""

    FOLLOW_CHANGE = "follow.change"
    NOTIFICATIONS_VIEW = "notifications.view"
    ALERT_SETTINGS_CHANGE = "alerts.settings_change"


# What each action means, in the audit trail's words (an action without an entry is shown as it is stored).
AUDIT_ACTION_LABELS: dict[str, str] = {
    AuditAction.HOME_VIEW: "Opened the home page",
    AuditAction.CREATOR_LIST: "Listed creators",
    AuditAction.CREATOR_VIEW: "Opened a scorecard",
    AuditAction.CREATOR_COMPARE: "Compared creators",
    AuditAction.CREATOR_EXPORT: "Exported creators",
    AuditAction.CREATOR_VIDEOS: "Read a creator's videos",
    AuditAction.CREATOR_SIMILAR: "Read similar creators",
    AuditAction.CATEGORY_LIST: "Listed categories",
    AuditAction.API_CALL: "Called the API",
    AuditAction.LOGIN_LOCKOUT: "Locked out of sign-in",
    AuditAction.ACCESS_DENIED: "Was refused access",
    AuditAction.EXPORT_QUOTA: "Hit the daily export limit",
    AuditAction.SHORTLIST_CHANGE: "Changed a shortlist",
    AuditAction.SHORTLIST_VIEW: "Opened a shortlist",
    AuditAction.SHORTLIST_EXPORT: "Exported a shortlist",
    AuditAction.SAVED_SEARCH_LIST: "Listed saved searches",
    AuditAction.SAVED_SEARCH_CHANGE: "Changed a saved search",
    AuditAction.SAVED_SEARCH_OPEN: "Opened a saved search",
    AuditAction.WEIGHTS_CHANGE: "Changed the partner's weights",
    AlertAction.FOLLOW_CHANGE: "Followed or unfollowed a creator",
    AlertAction.NOTIFICATIONS_VIEW: "Opened the alerts",
    AlertAction.ALERT_SETTINGS_CHANGE: "Changed alert settings",
}


class EmailStatus(models.TextChoices):
    """Where the email of one digest stands. ``sending`` is the claim of the one process that sends it."""

    PENDING = "pending", "To send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    OFF = "off", "Not emailed"  # the user turned the emails off or has no address: shown in the product only


class ItemKind(models.TextChoices):
    MOVE = "move", "Moved"  # a followed creator's index moved by at least the user's threshold
    NEW_MATCH = "new_match", "New in a saved search"  # a creator new to a subscribed search


# The move, in index points, worth an alert when a user has not chosen one (issue 19).
DEFAULT_ALERT_THRESHOLD = 5
