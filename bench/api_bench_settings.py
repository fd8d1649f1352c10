"""Settings of the API benchmark's server: the product's own settings, plus the ceiling URL (``bench/api_bench_urls``).

The ceiling runs in the same gunicorn workers, behind the same middleware, so that the ratio measures only what
the API adds to the same query: authentication by token, the access lookup of DRF's permission, throttling,
content negotiation, the audit event, serialization and rendering.
"""

from __future__ import annotations

from config.settings.base import *

DEBUG = False
ROOT_URLCONF = "bench.api_bench_urls"
