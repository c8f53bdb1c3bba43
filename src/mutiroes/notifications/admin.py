from django.contrib import admin

from mutiroes.notifications.models import EmailDelivery, OutboxMessage, ReminderRun


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "actor_name", "queue_name", "created_at", "relayed_at", "attempts")
    list_filter = ("actor_name", ("relayed_at", admin.EmptyFieldListFilter))
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ("kind", "event_id", "user_id", "period", "status", "attempts", "recipient", "sent_at", "last_error")
    list_filter = ("kind", "status")
    search_fields = ("recipient", "subject")
    readonly_fields = [f.name for f in EmailDelivery._meta.fields]


@admin.register(ReminderRun)
class ReminderRunAdmin(admin.ModelAdmin):
    list_display = ("event_id", "started_at", "finished_at", "enqueued")
