"""Time and peak memory of the comment analysis engines on generated rounds.

    python bench/analysis_bench.py [--comments N] [--clauses K] [--theme-comments M] [--compare-datasketch D]

Duplicates run on N comments (default 1,000,000; a fifth of them in 5 form-letter campaigns with small
personal edits), in one call, or split over K clauses as the round-consolidation tasks do. Themes run
on M comments (default 50,000) drawn from 8 topics. ``--compare-datasketch D`` times datasketch's MinHash + LSH
on D comments against find_duplicate_groups. Each step is timed untraced (ru_maxrss: the process's
high-water mark so far), then run again under tracemalloc for its peak allocation.
"""
from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consultations.engine.duplicates import dedupe_for_themes, find_duplicate_groups  # noqa: E402
from consultations.engine.textnorm import words  # noqa: E402
from consultations.engine.themes import find_themes  # noqa: E402


# Generated text, with its own vocabulary of made-up words.

_SYLLABLES = ["ba", "ko", "ri", "mel", "tan", "su", "vor", "li", "den", "pa", "qui", "ro", "zen", "fa",
              "mu", "tor", "nel", "si", "gar", "po", "lun", "ve", "dra", "chi"]
_STOCK_PHRASES = ["i think that", "in my view", "the definition should", "this clause", "as a developer",
                  "we believe", "it is important that", "please consider", "on the other hand",
                  "for example", "the community", "open source", "training data", "model weights"]
_NAMES = ["Ada", "Bram", "Chen", "Dana", "Eko", "Femi", "Gita", "Hugo", "Ines", "Jun", "Kofi", "Lena",
          "Mira", "Nils", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tove", "Uma", "Vik", "Wen", "Yara"]


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    vocabulary: set[str] = set()
    while len(vocabulary) < size:
        vocabulary.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(vocabulary)


def _sentence(rng: random.Random, vocabulary: list[str], low: int = 8, high: int = 16) -> str:
    parts = []
    for _ in range(rng.randint(low, high)):
        # Stock phrases make unrelated comments share a few shingles, as real comments do.
        parts.append(rng.choice(_STOCK_PHRASES) if rng.random() < 0.12 else rng.choice(vocabulary))
    return " ".join(parts).capitalize() + "."


def make_campaign_copies(rng: random.Random, vocabulary: list[str], copies: int) -> list[str]:
    """A template of ~80-150 words, then copies with a greeting name, a sentence added or removed
    and a few words changed."""
    template = []
    while sum(len(s.split()) for s in template) < rng.randint(80, 150):
        template.append(_sentence(rng, vocabulary))
    letters = []
    for _ in range(copies):
        sentences = list(template)
        if rng.random() < 0.5:
            del sentences[rng.randrange(len(sentences))]
        else:
            sentences.insert(rng.randrange(len(sentences) + 1), _sentence(rng, vocabulary))
        tokens = " ".join(sentences).split()
        for _ in range(rng.randint(1, 4)):
            tokens[rng.randrange(len(tokens))] = rng.choice(vocabulary)
        letters.append(f"Dear {rng.choice(_NAMES)}, " + " ".join(tokens))
    return letters


def distinct_comments(rng: np.random.Generator, vocabulary: list[str], count: int, topics: int = 0) -> list[str]:
    """``count`` comments of 8-60 words; with ``topics``, each comment draws 70% of its words from
    one topic's own slice of the vocabulary. numpy draws the words: the bench must not spend its
    time in the generator."""
    vocab = np.array(vocabulary, dtype=object)
    lengths = rng.integers(8, 61, size=count)
    flat = rng.zipf(1.3, size=int(lengths.sum())) % len(vocab)
    if topics:
        slice_size = len(vocab) // (topics + 1)
        topic_of = np.repeat(rng.integers(0, topics, size=count), lengths)
        from_topic = rng.random(len(flat)) < 0.7
        flat = np.where(from_topic, slice_size * (1 + topic_of) + flat % slice_size, flat % slice_size)
    tokens = vocab[flat]
    out, start = [], 0
    for n in lengths.tolist():
        out.append(" ".join(tokens[start:start + n]).capitalize() + ".")
        start += n
    return out


def make_round(n: int, campaigns: int = 5, seed: int = 1) -> list[tuple[int, str]]:
    rng = random.Random(seed)
    vocabulary = make_vocabulary(rng, 20_000)
    in_campaigns = n // 5
    texts = distinct_comments(np.random.default_rng(seed), vocabulary, n - in_campaigns)
    for c in range(campaigns):
        texts.extend(make_campaign_copies(rng, vocabulary, in_campaigns // campaigns + (c < in_campaigns % campaigns)))
    rng.shuffle(texts)
    return list(enumerate(texts, start=1))


TRACE = True


def measure(label: str, fn):
    """Runs ``fn`` untraced for its time and ru_maxrss, then (unless --no-tracemalloc) once more
    under tracemalloc for its peak allocation: tracing slows allocation-heavy code several fold,
    so a traced run would misstate the time."""
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = f"{label}: {elapsed:.1f} s, ru_maxrss {maxrss_mb:.0f} MiB"
    if TRACE:
        tracemalloc.start()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        line += f", tracemalloc peak {peak / 2**20:.0f} MiB"
    print(line, flush=True)
    return result


def bench_duplicates(n: int, clauses: int) -> None:
    started = time.perf_counter()
    comments = make_round(n)
    print(f"generated {n:,} comments ({n // 5:,} in 5 campaigns) in {time.perf_counter() - started:.1f} s", flush=True)
    if clauses <= 1:
        groups = measure(f"find_duplicate_groups on {n:,} comments (one call)", lambda: find_duplicate_groups(comments))
    else:
        per_clause = [comments[i::clauses] for i in range(clauses)]
        groups = measure(f"find_duplicate_groups on {n:,} comments over {clauses} clauses",
                         lambda: [g for clause in per_clause for g in find_duplicate_groups(clause)])
    big = sorted((g.size for g in groups), reverse=True)
    print(f"  {len(groups):,} groups; largest {big[:10]}; {sum(big):,} comments grouped", flush=True)
    if clauses <= 1:
        measure("dedupe_for_themes", lambda: dedupe_for_themes(comments, groups))


def bench_themes(m: int) -> None:
    rng = random.Random(2)
    texts = distinct_comments(np.random.default_rng(2), make_vocabulary(rng, 8_000), m, topics=8)
    comments = list(enumerate(texts, start=1))
    themes = measure(f"find_themes on {m:,} comments", lambda: find_themes(comments))
    for theme in themes:
        print(f"  {theme.weight:>7,}  {theme.label}")


def compare_datasketch(d: int) -> None:
    """Near-duplicate search on ``d`` comments: datasketch's MinHash + MinHashLSH (the usual recipe,
    128 permutations, candidates taken as found) against find_duplicate_groups."""
    from datasketch import MinHash, MinHashLSH

    comments = make_round(d)

    def with_datasketch():
        lsh = MinHashLSH(threshold=0.5, num_perm=128)
        for comment_id, text in comments:
            tokens = words(text)
            m = MinHash(num_perm=128, seed=1)
            m.update_batch([" ".join(tokens[i:i + 3]).encode() for i in range(len(tokens) - 2)])
            lsh.insert(comment_id, m)

    measure(f"datasketch MinHash + MinHashLSH.insert on {d:,} comments (no verification)", with_datasketch)
    measure(f"find_duplicate_groups on the same {d:,} comments (everything)", lambda: find_duplicate_groups(comments))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--clauses", type=int, default=1, help="split the duplicates run over this many clauses")
    parser.add_argument("--theme-comments", type=int, default=50_000)
    parser.add_argument("--compare-datasketch", type=int, default=0, metavar="D")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the traced second run of each step")
    args = parser.parse_args()
    global TRACE
    TRACE = not args.no_tracemalloc
    if args.compare_datasketch:
        compare_datasketch(args.compare_datasketch)
    if args.comments:
        bench_duplicates(args.comments, args.clauses)
    if args.theme_comments:
        bench_themes(args.theme_comments)


if __name__ == "__main__":
    main()
