"""Reads for definitions, versions and clauses, scoped to what the caller may see."""
from __future__ import annotations

from django.db.models import Exists, OuterRef

from workbench.roles import is_facilitator

from .models import Definition, DefinitionVersion, VersionStatus


def visible_versions(user):
    qs = DefinitionVersion.objects.select_related("definition")
    if is_facilitator(user):
        return qs
    return qs.exclude(status=VersionStatus.DRAFT)


def definition_list_for(user):
    qs = Definition.objects.order_by("title", "id")
    if is_facilitator(user):
        return qs
    public = DefinitionVersion.objects.filter(definition=OuterRef("pk")).exclude(status=VersionStatus.DRAFT)
    return qs.filter(Exists(public))


def definition_get(user, slug: str) -> Definition:
    """A definition the user may see (readers: one with a published version), or NotFound."""
    from workbench.errors import NotFound

    definition = definition_list_for(user).filter(slug=slug).first()
    if definition is None:
        raise NotFound(f"No definition with the slug {slug!r}.")
    return definition


def version_get(user, definition: Definition, label: str) -> DefinitionVersion:
    """A version the user may see, or NotFound (drafts are invisible, not forbidden, to readers)."""
    from workbench.errors import NotFound

    version = visible_versions(user).filter(definition=definition, label=label).first()
    if version is None:
        raise NotFound(f"{definition.slug} has no version labelled {label!r}.")
    return version


def versions_of(user, definition: Definition):
    return visible_versions(user).filter(definition=definition).order_by("sequence")


def clauses_of(version: DefinitionVersion):
    return version.clauses.order_by("ordinal")


def default_export_version(user, definition: Definition) -> DefinitionVersion | None:
    """The final version, else the latest published, else the latest the user may see."""
    versions = visible_versions(user).filter(definition=definition)
    return (
        versions.filter(status=VersionStatus.FINAL).first()
        or versions.filter(status=VersionStatus.PUBLISHED).order_by("-sequence").first()
        or versions.order_by("-sequence").first()
    )


def latest_version(user, definition: Definition) -> DefinitionVersion | None:
    return visible_versions(user).filter(definition=definition).order_by("-sequence").first()
