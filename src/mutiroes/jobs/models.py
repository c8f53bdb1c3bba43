from django.db import models


class JobRun(models.Model):
    """One run of a periodic job for one period: the ledger that makes a second fire a no-op.

    The row is written before anything is enqueued; its UNIQUE (job, period) key is what a second leader,
    a resumed paused leader or a repeated manual trigger runs into.
    """

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        MISSED = "missed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule"
        CATCH_UP = "catch_up"
        MANUAL = "manual"

    job = models.CharField(max_length=100)
    # The business key of what the run covers: "2026-11-29" (daily), "2026-10" (monthly), "2026-11-29T14-0300".
    period = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    scheduled_for = models.DateTimeField()
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    message_id = models.CharField(max_length=64, blank=True)
    # Worker attempts (1 + retries); the broker's hand-over attempts are logged, not counted here.
    attempts = models.PositiveIntegerField(default=0)
    # The kwargs of a tracked run's one message, kept so a re-drive sends exactly what the fire meant.
    kwargs = models.JSONField(default=dict, blank=True)
    # How many messages the run enqueued (1, or one per event for the reminder scan).
    messages = models.PositiveIntegerField(default=0)
    requested_by = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="scheduler_jobrun_job_period_unique")]
        indexes = [
            models.Index(fields=["job", "-scheduled_for"]),
            models.Index(fields=["state", "scheduled_for"]),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.period}: {self.state}"


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
        db_table = "notifications_outboxmessage"  # where the notifications app created it
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
