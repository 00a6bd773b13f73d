"""Admin for definitions. Published and final versions are read-only here as everywhere: the
models refuse the change, and the admin shows them without a save button."""
from django.contrib import admin, messages

from workbench.errors import DomainError

from .models import Clause, Definition, DefinitionVersion


@admin.register(Definition)
class DefinitionAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "licence", "created_at")
    search_fields = ("title", "slug", "summary")
    readonly_fields = ("created_by", "created_at")


class ClauseInline(admin.TabularInline):
    model = Clause
    fk_name = "version"
    fields = ("ordinal", "anchor", "kind", "relation", "source_markdown")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DefinitionVersion)
class DefinitionVersionAdmin(admin.ModelAdmin):
    list_display = ("definition", "label", "sequence", "status", "clause_count", "created_at", "published_at")
    list_filter = ("status", "definition")
    search_fields = ("label", "definition__slug", "change_note")
    readonly_fields = ("definition", "sequence", "content_hash", "previous", "clause_count", "created_by",
                       "created_at", "published_at", "finalized_at", "status")
    inlines = [ClauseInline]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        try:
            super().save_model(request, obj, form, change)
        except DomainError as exc:
            messages.error(request, exc.message)
            raise


@admin.register(Clause)
class ClauseAdmin(admin.ModelAdmin):
    list_display = ("anchor", "version", "ordinal", "kind", "relation")
    list_filter = ("kind", "relation", "version__definition")
    search_fields = ("anchor", "source_markdown")
    readonly_fields = ("version", "parent", "continues", "hash")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.version.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.version.is_frozen:
            return False
        return super().has_delete_permission(request, obj)
