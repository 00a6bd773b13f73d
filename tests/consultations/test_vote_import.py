"""Importing votes recorded elsewhere: a good file (CSV, JSON Lines, a JSON array), imported stakeholders, users
by username, a repeated import, a changed position, and bad rows (reported with their line, nothing
stored). Also the management command."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from consultations.models import RoundState, Vote, VoteChange
from consultations.services import votes as services
from workbench.errors import Conflict, ValidationFailed
from workbench.models import AuditEvent, Stakeholder

from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round
from .votes_helpers import current_counts, ensure_group, recount_from_history

pytestmark = pytest.mark.django_db

GOOD_CSV = """voter,group,anchor,position,rationale
Rita Gomez,industry,purpose,support,
Rita Gomez,industry,,oppose,Too broad for our members.
  sam   lee ,developers,purpose,block,Samples need a documented size limit.
alice,,criteria-li1,abstain,
alice,developers,purpose,Support,
"""


def run(round, data, actor=None, **kw):
    return services.vote_import(actor=actor, round=round, file_bytes=data.encode() if isinstance(data, str) else data, **kw)


def test_a_good_csv_creates_votes_stakeholders_and_history(facilitator, stakeholder, open_round):
    result = run(open_round, GOOD_CSV, actor=facilitator, filename="meeting.csv")
    assert result.as_dict() == {"rows": 5, "created": 5, "changed": 0, "unchanged": 0, "stakeholders_created": 2,
                                "format": "csv"}
    rita = Stakeholder.objects.get(import_key="import:rita gomez")
    sam = Stakeholder.objects.get(import_key="import:sam lee")
    assert (rita.display_name, rita.group.slug, rita.user) == ("Rita Gomez", "industry", None)
    assert sam.display_name == "sam lee"
    votes = {(v.voter_id, v.anchor): (v.position, v.group.slug, v.rationale) for v in Vote.objects.select_related("group")}
    alice = stakeholder.stakeholder.pk
    assert votes == {
        (rita.pk, "purpose"): ("support", "industry", ""),
        (rita.pk, ""): ("oppose", "industry", "Too broad for our members."),
        (sam.pk, "purpose"): ("block", "developers", "Samples need a documented size limit."),
        (alice, "criteria-li1"): ("abstain", "developers", ""),
        (alice, "purpose"): ("support", "developers", ""),
    }
    assert VoteChange.objects.count() == 5
    event = AuditEvent.objects.get(verb="votes.imported")
    assert event.scope == "definition:sample" and event.data["created"] == 5 and event.data["filename"] == "meeting.csv"


def test_the_same_file_twice_changes_nothing(facilitator, stakeholder, open_round):
    run(open_round, GOOD_CSV, actor=facilitator)
    again = run(open_round, GOOD_CSV, actor=facilitator)
    assert (again.created, again.changed, again.unchanged, again.stakeholders_created) == (0, 0, 5, 0)
    assert Vote.objects.count() == 5 and VoteChange.objects.count() == 5
    assert Stakeholder.objects.filter(user__isnull=True).count() == 2


def test_a_changed_position_is_a_change_with_history(facilitator, stakeholder, open_round):
    run(open_round, GOOD_CSV, actor=facilitator)
    changed = run(open_round, "voter,group,anchor,position\nrita gomez,industry,purpose,oppose\n", actor=facilitator)
    assert (changed.created, changed.changed) == (0, 1)
    assert Vote.objects.get(voter__import_key="import:rita gomez", anchor="purpose").position == "oppose"
    assert current_counts(open_round) == recount_from_history(open_round)


def test_json_lines(facilitator, open_round):
    data = ('{"voter": "Noor Haddad", "group": "civil-society", "anchor": "purpose", "position": "oppose"}\n'
            '\n'
            '{"voter": "Noor Haddad", "group": "civil-society", "anchor": null, "position": "support", "rationale": null}\n')
    result = run(open_round, data, actor=facilitator, filename="votes.jsonl")
    assert (result.format, result.created) == ("jsonl", 2)
    assert set(Vote.objects.values_list("anchor", "position")) == {("purpose", "oppose"), ("", "support")}


def test_a_json_array(facilitator, stakeholder, open_round):
    data = ('[\n {"voter": "Noor Haddad", "group": "civil-society", "anchor": "purpose", "position": "oppose"},\n'
            ' {"voter": "alice", "anchor": null, "position": "support", "rationale": null}\n]\n')
    for filename, fmt in (("votes.json", None), ("", None), ("", "jsonl"), ("", "json")):
        result = run(open_round, data, actor=facilitator, filename=filename, fmt=fmt)
        assert result.format == "json" and result.rows == 2
    assert set(Vote.objects.values_list("voter__display_name", "anchor", "position")) == {
        ("Noor Haddad", "purpose", "oppose"), (stakeholder.stakeholder.display_name, "", "support")}
    assert VoteChange.objects.count() == 2  # imported four times, stored once


def test_an_unknown_format_is_refused(facilitator, open_round):
    with pytest.raises(ValidationFailed) as info:
        run(open_round, "voter,group,anchor,position\nRita,industry,purpose,support\n", actor=facilitator, fmt="xml")
    assert (info.value.message, info.value.field) == ("Unknown format 'xml'; use csv, jsonl or json.", "format")
    assert not Vote.objects.exists()


def test_imports_are_allowed_on_closed_rounds(facilitator, v1):
    round = make_round(facilitator, v1, state=RoundState.CLOSED)
    assert run(round, "voter,group,anchor,position\nRita,industry,purpose,support\n", actor=facilitator).created == 1


def test_imports_are_refused_on_scheduled_rounds(facilitator, v1):
    round = make_round(facilitator, v1, state=RoundState.SCHEDULED)
    with pytest.raises(Conflict, match="open or closed rounds only"):
        run(round, "voter,group,anchor,position\nRita,industry,purpose,support\n", actor=facilitator)
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ("voter,group,anchor,position\nRita,industry,purpose,support\nBo,astrology,purpose,support\n",
         "Line 3: unknown stakeholder group 'astrology'."),
        ("voter,group,anchor,position\nRita,industry,purpose,support\nBo,industry,nowhere,support\n",
         "Line 3: version 0.1 has no clause with the anchor 'nowhere'."),
        ("voter,group,anchor,position\nRita,industry,purpose,maybe\n", "Line 2: unknown position 'maybe'"),
        ("voter,group,anchor,position,rationale\nRita,industry,purpose,block,too short\n",
         "Line 2: a block needs a rationale of at least 20 characters"),
        ("voter,group,anchor,position\nRita,,purpose,support\n", "Line 2: Rita is not a user, so the row needs"),
        ("voter,group,anchor,position\n,industry,purpose,support\n", "Line 2: voter is empty."),
        ("voter,group,anchor,position\nRita,industry,purpose,support\nrita,industry,purpose,oppose\n",
         "Line 3: rita already votes on 'purpose' on line 2"),
        ("voter,group,anchor,position\nalice,industry,purpose,support\n", "Line 2: alice is a user in developers, not industry."),
        ("voter,group,anchor,position\nolga,,purpose,support\n", "Line 2: olga is a user with no stakeholder group"),
        ("voter,colour\nRita,red\n", "Line 1: unknown column(s) 'colour'"),
        ("group,anchor\nindustry,purpose\n", "Line 1: the column 'voter' is missing."),
        ("voter,group,anchor,position\n", "The file has no votes to import."),
        ('{"voter": "Rita", "group": "industry", "position": "support"}\n{"voter": \n', "Line 2: not valid JSON"),
        ('{"voter": "Rita", "group": ["industry"], "position": "support"}\n', "Line 1: group must be text"),
        (b"voter,group,anchor,position\nR\xe9my,industry,purpose,support\n", "Line 2: the file is not valid UTF-8"),
        ("voter,group,anchor,position\nRita,industry,purpose,support\n\nBo,industry,purpose,support,extra,more\n",
         "Line 4: 6 values for 4 columns (a stray comma or quote?)."),
        ("voter,group,anchor,position\nRita,industry,\"purpose\nstill\",support\nBo,industry,\"" + "x" * 200_000 + "\n",
         "Line 4: this row cannot be read as CSV (field larger than field limit"),
        ("group,anchor,voter\nindustry,purpose,Rita\n", "Line 1: the column 'position' is missing."),
        ('{"voter": "Rita", "group": "industry", "position": "support"}\n["Bo"]\n',
         "Line 2: each line must be a JSON object with the column names as keys."),
        ('{"voter": "Rita", "group": "industry", "position": "support", "colour": "red"}\n',
         "Line 1: unknown column(s) 'colour'; the columns are voter, group, anchor, position, rationale."),
        ('[{"voter": "Rita", "group": "industry", "anchor": "purpose", "position": "support"},\n'
         ' {"voter": "Bo", "group": "industry", "anchor": "purpose", "position": "maybe"}]',
         "Record 2: unknown position 'maybe'"),
        ('[{"voter": "Rita", "group": "industry", "anchor": "purpose", "position": "support"},\n'
         ' {"voter": "rita", "group": "industry", "anchor": "purpose", "position": "oppose"}]',
         "Record 2: rita already votes on 'purpose' on record 1"),
        ('[{"voter": "Rita", "group": "industry", "position": "support"}, "Bo"]',
         "Record 2: each record must be a JSON object"),
        ('[{"voter": "Rita", "group": "industry", "position": true}]', "Record 1: position must be text, not true."),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_stored(facilitator, stakeholder, outsider, open_round,
                                                                   data, message):
    with pytest.raises(ValidationFailed) as info:
        run(open_round, data, actor=facilitator)
    assert message in info.value.message
    assert not Vote.objects.exists() and not VoteChange.objects.exists()
    assert not Stakeholder.objects.filter(user__isnull=True).exists()


def test_a_bad_row_late_in_a_file_stores_nothing_of_it(facilitator, open_round):
    rows = "".join(f"Person {i},industry,purpose,support\n" for i in range(50))
    with pytest.raises(ValidationFailed, match="Line 52: unknown position"):
        run(open_round, "voter,group,anchor,position\n" + rows + "Last,industry,purpose,perhaps\n", actor=facilitator)
    assert not Vote.objects.exists() and not Stakeholder.objects.filter(user__isnull=True).exists()


def test_voters_outside_the_eligible_groups_are_bad_rows(facilitator, groups, v1):
    round = make_round(facilitator, v1, eligible_groups=[groups["industry"]])
    with pytest.raises(ValidationFailed, match="Line 3: round 1 is not open to developers."):
        run(round, "voter,group,anchor,position\nRita,industry,purpose,support\nSam,developers,purpose,support\n",
            actor=facilitator)
    assert not Vote.objects.exists()


def test_an_existing_imported_stakeholder_is_reused(facilitator, open_round):
    ensure_group("legal")
    run(open_round, "voter,group,anchor,position\nRita Gomez,legal,purpose,support\n", actor=facilitator)
    result = run(open_round, "voter,group,anchor,position\nRITA  GOMEZ,legal,,support\n", actor=facilitator)
    assert result.stakeholders_created == 0
    assert Stakeholder.objects.filter(user__isnull=True).count() == 1


def test_the_import_votes_command(tmp_path, open_round):
    good = tmp_path / "meeting.csv"
    good.write_text("voter,group,anchor,position\nRita,industry,purpose,support\nSam,developers,,oppose\n")
    out = StringIO()
    call_command("import_votes", str(open_round.pk), str(good), stdout=out)
    assert "2 rows; 2 new votes, 0 changed, 0 unchanged; 2 new imported stakeholders." in out.getvalue()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"voter": "Tom", "group": "industry", "anchor": "purpose", "position": "support"}\n'
                   '{"voter": "Ann", "group": "industry", "anchor": "purpose", "position": "nope"}\n')
    with pytest.raises(CommandError, match=r"bad.jsonl: Line 2: unknown position 'nope'.*Nothing was imported."):
        call_command("import_votes", str(open_round.pk), str(bad))
    assert Vote.objects.count() == 2
    with pytest.raises(CommandError, match="No round 999999"):
        call_command("import_votes", "999999", str(good))
