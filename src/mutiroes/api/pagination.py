from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Schema

T = TypeVar("T")
MAX_PAGE = 100_000
COUNT_CAP = 1000
# (the capped count, offset, limit) -> the page's rows: for a search that can read them from fewer rows than its count
RowReader = Callable[[int, int, int], list[Any]]


class PageParams(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=settings.PAGE_SIZE_MAX)


class Page(Schema, Generic[T]):
    items: list[T]
    count: int = Field(description=f"the number of results, exact up to {COUNT_CAP}; see count_is_exact")
    count_is_exact: bool = Field(
        description=f"false when there are more than {COUNT_CAP} results: count is then a floor"
    )
    has_more: bool = Field(description="whether a next page has results")


def paginate(queryset: QuerySet[Any], params: PageParams, *, read_rows: RowReader | None = None) -> dict[str, Any]:
    offset = (params.page - 1) * params.page_size
    # An exact COUNT(*) over a large result costs as much as reading all of it, on every page: counting stops
    # at COUNT_CAP (a bounded subquery), which is all a pager needs, and clients follow has_more beyond it.
    counted = queryset.order_by()[: COUNT_CAP + 1].count()
    limit = params.page_size + 1  # one more row answers has_more
    rows = read_rows(counted, offset, limit) if read_rows else list(queryset[offset : offset + limit])
    items = rows[: params.page_size]
    exact = counted <= COUNT_CAP
    count = counted if exact else max(COUNT_CAP, offset + len(items))
    return {"items": items, "count": count, "count_is_exact": exact, "has_more": len(rows) > params.page_size}
