from django.contrib import admin

from mutiroes.notifications.models import EmailDelivery, ReminderRun


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ("kind", "event_id", "user_id", "period", "status", "attempts", "recipient", "sent_at", "last_error")
    list_filter = ("kind", "status")
    search_fields = ("recipient", "subject")
    readonly_fields = [f.name for f in EmailDelivery._meta.fields]


@admin.register(ReminderRun)
class ReminderRunAdmin(admin.ModelAdmin):
    list_display = ("event_id", "started_at", "finished_at", "enqueued")
