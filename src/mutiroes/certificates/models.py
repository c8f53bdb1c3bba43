"""Volunteer hours (adjustments by the organiser, recorded) and the verifiable certificates issued for them.

A certificate keeps the facts it was issued with (name, event, hours): what a verifier reads online is what
was printed. It is never edited: a later change of hours revokes it as replaced, and the next download issues
a new one. Certificates survive the holder's account (user is SET_NULL) so that a code on paper still answers,
with "revogado".
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

MAX_HOURS_PER_DAY = 12


class HoursAdjustment(models.Model):
    """One change of a participant's hours by the organiser or staff; the latest one is the figure in force."""

    participation = models.ForeignKey(
        "events.Participation", on_delete=models.CASCADE, related_name="hours_adjustments"
    )
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    adjusted_at = models.DateTimeField()
    hours_from = models.DecimalField(max_digits=7, decimal_places=2)
    hours_to = models.DecimalField(max_digits=7, decimal_places=2)
    reason = models.TextField(max_length=500)

    class Meta:
        ordering = ["adjusted_at", "id"]
        indexes = [models.Index(fields=["participation", "-adjusted_at", "-id"])]
        constraints = [
            models.CheckConstraint(condition=Q(hours_from__gte=0, hours_to__gte=0), name="hours_adjustment_nonneg")
        ]

    def __str__(self) -> str:
        return f"participation {self.participation_id}: {self.hours_from} -> {self.hours_to} h"


class Certificate(models.Model):
    class Revocation(models.TextChoices):
        ORGANIZER = "organizer", "revogado pelo organizador"
        REPLACED = "replaced", "substituído após ajuste de horas"
        ACCOUNT_DELETED = "account_deleted", "conta do titular excluída"
        EVENT_CANCELLED = "event_cancelled", "evento cancelado"

    # Normalised (no separators, upper case): 26 Crockford base-32 symbols (130 random bits) and a check symbol.
    code = models.CharField(max_length=27, unique=True)
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="certificates")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="certificates"
    )
    holder_name = models.CharField(max_length=300)
    event_title = models.CharField(max_length=200)
    event_start = models.DateTimeField()
    event_end = models.DateTimeField()
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    organizer_name = models.CharField(max_length=300)
    hours = models.DecimalField(max_digits=7, decimal_places=2)
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation = models.CharField(max_length=20, choices=Revocation.choices, blank=True)
    revocation_reason = models.TextField(max_length=500, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["issued_at", "id"]
        indexes = [models.Index(fields=["user", "event"])]
        constraints = [
            # One certificate in force per participant and event: concurrent first downloads issue one.
            models.UniqueConstraint(
                fields=["event", "user"], condition=Q(revoked_at__isnull=True), name="certificate_one_valid"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="certificate_hours_nonneg"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revocation="") | Q(revoked_at__isnull=False) & ~Q(revocation=""),
                name="certificate_revocation_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"certificate {self.code} (event {self.event_id}, user {self.user_id})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
