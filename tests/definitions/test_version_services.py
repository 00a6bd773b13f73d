"""Importing, publishing and finalizing versions; anchors inherited across versions."""
import pytest

from definitions import services
from definitions.models import Clause, DefinitionVersion, VersionStatus
from workbench.errors import Conflict, ImmutableError, NotAllowed, ValidationFailed
from workbench.models import AuditEvent

from .factories import DRAFT_1, DRAFT_2, make_definition, make_version

pytestmark = pytest.mark.django_db


def test_import_stores_clauses_and_exact_source(facilitator):
    definition = make_definition(facilitator)
    version = make_version(facilitator, definition, publish=False)
    assert version.source_markdown == DRAFT_1
    assert version.status == VersionStatus.DRAFT
    clauses = list(version.clauses.order_by("ordinal"))
    assert version.clause_count == len(clauses) > 0
    assert clauses[0].anchor == "sample"
    assert {c.kind for c in clauses} >= {"heading", "paragraph", "list_item", "table"}
    assert len({c.anchor for c in clauses}) == len(clauses)


def test_unchanged_clauses_keep_their_anchors_in_the_next_version(facilitator):
    definition = make_definition(facilitator)
    first = make_version(facilitator, definition, "0.1", DRAFT_1)
    second = make_version(facilitator, definition, "0.2", DRAFT_2)
    old = {c.source_markdown: c.anchor for c in first.clauses.all()}
    for clause in second.clauses.all():
        if clause.source_markdown in old:
            assert clause.anchor == old[clause.source_markdown], clause.source_markdown
    moved = second.clauses.get(source_markdown__startswith="- A sample is representative")
    assert moved.continues.version == first
    assert second.previous == first


def test_sequence_increments_and_labels_are_unique(facilitator):
    definition = make_definition(facilitator)
    make_version(facilitator, definition, "0.1")
    assert make_version(facilitator, definition, "0.2", DRAFT_2).sequence == 2
    with pytest.raises(Conflict, match="already has a version labelled '0.2'"):
        make_version(facilitator, definition, "0.2", DRAFT_1)
    assert definition.versions.count() == 2


@pytest.mark.parametrize("label", ["", "has space", "a/b", "x" * 41])
def test_bad_labels_are_refused(facilitator, label):
    definition = make_definition(facilitator)
    with pytest.raises(ValidationFailed):
        services.version_import(actor=facilitator, definition=definition, label=label, markdown="# x\n")
    assert not DefinitionVersion.objects.exists()


def test_size_limit_is_enforced_and_nothing_stored(facilitator, settings):
    settings.WORKBENCH_MAX_VERSION_BYTES = 100
    definition = make_definition(facilitator)
    with pytest.raises(ValidationFailed, match="limit is 100 bytes"):
        services.version_import(actor=facilitator, definition=definition, label="0.1", markdown="a" * 101)
    assert not DefinitionVersion.objects.exists()


def test_non_utf8_upload_is_refused():
    with pytest.raises(ValidationFailed, match="not valid UTF-8"):
        services.decode_markdown("caf\xe9".encode("latin-1"))


def test_stakeholders_cannot_import(stakeholder, facilitator):
    definition = make_definition(facilitator)
    with pytest.raises(NotAllowed):
        services.version_import(actor=stakeholder, definition=definition, label="0.1", markdown="# x\n")


def test_publish_then_finalize_and_only_one_final(facilitator):
    definition = make_definition(facilitator)
    first = make_version(facilitator, definition, "0.1")
    second = make_version(facilitator, definition, "0.2", DRAFT_2)
    services.version_finalize(actor=facilitator, version=second)
    with pytest.raises(Conflict, match="already has a final version"):
        services.version_finalize(actor=facilitator, version=first)
    assert list(definition.versions.filter(status="final").values_list("label", flat=True)) == ["0.2"]


def test_finalizing_a_draft_is_refused(facilitator):
    definition = make_definition(facilitator)
    draft = make_version(facilitator, definition, publish=False)
    with pytest.raises(Conflict, match="Publish version 0.1 before"):
        services.version_finalize(actor=facilitator, version=draft)


def test_every_change_is_audited(facilitator):
    definition = make_definition(facilitator)
    version = make_version(facilitator, definition)
    services.version_finalize(actor=facilitator, version=version)
    verbs = list(AuditEvent.objects.filter(scope=definition.audit_scope).order_by("id").values_list("verb", flat=True))
    assert verbs == ["definition.created", "version.imported", "version.published", "version.finalized"]
    assert AuditEvent.objects.filter(verb="version.imported").get().actor == facilitator


def test_draft_can_be_deleted_but_published_cannot(facilitator):
    definition = make_definition(facilitator)
    draft = make_version(facilitator, definition, publish=False)
    services.version_delete_draft(actor=facilitator, version=draft)
    published = make_version(facilitator, definition, "0.2")
    with pytest.raises(ImmutableError):
        services.version_delete_draft(actor=facilitator, version=published)
    assert Clause.objects.filter(version=published).count() == published.clause_count
