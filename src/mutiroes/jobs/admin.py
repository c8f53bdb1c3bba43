from django.contrib import admin

from mutiroes.jobs.models import JobRun, OutboxMessage


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("id", "job", "period", "state", "trigger", "scheduled_for", "started_at", "finished_at", "attempts")
    list_filter = ("job", "state", "trigger")
    search_fields = ("job", "period", "message_id")
    ordering = ("-scheduled_for", "-id")

    # The ledger is written by the scheduler and the workers only: read-only here.
    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "actor_name", "queue_name", "created_at", "relayed_at", "attempts")
    list_filter = ("actor_name", ("relayed_at", admin.EmptyFieldListFilter))
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
