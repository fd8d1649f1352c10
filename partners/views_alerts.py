"""Pages of follows and alerts: follow a creator, the notifications page with its settings, and the one-click
unsubscribe page of the digest email. The rules are in ``partners.alerts``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from creators.pagination import keyset_page
from partners import alerts
from partners.choices import AlertAction
from partners.forms_dashboard import AlertSettingsForm, posted_id
from partners.models import AlertSettings, Follow, Notification
from partners.views import PartnerAccessMixin, safe_next

NOTIFICATIONS_PAGE_SIZE = 20


class FollowView(PartnerAccessMixin, View):
    """``POST /creators/<handle>/follow/`` (``following=1`` or ``0``): follow or stop following a visible creator
    (a hidden one is the scorecard's audited 404), then back to the page it came from."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, handle: str) -> HttpResponse:
        creator = self.get_creator_or_404(handle)
        following = request.POST.get("following", "1") != "0"
        changed = alerts.follow_set(access=self.access, creator=creator, following=following)
        if changed:
            self.audit(
                action=AlertAction.FOLLOW_CHANGE, object_handle=creator.handle,
                filters={"following": following},
            )
        if following:
            messages.success(request, f"You follow @{creator.handle}: its moves come in your alerts.")
        else:
            messages.success(request, f"You no longer follow @{creator.handle}.")
        return HttpResponseRedirect(safe_next(request, reverse("creators:detail", kwargs={"handle": creator.handle})))


class NotificationListView(PartnerAccessMixin, TemplateView):
    """``/notifications/``: the user's digests, newest first (unread marked), what it follows, and its settings."""

    template_name = "partners/notifications.html"
    audit_action = AlertAction.NOTIFICATIONS_VIEW

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        access = self.access
        shown = alerts.notifications_shown(access)
        page = keyset_page(
            shown,
            page_size=NOTIFICATIONS_PAGE_SIZE,
            cursor=self.request.GET.get("cursor") or None,
        )
        digests = alerts.digests_for(access=access, notifications=page.rows)
        follows = Follow.objects.visible_to(access).select_related("creator").order_by("creator__handle")
        settings_row = alerts.alert_settings_for(access.user)
        self.audit_row_count = len(digests)
        context.update(
            nav_section="notifications",
            page=page,
            digests=digests,
            unread=shown.filter(read_at__isnull=True).exists(),
            follows=list(follows),
            settings_form=kwargs.get("settings_form")
            or AlertSettingsForm(instance=settings_row, has_email=bool(access.user.email)),
            has_email=bool(access.user.email),
            threshold=settings_row.threshold,
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action")
        own = Notification.objects.filter(user_id=self.access.user.pk, read_at__isnull=True)
        if action == "settings":
            instance = alerts.alert_settings_for(self.access.user)
            form = AlertSettingsForm(request.POST, instance=instance, has_email=bool(self.access.user.email))
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(settings_form=form), status=400)
            form.save()
            self.audit(
                action=AlertAction.ALERT_SETTINGS_CHANGE,
                filters={"threshold": form.cleaned_data["threshold"], "email": form.cleaned_data["email_digest"]},
            )
            messages.success(request, "Alert settings saved.")
        elif action == "read":
            own.filter(pk=posted_id(request.POST.get("notification", ""), "notification")).update(
                read_at=timezone.now()
            )
        elif action == "read_all":
            own.update(read_at=timezone.now())
            messages.success(request, "Every alert is marked as read.")
        else:
            messages.error(request, "Unknown action.")
        return redirect("notifications:list")


@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    """``/notifications/unsubscribe/<token>/``: the digest email's signed link. A GET asks for confirmation; a
    POST (the page's button, or a mail client's RFC 8058 one-click ``List-Unsubscribe=One-Click``) stops the
    emails. No login: the signed token names the user.

    CSRF-exempt on purpose: a mail client's one-click POST carries no cookie or token, and the signed token in
    the URL is what authorises the one thing this view can do (turn that user's digest emails off).
    """

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        user = self._user(token)
        settings_row = AlertSettings.objects.filter(user=user).first()
        done = settings_row is not None and not settings_row.email_digest
        return render(request, "partners/unsubscribe.html", {"done": done, "confirm": not done})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        alerts.unsubscribe(self._user(token))
        return render(request, "partners/unsubscribe.html", {"done": True, "confirm": False})

    def _user(self, token: str) -> Any:
        user = alerts.unsubscribe_user(token)
        if user is None:
            raise Http404("Not found")
        return user

