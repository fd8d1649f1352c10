"""API tokens: obtain one with a username and password, revoke it yourself; staff revoke any in the admin.

One token per user (DRF's ``authtoken``). Only partner users whose role may use the API (``analyst``,
``manager``) and platform staff (who automate imports and scoring runs) get one; a ``viewer`` or a user without a
membership is refused with 403. Revocation takes effect on the next request: the token row is deleted. The role
is checked again on every partner request by the partner base viewset, so a user demoted to ``viewer`` keeps a
token that no longer opens anything.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.rest import NoStoreMixin
from config.throttles import LoginThrottle, UserThrottle


class TokenSerializer(serializers.Serializer):
    """Credentials exchanged for a token."""

    # The user model's own bounds: a longer name can log nobody in (and must not reach the lockout's records).
    username = serializers.CharField(max_length=150, help_text="Your login name, e.g. `glow-analyst`.")
    password = serializers.CharField(
        max_length=4096, style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )


TokenResponseSerializer = inline_serializer(
    name="TokenResponse",
    fields={"token": serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")},
)


def api_user_allowed(user: Any) -> bool:
    """Whether ``user`` may hold an API token: staff, or a partner member whose role includes the API."""
    if user.is_staff:
        return True
    from partners.access import access_for_user  # the access layer decides what a role may do

    return access_for_user(user).can_use_api


class TokenView(NoStoreMixin, APIView):
    """``POST``: exchange a username and password for your token. ``DELETE``: revoke your token."""

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Request:
        self._obtaining = request.method == "POST"
        return super().initialize_request(request, *args, **kwargs)

    def get_authenticators(self) -> list[Any]:
        # Obtaining a token needs no prior credentials (and so no CSRF token); revoking one does.
        if self._obtaining:
            return []
        return super().get_authenticators()

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list[Any]:
        if self.request.method == "POST":
            return [LoginThrottle()]
        return [UserThrottle()]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        auth=[],
        request=TokenSerializer,
        responses={200: TokenResponseSerializer},
        summary="Obtain your API token",
        description="For users with the `analyst` or `manager` role (and platform staff). Asking again returns "
        "the same token until it is revoked. Repeated wrong passwords lock the username out for a while.",
        examples=[
            OpenApiExample("Credentials", value={"username": "glow-analyst", "password": "demo-password"},
                           request_only=True),
            OpenApiExample("Token", value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, response_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The Django request, not DRF's wrapper: django-axes records failures and lockouts on it.
        user = authenticate(
            request=request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with the provided credentials."]}
            )
        if not api_user_allowed(user):
            raise PermissionDenied("API access needs the analyst or manager role.")
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)

    @extend_schema(
        operation_id="auth_token_destroy",
        tags=["auth"],
        request=None,
        responses={204: None},
        summary="Revoke your API token",
        description="Deletes the token used (or, from a browser session, your token). Requests with it answer 401 "
        "from then on; obtain a new one with POST.",
    )
    def delete(self, request: Request) -> Response:
        if request.user.is_authenticated:  # always (the view's permission); narrows the user's type
            Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
