from datetime import date
from typing import Annotated, Literal

from ninja import Schema
from pydantic import EmailStr, Field, field_validator

from mutiroes.accounts.models import UF_CHOICES
from mutiroes.api.schemas.common import InSchema, Text

UF = Literal[tuple(code for code, _ in UF_CHOICES)]  # type: ignore[valid-type]
Username = Annotated[Text(150, 1), Field(pattern=r"^[\w.@+-]+$")]
BirthDate = Annotated[date, Field(ge=date(1900, 1, 1))]


def _not_future(value: date | None) -> date | None:
    if value is not None and value > date.today():
        raise ValueError("must not be in the future")
    return value


class RegisterIn(InSchema):
    username: Username
    email: EmailStr = Field(max_length=254)
    password: Text(128, 1)
    first_name: Text(150) = ""
    last_name: Text(150) = ""
    birth_date: BirthDate | None = None

    _birth = field_validator("birth_date")(_not_future)


class TokenIn(InSchema):
    username: Text(254, 1)
    password: Text(128, 1)


class RefreshIn(InSchema):
    refresh: Text(2000, 1)


class TokenPairOut(Schema):
    access: str
    refresh: str


class ProfilePatch(InSchema):
    first_name: Text(150) | None = None
    last_name: Text(150) | None = None
    birth_date: BirthDate | None = None
    phone: Text(30) | None = None
    city: Text(100) | None = None
    state: UF | Literal[""] | None = None
    bio: Text(2000) | None = None
    interests: list[Text(50, 1)] | None = Field(None, max_length=20)
    is_public: bool | None = None
    show_city: bool | None = None
    show_stats: bool | None = None

    _birth = field_validator("birth_date")(_not_future)


class MeOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    date_joined: str
    birth_date: date | None
    phone: str
    city: str
    state: str
    bio: str
    interests: list[str]
    is_public: bool
    show_city: bool
    show_stats: bool


class PublicProfileOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    city: str | None
    state: str | None
    bio: str
    interests: list[str]
    date_joined: str
