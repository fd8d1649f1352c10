"""Walk every route of a urlconf and render a concrete URL for it, filling its arguments adversarially.

Used by the every-URL leak test: routes added later by anyone are picked up automatically. Arguments that name
an object (``handle``, ``pk``, ``id``, ``object_id``, ``*_id``, int converters) get objects of *another* partner;
other arguments get plausible values. A route that cannot be rendered is reported, never silently dropped.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, UUIDConverter
from django.urls.resolvers import RegexPattern, RoutePattern

_ROUTE_ARG = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_OBJECT_NAMES = {"pk", "id", "object_id", "handle"}


@dataclass(frozen=True)
class Targets:
    """The values an adversarial caller puts in a URL: objects it must not be able to reach."""

    handle: str
    int_ids: tuple[int, ...]
    slug: str


@dataclass
class RenderedRoute:
    pattern: str
    name: str | None
    urls: list[str] = field(default_factory=list)
    object_like: bool = False

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")


def iter_patterns(
    resolver: URLResolver | None = None, prefix: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], URLPattern]]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from iter_patterns(entry, (*prefix, entry.pattern))
        else:
            yield (*prefix, entry.pattern), entry


def _is_object_name(name: str) -> bool:
    return name in _OBJECT_NAMES or name.endswith(("_id", "_pk", "handle"))


def _route_values(name: str, converter: Any, targets: Targets) -> list[str]:
    if "handle" in name:
        return [targets.handle]
    if (
        isinstance(converter, IntConverter | PathConverter)
        or name in ("pk", "id", "object_id")
        or name.endswith(("_id", "_pk"))
    ):
        return [str(i) for i in targets.int_ids]
    if isinstance(converter, UUIDConverter):
        return [str(uuid.uuid4())]
    if isinstance(converter, SlugConverter):
        return [targets.slug]
    if name == "format":
        return ["json"]
    # A free-form string argument is most likely a handle-like key.
    return [targets.handle]


def _render_route(piece: RoutePattern, targets: Targets) -> tuple[list[str], bool]:
    route = str(piece._route)  # type: ignore[attr-defined]  # the pattern's own text, private in django-stubs
    args = list(_ROUTE_ARG.finditer(route))
    if not args:
        return [route], False
    object_like = any(_is_object_name(m["name"]) or m["converter"] == "int" for m in args)
    variants = [""]
    pos = 0
    for match in args:
        literal = route[pos : match.start()]
        values = _route_values(match["name"], piece.converters.get(match["name"]), targets)
        variants = [v + literal + value for v in variants for value in values]
        pos = match.end()
    return [v + route[pos:] for v in variants], object_like


def _render_regex(piece: RegexPattern, targets: Targets) -> tuple[list[str], bool]:
    regex = str(piece._regex)  # type: ignore[attr-defined]  # the pattern's own text, private in django-stubs
    object_like = False
    out = []
    i = 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name_end = regex.index(">", i)
            name = regex[i + 4 : name_end]
            depth, j = 1, name_end + 1
            while depth:
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
            inner = regex[name_end + 1 : j - 1]
            candidates = [*_route_values(name, None, targets), *inner.split("|"), "x"]
            value = next((c for c in candidates if re.fullmatch(inner, c)), None)
            if value is None:
                raise ValueError(f"cannot fill {name!r} in {regex!r}")
            object_like = object_like or _is_object_name(name)
            out.append(value)
            i = j
        else:
            out.append(regex[i])
            i += 1
    text = "".join(out)
    text = text.lstrip("^").replace("\\Z", "").rstrip("$").replace("/?", "/")
    # Unnamed wildcards (a catch-all route) get a plain segment; escaped characters become themselves.
    text = re.sub(r"\[\^?[^\]]*\][+*]|\.[+*]|\\d[+*]", "x", text).replace("\\.", ".").replace("\\/", "/")
    if not piece.regex.fullmatch(text):
        raise ValueError(f"cannot render {regex!r} (got {text!r})")
    return [text], object_like


def render_routes(targets: Targets, urlconf: str | None = None) -> tuple[list[RenderedRoute], list[str]]:
    """Every route of the urlconf as concrete URLs, and the patterns that could not be rendered."""
    routes: list[RenderedRoute] = []
    failures: list[str] = []
    for pieces, pattern in iter_patterns(get_resolver(urlconf)):
        label = "".join(str(p) for p in pieces)
        try:
            urls = [""]
            object_like = False
            for piece in pieces:
                if isinstance(piece, RoutePattern):
                    rendered, obj = _render_route(piece, targets)
                else:
                    rendered, obj = _render_regex(piece, targets)
                object_like = object_like or obj
                urls = [u + r for u in urls for r in rendered]
        except ValueError as exc:
            failures.append(f"{label}: {exc}")
            continue
        routes.append(RenderedRoute(pattern=label, name=pattern.name, urls=["/" + u for u in urls],
                                    object_like=object_like))
    return routes, failures
