"""Plumbing shared by every view of the REST API (``/api/v1/``).

- one JSON error body for every failure: ``{"detail": "...", "errors": {field: ["..."]}}`` (``errors`` only when
  there are field errors), produced by :func:`api_exception_handler`;
- throttles live in ``config.throttles`` (DRF imports them while defining ``APIView``, so they must not import
  ``rest_framework.views`` themselves);
- :class:`NoStoreMixin` and :func:`no_store`: confidential data must never sit in a browser or proxy cache;
- :class:`ApiAutoSchema`: documents the error responses every operation can give, so that the OpenAPI contract
  (and the schemathesis test that holds the API to it) covers failures as well as successes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# --- Error bodies ---------------------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """The body of every error response of the API."""

    detail = serializers.CharField(help_text="A human-readable summary of the problem.")
    # The problem document's member; it shadows ``Serializer.errors``, harmless on a serializer that only documents.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages, keyed by the field or query parameter name (`non_field_errors` for the "
        "request as a whole). Present on validation errors only.",
    )


def _flatten(value: Any) -> list[str]:
    """DRF error details nest lists and dicts; a client wants a flat list of messages per field."""
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, item in value.items() for message in _flatten(item)]
    if isinstance(value, list | tuple):
        return [message for item in value for message in _flatten(item)]
    return [str(value)]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped so that every error has the same body: ``detail`` plus ``errors`` for fields."""
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API exception: let Django produce its 500 (logged, no internals leaked with DEBUG off).
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError) or (isinstance(data, dict | list) and "detail" not in data):
        if isinstance(data, dict):
            errors = {str(field): _flatten(messages) for field, messages in data.items()}
        else:
            errors = {"non_field_errors": _flatten(data)}
        first = next(iter(errors.values()), ["Invalid input."])
        summary = first[0] if len(errors) == 1 and len(first) == 1 else "Invalid input."
        response.data = {"detail": summary, "errors": errors}
    elif isinstance(exc, Http404):
        # One message for "does not exist" and "not yours": the body must not tell the two apart.
        response.data = {"detail": "Not found."}
    else:
        response.data = {"detail": str(data.get("detail", "Error."))}
    patch_cache_control(response, no_store=True)
    return response


@csrf_exempt  # it changes nothing and reads nothing: a POST to a wrong path is a 404, not a CSRF failure page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """A JSON 404 for any path under ``/api/v1/`` that is not an endpoint (instead of the HTML page), whatever
    the method."""
    response = JsonResponse({"detail": "Not found."}, status=404)
    patch_cache_control(response, no_store=True)
    return response


# --- Cache-Control --------------------------------------------------------------------------------------------


class NoStoreMixin:
    """For DRF views: ``Cache-Control: no-store`` on every response, errors included."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        patch_cache_control(response, no_store=True)
        return response


def no_store(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For plain Django views (schema, docs page): the same header as :class:`NoStoreMixin`."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        patch_cache_control(response, no_store=True)
        return response

    wrapped.__name__ = getattr(view, "__name__", "view")
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- OpenAPI --------------------------------------------------------------------------------------------------

_ERROR_RESPONSES: dict[str, str] = {
    "400": "The request is invalid: a malformed or forbidden filter, a bad value. `errors` names each field.",
    "401": "No credentials, or a token/session that is not valid (any more).",
    "403": "Authenticated, but the role does not allow this (e.g. a `viewer`, or a non-staff user on a staff "
    "endpoint).",
    "404": "Does not exist, or is outside the partner's access grant (the two are indistinguishable).",
    "429": "Too many requests (throttled), or the daily export quota is used up. Retry after `Retry-After` seconds.",
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema generator, plus the documented error responses every operation can give."""

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        error = self._get_response_for_code(ErrorSerializer, "400")
        for code, description in _ERROR_RESPONSES.items():
            if code not in responses:
                responses[code] = {**error, "description": description}
        return responses


__all__ = [
    "ApiAutoSchema",
    "ErrorSerializer",
    "NoStoreMixin",
    "api_exception_handler",
    "api_not_found",
    "no_store",
]
