from django.db import models

from mutiroes.accounts.models import EmailKind


class EmailDelivery(models.Model):
    """One row per e-mail the platform means to send; its UNIQUE key makes redelivered jobs harmless."""

    Kind = EmailKind

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        SKIPPED = "skipped"
        # The server refused it (5xx), or the job's retries ran out: last_error says why.
        FAILED = "failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # 0 when the e-mail is about no event: NULLs would be distinct and defeat the UNIQUE key.
    event_id = models.BigIntegerField(default=0)
    user_id = models.BigIntegerField()
    # Distinguishes repeatable kinds: the event version for updates, the badge for awards, "2026-11" for reports.
    period = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    recipient = models.EmailField(blank=True)
    subject = models.CharField(max_length=300, blank=True)
    # SMTP attempts (a refusal by the open breaker makes none), and the error of the last failed one.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "event_id", "user_id", "period"], name="email_delivery_key_unique")
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return (
            f"{self.kind} e-mail for user {self.user_id} (event {self.event_id}, {self.period or '-'}): {self.status}"
        )


class ReminderRun(models.Model):
    """The latest bulk reminder fan-out of one event (it runs as participants' lead times open; the delivery
    key (reminder, event, user) is what keeps each person to one reminder)."""

    event_id = models.BigIntegerField(unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    enqueued = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"reminders for event {self.event_id}"
