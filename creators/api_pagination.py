"""Page-number pagination for the API that stays fast on deep pages.

Clients see plain page numbers (``page``, ``page_size`` capped at 200, ``{count, next, previous, results}``), but
the ``next`` link also carries an opaque, signed ``cursor``: the ordering key of the last row of the current page.
Following ``next`` therefore costs an index seek ("keyset" pagination, LIMITS.md: 0.45 ms at position 500,000)
instead of an ``OFFSET`` that reads and discards every earlier row (105 ms at 500,000). A ``page`` requested
directly, or a cursor that does not belong to the request (other filters, other ordering, other page), falls
back to the ``OFFSET`` of that page, so the page numbers always mean the same rows. The cursor also carries the
``count`` taken on the first page of the walk, so that deep pages never count the whole set again (``count`` is
then as of the start of the walk).

A thin DRF adapter over the one keyset core, ``creators.pagination`` (the HTML list's): the sort keys are read from
the queryset's own ``order_by`` (``sort_keys_for``, which adds the primary key unless it ends on a unique key) and
the rows after a cursor are read as that core's index-range segments. A key whose ordering does not place its
NULLs takes the core's convention (nulls are the lowest value), on every database.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from creators.pagination import SortKey, jsonable, keyset_segments, row_value, sort_keys_for

_SALT = "api.keyset-cursor"


def ordering_keys(queryset: QuerySet) -> list[SortKey] | None:
    """The ordering of ``queryset`` as keyset sort keys (``creators.pagination.sort_keys_for``), or None when it
    cannot be used for a keyset (an expression, a related path or a random order: no single value in the row to
    seek from); the page is then read by ``OFFSET``."""
    try:
        keys = sort_keys_for(queryset)
    except ValueError:
        return None
    if any(key.name == "?" or "__" in key.name for key in keys):
        return None
    return list(keys)


class KeysetPageNumberPagination(BasePagination):
    """``page``/``page_size`` pagination whose ``next`` links seek by key instead of skipping by offset."""

    page_query_param = "page"
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"

    def __init__(self) -> None:
        self.page_size = settings.API_PAGE_SIZE
        self.max_page_size = settings.API_MAX_PAGE_SIZE

    # --- request parsing ---------------------------------------------------------------------------------------

    def _positive_int(self, request: Request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise ValidationError({name: [f"{raw!r} is not a positive integer."]})
        return value

    def get_page_size(self, request: Request) -> int:
        return min(self._positive_int(request, self.page_size_query_param, self.page_size), self.max_page_size)

    def _fingerprint(self, request: Request, page_size: int, view: Any = None) -> str:
        """What a cursor is valid for: the same filters, ordering and page size, and the same rows to count.

        A view whose rows depend on who asks (the creator list: the partner's grants) says so with
        ``pagination_scope()``; a cursor then carries its count only to requests of the same scope (another
        partner following a shared ``next`` link gets its own count, and its own rows as always).
        """
        params = sorted(
            (k, v)
            for k, values in request.query_params.lists()
            for v in values
            if k not in (self.page_query_param, self.cursor_query_param)
        )
        scope_of = getattr(view, "pagination_scope", None)
        scope = scope_of() if scope_of is not None else None
        return hashlib.sha256(repr((params, page_size, scope)).encode()).hexdigest()[:16]

    def _cursor(self, request: Request, page: int, fingerprint: str, width: int) -> dict[str, Any] | None:
        """The valid cursor of this request (``k``: key values, ``c``: the count), or None."""
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        try:
            payload = signing.loads(raw, salt=_SALT)
        except signing.BadSignature:
            return None  # stale or tampered: the page number alone still gives the right rows
        if (
            not isinstance(payload, dict)
            or payload.get("p") != page - 1
            or payload.get("f") != fingerprint
            or not isinstance(payload.get("k"), list)
            or len(payload["k"]) != width
            or not isinstance(payload.get("c"), int)
        ):
            return None
        return payload

    # --- BasePagination ----------------------------------------------------------------------------------------

    # Narrower than DRF's signature on purpose: only a ``.values()`` queryset can be cut by keyset.
    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any, dict[str, Any]], request: Request, view: Any = None
    ) -> list[dict[str, Any]]:
        """The rows of the requested page (``queryset`` yields dicts: it is a ``.values()`` queryset)."""
        self.request = request
        self.page_size_used = page_size = self.get_page_size(request)
        self.page_number = page = self._positive_int(request, self.page_query_param, 1)
        self.fingerprint = self._fingerprint(request, page_size, view)
        self.keys = ordering_keys(queryset)
        cursor = self._cursor(request, page, self.fingerprint, len(self.keys or ()))
        # The count is the one query that reads every matching row: it is taken on the page a client starts
        # from and carried in the cursor, so following `next` through a large set never counts it again.
        if cursor is not None:
            self.count = cursor["c"]
        else:
            # A view may count its rows its own way (the creator list caches its counts per published run).
            count_rows = getattr(view, "count_rows", None)
            self.count = count_rows(queryset) if count_rows is not None else queryset.count()
        self.num_pages = max(1, math.ceil(self.count / page_size))
        if page > self.num_pages:
            raise NotFound(f"Invalid page: there are {self.num_pages} pages.")
        if self.keys:
            # The keys' own ordering (the one the segments follow; nulls lowest where the queryset did not say).
            queryset = queryset.order_by(*(key.ordering() for key in self.keys))
        if self.keys and cursor is not None:
            rows: list[dict[str, Any]] = []
            for segment in keyset_segments(self.keys, cursor["k"]):
                rows.extend(queryset.filter(segment)[: page_size - len(rows)])
                if len(rows) >= page_size:
                    break
        else:
            offset = (page - 1) * page_size
            rows = list(queryset[offset : offset + page_size])
        self.rows = rows
        return rows

    def _next_cursor(self) -> str | None:
        if not self.keys or not self.rows:
            return None
        try:
            values = [jsonable(row_value(self.rows[-1], key.name)) for key in self.keys]
        except KeyError:
            return None  # the rows do not carry the ordering values: the next page is read by OFFSET
        payload = {"p": self.page_number, "f": self.fingerprint, "k": values, "c": self.count}
        return signing.dumps(payload, salt=_SALT, compress=True)

    def get_next_link(self) -> str | None:
        if self.page_number >= self.num_pages:
            return None
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.page_query_param, self.page_number + 1)
        cursor = self._next_cursor()
        if cursor is None:
            return remove_query_param(url, self.cursor_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_previous_link(self) -> str | None:
        if self.page_number <= 1:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        if self.page_number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.page_number - 1)

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response(
            OrderedDict(
                [
                    ("count", self.count),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "example": 123, "description": "Rows matching the filters."},
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page; follow it rather than counting pages yourself: it is fast at "
                    "any depth.",
                },
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the last answers 404 (page 1 always exists).",
                "schema": {"type": "integer", "minimum": 1, "example": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {settings.API_PAGE_SIZE}); values above "
                f"{settings.API_MAX_PAGE_SIZE} are capped at {settings.API_MAX_PAGE_SIZE}.",
                "schema": {"type": "integer", "minimum": 1, "example": 50},
            },
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position carried by `next` links; makes deep pages fast. An invalid or "
                "stale cursor is ignored (the page number decides).",
                "schema": {"type": "string"},
            },
        ]


class CursorLinksMixin:
    """``page_size`` and ``next``/``previous`` links of an API list paged by an opaque keyset cursor (the
    scorecard's recent videos, the notifications): the page size a request asks for, bounded, and the link of a
    cursor with the request's other parameters kept."""

    default_page_size: int
    max_page_size: int

    def requested_page_size(self, request: Request) -> int:
        raw = request.query_params.get("page_size")
        if raw in (None, ""):
            return self.default_page_size
        if not str(raw).isdigit() or int(raw) < 1:
            raise ValidationError({"page_size": [f"{raw!r} is not a positive integer."]})
        return min(int(raw), self.max_page_size)

    def cursor_link(self, request: Request, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        query = request.query_params.copy()
        query["cursor"] = cursor
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
