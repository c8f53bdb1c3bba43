"""What events and participation changes tell people, written to the outbox inside the same transaction."""

from mutiroes.accounts.models import EmailKind as Kind
from mutiroes.events.models import Event, Participation
from mutiroes.jobs import outbox, registry
from mutiroes.jobs.outbox import email_enqueue


def registered(participation: Participation) -> None:
    # One e-mail per registration and status: a re-join or an approval is news, a retried request is not.
    period = f"{participation.status}@{participation.registered_at.isoformat()}"
    email_enqueue(kind=Kind.REGISTRATION, event_id=participation.event_id, user_id=participation.user_id, period=period)


def promoted(participations: list[Participation]) -> None:
    for participation in participations:
        email_enqueue(
            kind=Kind.WAITLIST_PROMOTED, event_id=participation.event_id, user_id=participation.user_id,
            period=participation.registered_at.isoformat(),
        )  # fmt: skip


def _active_user_ids(event: Event) -> list[int]:
    return list(event.participations.filter(status__in=Participation.ACTIVE).values_list("user_id", flat=True))


def changed(event: Event) -> None:
    period = event.updated_at.isoformat()  # each change notifies once
    for user_id in _active_user_ids(event):
        email_enqueue(kind=Kind.UPDATE, event_id=event.pk, user_id=user_id, period=period)


def cancelled(event: Event, user_ids: list[int]) -> None:
    for user_id in user_ids:
        email_enqueue(kind=Kind.CANCELLATION, event_id=event.pk, user_id=user_id)


def checked_in(participation: Participation) -> None:
    outbox.outbox_add(registry.UPDATE_USER_STATISTICS, user_id=participation.user_id)
