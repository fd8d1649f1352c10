"""The project's urlconf plus the sample views of the base classes (used with ``@pytest.mark.urls``)."""

from __future__ import annotations

from config.urls import urlpatterns as project_patterns
from tests.partners.sample_views import sample_patterns

urlpatterns = [*sample_patterns, *project_patterns]
