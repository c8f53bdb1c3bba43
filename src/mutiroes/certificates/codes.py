"""Verification codes: 130 random bits in Crockford's base 32 (no I, L, O, U: nothing to misread on paper)
and one Luhn mod 32 check symbol, which catches every single mistyped symbol and most swapped neighbours.

Written here rather than taken from a package: it is twenty lines, and the one Crockford package on PyPI
appends a mod 37 check symbol from "*~$=U", awkward to type and to put in a URL.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 26  # 26 x 5 = 130 bits: at least 128, as unguessable as a random UUID and then some
GROUP = 4
# What people type for what they read: Crockford's decoding rules.
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class MistypedCode(ValueError):
    """Not a code this module could have made: wrong length, unknown symbol or wrong check symbol."""


def _check_symbol(payload: str) -> str:
    factor, total, n = 2, 0, len(ALPHABET)
    for symbol in reversed(payload):
        addend = factor * ALPHABET.index(symbol)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def code_new() -> str:
    payload = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return payload + _check_symbol(payload)


def code_normalise(typed: str) -> str:
    """The stored form of a code as a person typed it (any case, spaces or dashes); MistypedCode if impossible."""
    code = "".join(typed.split()).replace("-", "").upper().translate(_READS_AS)
    if len(code) != RANDOM_SYMBOLS + 1 or any(symbol not in ALPHABET for symbol in code):
        raise MistypedCode(typed)
    if _check_symbol(code[:-1]) != code[-1]:
        raise MistypedCode(typed)
    return code


def code_display(code: str) -> str:
    """Grouped for reading aloud and typing: XXXX-XXXX-…-XXX."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))
