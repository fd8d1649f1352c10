"""ORM expressions of the methodology's per-video quantities, built from ``scoring.definitions``.

The scoring run computes the same quantities in SQL over a whole window (``scoring.indices``); a page that shows
one video's figure uses these, so that both read one definition.
"""

from __future__ import annotations

from functools import reduce
from operator import add

from django.db import models
from django.db.models import Case, F, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast

from scoring import definitions as d


def video_engagements() -> Combinable:
    """A video's engagements: the sum of ``definitions.ENGAGEMENT_COUNTS``."""
    return reduce(add, (F(count) for count in d.ENGAGEMENT_COUNTS))


def video_engagement_rate() -> Case:
    """A video's engagement rate, engagements / views as a float; null for a video without views."""
    return Case(
        When(views__gt=0, then=Cast(video_engagements(), models.FloatField()) / F("views")),
        default=None,
        output_field=models.FloatField(),
    )
