"""People and the audit trail: stakeholder groups, stakeholders, and one event per change."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models


class StakeholderGroup(models.Model):
    """A constituency participants speak for: developers, legal, civil society, industry, ..."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stakeholder(models.Model):
    """A participant. Signed-up users have one; people whose input arrived through another channel
    (a forum, an e-mail, a hearing, a working group's spreadsheet) are imported stakeholders with
    no login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="stakeholder"
    )
    display_name = models.CharField(max_length=150)
    affiliation = models.CharField(max_length=200, blank=True)
    group = models.ForeignKey(
        StakeholderGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="stakeholders"
    )
    conflict_of_interest = models.TextField(
        blank=True, validators=[MaxLengthValidator(5000)], help_text="Interests that readers should know about."
    )
    notify_by_email = models.BooleanField(default=False, help_text="E-mail me about rounds and my comments.")
    # For imported stakeholders: the name as the source spelt it, so re-imports find the same person.
    import_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(import_key__isnull=False),
                name="stakeholder_has_user_or_import_key",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_imported(self) -> bool:
        return self.user_id is None


class AuditEvent(models.Model):
    """One change: who, when, what, on which object, and why. Never updated or deleted."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="The actor's name at the time, or 'system'.")
    verb = models.CharField(max_length=80, help_text="What happened, e.g. 'version.published'.")
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=80)
    target_label = models.CharField(max_length=300)
    # Where the event is listed: e.g. "definition:osaid" for a definition's history page.
    scope = models.CharField(max_length=200, db_index=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb} {self.target_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValueError("Audit events are append-only; they cannot be changed.")
        super().save(*args, **kwargs)
