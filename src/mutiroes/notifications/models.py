from django.db import models


class OutboxMessage(models.Model):
    """A job a committed transaction asked for, waiting to be handed to the broker.

    Written in the same transaction as the change that causes it, so a broker outage can delay a job
    but never lose it; the relay marks it once the broker accepted it, and the worker once the job is over.
    The broker can still lose an accepted message (a Redis failover discards what the old master took after
    the promotion), so a row relayed but not done after ``OUTBOX_REDELIVER_AFTER_S`` is relayed again.
    """

    actor_name = models.CharField(max_length=100)
    queue_name = models.CharField(max_length=100)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    relayed_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # The trace of the change that wrote the row (W3C traceparent/tracestate): the job's spans join that trace.
    trace_context = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=models.Q(relayed_at__isnull=True), name="outbox_pending_idx"),
            models.Index(
                fields=["relayed_at"],
                condition=models.Q(relayed_at__isnull=False, done_at__isnull=True),
                name="outbox_in_flight_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name}({self.kwargs}) {'relayed' if self.relayed_at else 'pending'}"


class EmailDelivery(models.Model):
    """One row per e-mail the platform means to send; its UNIQUE key makes redelivered jobs harmless."""

    class Kind(models.TextChoices):
        REGISTRATION = "registration"
        REMINDER = "reminder"
        UPDATE = "update"
        CANCELLATION = "cancellation"
        WAITLIST_PROMOTED = "waitlist_promoted"
        BADGE_EARNED = "badge_earned"
        MONTHLY_REPORT = "monthly_report"
        PASSWORD_RESET = "password_reset"
        EMAIL_VERIFICATION = "email_verification"

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
