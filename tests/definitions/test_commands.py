"""import_version, export_definition and diff_versions from the command line."""
import json

import pytest
from django.core.management import CommandError, call_command

from definitions.models import Definition

from .factories import DRAFT_1, DRAFT_2

pytestmark = pytest.mark.django_db


def test_import_creates_definition_and_prints_label_and_count(tmp_path, capsys):
    path = tmp_path / "d.md"
    path.write_text(DRAFT_1, encoding="utf-8")
    call_command("import_version", "sample", str(path), "--label", "0.1", "--title", "Sample", "--publish")
    out = capsys.readouterr().out.strip()
    version = Definition.objects.get(slug="sample").versions.get()
    assert out == f"0.1 {version.clause_count} clauses (published)"
    assert version.source_markdown == DRAFT_1


def test_import_failures_exit_non_zero_and_store_nothing(tmp_path):
    bad = tmp_path / "latin1.md"
    bad.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not valid UTF-8"):
        call_command("import_version", "sample", str(bad), "--label", "0.1")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_version", "sample", str(tmp_path / "missing.md"), "--label", "0.1")
    assert not Definition.objects.exists()


def test_export_defaults_to_final_then_latest_published(tmp_path, capsysbinary):
    for label, text in (("0.1", DRAFT_1), ("0.2", DRAFT_2)):
        path = tmp_path / f"{label}.md"
        path.write_text(text, encoding="utf-8")
        call_command("import_version", "sample", str(path), "--label", label, "--publish")
    capsysbinary.readouterr()
    call_command("export_definition", "sample", "--no-front-matter")
    assert capsysbinary.readouterr().out == DRAFT_2.encode()
    out = tmp_path / "out.md"
    call_command("export_definition", "sample", "--label", "0.1", "--output", str(out))
    assert out.read_bytes().endswith(DRAFT_1.encode()) and out.read_bytes().startswith(b"---\n")


def test_export_unknown_label_fails(tmp_path):
    path = tmp_path / "d.md"
    path.write_text(DRAFT_1, encoding="utf-8")
    call_command("import_version", "sample", str(path), "--label", "0.1")
    with pytest.raises(CommandError, match="no version labelled '9'"):
        call_command("export_definition", "sample", "--label", "9")


def test_diff_versions_prints_json_by_default(tmp_path, capsysbinary):
    for label, text in (("0.1", DRAFT_1), ("0.2", DRAFT_2)):
        path = tmp_path / f"{label}.md"
        path.write_text(text, encoding="utf-8")
        call_command("import_version", "sample", str(path), "--label", label, "--publish")
    capsysbinary.readouterr()
    call_command("diff_versions", "sample", "0.1", "0.2")
    body = json.loads(capsysbinary.readouterr().out)
    assert body["from"] == "0.1" and body["to"] == "0.2"
    call_command("diff_versions", "sample", "0.1", "0.2", "--format", "markdown")
    assert b"{" in capsysbinary.readouterr().out
    with pytest.raises(CommandError, match="no version labelled"):
        call_command("diff_versions", "sample", "0.1", "7")
