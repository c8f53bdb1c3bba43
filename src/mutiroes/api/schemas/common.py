"""Shared schema pieces: the error body, bounded NUL-free strings, sane date-times, ids, decimals and URLs."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, get_args

from ninja import Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from mutiroes.api.errors import ERROR_CODES

MAX_ID = 2**63 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _plausible_year(value: datetime) -> datetime:
    if not 1970 <= value.year <= 2200:
        raise ValueError("must be between the years 1970 and 2200")
    return value


# What _no_nul refuses, said in the schema (the validator keeps its clearer message).
NO_NUL = Field(json_schema_extra={"pattern": "^[^\\x00]*$"})
# What is trimmed from the ends of text: Unicode's White_Space, spelled out, since regex dialects disagree on \s
# (Python's takes \x1c-\x1f too, ECMA-262's \ufeff): the schema's pattern and the server then trim alike.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
_WS = "".join(f"\\u{ord(char):04x}" for char in WHITE_SPACE)


def _at_least_once_trimmed(min_length: int) -> str:
    """A pattern: no NUL, and at least `min_length` characters from the first to the last that is not white space."""
    space, solid, any_char = f"[{_WS}]", f"[^{_WS}\\x00]", "[^\\x00]"
    middle = any_char + "*" if min_length == 1 else f"{any_char}{{{min_length - 2},}}{solid}"
    return f"^{space}*{solid}{middle}{space}*$"


def _trimmed(min_length: int) -> Any:
    def trim(value: str) -> str:
        value = value.strip(WHITE_SPACE)
        if len(value) < min_length:
            raise ValueError(f"must have at least {min_length} characters besides white space at the ends")
        return value

    return AfterValidator(trim)


def Text(max_length: int, min_length: int = 0, pattern: str | None = None) -> Any:  # noqa: N802 - used like a type
    """Text trimmed at both ends; `max_length` counts what was sent, `min_length` what is left once trimmed."""
    if pattern is None:
        pattern = _at_least_once_trimmed(min_length) if min_length else None
    elif min_length:
        raise ValueError("a pattern of its own and a minimum length do not combine")
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern),
        AfterValidator(_no_nul),
        _trimmed(min_length),
        *([] if pattern else [NO_NUL]),
    ]


def DecimalIn(max_value: Decimal, places: int, *, positive: bool = False) -> Any:  # noqa: N802 - used like a type
    """A non-negative quantity as a JSON number or a numeric string, at most `places` decimals and `max_value`.

    A JSON number is a binary float: 0.57 arrives as 0.5700000000000001, so a float within rounding noise of
    `places` decimals is read as that decimal; 0.001 for two places is still a 422.
    """
    step = Decimal(1).scaleb(-places)
    digits = len(str(int(max_value))) - 1  # every string of that many digits is within max_value (a power of 10)
    nonzero = "(?!0*(?:\\.0*)?$)" if positive else ""
    number: dict[str, Any] = {"type": "number", "maximum": float(max_value), "multipleOf": float(step)}
    number["exclusiveMinimum" if positive else "minimum"] = 0
    string = {
        "type": "string",
        "format": "decimal",
        "pattern": f"^{nonzero}\\d{{1,{digits}}}(?:\\.\\d{{1,{places}}})?$",
    }

    def from_float(value: Any) -> Any:
        if isinstance(value, float) and abs(value) < 1e15:
            rounded = Decimal(repr(value)).quantize(step)
            return rounded if abs(float(rounded) - value) < 1e-9 else Decimal(repr(value))
        return value

    return Annotated[
        Decimal,
        BeforeValidator(from_float),
        Field(
            gt=0 if positive else None,
            ge=None if positive else 0,
            le=max_value,
            decimal_places=places,
            allow_inf_nan=False,
        ),  # fmt: skip
        WithJsonSchema({"anyOf": [number, string]}),
    ]


# Decimals leave as strings ("12.50"), so a client never loses precision to a float.
DecimalOut = Annotated[Decimal, WithJsonSchema({"type": "string", "format": "decimal"})]
# Media and page URLs are relative to the server (/media/...) unless MEDIA_URL points elsewhere.
UriReference = Annotated[str, WithJsonSchema({"type": "string", "format": "uri-reference"})]


class CrossFieldError(ValueError):
    """A rule over several fields, reported under each of them in details.fields (never under a nameless key)."""

    def __init__(self, message: str, *fields: str) -> None:
        super().__init__(message)
        self.fields = fields


BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# Control characters, bidirectional embeddings, overrides and isolates, and the invisible marks: in a name they
# reorder or hide what others read next to it ("‮nimda" shows as "admin"). Refused anywhere in what was sent,
# before the edges are trimmed, so the server and the schema's pattern judge the same string.
_NOT_IN_NAMES = "\\x00-\\x1f\\x7f-\\x9f" + "".join(f"\\u{ord(char):04x}" for char in sorted(BIDI_CONTROLS))
NAME_PATTERN = f"^[^{_NOT_IN_NAMES}]*$"


def _plain_name(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(NAME_PATTERN, value):
        raise ValueError("must not contain control or text-direction characters")
    return value


def Name(max_length: int) -> Any:  # noqa: N802 - used like a type
    """A person's name: bounded text without control or bidirectional-override characters."""
    return Annotated[Text(max_length, pattern=NAME_PATTERN), BeforeValidator(_plain_name)]


# Passwords are taken exactly as typed: never stripped or normalised (a trailing space is part of the secret).
Password = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_no_nul), NO_NUL]
# A password being chosen: Django's validators run too (not too common, not all digits, not like the username).
NewPassword = Annotated[
    str,
    StringConstraints(min_length=8, max_length=128),
    AfterValidator(_no_nul),
    NO_NUL,
    Field(description="at least 8 characters, not too common, not all digits, not like the username"),
]


def _iso_text(value: Any) -> Any:
    # pydantic also reads a number (or a numeric string, as every query value is) as seconds since 1970: the
    # contract's dates are ISO 8601 text only.
    if isinstance(value, (int, float)) or (isinstance(value, str) and not re.match(r"\d{4}-\d\d-\d\d", value)):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD...)")
    return value


def _in_utc(value: datetime) -> datetime:
    # Any offset RFC 3339 allows (up to ±23:59) names an instant; PostgreSQL refuses offsets beyond ±15:59.
    return value.astimezone(UTC)


DateTimeIn = Annotated[
    AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_plausible_year), AfterValidator(_in_utc)
]


def DateIn(earliest: date, latest: date | None = None) -> Any:  # noqa: N802 - used like a type
    """A day between two bounds, which JSON Schema cannot say of a `format: date` string (docs/api.md)."""

    def within(value: date) -> date:
        if value < earliest or (latest is not None and value > latest):
            bounds = f"on or after {earliest}" + (f" and on or before {latest}" if latest else "")
            raise ValueError(f"must be {bounds}")
        return value

    return Annotated[date, BeforeValidator(_iso_text), AfterValidator(within)]


# In JSON bodies: true or false, not 0, 1, "yes" or "off". (Multipart form fields are text: they keep plain bool.)
Bool = Annotated[bool, Strict()]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


def _numeric_fields(model: type[BaseModel]) -> set[str]:
    numeric = set()
    for name, field in model.model_fields.items():
        kinds = get_args(field.annotation) or (field.annotation,)
        if any(kind in (int, float) for kind in kinds):
            numeric.add(field.alias or name)
    return numeric


class InSchema(Schema):
    """Base of every input: unknown or protected fields are a 422, never silently dropped."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_json_numbers(cls, data: Any) -> Any:
        # Lax pydantic also reads "12" and true as numbers, which the schema says are not; an integral 12.0 stays
        # the integer JSON Schema says it is. Checked here, not per field: a validator on a field would hide its
        # bounds from the schema. (Multipart forms, all text, override this.)
        if isinstance(data, dict):
            wrong = [name for name in _numeric_fields(cls) if isinstance(data.get(name), (str, bool))]
            if wrong:
                raise CrossFieldError("must be a JSON number", *wrong)
        return data


ErrorCode = StrEnum("ErrorCode", [(code, code) for code in ERROR_CODES])
ERROR_DETAILS_SCHEMA = {
    "type": "object",
    "description": "What the code needs said; for 422 always `fields`, for 429 and 503 `retry_after_s`.",
    "properties": {
        "fields": {
            "type": "object",
            "description": "The messages for each field in error, by the field's name (dotted for nested fields).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "retry_after_s": {"type": "integer", "description": "Seconds to wait, as in Retry-After"},
    },
    "additionalProperties": True,
}


class Error(Schema):
    code: ErrorCode = Field(description="A machine code; the HTTP status says the kind, this says which one")
    message: str = Field(description="For people: English, short; the web app shows its own texts")
    details: Annotated[dict[str, Any], WithJsonSchema(ERROR_DETAILS_SCHEMA)]


class UserRef(Schema):
    id: int
    username: str


class Message(Schema):
    message: str
