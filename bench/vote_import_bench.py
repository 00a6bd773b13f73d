"""Time the import of 100,000 votes (CSV) into one round on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/workbench .venv/bin/python bench/vote_import_bench.py [rows] [--profile PREFIX]

It creates a throw-away database next to the one DATABASE_URL names (test_vote_import_bench, or
WORKBENCH_TEST_DB_NAME: not test_<name>, so that it cannot clobber another bench or test run), builds a
definition, a version and an open round, and generates the rows: voters drawn from 20,000 names (so
each votes on several targets; a few of them are signed-up users, the rest become imported
stakeholders), groups among five, anchors among the version's clauses and '' (the whole version),
a tenth of the positions blocks with a rationale. It imports them through the same service the API
and `import_votes` use, imports the same file again (which must change nothing), then a copy with a
tenth of the positions changed (the update path), prints the figures and drops the database.
``--profile PREFIX`` writes a cProfile of each import to PREFIX-first.prof, PREFIX-again.prof and
PREFIX-changed.prof (the times printed then include the profiler's overhead)."""
from __future__ import annotations

import csv
import io
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
os.environ.setdefault("WORKBENCH_EAGER_TASKS", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/workbench")
os.environ.setdefault("WORKBENCH_TEST_DB_NAME", "test_vote_import_bench")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

GROUPS = ("developers", "industry", "academia", "civil-society", "public-sector")
POSITIONS = ("support", "oppose", "abstain")
VOTERS = 20_000
USERS = 25  # signed-up users among the voters, named by username in the file
WORDS = ("data model weights training open licence study share modify use code parameters clause draft "
         "community evaluation benchmark provenance documentation reproducible access terms release").split()


def voter_pool(rnd: random.Random) -> list[tuple[str, str, str]]:
    """(name in the file, group column, the voter's own group): users first, then imported names."""
    pool = []
    for n in range(VOTERS):
        group = GROUPS[n % len(GROUPS)]
        if n < USERS:  # a user: the group column is left empty for some, given for the others
            pool.append((f"member{n}", "" if n % 2 else group, group))
        else:
            pool.append((f"Participant {n}", group, group))
    rnd.shuffle(pool)
    return pool


def rationale(rnd: random.Random) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 30)))


def make_rows(rows: int, anchors: list[str]) -> list[list[str]]:
    rnd = random.Random(7)
    pool = voter_pool(rnd)
    if rows > len(pool) * len(anchors):
        sys.exit(f"At most {len(pool) * len(anchors):,} rows: one vote per voter and target.")
    seen, out = set(), []
    while len(out) < rows:
        voter, anchor = rnd.randrange(len(pool)), rnd.choice(anchors)
        if (voter, anchor) in seen:
            continue
        seen.add((voter, anchor))
        name, group, _own = pool[voter]
        if rnd.random() < 0.1:
            position, why = "block", rationale(rnd)
        else:
            position = rnd.choice(POSITIONS)
            why = rationale(rnd) if rnd.random() < 0.2 else ""
        out.append([name, group, anchor, position, why])
    return out


def change_some(rows: list[list[str]], share: float = 0.1) -> tuple[list[list[str]], int]:
    """A copy with ``share`` of the rows' positions changed."""
    rnd = random.Random(11)
    out, changed = [], 0
    for row in rows:
        row = list(row)
        if rnd.random() < share:
            row[3] = rnd.choice([p for p in POSITIONS + ("block",) if p != row[3]])
            if row[3] == "block" and len(row[4]) < 20:
                row[4] = "A changed position needs a reason, so here it is."
            changed += 1
        out.append(row)
    return out, changed


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["voter", "group", "anchor", "position", "rationale"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    args = sys.argv[1:]
    profile_to = None
    if "--profile" in args:
        at = args.index("--profile")
        profile_to = args[at + 1]
        del args[at:at + 2]
    rows = int(args[0]) if args else 100_000
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: this bench measures PostgreSQL.")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from django.contrib.auth import get_user_model

        from consultations.models import Vote, VoteChange
        from consultations.services import votes
        from tests.consultations.rounds_factories import make_definition, make_round, make_version
        from workbench import services
        from workbench.models import Stakeholder, StakeholderGroup

        groups = {slug: StakeholderGroup.objects.create(slug=slug, name=slug.replace("-", " ").title()) for slug in GROUPS}
        # Users made directly (no password hashing: it would dominate the set-up, not the import).
        User = get_user_model()
        for n in range(USERS):
            user = User.objects.create(username=f"member{n}")
            Stakeholder.objects.create(user=user, display_name=f"Member {n}", group=groups[GROUPS[n % len(GROUPS)]])
        clauses = [(f"clause-{n}", "paragraph", f"Clause number {n} of the bench definition.") for n in range(300)]
        version = make_version(make_definition(slug="bench", title="Bench"), "1.0", clauses)
        facilitator = services.user_sign_up(username="bench", password="bench-password-123456")
        services.facilitator_grant(actor=None, user=facilitator)
        round = make_round(facilitator, version, title="Bench")  # open

        started = time.perf_counter()
        table = make_rows(rows, [a for a, _, _ in clauses] + [""])
        data = to_csv(table)
        changed_table, expect_changed = change_some(table)
        changed_data = to_csv(changed_table)
        del table, changed_table
        generated = time.perf_counter() - started
        rss_before = peak_rss_mb()

        def run(payload: bytes, profile: str | None = None):
            started = time.perf_counter()
            if profile:
                import cProfile

                profiler = cProfile.Profile()
                result = profiler.runcall(votes.vote_import, actor=facilitator, round=round, file_bytes=payload,
                                          filename="bench.csv")
                profiler.dump_stats(profile)
            else:
                result = votes.vote_import(actor=facilitator, round=round, file_bytes=payload, filename="bench.csv")
            return result, time.perf_counter() - started

        profile = (lambda name: f"{profile_to}-{name}.prof") if profile_to else (lambda name: None)
        first, first_s = run(data, profile("first"))
        again, again_s = run(data, profile("again"))
        before_change = dict(Vote.objects.filter(round=round).values_list("pk", "updated_at"))
        third, third_s = run(changed_data, profile("changed"))

        assert (first.created, first.changed, first.unchanged) == (rows, 0, 0), first
        assert (again.created, again.changed, again.unchanged, again.stakeholders_created) == (0, 0, rows, 0), again
        assert (third.created, third.changed, third.unchanged) == (0, expect_changed, rows - expect_changed), third
        assert Vote.objects.filter(round=round).count() == rows
        assert VoteChange.objects.filter(round=round).count() == rows + expect_changed
        after_change = dict(Vote.objects.filter(round=round).values_list("pk", "updated_at"))
        touched = sum(1 for pk, when in after_change.items() if when != before_change[pk])
        assert touched == expect_changed, (touched, expect_changed)

        print(f"rows: {rows:,} ({len(data) / 1e6:.1f} MB CSV, {VOTERS:,} voter names of which {USERS} users, "
              f"{len(GROUPS)} groups, {len(clauses) + 1} targets; generated in {generated:.1f} s)")
        print(f"first import: {first_s:.2f} s ({rows / first_s:,.0f} rows/s); {first.created:,} created, "
              f"{first.changed} changed, {first.unchanged} unchanged; {first.stakeholders_created:,} imported "
              f"stakeholders created" + (f"  [profiled: {profile_to}-*.prof]" if profile_to else ""))
        print(f"re-import of the same file: {again_s:.2f} s; {again.created} created, {again.changed} changed, "
              f"{again.unchanged:,} unchanged")
        print(f"import with {expect_changed:,} positions changed: {third_s:.2f} s; {third.created} created, "
              f"{third.changed:,} changed, {third.unchanged:,} unchanged")
        print(f"peak RSS: {peak_rss_mb():,.0f} MB (after generating the files: {rss_before:,.0f} MB)")
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
