"""Shared schema pieces: the error body, bounded NUL-free strings, sane date-times and ids."""

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, StringConstraints

MAX_ID = 2**63 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _plausible_year(value: datetime) -> datetime:
    if not 1970 <= value.year <= 2200:
        raise ValueError("must be between the years 1970 and 2200")
    return value


def Text(max_length: int, min_length: int = 0) -> Any:  # noqa: N802 - used like a type
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


# Passwords are taken exactly as typed: never stripped or normalised (a trailing space is part of the secret).
Password = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_no_nul)]

DateTimeIn = Annotated[AwareDatetime, AfterValidator(_plausible_year)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class InSchema(Schema):
    """Base of every input: unknown or protected fields are a 422, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Error(Schema):
    code: str
    message: str
    details: dict[str, Any]


class UserRef(Schema):
    id: int
    username: str


class Message(Schema):
    message: str
