"""Every closed set the API speaks, one enum component each, shared by input and output.

Built from the models' choices, so the contract cannot fall behind the database. Where an input takes only part
of a set (a new event is a draft or published), that part is an enum of its own.
"""

from enum import StrEnum

from mutiroes.accounts.models import UF_CHOICES, Criterion
from mutiroes.accounts.models import NotificationKind as NotificationKindChoices
from mutiroes.events.models import Event, Participation, Resource
from mutiroes.jobs.models import JobRun


def _enum(name: str, values: list[str]) -> type[StrEnum]:
    return StrEnum(name, [(value, value) for value in values])


EventStatus = _enum("EventStatus", Event.Status.values)
NewEventStatus = _enum("NewEventStatus", [Event.Status.DRAFT, Event.Status.PUBLISHED])
ParticipationStatus = _enum("ParticipationStatus", Participation.Status.values)
ParticipationDecision = _enum("ParticipationDecision", [Participation.Status.CONFIRMED, Participation.Status.REJECTED])
ExperienceLevel = _enum("ExperienceLevel", Participation.Experience.values)
ResourceType = _enum("ResourceType", Resource.Type.values)
BrazilianState = _enum("BrazilianState", [code for code, _ in UF_CHOICES])
JobRunState = _enum("JobRunState", JobRun.State.values)
JobTrigger = _enum("JobTrigger", JobRun.Trigger.values)
BadgeCriterion = _enum("BadgeCriterion", Criterion.values)
NotificationKind = _enum("NotificationKind", NotificationKindChoices.values)
CertificateState = _enum("CertificateState", ["valid", "revoked"])
