"""Benchmark: consolidate a round of N comments (default 1,000,000) through real Celery workers.

    .venv/bin/python bench/consolidation_bench.py [--comments N] [--workers 2] [--regenerate]

Generates in PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/workbench_bench,
created if missing, separate from the test database) a round on 300 clauses with N comments of
realistic lengths, a fifth of them in a few form-letter campaigns with small personal edits, and
2N votes from N/10 stakeholders in 6 groups, bulk-loaded with COPY. The data is kept and reused by
later runs with the same N (``--regenerate`` makes it again). Then it starts ``--workers`` Celery
worker processes (concurrency 1 each) on Redis (REDIS_URL, default redis://127.0.0.1:6379/12),
requests the consolidation and prints: the total time, the time per phase (from Job.timings), the
peak memory of each worker (VmHWM from /proc) and a floor: the time to read the same comment and
vote rows once from PostgreSQL (COPY ... TO STDOUT).
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/workbench_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
CLAUSES = 300
GROUPS = ["developers", "civil-society", "industry", "academia", "legal", "government"]
TOPICS = [
    "training data provenance datasets documentation collection consent licensing publication",
    "model weights parameters release download checkpoints formats quantised distribution",
    "source code training code inference code build scripts reproducibility tooling",
    "licence terms restrictions fields endeavour commercial use acceptable policy",
    "privacy personal information consent deletion rights subjects scraping",
    "safety risks misuse evaluation red teaming disclosure harms mitigation",
    "governance stewardship community process review appeals decisions transparency",
    "compute energy cost access researchers universities public infrastructure",
]
FILLER = ("the a this that we I our should must would could more less very also however because therefore "
          "clause draft definition text wording clearer requirement open system systems people users "
          "developers need think believe important matter issue point current proposed").split()
NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800)
    return parser.parse_args()


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def setup_django(db_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["WORKBENCH_EAGER_TASKS"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
    os.environ.setdefault("WORKBENCH_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# -- data -----------------------------------------------------------------------------------------

def clause_text(rng: random.Random, i: int) -> str:
    topic = TOPICS[i % len(TOPICS)].split()
    words = [rng.choice(topic if rng.random() < 0.3 else FILLER) for _ in range(rng.randint(15, 60))]
    return " ".join(words).capitalize() + "."


def comment_text(rng: random.Random, topic_words: list[str]) -> str:
    n = max(8, min(400, int(rng.lognormvariate(4.0, 0.7))))  # median ~55 words, long tail
    words = [rng.choice(topic_words) if rng.random() < 0.35 else rng.choice(FILLER) for _ in range(n)]
    sentences, out = [], []
    for w in words:
        out.append(w)
        if len(out) > 6 and rng.random() < 0.12:
            sentences.append(" ".join(out).capitalize() + ".")
            out = []
    if out:
        sentences.append(" ".join(out).capitalize() + ".")
    return " ".join(sentences)


def campaign_letter(rng: random.Random, topic: str) -> str:
    words = topic.split()
    body = [rng.choice(words) if rng.random() < 0.4 else rng.choice(FILLER) for _ in range(110)]
    return "Dear drafters, " + " ".join(body) + ". Please act on this before the final version."


def edited(rng: random.Random, letter: str) -> str:
    words = letter.split()
    for _ in range(rng.randint(0, 3)):  # a few words changed
        words[rng.randrange(len(words))] = rng.choice(FILLER)
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words)), rng.choice(["really", "strongly", "truly"]))
    text = " ".join(words)
    if rng.random() < 0.6:
        text += f" Signed, {rng.choice(NAMES)} {rng.choice(NAMES)}."
    return text


def copy_rows(cursor, sql: str, rows) -> None:
    with cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def generate(n_comments: int) -> int:
    """Create the bench round; returns its id."""
    from django.db import connection, transaction
    from django.utils import timezone

    from consultations.models import DraftingRound, RoundState
    from definitions.models import Clause, Definition, DefinitionVersion, VersionStatus
    from workbench.models import StakeholderGroup

    rng = random.Random(20240607)
    started = time.perf_counter()
    slug = f"bench-{n_comments}"
    groups = [StakeholderGroup.objects.get_or_create(slug=g, defaults={"name": g.replace("-", " ").title()})[0] for g in GROUPS]
    with transaction.atomic():
        definition = Definition.objects.create(slug=slug, title=f"Bench definition ({n_comments:,} comments)")
        texts = [clause_text(rng, i) for i in range(CLAUSES)]
        source = "\n\n".join(texts) + "\n"
        version = DefinitionVersion.objects.create(definition=definition, label="1.0", sequence=1, source_markdown=source,
                                                   content_hash=f"{hash(source) & (2**64 - 1):016x}", clause_count=CLAUSES)
        Clause.objects.bulk_create([
            Clause(version=version, anchor=f"c{i:03d}", ordinal=i, kind="paragraph", source_markdown=t, html=f"<p>{t}</p>",
                   hash=f"{i:064d}") for i, t in enumerate(texts)
        ])
        DefinitionVersion.objects.filter(pk=version.pk).update(status=VersionStatus.PUBLISHED, published_at=timezone.now())
        now = timezone.now()
        round = DraftingRound.objects.create(
            definition=definition, version=version, number=1, title=f"Bench round, {n_comments:,} comments",
            opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1), state=RoundState.CLOSED,
            closed_at=now - timedelta(days=1),
        )
    anchors = [f"c{i:03d}" for i in range(CLAUSES)]
    n_people = max(10, n_comments // 10)
    base = datetime(2024, 6, 1, tzinfo=dt_timezone.utc)
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        copy_rows(cur, "COPY workbench_stakeholder (display_name, affiliation, group_id, conflict_of_interest, "
                       "notify_by_email, import_key, created_at) FROM STDIN",
                  ((f"Bench {i}", "", groups[i % 6].pk, "", False, f"{slug}-{i}", base) for i in range(n_people)))
        cur.execute("SELECT id, group_id FROM workbench_stakeholder WHERE import_key LIKE %s ORDER BY id", [f"{slug}-%"])
        people = cur.fetchall()
        print(f"  {n_people:,} stakeholders in {time.perf_counter() - started:.1f} s")

        campaigns = [(rng.randrange(CLAUSES), campaign_letter(rng, TOPICS[k % len(TOPICS)])) for k in range(6)]
        suggestion_variants = {a: [texts[i].replace(".", " for everyone.", 1), texts[i].replace(" the ", " any ", 1)]
                               for i, a in enumerate(anchors)}
        responses = [("accepted", "Adopted in the next draft."), ("partially-accepted", "Adopted in part."),
                     ("rejected", "Out of line with the charter."), ("deferred", "For the next round."),
                     ("duplicate", "Answered with the campaign it belongs to.")]

        def comments():
            for i in range(n_comments):
                author = people[rng.randrange(len(people))][0]
                if rng.random() < 0.2:
                    idx, letter = campaigns[rng.randrange(len(campaigns))]
                    anchor, body, stance = anchors[idx], edited(rng, letter), "concern"
                else:
                    idx = rng.randrange(CLAUSES + 3)  # a few whole-version comments
                    anchor = anchors[idx] if idx < CLAUSES else ""
                    body = comment_text(rng, TOPICS[(idx + rng.randrange(3)) % len(TOPICS)].split())
                    stance = rng.choice(["support", "oppose", "concern", "question", "neutral"])
                suggestion = rng.choice(suggestion_variants[anchor]) if anchor and rng.random() < 0.05 else ""
                disposition, response = rng.choice(responses) if rng.random() < 0.1 else ("", "")
                hidden = rng.random() < 0.002
                yield (1, anchor, author, body, stance, suggestion, 0, base + timedelta(seconds=i), hidden,
                       "spam" if hidden else "", 0, disposition, response)

        copy_rows(cur, "COPY consultations_comment (round_id, anchor, author_id, body, stance, suggestion, depth, "
                       "created_at, hidden, hidden_reason, report_count, disposition, response) FROM STDIN",
                  ((round.pk, *row[1:]) for row in comments()))
        print(f"  {n_comments:,} comments in {time.perf_counter() - started:.1f} s")

        positions = ["support"] * 6 + ["oppose"] * 2 + ["abstain", "block"]
        targets = ["", *anchors]
        per_person = max(1, (2 * n_comments) // len(people))

        def votes():
            for voter, group in people:
                for anchor in rng.sample(targets, min(per_person, len(targets))):
                    yield (round.pk, anchor, voter, group, rng.choice(positions), "", base, base)

        copy_rows(cur, "COPY consultations_vote (round_id, anchor, voter_id, group_id, position, rationale, created_at, "
                       "updated_at) FROM STDIN", votes())
        cur.execute("ANALYZE consultations_comment; ANALYZE consultations_vote; ANALYZE workbench_stakeholder")
    print(f"  votes loaded; data ready in {time.perf_counter() - started:.1f} s")
    return round.pk


def find_round(n_comments: int):
    from consultations.models import DraftingRound

    return DraftingRound.objects.filter(definition__slug=f"bench-{n_comments}").first()


# -- measuring ------------------------------------------------------------------------------------

def floor_seconds(round_id: int) -> tuple[float, int]:
    from django.db import connection

    started, size = time.perf_counter(), 0
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        for sql in (
            f"COPY (SELECT id, author_id, anchor, body, stance, suggestion, disposition, response FROM consultations_comment "
            f"WHERE round_id = {round_id} AND NOT hidden AND withdrawn_at IS NULL) TO STDOUT",
            f"COPY (SELECT anchor, voter_id, group_id, position FROM consultations_vote WHERE round_id = {round_id}) TO STDOUT",
        ):
            with cur.copy(sql) as copy:
                for block in copy:
                    size += len(block)
    return time.perf_counter() - started, size


def descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        frontier.extend(int(c) for c in children)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (utime and stime in /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK"), idle / os.sysconf("SC_CLK_TCK")


def vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def start_workers(count: int, env: dict) -> list[subprocess.Popen]:
    workers = []
    for i in range(count):
        log = open(f"/tmp/consolidation_bench_worker{i}.log", "w")
        workers.append(subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "celery"), "-A", "workbench", "worker", "--concurrency", "1", "--pool", "prefork",
             "--hostname", f"bench{i}@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        ))
    deadline = time.monotonic() + 60
    for i in range(count):
        while "ready" not in Path(f"/tmp/consolidation_bench_worker{i}.log").read_text():
            if time.monotonic() > deadline:
                raise SystemExit(f"worker {i} did not start; see /tmp/consolidation_bench_worker{i}.log")
            time.sleep(0.2)
    return workers


def main() -> None:
    args = parse_args()
    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS
    ensure_database(db_url)
    setup_django(db_url, redis_url)
    from django.db import close_old_connections

    from consultations.jobs import services
    from consultations.models import DraftingRound, Job, Report, RoundState

    existing = find_round(args.comments)
    if existing is not None and args.regenerate:
        print("--regenerate: drop the database to make the data again (kept rows are never deleted here)")
    if existing is None:
        print(f"generating {args.comments:,} comments on {CLAUSES} clauses, {2 * args.comments:,} votes ...")
        round_id = generate(args.comments)
    else:
        round_id = existing.pk
        print(f"reusing round {round_id} ({args.comments:,} comments)")
    DraftingRound.objects.filter(pk=round_id).update(state=RoundState.CLOSED)
    # A run interrupted earlier leaves its job running; a new request would return that job.
    Job.objects.filter(round_id=round_id, state__in=("queued", "running")).update(
        state="failed", error="Abandoned: its bench run was interrupted.")
    round = DraftingRound.objects.get(pk=round_id)

    floor, size = floor_seconds(round_id)
    import redis as redis_lib

    redis_lib.Redis.from_url(redis_url).delete("celery")  # no stale messages from an earlier run
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "WORKBENCH_EAGER_TASKS": "0"}
    workers = start_workers(args.workers, env)
    peaks: dict[int, dict[int, int]] = {i: {} for i in range(len(workers))}
    cpu: dict[int, dict[int, float]] = {i: {} for i in range(len(workers))}
    start_cpu = {i: {pid: cpu_seconds(pid) for pid in descendants(w.pid)} for i, w in enumerate(workers)}
    try:
        started = time.perf_counter()
        busy_before, idle_before = machine_cpu()
        job = services.consolidation_request(actor=None, round=round)
        while True:
            for i, worker in enumerate(workers):
                for pid in descendants(worker.pid):
                    peaks[i][pid] = max(peaks[i].get(pid, 0), vm_hwm_kb(pid))
                    cpu[i][pid] = cpu_seconds(pid) - start_cpu[i].get(pid, 0.0)
            close_old_connections()
            job = Job.objects.get(pk=job.pk)
            if job.state in ("succeeded", "failed") or time.perf_counter() - started > args.timeout:
                break
            time.sleep(0.5)
        total = time.perf_counter() - started
        busy_after, idle_after = machine_cpu()
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()

    print(f"\nround {round_id}: {args.comments:,} comments, {CLAUSES} clauses, {args.workers} worker processes (concurrency 1)")
    print(f"job {job.pk}: {job.state} {job.error}")
    print(f"total (request -> report stored): {total:.1f} s")
    t = job.timings or {}
    for key in ("queue_wait", "setup", "parts", "assemble", "total"):
        if key in t:
            print(f"  {key:<12} {t[key]:8.2f} s")
    phases = dict(t.get("phases") or {})
    in_parts = phases.pop("total", None)
    print(f"time in each phase, summed over the {job.parts_total} parts (wall time inside the workers):")
    for phase, seconds in sorted(phases.items(), key=lambda kv: -kv[1]):
        print(f"  {phase:<14} {seconds:8.2f} s")
    if in_parts is not None:
        print(f"  {'all phases':<14} {in_parts:8.2f} s")
    for i, by_pid in peaks.items():
        biggest = max(by_pid.values(), default=0)
        print(f"worker {i}: peak memory {biggest / 1024:.0f} MB (VmHWM, largest of its {len(by_pid)} processes), "
              f"CPU {sum(cpu[i].values()):.1f} s")
    print(f"machine: {busy_after - busy_before:.1f} s of CPU busy, {idle_after - idle_before:.1f} s idle over the run "
          f"({os.cpu_count()} cores; workers, PostgreSQL, Redis and this process together)")
    print(f"floor: reading the comment and vote rows once with COPY: {floor:.1f} s ({size / 1e6:.0f} MB)")
    report = Report.objects.filter(job=job).first()
    if report:
        print(f"report sizes: json {len(report.json) / 1e6:.1f} MB, markdown {len(report.markdown) / 1e6:.1f} MB, "
              f"html {len(report.html) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
