"""Definitions, their versions and clauses.

A version is immutable once published: ``save()``, ``delete()`` and queryset ``update()``/``delete()``
all refuse to change a published or final version or its clauses, so no path (service, admin, API,
shell) can alter what readers have seen. The only change a published version accepts is becoming final.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from workbench.errors import ImmutableError


class Definition(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    licence = models.CharField(max_length=100, blank=True, help_text="Licence of the text, e.g. CC-BY-4.0.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_scope(self) -> str:
        return f"definition:{self.slug}"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    FINAL = "final", "Final"


FROZEN_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.FINAL)


class VersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # Allowed on frozen rows: the publish -> final step only (status and finalized_at).
        if set(kwargs) - {"status", "finalized_at"} and self.filter(status__in=FROZEN_STATUSES).exists():
            raise ImmutableError("Published and final versions cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status__in=FROZEN_STATUSES).exists():
            raise ImmutableError("Published and final versions cannot be deleted.")
        return super().delete()


class DefinitionVersion(models.Model):
    definition = models.ForeignKey(Definition, on_delete=models.PROTECT, related_name="versions")
    label = models.CharField(max_length=40, help_text="e.g. 0.0.9, 1.0-RC1, 1.0")
    sequence = models.PositiveIntegerField(help_text="Order of the version within its definition, from 1.")
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    source_markdown = models.TextField()
    content_hash = models.CharField(max_length=64)
    # Snapshots of the definition's title and licence when the version was made, so the export of
    # a final version stays the same bytes even if the definition is renamed later.
    title = models.CharField(max_length=200, blank=True)
    licence = models.CharField(max_length=100, blank=True)
    change_note = models.TextField(blank=True)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The version whose clauses this one continues (anchors were inherited from it).",
    )
    clause_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["definition_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "label"], name="version_label_unique_per_definition"),
            models.UniqueConstraint(fields=["definition", "sequence"], name="version_sequence_unique_per_definition"),
            models.UniqueConstraint(
                fields=["definition"], condition=Q(status="final"), name="one_final_version_per_definition"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition.slug} {self.label}"

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = DefinitionVersion.objects.filter(pk=self.pk).values().first()
            if stored and stored["status"] in FROZEN_STATUSES:
                changed = {
                    f.attname for f in self._meta.concrete_fields if stored[f.attname] != getattr(self, f.attname)
                }
                allowed = {"status", "finalized_at"} if stored["status"] == VersionStatus.PUBLISHED else set()
                if changed - allowed or (changed and self.status != VersionStatus.FINAL):
                    raise ImmutableError(
                        f"Version {self.label} is {stored['status']} and cannot be changed "
                        f"(attempted to change: {', '.join(sorted(changed))})."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_frozen or DefinitionVersion.objects.filter(pk=self.pk, status__in=FROZEN_STATUSES).exists():
            raise ImmutableError(f"Version {self.label} is {self.status} and cannot be deleted.")
        return super().delete(*args, **kwargs)


class ClauseQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(version__status__in=FROZEN_STATUSES).exists():
            raise ImmutableError("Clauses of published and final versions cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(version__status__in=FROZEN_STATUSES).exists():
            raise ImmutableError("Clauses of published and final versions cannot be deleted.")
        return super().delete()


class Clause(models.Model):
    """One addressable unit of a version: a heading, paragraph, list item, table, quote, code block,
    footnote or HTML block. Its anchor stays the same across versions while the clause lives."""

    version = models.ForeignKey(DefinitionVersion, on_delete=models.CASCADE, related_name="clauses")
    anchor = models.CharField(max_length=120)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    ordinal = models.PositiveIntegerField(help_text="Position in document order, from 0.")
    kind = models.CharField(max_length=20)
    depth = models.PositiveSmallIntegerField(default=0)
    heading_path = models.JSONField(default=list, blank=True)
    source_markdown = models.TextField()
    html = models.TextField(blank=True)
    hash = models.CharField(max_length=64)
    continues = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="continued_by",
        help_text="The clause of the previous version this one continues.",
    )
    relation = models.CharField(
        max_length=12, blank=True, help_text="How it continues the previous clause: equal, modified, moved, split, merged, added."
    )

    objects = ClauseQuerySet.as_manager()

    class Meta:
        ordering = ["version_id", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["version", "anchor"], name="clause_anchor_unique_per_version"),
            models.UniqueConstraint(fields=["version", "ordinal"], name="clause_ordinal_unique_per_version"),
        ]
        indexes = [models.Index(fields=["anchor"])]

    def __str__(self) -> str:
        return f"{self.version} #{self.anchor}"

    def save(self, *args, **kwargs):
        if DefinitionVersion.objects.filter(pk=self.version_id, status__in=FROZEN_STATUSES).exists():
            raise ImmutableError(f"Clause #{self.anchor} belongs to a {self.version.status} version and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if DefinitionVersion.objects.filter(pk=self.version_id, status__in=FROZEN_STATUSES).exists():
            raise ImmutableError(f"Clause #{self.anchor} belongs to a {self.version.status} version and cannot be deleted.")
        return super().delete(*args, **kwargs)
