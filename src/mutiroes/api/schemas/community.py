from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field, ValidationInfo, model_validator

from mutiroes.api.pagination import Page
from mutiroes.api.schemas.common import DecimalIn, DecimalOut, Id, InSchema, Text, UriReference, UserRef
from mutiroes.api.schemas.enums import ResourceType
from mutiroes.events.images import FORMATS as IMAGE_FORMATS

MAX_QUANTITY = Decimal("1000000")
PHOTO_FILE_FIELD = "photo"
# The formats events/images.py accepts (it checks the content, not the name or the declared type).
PHOTO_TYPES = [f"image/{name.lower()}" for name in IMAGE_FORMATS]
ZERO = Decimal("0.00")
# What a removed comment shows instead of its text (the text itself is erased from the database).
REMOVED_COMMENT = "[comentário removido]"

# Numbers or numeric strings with at most 2 decimals; NaN/Infinity, too many digits or decimals are a 422.
QuantityNeeded = DecimalIn(MAX_QUANTITY, 2, positive=True)
QuantityPledged = DecimalIn(MAX_QUANTITY, 2)


class ResourceIn(InSchema):
    name: Text(120, 1)
    description: Text(1000) = ""
    resource_type: ResourceType = ResourceType.other
    quantity_needed: QuantityNeeded
    unit: Text(30) = Field("", description="e.g. 'pares', 'kg', 'sacos'; empty for plain units")


class ResourcePatch(InSchema):
    """Partial update: a field left out stays as it is; none of them may be null (the schema says so too)."""

    name: Text(120, 1) = None
    description: Text(1000) = None
    resource_type: ResourceType = None
    quantity_needed: QuantityNeeded = None
    unit: Text(30) = None


class ResourceOut(Schema):
    id: int
    event_id: int
    name: str
    description: str
    resource_type: ResourceType
    quantity_needed: DecimalOut
    unit: str
    quantity_pledged: DecimalOut = Field(description="pledged by people who still hold a place at the event")
    surplus: DecimalOut = Field(description="pledged beyond the quantity needed (over-pledging is allowed)")
    my_pledge: DecimalOut | None = Field(None, description="the caller's pledge; null when none or anonymous")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_surplus(obj: Any) -> Decimal:
        return max(obj.quantity_pledged - obj.quantity_needed, ZERO)

    @staticmethod
    def resolve_my_pledge(obj: Any) -> Decimal | None:
        return getattr(obj, "my_pledge", None)


class PledgeIn(InSchema):
    quantity: QuantityPledged = Field(description="what the caller will bring; 0 withdraws the pledge")


class PhotoIn(InSchema):
    """The form fields sent with the `photo` file (multipart/form-data)."""

    caption: Text(500) = ""
    is_before: bool = False
    is_after: bool = False

    @model_validator(mode="after")
    def _no_unknown_form_fields(self, info: ValidationInfo) -> "PhotoIn":
        # django-ninja hands a form schema only the fields it declares; read the whole form so that unknown
        # fields are a 422 here too, as for every other input.
        request = (info.context or {}).get("request")
        if request is not None:
            unknown = (set(request.POST) - set(type(self).model_fields)) | (set(request.FILES) - {PHOTO_FILE_FIELD})
            if unknown:
                raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
        return self


class PhotoOut(Schema):
    id: int
    event_id: int
    url: UriReference
    thumbnail_url: UriReference
    caption: str
    is_before: bool
    is_after: bool
    uploaded_by: UserRef
    created_at: datetime

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return obj.image.url

    @staticmethod
    def resolve_thumbnail_url(obj: Any) -> str:
        return obj.thumbnail.url


class CommentIn(InSchema):
    content: Text(2000, 1)
    parent_id: Id | None = Field(None, description="a top-level comment of this event; replies to replies are 422")


class CommentOut(Schema):
    id: int
    event_id: int
    parent_id: int | None
    author: UserRef | None = Field(description="null once the comment is removed or its author's account deleted")
    content: str
    is_deleted: bool
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Any) -> Any:
        return None if obj.is_deleted else obj.author

    @staticmethod
    def resolve_content(obj: Any) -> str:
        return REMOVED_COMMENT if obj.is_deleted else obj.content


class CommentThreadOut(CommentOut):
    replies: list[CommentOut]

    @staticmethod
    def resolve_replies(obj: Any) -> list[Any]:
        return list(obj.replies.all())


class ResourcePage(Page[ResourceOut]):
    pass


class PhotoPage(Page[PhotoOut]):
    pass


class CommentThreadPage(Page[CommentThreadOut]):
    pass
