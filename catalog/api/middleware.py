"""A cached catalog page answered before the rest of the web stack (docs/decisions/0073).

A cached hit is the catalog's most frequent request and the cheapest to answer: one Redis round
trip, which counts the caller's rate limit and reads the page. Through the whole stack it also paid
for the session, CSRF, authentication, audit and message middlewares, the URL resolver and DRF's
view machinery, none of which can change the answer to a plain anonymous GET: about two thirds of
its CPU. `CachedPageMiddleware` sits in MIDDLEWARE after CorsMiddleware, so the request id, the
metrics, the security middleware (its redirect and headers) and CORS still apply; it answers such a
request when its page is cached and allowed, and adds the headers the middlewares after it would
have added. Anything else goes on through the stack, with the rate limit's counts on the request
(never counted twice): a miss, a refusal, bad input, any other request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponseBase
from django.urls import NoReverseMatch, Resolver404, ResolverMatch, get_script_prefix, get_urlconf, resolve, reverse
from django.utils.cache import patch_vary_headers
from rest_framework.permissions import AllowAny
from rest_framework.settings import api_settings

from catalog.api.views import PLAIN_ACCEPT, CachedView, body_response
from catalog.cache import cached_hit, read_along_keys
from core.api.throttling import SlidingWindowThrottle

# The URL name under whose path every cached catalog view lives (listing and detail).
_BROWSE_ROUTE = "v1:catalog-products"


class CachedPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method == "GET":
            urlconf = get_urlconf() or settings.ROOT_URLCONF
            prefix = _browse_prefix(urlconf)
            # Only paths under the catalog's browse prefix are looked at: other requests pay one
            # string comparison, and their paths never crowd the catalog's out of the memo.
            if prefix is not None and request.path_info.startswith(prefix) and _plain(request):
                match = _cached_view(urlconf, request.path_info)
            else:
                match = None
            if match is not None:
                try:
                    response = _cached_answer(request, match)
                except Exception:  # the view meets the same error on the way through and answers it
                    response = None
                if response is not None:
                    return response
        return self.get_response(request)


def _plain(request: HttpRequest) -> bool:
    """No credentials, no session, and an Accept DRF answers with its JSON renderer at once: no
    authentication, permission or negotiation can change the answer."""
    meta = request.META
    return (
        "HTTP_AUTHORIZATION" not in meta
        and meta.get("HTTP_ACCEPT", "*/*") in PLAIN_ACCEPT
        and ("HTTP_COOKIE" not in meta or settings.SESSION_COOKIE_NAME not in request.COOKIES)
        and not _format_override(request)
        and not settings.DISALLOWED_USER_AGENTS  # CommonMiddleware's check, which comes later
    )


def _format_override(request: HttpRequest) -> bool:
    """Whether the query names DRF's format override. The query is parsed only when its raw text
    might (the name, or a percent escape that could spell it): a hit parses no query otherwise."""
    name = api_settings.URL_FORMAT_OVERRIDE
    query = request.META.get("QUERY_STRING", "")
    if not name or (name not in query and "%" not in query):
        return False
    return name in request.GET


@functools.lru_cache(maxsize=64)
def _browse_prefix(urlconf: str) -> str | None:
    try:
        path = reverse(_BROWSE_ROUTE, urlconf=urlconf)
    except NoReverseMatch:  # a URLconf without the catalog (e.g. the benchmarks' trivial one)
        return None
    script = get_script_prefix()  # reverse() prepends where the site is mounted; path_info has none of it
    return "/" + path[len(script) :] if path.startswith(script) else path


@functools.lru_cache(maxsize=4096)
def _cached_view(urlconf: str, path: str) -> ResolverMatch | None:
    """The route of a CachedView that may answer from the cache, or None. Remembered per path
    (under the browse prefix): the resolver costs as much as the rest of a hit."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    view_class: Any = getattr(match.func, "view_class", None)
    if not (
        isinstance(view_class, type)
        and issubclass(view_class, CachedView)
        and view_class.permission_classes == [AllowAny]
        and all(issubclass(throttle, SlidingWindowThrottle) for throttle in view_class.throttle_classes)
    ):
        return None
    return match


def _cached_answer(request: HttpRequest, match: ResolverMatch) -> HttpResponseBase | None:
    """Counts the request as the view's throttles would; the cached page if it is allowed and a
    hit, else None (the counts stay on the request for the view's check_throttles)."""
    view: CachedView = match.func.view_class(**match.func.view_initkwargs)  # type: ignore[attr-defined]
    view.setup(request, *match.args, **match.kwargs)
    try:
        entry = view.cache_entry(request, **match.kwargs)
    except Exception:  # bad input (or host): refused through the stack and DRF, after the throttles
        return None
    keys = read_along_keys(*entry)
    if not keys:  # the cache is off or not in Redis
        return None
    request.read_along = keys  # type: ignore[attr-defined]
    request.user = AnonymousUser()  # what AuthenticationMiddleware would find: no session, no token
    waits = [throttle.wait() for throttle in view.get_throttles() if not throttle.allow_request(request, view)]  # type: ignore[arg-type]
    request.throttle_waits = waits  # type: ignore[attr-defined]
    values = getattr(request, "read_along_values", None)
    body = None if waits or values is None else cached_hit(*entry, values)
    if body is None:
        del request.user  # AuthenticationMiddleware sets its own
        return None
    request.resolver_match = match  # the metrics' route label, as if resolved
    view.headers = view.default_response_headers
    response = view.finalize_response(request, body_response(body, hit=True))  # type: ignore[arg-type]
    return _as_the_later_middlewares_would(response)


def _as_the_later_middlewares_would(response: HttpResponseBase) -> HttpResponseBase:
    """The headers the middlewares after this one add to this response: the session middleware's
    Vary (AuthenticationMiddleware reads the session), CommonMiddleware's Content-Length and
    XFrameOptionsMiddleware's X-Frame-Options. CSRF, audit and messages add nothing to an
    anonymous GET. tests/catalog/test_cache.py compares the whole answer with the stack's."""
    patch_vary_headers(response, ("Cookie",))
    response.headers["Content-Length"] = str(len(response.content))  # type: ignore[attr-defined]
    response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS.upper())
    return response
