from django.contrib import admin

from mutiroes.events.models import Category, Comment, Event, EventPhoto, Participation, Pledge, Resource


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
    readonly_fields = ("participants_count",)

    def save_related(self, request, form, formsets, change):
        from mutiroes.events import services

        super().save_related(request, form, formsets, change)
        services.events_recount(event_ids=[form.instance.pk])  # the inline may have changed participations

    @admin.action(description="Cancel the selected events (moderation)")
    def cancel_events(self, request, queryset):
        from mutiroes.events import services

        for event in queryset:
            services.event_cancel(event_id=event.pk, user=request.user)


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ("event", "user", "status", "registered_at", "checked_in_at")
    list_filter = ("status",)
    search_fields = ("event__title", "user__username", "user__email")
    raw_id_fields = ("event", "user")

    # Moderation edits rows directly, past the services: the event's stored count follows each change.
    def save_model(self, request, obj, form, change):
        from mutiroes.events import services

        previous = Participation.objects.filter(pk=obj.pk).values_list("event_id", flat=True).first()
        super().save_model(request, obj, form, change)
        services.events_recount(event_ids=[obj.event_id, *([previous] if previous else [])])

    def delete_model(self, request, obj):
        self.delete_queryset(request, Participation.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        from mutiroes.events import services

        event_ids = list(queryset.values_list("event_id", flat=True))
        super().delete_queryset(request, queryset)
        services.events_recount(event_ids=event_ids)


class PledgeInline(admin.TabularInline):
    model = Pledge
    extra = 0
    raw_id_fields = ("user",)
    fields = ("user", "quantity", "updated_at")
    readonly_fields = ("updated_at",)


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "event", "resource_type", "quantity_needed", "unit")
    list_filter = ("resource_type",)
    search_fields = ("name", "event__title")
    raw_id_fields = ("event",)
    inlines = [PledgeInline]


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin):
    list_display = ("resource", "user", "quantity", "updated_at")
    search_fields = ("resource__name", "user__username")
    raw_id_fields = ("resource", "user")


@admin.register(EventPhoto)
class EventPhotoAdmin(admin.ModelAdmin):
    # Uploads go through the API, which strips metadata; the admin only reviews and removes.
    list_display = ("id", "event", "uploaded_by", "caption", "is_before", "is_after", "created_at")
    list_filter = ("is_before", "is_after")
    search_fields = ("caption", "event__title", "uploaded_by__username")
    raw_id_fields = ("event", "uploaded_by")
    readonly_fields = ("image", "thumbnail", "created_at")

    def has_add_permission(self, request):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "author", "parent", "created_at", "deleted_at")
    list_filter = (("deleted_at", admin.EmptyFieldListFilter),)
    search_fields = ("content", "event__title", "author__username")
    raw_id_fields = ("event", "author", "parent", "deleted_by")
