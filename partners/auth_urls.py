"""Login, logout and password change under ``/accounts/`` (Django's auth views, our templates)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from partners.views_auth import LogoutConfirmView

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", LogoutConfirmView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
