from django.contrib import admin

from mutiroes.events.models import Category, Event, Participation


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    raw_id_fields = ("user",)
    fields = ("user", "status", "registered_at", "checked_in_at")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "city", "state", "start_date", "status", "is_public", "organizer")
    list_filter = ("status", "is_public", "category", "state")
    search_fields = ("title", "description", "city", "address", "organizer__username")
    date_hierarchy = "start_date"
    raw_id_fields = ("organizer",)
    inlines = [ParticipationInline]
    actions = ["cancel_events"]

    @admin.action(description="Cancel the selected events (moderation)")
    def cancel_events(self, request, queryset):  # type: ignore[no-untyped-def]
        from mutiroes.events import services

        for event in queryset:
            services.event_cancel(event_id=event.pk, user=request.user)


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ("event", "user", "status", "registered_at", "checked_in_at")
    list_filter = ("status",)
    search_fields = ("event__title", "user__username", "user__email")
    raw_id_fields = ("event", "user")
