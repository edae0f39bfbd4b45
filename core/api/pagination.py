"""Page-number pagination with a capped page size and strict parameters.

`?page=` and `?page_size=` that are not positive integers are a 400 (DRF would quietly fall back to
defaults or answer 404); a page past the end is a 404 `page_not_found`; a `page_size` above the cap
is served at the cap. A view may hand over the canonical form of its query (validated filters
only), so the next/previous links carry no junk parameters and cached pages stay shareable.
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.paginator import InvalidPage
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

if TYPE_CHECKING:  # DRF imports the API settings' classes while rest_framework.views loads
    from rest_framework.views import APIView

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_NUMBER = 999_999_999  # page numbers and sizes have at most nine digits


def _positive_int(raw: str, name: str) -> int:
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        raise ValidationError({name: ["Must be a whole number of at least 1."]})
    return int(raw)


def page_size_of(query: Mapping[str, str]) -> int:
    """`page_size` of a query string (its QueryDict), capped; a 400 if it is not a whole number."""
    raw = query.get("page_size")
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    return min(_positive_int(raw, "page_size"), MAX_PAGE_SIZE)


def page_number_of(query: Mapping[str, str]) -> int:
    raw = query.get("page")
    return 1 if raw is None or raw == "" else _positive_int(raw, "page")


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()

    canonical_query: Sequence[tuple[str, str]] | None = None

    def get_page_size(self, request: Request) -> int:
        return page_size_of(request.query_params)

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return page_number_of(request.query_params)

    def paginate_queryset(self, queryset: Any, request: Request, view: "APIView | None" = None) -> list[Any]:
        self.request = request
        self.page_size_used = self.get_page_size(request)
        page_number = self.get_page_number(request, None)
        paginator = self.django_paginator_class(queryset, self.page_size_used)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage:
            raise NotFound(f"There is no page {page_number}.", code="page_not_found") from None
        return list(self.page)

    def set_canonical_query(self, query: Mapping[str, Any]) -> None:
        """The validated filters of the request; links are built from these alone."""
        pairs: list[tuple[str, str]] = []
        for key, value in query.items():
            for item in value if isinstance(value, list | tuple) else [value]:
                pairs.append((key, str(item)))
        self.canonical_query = pairs

    def _link(self, page_number: int) -> str:
        assert self.request is not None
        base = self.request.build_absolute_uri(self.request.path)
        if self.canonical_query is None:
            pairs = [(k, v) for k, v in self.request.query_params.items() if k not in ("page", "page_size")]
        else:
            pairs = list(self.canonical_query)
        if page_number > 1:
            pairs.append(("page", str(page_number)))
        if self.page_size_used != DEFAULT_PAGE_SIZE:
            pairs.append(("page_size", str(self.page_size_used)))
        return f"{base}?{urlencode(pairs)}" if pairs else base

    def get_next_link(self) -> str | None:
        if self.page is None or not self.page.has_next():
            return None
        return self._link(self.page.next_page_number())

    def get_previous_link(self) -> str | None:
        if self.page is None or not self.page.has_previous():
            return None
        return self._link(self.page.previous_page_number())

    def get_schema_operation_parameters(self, view: "APIView") -> list[dict[str, Any]]:
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_NUMBER},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Results per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}: "
                f"more is served at {MAX_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_NUMBER},
            },
        ]
