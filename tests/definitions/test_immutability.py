"""A published or final version cannot change by any path: model save, queryset, service, admin, API."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from definitions.models import Clause, DefinitionVersion
from workbench.errors import ImmutableError

from .factories import make_definition, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(facilitator):
    return make_version(facilitator, make_definition(facilitator))


def _unchanged(version):
    fresh = DefinitionVersion.objects.get(pk=version.pk)
    assert fresh.source_markdown == version.source_markdown
    assert fresh.label == version.label
    assert fresh.content_hash == version.content_hash
    assert [c.source_markdown for c in fresh.clauses.order_by("ordinal")] == [
        c.source_markdown for c in version.clauses.order_by("ordinal")
    ]


def test_model_save_refuses(published):
    published.source_markdown = "# changed\n"
    with pytest.raises(ImmutableError, match="is published and cannot be changed"):
        published.save()
    published.refresh_from_db()
    _unchanged(published)


def test_status_cannot_go_back_to_draft(published):
    published.status = "draft"
    with pytest.raises(ImmutableError):
        published.save()


def test_queryset_update_and_delete_refuse(published):
    with pytest.raises(ImmutableError):
        DefinitionVersion.objects.filter(pk=published.pk).update(source_markdown="x")
    with pytest.raises(ImmutableError):
        DefinitionVersion.objects.filter(pk=published.pk).delete()
    with pytest.raises(ImmutableError):
        Clause.objects.filter(version=published).update(source_markdown="x")
    with pytest.raises(ImmutableError):
        Clause.objects.filter(version=published).delete()
    _unchanged(published)


def test_clause_save_and_delete_refuse(published):
    clause = published.clauses.first()
    clause.source_markdown = "tampered"
    with pytest.raises(ImmutableError, match="cannot be changed"):
        clause.save()
    with pytest.raises(ImmutableError):
        clause.delete()
    _unchanged(published)


def test_api_cannot_change_a_published_version(published, facilitator_api):
    url = f"/api/definitions/{published.definition.slug}/versions/{published.label}/"
    for method in ("put", "patch", "delete"):
        response = getattr(facilitator_api, method)(url, {"markdown": "# changed\n"}, format="json")
        assert response.status_code == 405, method
        assert response.json()["detail"]
    response = facilitator_api.post(f"{url}publish/")
    assert response.status_code == 409
    assert "already published" in response.json()["detail"]
    _unchanged(published)


def test_admin_cannot_change_a_published_version(published, facilitator):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-admin-123")
    client = Client()
    client.force_login(admin)
    url = f"/admin/definitions/definitionversion/{published.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # read-only view, no save button
    response = client.post(url, {"label": "hacked", "source_markdown": "# changed\n", "change_note": "x"})
    assert response.status_code == 403
    _unchanged(published)


def test_final_export_is_the_same_bytes_after_later_activity(facilitator, published, api):
    from definitions import services

    services.version_finalize(actor=facilitator, version=published)
    url = f"/api/definitions/{published.definition.slug}/versions/{published.label}/export.md"
    before = api.get(url).content
    make_version(facilitator, published.definition, "0.2", "# Something else\n\nNew text.\n")
    definition = published.definition
    definition.title = "Renamed later"
    definition.licence = "CC-BY-SA-4.0"
    definition.save()
    assert api.get(url).content == before
