"""Admin for consultations. Writes that have rules (round states, comment moderation, dispositions)
go through the services, so the admin, the API and the pages agree; the rest is read-only here."""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q

from workbench.errors import DomainError

from .models import (
    Comment,
    CommentReport,
    CommentRevision,
    DraftingRound,
    Job,
    JobPart,
    Notification,
    Report,
    Vote,
    VoteChange,
)
from .services import comments as comment_services
from .services import rounds as round_services


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list to look at: rows are written by the services, never by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, action, done: str):
    ok = 0
    for obj in queryset:
        try:
            action(obj)
            ok += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{ok} {done}.", messages.SUCCESS)


@admin.register(DraftingRound)
class DraftingRoundAdmin(admin.ModelAdmin):
    list_display = ("__str__", "version", "state", "opens_at", "closes_at", "visibility", "comment_total", "unanswered")
    list_filter = ("state", "visibility", "definition")
    search_fields = ("title", "description", "definition__slug", "definition__title")
    readonly_fields = ("definition", "version", "number", "state", "opened_at", "closed_at", "closing_reminder_sent_at",
                       "created_by", "created_at")
    filter_horizontal = ("eligible_groups",)
    actions = ["open_rounds", "close_rounds"]

    def get_queryset(self, request):
        visible = Q(comments__hidden=False, comments__withdrawn_at__isnull=True)
        return super().get_queryset(request).select_related("definition", "version").annotate(
            _comments=Count("comments", filter=visible),
            _unanswered=Count("comments", filter=visible & Q(comments__disposition="")),
        )

    @admin.display(description="comments", ordering="_comments")
    def comment_total(self, obj):
        return obj._comments

    @admin.display(description="unanswered", ordering="_unanswered")
    def unanswered(self, obj):
        return obj._unanswered

    def has_add_permission(self, request):
        return False  # rounds are created on the site or through the API (services check the version)

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "eligible_groups"}
        if "eligible_groups" in form.changed_data:
            changes["eligible_groups"] = list(form.cleaned_data["eligible_groups"])
        try:
            round_services.round_update(actor=request.user, round=obj, **changes)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def save_related(self, request, form, formsets, change):
        pass  # eligible groups were saved by round_update

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Open the selected rounds now")
    def open_rounds(self, request, queryset):
        _run(self, request, queryset, lambda r: round_services.round_open(actor=request.user, round=r), "rounds opened")

    @admin.action(description="Close the selected rounds now")
    def close_rounds(self, request, queryset):
        _run(self, request, queryset, lambda r: round_services.round_close(actor=request.user, round=r), "rounds closed")


class RevisionInline(admin.TabularInline):
    model = CommentRevision
    extra = 0
    can_delete = False
    readonly_fields = ("body", "stance", "suggestion", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


class ReportInline(admin.TabularInline):
    model = CommentReport
    extra = 0
    can_delete = False
    readonly_fields = ("reporter", "reason", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("pk", "round", "anchor", "author", "stance", "created_at", "disposition", "hidden", "report_count",
                    "withdrawn_at")
    list_filter = ("stance", "disposition", "hidden", "round__state", "round")
    search_fields = ("body", "suggestion", "response", "author__display_name", "external_id", "anchor")
    list_select_related = ("round__definition", "author")
    readonly_fields = [f.name for f in Comment._meta.fields]
    inlines = [RevisionInline, ReportInline]
    actions = ["hide_comments", "restore_comments"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # shown read-only; moderation goes through the actions (and so the services)

    def has_delete_permission(self, request, obj=None):
        return False  # comments are hidden or withdrawn, never deleted

    @admin.action(description="Hide the selected comments (reason: moderated in the admin)")
    def hide_comments(self, request, queryset):
        _run(self, request, queryset,
             lambda c: comment_services.comment_hide(actor=request.user, comment=c, reason="Moderated in the admin."),
             "comments hidden")

    @admin.action(description="Restore the selected comments")
    def restore_comments(self, request, queryset):
        _run(self, request, queryset,
             lambda c: comment_services.comment_restore(actor=request.user, comment=c, reason="Restored in the admin."),
             "comments restored")


@admin.register(CommentReport)
class CommentReportAdmin(ReadOnlyAdmin):
    list_display = ("comment", "reporter", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("comment__body", "reporter__username")


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ("round", "anchor", "voter", "group", "position", "updated_at")
    list_filter = ("position", "round", "group")
    search_fields = ("voter__display_name", "anchor", "rationale")
    list_select_related = ("round__definition", "voter", "group")


@admin.register(VoteChange)
class VoteChangeAdmin(ReadOnlyAdmin):
    list_display = ("round", "anchor", "voter", "group", "position", "created_at")
    list_filter = ("position", "round")
    search_fields = ("voter__display_name", "anchor")
    list_select_related = ("round__definition", "voter", "group")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("recipient", "kind", "key", "subject", "created_at", "sent_at")
    list_filter = ("kind",)
    search_fields = ("recipient__display_name", "subject", "key")
    list_select_related = ("recipient",)


class JobPartInline(admin.TabularInline):
    model = JobPart
    extra = 0
    can_delete = False
    fields = ("key", "state", "claimed_by", "claimed_at", "finished_at", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "round", "state", "parts_done", "parts_total", "attempts", "created_at", "finished_at")
    list_filter = ("state", "kind")
    search_fields = ("error", "input_fingerprint")
    inlines = [JobPartInline]


@admin.register(JobPart)
class JobPartAdmin(ReadOnlyAdmin):
    list_display = ("job", "key", "state", "claimed_by", "finished_at")
    list_filter = ("state",)
    search_fields = ("key", "error")


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("pk", "round", "job", "input_fingerprint", "created_at")
    search_fields = ("input_fingerprint",)
