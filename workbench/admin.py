"""Admin for people and the audit trail (read-only: events are never edited)."""
from django.contrib import admin

from .models import AuditEvent, Stakeholder, StakeholderGroup


@admin.register(StakeholderGroup)
class StakeholderGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "group", "affiliation", "notify_by_email", "is_imported", "created_at")
    list_filter = ("group", "notify_by_email", ("user", admin.EmptyFieldListFilter))
    search_fields = ("display_name", "affiliation", "user__username", "import_key")
    raw_id_fields = ("user",)

    @admin.display(boolean=True, description="Imported")
    def is_imported(self, obj):
        return obj.is_imported


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "verb", "target_type", "target_label", "scope")
    list_filter = ("verb", "target_type")
    search_fields = ("actor_label", "target_label", "scope", "verb")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
