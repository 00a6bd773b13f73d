"""Importing votes recorded elsewhere: a good file (CSV, JSON Lines, a JSON array), imported stakeholders, users
by username, a repeated import, a changed position, and bad rows (reported with their line, nothing
stored). Also the management command, the bulk update path (history, updated_at, unchanged rows left
alone), and imports racing a vote cast on PostgreSQL."""
import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from consultations.models import RoundState, Vote, VoteChange
from consultations.services import bulk
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


def test_changes_are_updated_in_place_with_history_and_updated_at(facilitator, stakeholder, open_round):
    first = ("voter,group,anchor,position,rationale\n"
             "Rita,industry,purpose,support,\nRita,industry,,oppose,Too broad.\nSam,developers,purpose,abstain,\n"
             "alice,,purpose,support,\n")
    run(open_round, first, actor=facilitator)
    before = {(v.voter.display_name, v.anchor): v for v in Vote.objects.select_related("voter")}
    Vote.objects.update(updated_at=before[("Rita", "")].updated_at.replace(year=2020))  # so a change shows
    stamped = {v.pk: v.updated_at for v in Vote.objects.all()}
    second = ("voter,group,anchor,position,rationale\n"
              "Rita,industry,purpose,block,Samples need a documented size limit.\n"  # position and rationale
              "Rita,industry,,oppose,Too broad.\n"  # the same: untouched
              "Sam,industry,purpose,abstain,\n"  # only the group
              "alice,,purpose,support,\n"  # the same: untouched
              "Noor,civil-society,purpose,oppose,\n")  # new
    result = run(open_round, second, actor=facilitator)
    assert (result.created, result.changed, result.unchanged) == (1, 2, 2)
    after = {(v.voter.display_name, v.anchor): v for v in Vote.objects.select_related("voter", "group")}
    rita = after[("Rita", "purpose")]
    assert (rita.pk, rita.position, rita.rationale) == (before[("Rita", "purpose")].pk, "block",
                                                         "Samples need a documented size limit.")
    assert after[("Sam", "purpose")].group.slug == "industry"
    for key in (("Rita", "purpose"), ("Sam", "purpose")):
        assert after[key].updated_at > stamped[after[key].pk]
        assert after[key].created_at == before[key].created_at
    for key in (("Rita", ""), ("Alice", "purpose")):
        assert after[key].updated_at == stamped[after[key].pk]
    history = list(VoteChange.objects.order_by("id").values_list("voter__display_name", "anchor", "position",
                                                                 "group__slug"))
    assert history[4:] == [("Rita", "purpose", "block", "industry"), ("Sam", "purpose", "abstain", "industry"),
                           ("Noor", "purpose", "oppose", "civil-society")]
    assert current_counts(open_round) == recount_from_history(open_round)


def test_a_round_consolidated_while_the_file_was_checked_takes_nothing(facilitator, open_round, monkeypatch):
    checked = services._check_row

    def consolidate_meanwhile(*args):
        type(open_round).objects.filter(pk=open_round.pk).update(state=RoundState.CONSOLIDATED)
        return checked(*args)

    monkeypatch.setattr(services, "_check_row", consolidate_meanwhile)
    with pytest.raises(Conflict, match="is consolidated; votes can be imported into open or closed rounds only"):
        run(open_round, "voter,group,anchor,position\nRita,industry,purpose,support\n", actor=facilitator)
    assert not Vote.objects.exists() and not Stakeholder.objects.filter(user__isnull=True).exists()


def test_a_stakeholder_created_by_another_import_meanwhile_is_used_not_duplicated(facilitator, open_round, monkeypatch):
    """Between looking imported stakeholders up and creating the missing ones, another import (of
    comments, or into another round) may create the same person: the insert skips them (ON CONFLICT
    DO NOTHING, on PostgreSQL through a temporary table) and their id is read back."""
    rita = Stakeholder.objects.create(display_name="Rita", group=ensure_group("industry"), import_key="import:rita")
    looked_up = services._stakeholder_ids
    calls = []

    def not_yet_there(keys):
        calls.append(keys)
        return {} if len(calls) == 1 else looked_up(keys)

    monkeypatch.setattr(services, "_stakeholder_ids", not_yet_there)
    result = run(open_round, "voter,group,anchor,position\nRita,industry,purpose,support\nSam,industry,,oppose\n",
                 actor=facilitator)
    assert result.created == 2
    assert Stakeholder.objects.filter(import_key="import:rita").count() == 1
    assert Vote.objects.get(anchor="purpose").voter_id == rita.pk
    assert Vote.objects.get(anchor="").voter.import_key == "import:sam"


# -- an import racing a vote cast (PostgreSQL: real row locks, separate connections) ---------------

RACE_FILE = "voter,group,anchor,position\nalice,,purpose,oppose\nRita,industry,purpose,support\n"


def _in_thread(target, outcome: dict, name: str) -> threading.Thread:
    def work():
        try:
            outcome[name] = target()
        except Exception as exc:  # noqa: BLE001 -- reported by the test
            outcome[name] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def _wait_until_someone_waits_for_a_lock(timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("nobody waited for a lock")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_import_waits_for_a_cast_under_way_and_then_changes_it(facilitator, stakeholder, open_round):
    assert connection.vendor == "postgresql"
    cast_done, release, outcome = threading.Event(), threading.Event(), {}

    def cast_and_hold():
        with transaction.atomic():  # the cast's vote is written but not committed until released
            result = services.vote_cast(actor=stakeholder, round=open_round, anchor="purpose", position="support")
            cast_done.set()
            release.wait(30)
        return result

    caster = _in_thread(cast_and_hold, outcome, "cast")
    assert cast_done.wait(15)
    importer = _in_thread(lambda: run(open_round, RACE_FILE, actor=facilitator), outcome, "import")
    _wait_until_someone_waits_for_a_lock()  # the import, for the round the cast holds
    assert "import" not in outcome
    release.set()
    caster.join(30)
    importer.join(30)
    assert outcome["cast"].created, outcome
    result = outcome["import"]
    assert not isinstance(result, Exception), result
    assert (result.created, result.changed, result.unchanged) == (1, 1, 0)  # Rita new; alice's cast changed
    alice = stakeholder.stakeholder.pk
    assert Vote.objects.get(voter_id=alice, anchor="purpose").position == "oppose"
    assert list(VoteChange.objects.filter(voter_id=alice).order_by("id").values_list("position", flat=True)) == [
        "support", "oppose"]
    assert current_counts(open_round) == recount_from_history(open_round)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_cast_during_an_import_waits_and_then_changes_the_imported_vote(facilitator, stakeholder, open_round,
                                                                          monkeypatch):
    assert connection.vendor == "postgresql"
    storing, release, outcome = threading.Event(), threading.Event(), {}
    insert_rows = bulk.insert_rows

    def insert_and_hold(*args, **kwargs):  # the import has written its votes and holds the round
        insert_rows(*args, **kwargs)
        storing.set()
        release.wait(30)

    monkeypatch.setattr(bulk, "insert_rows", insert_and_hold)
    importer = _in_thread(lambda: run(open_round, RACE_FILE, actor=facilitator), outcome, "import")
    assert storing.wait(15)
    caster = _in_thread(lambda: services.vote_cast(actor=stakeholder, round=open_round, anchor="purpose",
                                                   position="abstain"), outcome, "cast")
    _wait_until_someone_waits_for_a_lock()  # the cast, for the round the import holds
    assert "cast" not in outcome
    release.set()
    importer.join(30)
    caster.join(30)
    result, cast = outcome["import"], outcome["cast"]
    assert not isinstance(result, Exception), result
    assert not isinstance(cast, Exception), cast
    assert (result.created, result.changed) == (2, 0)
    assert (cast.created, cast.changed, cast.previous) == (False, True, "oppose")
    alice = stakeholder.stakeholder.pk
    assert Vote.objects.get(voter_id=alice, anchor="purpose").position == "abstain"
    assert list(VoteChange.objects.filter(voter_id=alice).order_by("id").values_list("position", flat=True)) == [
        "oppose", "abstain"]
    assert current_counts(open_round) == recount_from_history(open_round)
