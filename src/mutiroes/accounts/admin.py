from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from mutiroes.accounts.models import Profile, User


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline]
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "date_joined")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "city", "state", "is_public")
    list_filter = ("state", "is_public")
    search_fields = ("user__username", "user__email", "city")
    raw_id_fields = ("user",)
