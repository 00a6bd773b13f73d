"""Import of comments from other channels (good, bad and repeated files) and the open-data export,
including the round trip: export one round, import into another, get the same comments."""
import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from consultations.models import Comment
from consultations.services import comment_io, comments as comment_services
from consultations.services import rounds as round_services
from workbench.errors import NotAllowed, ValidationFailed
from workbench.models import AuditEvent, Stakeholder

from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round

pytestmark = pytest.mark.django_db

HEADER = "external_id,author,group,anchor,stance,body,suggestion,created_at\n"
GOOD_CSV = HEADER + (
    "hall-1,Dr. Ines Moreau,academia,purpose,question,\"Does \"\"sample\"\" include synthetic data?\",,2024-05-01T09:30:00Z\n"
    "hall-2,Kwame Mensah,government,,concern,\"Multi-line\nbody, with a comma\",,2024-05-01 10:00\n"
    "hall-3,alice,,criteria-li1,support,Agree.,- A sample is small and cheap.,2024-05-02\n"
    "hall-4,Dr. Ines  Moreau,Academia,criteria-li2,oppose,Second point from the same person.,,\n"
)


def _import(round, text, filename="comments.csv", actor=None):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return comment_io.comments_import(actor=actor, round=round, data=data, filename=filename)


@pytest.fixture
def academia(groups):
    from workbench.models import StakeholderGroup

    groups["academia"] = StakeholderGroup.objects.create(slug="academia", name="Academia")
    groups["government"] = StakeholderGroup.objects.create(slug="government", name="Government")
    return groups


def test_good_csv_imports_comments_and_stakeholders(facilitator, stakeholder, open_round, academia):
    result = _import(open_round, GOOD_CSV, actor=facilitator)
    assert (result.rows, result.created, result.unchanged, result.stakeholders_created) == (4, 4, 0, 2)
    ines = Stakeholder.objects.get(import_key="import:dr. ines moreau")
    assert ines.user is None and ines.display_name == "Dr. Ines Moreau" and ines.group.slug == "academia"
    by_key = {c.external_id: c for c in Comment.objects.select_related("author")}
    assert by_key["hall-1"].body == 'Does "sample" include synthetic data?' and by_key["hall-1"].stance == "question"
    assert by_key["hall-1"].created_at.isoformat() == "2024-05-01T09:30:00+00:00"
    assert by_key["hall-2"].anchor == "" and by_key["hall-2"].body == "Multi-line\nbody, with a comma"
    assert by_key["hall-3"].author.user == stakeholder  # an author spelt like a username is that user
    assert by_key["hall-4"].author == ines  # same person, spelt with other spacing and case
    assert AuditEvent.objects.get(verb="comments.imported").data["created"] == 4


def test_json_lines_import(open_round, academia):
    lines = [
        {"external_id": "f-1", "author": "Forum user 7", "group": "academia", "anchor": "purpose", "stance": "support",
         "body": "Posted on the forum.", "suggestion": "", "created_at": "2024-06-01T12:00:00+02:00"},
        {"external_id": "f-2", "author": "Forum user 8", "group": None, "anchor": None, "stance": "", "body": "Another."},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n\n"
    result = _import(open_round, text, filename="forum.jsonl")
    assert result.created == 2 and result.format == "json"
    second = Comment.objects.get(external_id="f-2")
    assert (second.anchor, second.stance, second.author.group) == ("", "neutral", None)


def test_reimporting_the_same_file_changes_nothing(open_round, academia):
    _import(open_round, GOOD_CSV)
    before = (Comment.objects.count(), Stakeholder.objects.count())
    result = _import(open_round, GOOD_CSV)
    assert (result.created, result.unchanged, result.stakeholders_created) == (0, 4, 0)
    assert (Comment.objects.count(), Stakeholder.objects.count()) == before


@pytest.mark.parametrize(
    "text, message",
    [
        (HEADER + "a,X,,purpose,support,ok,,\nb,Y,,nowhere,support,bad anchor,,\n", "Line 3: the version has no clause"),
        (HEADER + "a,X,,purpose,furious,bad stance,,\n", "Line 2: unknown stance"),
        (HEADER + "a,X,,purpose,support,,,\n", "Line 2: the body is empty"),
        (HEADER + "a,X,,purpose,support," + "x" * 20_001 + ",,\n", "Line 2: the body is 20,001 characters"),
        (HEADER + "a,X,,purpose,support,ok,,yesterday\n", "Line 2: created_at 'yesterday'"),
        (HEADER + "a,X,martians,purpose,support,ok,,\n", "Line 2: unknown stakeholder group 'martians'"),
        (HEADER + "a,X,,purpose,support,ok,,\na,Y,,purpose,support,again,,\n", "Line 3: external_id 'a' appears twice"),
        (HEADER + ",X,,purpose,support,ok,,\n", "Line 2: external_id is empty"),
        (HEADER + "a,,,purpose,support,ok,,\n", "Line 2: author is empty"),
        (HEADER + "a,X,,,support,ok,new text,\n", "Line 2: a suggestion rewords a clause"),
        (HEADER + "a,X,,purpose,support,\"one\ntwo\",,\nb,Y,,purpose,support,ok,,,extra\n", "Line 4: 9 values for 8 columns"),
        ("external_id,author,bdy\na,X,ok\n", "Line 1: unknown column(s) 'bdy'"),
        ("external_id,author\na,X\n", "Line 1: the column 'body' is missing"),
        ("", "Line 1: the file is empty"),
        ('{"external_id": "a", "author": "X", "body": "ok"}\n{"external_id": "b", "author": \n', "Line 2: not valid JSON"),
        ('{"external_id": "a", "author": "X", "body": "ok", "colour": "red"}\n', "Line 1: unknown column(s) 'colour'"),
        ('[{"external_id": "a", "author": "X", "body": ""}]', "Record 1: the body is empty"),
        ('{"external_id": "a", "author": "X", "body": "ok"}\n"b"\n',
         "Line 2: each line must be a JSON object with the column names as keys."),
        ('[{"external_id": "a", "author": "X", "body": "ok"}, ["b"]]',
         "Record 2: each record must be a JSON object with the column names as keys."),
        ('[{"external_id": "a", "author": "X", "body": "ok", "colour": "red"}]', "Record 1: unknown column(s) 'colour'; "
         "the columns are external_id, author, group, anchor, stance, body, suggestion, created_at (and optionally id, "
         "parent, disposition, response)."),
        ('{"external_id": "a", "author": "X", "body": {"text": "ok"}}\n', "Line 1: body must be text"),
        ("author,body\nX,ok\n", "Line 1: the column 'external_id' is missing; it lets a re-import skip"),
        (HEADER + "a,X,,purpose,support,\"" + "x" * 200_000 + "\n", "Line 2: this row cannot be read as CSV"),
    ],
)
def test_a_bad_row_rejects_the_whole_file(open_round, text, message):
    with pytest.raises(ValidationFailed) as exc:
        _import(open_round, text, filename="")
    assert message in exc.value.message
    assert not Comment.objects.exists()
    assert not Stakeholder.objects.filter(import_key__isnull=False).exists()


def test_invalid_utf8_is_reported_with_its_line(open_round):
    data = (HEADER + "a,X,,purpose,support,ok,,\n").encode() + b"b,Y,,purpose,support,caf\xe9,,\n"
    with pytest.raises(ValidationFailed, match="Line 3: the file is not valid UTF-8"):
        _import(open_round, data)
    assert not Comment.objects.exists()


def test_threads_import_with_parents_and_depth_limit(open_round):
    text = ("external_id,author,anchor,body,parent\n"
            "t1,A,purpose,Root,\n" "t2,B,purpose,Reply,t1\n" "t3,A,purpose,Reply to reply,t2\n")
    _import(open_round, text)
    t3 = Comment.objects.get(external_id="t3")
    assert t3.depth == 2 and t3.parent.parent.external_id == "t1"
    # A later file may answer a comment imported before; a fourth level is refused.
    with pytest.raises(ValidationFailed, match="Line 2: replies nest at most three levels"):
        _import(open_round, "external_id,author,anchor,body,parent\nt4,C,purpose,Too deep,t3\n")
    with pytest.raises(ValidationFailed, match="Line 2: parent 'zz'"):
        _import(open_round, "external_id,author,anchor,body,parent\nt5,C,purpose,Orphan,zz\n")
    with pytest.raises(ValidationFailed, match="same anchor"):
        _import(open_round, "external_id,author,anchor,body,parent\nt6,C,criteria-li1,Other clause,t1\n")


def test_only_facilitators_import(stakeholder, open_round):
    with pytest.raises(NotAllowed):
        _import(open_round, GOOD_CSV, actor=stakeholder)


def _populate(round, facilitator, stakeholder, other_stakeholder):
    a = comment_services.comment_create(actor=stakeholder, round=round, anchor="purpose", stance="concern",
                                        body="Say *why* it matters.\n\n- one\n- two",
                                        suggestion="This definition explains what a sample is and why it matters.")
    b = comment_services.comment_create(actor=other_stakeholder, round=round, parent=a, stance="support",
                                        body="=SUM(1,2) is how a spreadsheet would read this; also ünïcödé ✓")
    comment_services.comment_create(actor=stakeholder, round=round, parent=b, body="-1 is not a formula either")
    comment_services.comment_create(actor=other_stakeholder, round=round, anchor="", stance="question",
                                    body="@everyone: is the title final?")
    hidden = comment_services.comment_create(actor=other_stakeholder, round=round, anchor="purpose", body="spam spam")
    comment_services.comment_hide(actor=facilitator, comment=hidden, reason="spam")
    gone = comment_services.comment_create(actor=stakeholder, round=round, anchor="criteria-li1", body="Never mind.")
    comment_services.comment_withdraw(actor=stakeholder, comment=gone)
    comment_services.comment_dispose(actor=facilitator, comment=a, disposition="accepted", response="Done in 0.2.")


def _comparable(records):
    """Records without their ids, threads described by the parent's body instead."""
    by_id = {r["id"]: r for r in records}
    return sorted(
        (r["anchor"] or "", r["author"], r["group"], r["stance"], r["body"], r["suggestion"], r["created_at"],
         r["disposition"], r["response"], by_id[r["parent"]]["body"] if r["parent"] else "")
        for r in records
    )


def _csv_records(text):
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    out = []
    for row in rows:
        out.append({**row, "id": int(row["id"]), "parent": int(row["parent"]) if row["parent"] else None,
                    "anchor": row["anchor"] or None,
                    **{k: comment_io._unguard(row[k]) for k in ("body", "suggestion", "response")}})
    return out


def test_csv_export_is_spreadsheet_friendly_and_round_trips(facilitator, stakeholder, other_stakeholder, open_round, v1):
    _populate(open_round, facilitator, stakeholder, other_stakeholder)
    text = "".join(comment_io.export_csv_chunks(open_round))
    header = text[1:].split("\r\n", 1)[0]
    assert header == ",".join(comment_io.EXPORT_COLUMNS)
    records = _csv_records(text)
    assert len(records) == 4  # hidden and withdrawn comments stay out
    assert "'=SUM(1,2)" in text and "'@everyone" in text and "'-1 is not" in text  # formulas are inert
    assert "\n- one\n- two" in text  # a Markdown list is not mistaken for a formula
    original = _comparable(records)

    round_services.round_close(actor=facilitator, round=open_round)
    target = make_round(facilitator, v1)
    result = _import(target, text.encode("utf-8"), filename="export.csv", actor=facilitator)
    assert result.created == 4
    again = _csv_records("".join(comment_io.export_csv_chunks(target)))
    assert _comparable(again) == original
    assert _import(target, text.encode("utf-8"), filename="export.csv").created == 0


def test_json_export_round_trips(facilitator, stakeholder, other_stakeholder, open_round, v1):
    _populate(open_round, facilitator, stakeholder, other_stakeholder)
    text = "".join(comment_io.export_json_chunks(open_round))
    records = json.loads(text)
    assert [r["disposition"] for r in records].count("pending") == 3
    assert {r["anchor"] for r in records} == {"purpose", None}
    round_services.round_close(actor=facilitator, round=open_round)
    target = make_round(facilitator, v1)
    _import(target, text, filename="export.json")
    assert _comparable(json.loads("".join(comment_io.export_json_chunks(target)))) == _comparable(records)


def test_import_command_prints_counts_and_fails_on_a_bad_row(open_round, academia, tmp_path, capsys):
    good = tmp_path / "hall.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    call_command("import_comments", str(open_round.pk), str(good))
    assert "4 comments imported, 0 already present" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "z,X,,nowhere,support,ok,,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Line 2: the version has no clause with the anchor 'nowhere'"):
        call_command("import_comments", str(open_round.pk), str(bad))
    with pytest.raises(CommandError, match="No round 999999"):
        call_command("import_comments", "999999", str(good))
    assert Comment.objects.count() == 4
