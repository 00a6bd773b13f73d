"""How fast is the redline engine on big versions? Prints figures; asserts nothing.

    python bench/diff_bench.py [--runs N] [--seed S]

Builds, from a seeded RNG and a small built-in vocabulary, a ~1 MB Markdown version (~5,000
clauses) and a next version of it (5% of clauses edited, 1% moved, 1% added, 1% removed), a
fully shuffled copy (same clauses, random order), and a ~50 KB pair edited the same way. For each
pair it times, best of N runs: parsing both versions (definitions.engine.markdown, when present),
then the engine (align + diff + JSON rendering) twice - with the new version's clauses unanchored
(key=None: pure content alignment, as at import) and anchored (as when diffing two stored
versions) - and, for comparison, what most tools do: difflib.SequenceMatcher over the two whole
documents' words, then get_opcodes(). Peak memory is measured in a separate run under tracemalloc
(which slows code down, so it is never timed), plus the process's ru_maxrss.

Targets from the issue (information, not assertions): 1 MB pair <= 0.5 s and >= 20x faster than
the difflib baseline; peak memory <= 300 MB; shuffled pair <= 10 s; 50 KB pair <= 50 ms.
"""
from __future__ import annotations

import argparse
import difflib
import gc
import os
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from definitions.engine import redline  # noqa: E402
from definitions.engine.align import ClauseRef, align  # noqa: E402
from definitions.engine.diff import diff_versions  # noqa: E402

try:  # the parser is a sibling module; without it, clauses are the blank-line separated blocks
    from definitions.engine.markdown import parse as _parse_markdown
except ImportError:  # pragma: no cover - depends on the checkout
    _parse_markdown = None

# Our own words: no corpus text goes into the benchmark.
VOCABULARY = """
access account adapt agree allow analysis annex apply approve archive assess audit author available
balance baseline benefit binary build burden candidate change charter check claim clause code
collect commit common community compare compile comply component condition consent context
contribute control copy cost create criteria data dataset decide default define deliver deploy
derive describe design detail develop disclose distribute document domain draft duty effect enable
ensure entity evaluate evidence example exception explain export feature field file final format
freedom function goal govern grant guidance holder identify impact implement include inform input
inspect instance integrity interface issue keep label language layer learn licence limit list
maintain measure method metric model modify module monitor notice obligation open operate option
origin output owner package parameter party permit policy practice prepare preserve principle
privacy process produce program project protect provide publish purpose quality record reason
recipient release remove report represent request require research resource restrict result
review right risk role rule safety sample scope section secure service share software source
specify standard state study submit support system term test text tool train transfer trust update
usage user value verify version weight work
""".split()


# -- documents ------------------------------------------------------------------------------------


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(VOCABULARY) for _ in range(rng.randint(8, 20))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice((".", ".", ".", ";", ":"))


def _clause(rng: random.Random, number: int) -> str:
    roll = rng.random()
    if roll < 0.05:
        return f"## {number}. " + " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(2, 5))).capitalize()
    if roll < 0.35:
        term = rng.choice(VOCABULARY).capitalize()
        return f"- **{term}**: " + " ".join(_sentence(rng) for _ in range(rng.randint(1, 2)))
    return " ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))


def _edit(rng: random.Random, clause: str) -> str:
    """A few word-level edits: replace, insert or delete a word or two."""
    words = clause.split(" ")
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(words))
        roll = rng.random()
        if roll < 0.5:
            words[at] = rng.choice(VOCABULARY)
        elif roll < 0.8 or len(words) < 4:
            words.insert(at, rng.choice(VOCABULARY))
        else:
            del words[at]
    return " ".join(words)


def make_versions(clauses: int, seed: int) -> tuple[list[str], list[str]]:
    """A version of ``clauses`` clauses and its next version: 5% edited, 1% moved, 1% added,
    1% removed."""
    rng = random.Random(seed)
    old = [_clause(rng, k) for k in range(clauses)]
    new = list(old)
    for k in rng.sample(range(clauses), clauses * 5 // 100):
        new[k] = _edit(rng, new[k])
    for k in sorted(rng.sample(range(len(new)), clauses // 100), reverse=True):
        del new[k]
    for _ in range(clauses // 100):
        clause = new.pop(rng.randrange(len(new)))
        new.insert(rng.randrange(len(new) + 1), clause)
    for _ in range(clauses // 100):
        new.insert(rng.randrange(len(new) + 1), _clause(rng, clauses + rng.randrange(1000)))
    return old, new


def to_markdown(clauses: list[str]) -> str:
    return "\n\n".join(clauses) + "\n"


# -- the engine under test ------------------------------------------------------------------------


def parse_clauses(markdown: str) -> list[str]:
    if _parse_markdown is not None:
        return [clause.source for clause in _parse_markdown(markdown).clauses]
    return [block + "\n" for block in markdown.split("\n\n") if block.strip()]


def anchored_refs(old: list[str], new: list[str]) -> tuple[list[ClauseRef], list[ClauseRef]]:
    """Both sides with anchors, as after an import: new clauses inherit their old clause's anchor."""
    old_refs = [ClauseRef(f"c{k}", text) for k, text in enumerate(old)]
    continuation = align(old_refs, [ClauseRef(None, text) for text in new]).continuation_of()
    new_refs = [
        ClauseRef(f"c{continuation[k]}" if k in continuation else f"n{k}", text) for k, text in enumerate(new)
    ]
    return old_refs, new_refs


def run_engine(old_refs: list[ClauseRef], new_refs: list[ClauseRef]) -> int:
    result = diff_versions(old_refs, new_refs, from_label="old", to_label="new")
    return len(redline.to_json(result))


def run_baseline(old_markdown: str, new_markdown: str) -> int:
    a_words, b_words = old_markdown.split(), new_markdown.split()
    return len(difflib.SequenceMatcher(None, a_words, b_words).get_opcodes())


# -- measuring ------------------------------------------------------------------------------------


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The best wall-clock time of ``runs`` runs, in seconds."""
    return _best(runs, work, time.perf_counter)


def best_cpu_of(runs: int, work: Callable[[], object]) -> float:
    """The best CPU time of this process over ``runs`` runs: on a busy machine, closer than the
    wall clock to what the code costs."""
    return _best(runs, work, time.process_time)


def _best(runs: int, work: Callable[[], object], clock: Callable[[], float]) -> float:
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        start = clock()
        work()
        best = min(best, clock() - start)
    return best


def traced_peak(work: Callable[[], object]) -> float:
    """Peak traced allocation (MB) while ``work`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


@dataclass
class Row:
    name: str
    size_kb: float
    clauses: str
    parse_s: float
    unanchored_s: float
    unanchored_cpu_s: float
    anchored_s: float
    baseline_s: float | None
    peak_mb: float


def measure(name: str, old_markdown: str, new_markdown: str, *, runs: int, baseline_runs: int) -> Row:
    old_clauses, new_clauses = parse_clauses(old_markdown), parse_clauses(new_markdown)
    parse_s = best_of(runs, lambda: (parse_clauses(old_markdown), parse_clauses(new_markdown)))
    unanchored = ([ClauseRef(f"c{k}", t) for k, t in enumerate(old_clauses)], [ClauseRef(None, t) for t in new_clauses])
    anchored = anchored_refs(old_clauses, new_clauses)
    unanchored_s = best_of(runs, lambda: run_engine(*unanchored))
    unanchored_cpu_s = best_cpu_of(runs, lambda: run_engine(*unanchored))
    anchored_s = best_of(runs, lambda: run_engine(*anchored))
    baseline_s = best_of(baseline_runs, lambda: run_baseline(old_markdown, new_markdown)) if baseline_runs else None
    peak_mb = traced_peak(lambda: (parse_clauses(old_markdown), parse_clauses(new_markdown), run_engine(*unanchored)))
    size_kb = (len(old_markdown.encode()) + len(new_markdown.encode())) / 2 / 1024
    return Row(
        name, size_kb, f"{len(old_clauses)}/{len(new_clauses)}", parse_s, unanchored_s, unanchored_cpu_s, anchored_s,
        baseline_s, peak_mb,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the engine; the best counts")
    parser.add_argument("--baseline-runs", type=int, default=1, help="timed runs of the difflib baseline")
    parser.add_argument("--seed", type=int, default=20241028)
    args = parser.parse_args(argv)

    big_old, big_new = make_versions(5000, args.seed)
    small_old, small_new = make_versions(250, args.seed + 1)
    shuffled = list(big_old)
    random.Random(args.seed + 2).shuffle(shuffled)
    pairs = [
        ("1 MB, edited", to_markdown(big_old), to_markdown(big_new)),
        ("1 MB, shuffled", to_markdown(big_old), to_markdown(shuffled)),
        ("50 KB, edited", to_markdown(small_old), to_markdown(small_new)),
    ]
    parser_name = "definitions.engine.markdown.parse" if _parse_markdown else "blank-line split (no parser)"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs, load average {load}; clauses by {parser_name}; "
          f"best of {args.runs} (baseline: best of {args.baseline_runs})\n")
    header = (
        f"{'pair':<16} {'KB':>6} {'clauses':>11} {'parse':>8} {'engine':>8} {'cpu':>8} {'anchored':>9} "
        f"{'difflib':>9} {'speed-up':>9} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, old_markdown, new_markdown in pairs:
        row = measure(name, old_markdown, new_markdown, runs=args.runs, baseline_runs=args.baseline_runs)
        baseline = f"{row.baseline_s:9.3f}" if row.baseline_s is not None else f"{'-':>9}"
        ratio = f"{row.baseline_s / row.unanchored_s:8.1f}x" if row.baseline_s is not None else f"{'-':>9}"
        print(f"{row.name:<16} {row.size_kb:6.0f} {row.clauses:>11} {row.parse_s:8.3f} {row.unanchored_s:8.3f} "
              f"{row.unanchored_cpu_s:8.3f} {row.anchored_s:9.3f} {baseline} {ratio} {row.peak_mb:8.1f}", flush=True)
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"\nseconds, wall clock unless said; 'engine' = align + diff + JSON with the new clauses unanchored "
          f"('cpu': its CPU time), 'anchored' = the same with anchors on both sides;\n'speed-up' = difflib "
          f"baseline / engine (wall); 'peak MB' = tracemalloc peak of parse + engine. Process ru_maxrss: "
          f"{maxrss_mb:.0f} MB.")


if __name__ == "__main__":
    main()
