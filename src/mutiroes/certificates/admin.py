from django.contrib import admin
from django.http import HttpRequest

from mutiroes.certificates.models import Certificate, HoursAdjustment


class _ReadOnly(admin.ModelAdmin):
    # Certificates and adjustments are records: written by the services only (revocation goes through the API,
    # where the reason and who revoked are kept), so the admin shows them and changes nothing.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Certificate)
class CertificateAdmin(_ReadOnly):
    list_display = ("code", "holder_name", "event_title", "hours", "issued_at", "revoked_at", "revocation")
    list_filter = ("revocation",)
    search_fields = ("code", "holder_name", "event_title")
    raw_id_fields = ("event", "user", "revoked_by")


@admin.register(HoursAdjustment)
class HoursAdjustmentAdmin(_ReadOnly):
    list_display = ("participation", "hours_from", "hours_to", "adjusted_by", "adjusted_at", "reason")
    raw_id_fields = ("participation", "adjusted_by")
