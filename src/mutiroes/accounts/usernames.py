"""Usernames people can tell apart.

A username is stored in Unicode's NFKC form (a full-width "ｍａｒｉａ" is "maria"), and one that looks like a
name already taken is refused: "mаria" with a Cyrillic "а", "paypa1" for "paypal", "rn" for "m". Looks are
compared by the skeleton of Unicode's confusable detection (UTS #39), computed by ICU, the reference
implementation of that standard (PyICU). Usernames are unique regardless of case, so the skeleton of the name as
typed ("PAYPAI": the capital I looks like an l) is case-folded and taken again; accents stay significant ("joão"
and "joao" are two people).
"""

from __future__ import annotations

import threading
import unicodedata

import icu

_local = threading.local()


def _checker() -> icu.SpoofChecker:
    # One per thread: ICU documents a checker as safe to share only while nobody configures it; this is cheap.
    checker = getattr(_local, "checker", None)
    if checker is None:
        checker = _local.checker = icu.SpoofChecker()
    return checker


def username_normalize(name: str) -> str:
    return unicodedata.normalize("NFKC", name)


def username_skeleton(name: str) -> str:
    """What the name looks like: two names with one skeleton are confusable."""
    checker = _checker()
    return checker.getSkeleton(0, checker.getSkeleton(0, username_normalize(name)).casefold())
