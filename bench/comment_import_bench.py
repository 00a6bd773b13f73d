"""Time the import of 100,000 comments (CSV) into one round on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/workbench .venv/bin/python bench/comment_import_bench.py [rows]

It creates a throw-away test database next to the one DATABASE_URL names (test_<name>), builds a
definition, a version and an open round, generates the rows (a tenth of them replies, authors
drawn from 5,000 names of which most become imported stakeholders), imports them through the
same service the API and `import_comments` use, imports the same file again (which must change
nothing), prints the figures and drops the database."""
from __future__ import annotations

import csv
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
os.environ.setdefault("WORKBENCH_EAGER_TASKS", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/workbench")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

WORDS = ("data model weights training open licence study share modify use code parameters clause draft "
         "community evaluation benchmark provenance documentation reproducible access terms release").split()


def make_file(rows: int, anchors: list[str]) -> bytes:
    rnd = random.Random(7)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "author", "group", "anchor", "stance", "body", "suggestion", "created_at", "parent"])
    parents: dict[str, list[str]] = {}
    for i in range(rows):
        anchor = rnd.choice(anchors)
        parent = ""
        if i % 10 == 9 and parents.get(anchor):
            parent = rnd.choice(parents[anchor][-50:])
        body = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(20, 120)))
        key = f"bench-{i}"
        if not parent:
            parents.setdefault(anchor, []).append(key)
        writer.writerow([key, f"Participant {rnd.randint(1, 5000)}", rnd.choice(["developers", "industry", "academia", ""]),
                         anchor, rnd.choice(["support", "oppose", "concern", "question", "neutral"]), body,
                         "", f"2024-05-{1 + i % 28:02d}T{i % 24:02d}:00:00Z", parent])
    return out.getvalue().encode("utf-8")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: this bench measures PostgreSQL.")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from consultations.models import Comment
        from consultations.services import comment_io, rounds
        from tests.consultations.rounds_factories import make_definition, make_version
        from workbench import services
        from workbench.models import Stakeholder, StakeholderGroup

        for slug in ("developers", "industry", "academia"):
            StakeholderGroup.objects.create(slug=slug, name=slug.title())
        clauses = [(f"clause-{n}", "paragraph", f"Clause number {n} of the bench definition.") for n in range(300)]
        version = make_version(make_definition(slug="bench", title="Bench"), "1.0", clauses)
        facilitator = services.user_sign_up(username="bench", password="bench-password-123456")
        services.facilitator_grant(actor=None, user=facilitator)
        from datetime import timedelta

        from django.utils import timezone

        round = rounds.round_create(actor=facilitator, definition=version.definition, version=version, title="Bench",
                                    opens_at=timezone.now() - timedelta(hours=1), closes_at=timezone.now() + timedelta(days=1))
        started = time.perf_counter()
        data = make_file(rows, [a for a, _, _ in clauses] + [""])
        generated = time.perf_counter() - started
        started = time.perf_counter()
        result = comment_io.comments_import(actor=facilitator, round=round, data=data, filename="bench.csv")
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = comment_io.comments_import(actor=facilitator, round=round, data=data, filename="bench.csv")
        second = time.perf_counter() - started
        assert Comment.objects.filter(round=round).count() == rows == result.created and again.created == 0
        print(f"rows: {rows:,} ({len(data) / 1e6:.1f} MB CSV, generated in {generated:.1f} s)")
        print(f"import: {first:.2f} s  ({rows / first:,.0f} rows/s); {result.stakeholders_created:,} imported stakeholders "
              f"created; {Stakeholder.objects.count():,} stakeholders in all")
        print(f"re-import of the same file: {second:.2f} s, {again.created} created, {again.unchanged:,} unchanged")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
