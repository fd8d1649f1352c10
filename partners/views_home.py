"""``/``: the home page. A partner user sees what changed among the creators it may see; anyone else the welcome.

The partner's page is built on ``PartnerAccessMixin`` (login, ``self.access``, audit, ``no-store``) and reads
through ``partners.home``: the published run's movers and new creators (selected once per run, ``scoring.movers``)
re-read through the access door, and the partner's latest shortlist changes.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.generic import TemplateView

from partners import home, saved_searches
from partners.access import access_for_request
from partners.choices import AuditAction
from partners.views import PartnerAccessMixin
from scoring.selectors import published_run

# Saved searches listed on the home page (the rest are on /searches/).
HOME_SEARCHES = 5


class PartnerHomeView(PartnerAccessMixin, TemplateView):
    """The partner's home: data-as-of banner, movers per visible index, new creators, shortlist activity."""

    template_name = "partners/home.html"
    audit_action = AuditAction.HOME_VIEW

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = published_run()
        changes = home.home_changes(access=self.access, run=run) if run is not None else None
        self.audit_row_count = len(changes.handles) if changes is not None else 0
        context.update(
            nav_section="home",
            run=run,
            changes=changes,
            activity=home.shortlist_activity(access=self.access),
            # The user's own and the partner's shared searches, the first few by name, with their new matches
            # (counted like /searches/: capped, cached per run revision).
            searches=saved_searches.summaries(
                saved_searches.visible_searches(self.access)[:HOME_SEARCHES], access=self.access, run=run
            ),
            searches_more=saved_searches.visible_searches(self.access)[HOME_SEARCHES:].exists(),
        )
        return context


_partner_home = PartnerHomeView.as_view()
_welcome = TemplateView.as_view(template_name="home.html")


def home_page(request: HttpRequest) -> HttpResponseBase:
    """A partner user's home page; the welcome card for everyone else (anonymous, staff, a member without a
    current grant), as before."""
    if access_for_request(request).is_partner:
        return _partner_home(request)
    return _welcome(request)
