"""The admin app with the project's site as ``admin.site`` (see ``config.admin``)."""

from django.contrib.admin.apps import AdminConfig


class ProjectAdminConfig(AdminConfig):
    default_site = "config.admin.ProjectAdminSite"
