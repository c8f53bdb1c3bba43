from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Schema

T = TypeVar("T")
MAX_PAGE = 100_000


class PageParams(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=settings.PAGE_SIZE_MAX)


class Page(Schema, Generic[T]):
    items: list[T]
    count: int


def paginate(queryset: QuerySet[Any], params: PageParams) -> dict[str, Any]:
    offset = (params.page - 1) * params.page_size
    return {"items": list(queryset[offset : offset + params.page_size]), "count": queryset.count()}
