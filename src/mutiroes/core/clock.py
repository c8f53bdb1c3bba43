"""One place to ask the time, so tests and the scheduler can move it."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
