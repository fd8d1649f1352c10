"""WSGI entry point (gunicorn ``config.wsgi``).

Loading the URLconf here (and with it every view module, the charts and the API) rather than on the first request
keeps that request fast; then every object the start-up created is moved out of the garbage collector's reach
(``gc.freeze``). Without that, each full collection re-examined the hundred thousand start-up objects (Django,
DRF, Plotly): a 110-150 ms pause in the middle of a request every few hundred requests, the list page's p99. With
``preload_app`` (deploy/gunicorn.conf.py) this runs once in the master and the workers share the frozen pages.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module now
gc.collect()
gc.freeze()
