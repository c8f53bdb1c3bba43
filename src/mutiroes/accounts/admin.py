from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from mutiroes.accounts.models import Badge, NotificationKind, NotificationSettings, Profile, User, UserBadge, UserStats


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False


class NotificationSettingsInline(admin.StackedInline):
    model = NotificationSettings
    can_delete = False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline, NotificationSettingsInline]
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "date_joined")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "city", "state", "is_public")
    list_filter = ("state", "is_public")
    search_fields = ("user__username", "user__email", "city")
    raw_id_fields = ("user",)


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", *(f"email_{kind}" for kind in NotificationKind.values), "reminder_lead_hours")
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)


@admin.register(UserStats)
class UserStatsAdmin(admin.ModelAdmin):
    # Derived data: recomputed by certificates.stats, never edited by hand.
    list_display = ("user", "events_attended", "hours_volunteered", "events_organized", "trees_planted", "trash_kg",
                    "computed_at")  # fmt: skip
    search_fields = ("user__username",)
    readonly_fields = [f.name for f in UserStats._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Badge)
class BadgeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "criterion", "threshold", "icon", "is_active")
    list_filter = ("criterion", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(UserBadge)
class UserBadgeAdmin(admin.ModelAdmin):
    list_display = ("user", "badge", "awarded_at")
    list_filter = ("badge",)
    search_fields = ("user__username", "badge__name")
    raw_id_fields = ("user",)
    date_hierarchy = "awarded_at"
