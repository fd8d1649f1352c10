"""Settings of the benchmark's ceiling server: the product's settings without any middleware or session.

It serves only ``bench.ceiling_urls``: the same filtered page query as the creator list, as ``.values()`` in a
``JsonResponse``. What the real list page costs beyond it (sessions, auth, access, audit, templates) is the ratio
the dashboard benchmark reports.
"""

from __future__ import annotations

from config.settings.base import *

DEBUG = False
MIDDLEWARE = []
ROOT_URLCONF = "bench.ceiling_urls"
