"""Duplicate and form-letter detection: which comments are copies, exact or lightly edited, of one
text, so that a campaign of 40,000 letters reads as one voice with a count rather than 40,000 rows.

Two stages, cheapest first:

1. **Exact duplicates.** Each comment is normalised (casefolded, punctuation stripped, whitespace
   collapsed; see `textnorm`) and bucketed by a blake2b digest. Identical form letters of any
   length collapse here, so the costly stage sees each distinct text once.
2. **Near duplicates.** Each distinct text of at least ``MIN_SHINGLES`` word 3-shingles (10 words)
   gets a MinHash signature; LSH banding puts texts that agree on a whole band of the signature in
   one bucket; within a bucket every member is compared with a leader (the bucket's first member in
   id order, then, for the members that failed, the first of those, up to ``_LEADER_ROUNDS``
   leaders), and a pair whose Jaccard similarity, estimated from the full signatures, reaches the
   threshold becomes an edge. Connected components of the edges are the groups. Comparing with a
   leader instead of with every member keeps a bucket of 40,000 copies linear, and because a
   campaign shares many buckets (one per band) the copies that miss one leader meet another.

   Short texts ("I agree", "+1 to this") stay out of stage 2: two three-word comments are
   near-identical by accident, not because a campaign wrote them. Identical ones are still exact
   duplicates (stage 1), because an identical text is an identical text whatever its length.
   Texts with no words at all (blank, emoji, punctuation) are never grouped.

Why not ``datasketch``: its ``MinHash.update`` hashes one shingle at a time in Python (sha1, then a
numpy pass per shingle) and ``MinHashLSH`` keeps a Python dict per band; that is ~1 ms per
100-word comment, a quarter of an hour for a million. Here everything after normalisation runs on
batches in numpy: the words of ~2 MB of text are hashed at once (a polynomial hash over their
bytes), shingles are combined from word hashes, all permutations are applied as one multiply-shift
hash ``(a*x + b) >> 32`` on uint64 (wrapping arithmetic, no modulo), and the per-comment minima come
from ``np.minimum.reduceat``. ``bench/analysis_bench.py --compare-datasketch`` measures both.

Deterministic: comments are processed in id order, permutations and band keys come from fixed
constants, no salted ``hash()`` of str reaches the output, and the groups are sorted; the same
comments in any order give identical groups.
"""
from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from consultations.engine.textnorm import digest, ensure_unique_ids, separated_bytes, sorted_by_id

__all__ = [
    "DEFAULT_NUM_PERM",
    "DEFAULT_THRESHOLD",
    "MIN_SHINGLES",
    "SHINGLE_SIZE",
    "DuplicateGroup",
    "dedupe_for_themes",
    "find_duplicate_groups",
]

DEFAULT_THRESHOLD = 0.5
"""Jaccard similarity of word 3-shingles from which two comments are near duplicates. Measured on
generated campaigns (see the tests): two lightly edited copies of a 100-word letter (each with a
name, a sentence added or dropped, a few words changed) score 0.3-0.85 against each other, median
0.6; two different comments on the same clause score under 0.1, and copies of two different
letters under 0.05. At 0.5 most copy pairs link directly and the rest join through other copies,
with a wide margin above unrelated texts. 0.8, a common default for near-identical web pages, would
split a campaign whose members each carry a few personal edits."""

DEFAULT_NUM_PERM = 128
"""MinHash permutations. The standard error of an estimated Jaccard is sqrt(J(1-J)/num_perm), 0.044
at J = 0.5 with 128; 64 halves the cost for an error of 0.063."""

SHINGLE_SIZE = 3
"""Words per shingle. Three words keep the order of a text (bags of single words make any two
comments on one topic look alike) while a changed word disturbs only three shingles."""

MIN_SHINGLES = 8
"""Fewest shingles (SHINGLE_SIZE-word windows, so 10 words) a text needs for near-duplicate
detection; below that a single changed word swings the similarity by a quarter or more."""

_LEADER_ROUNDS = 3
"""Leaders tried per LSH bucket before its remaining members are left to other bands."""

_EXEMPLAR_CANDIDATES = 64
"""Distinct texts of a group (largest first) among which its exemplar is chosen: bounds the
quadratic comparison for a campaign of thousands of edited copies."""

_BATCH_BYTES = 1 << 20  # text per numpy batch (~1,800 comments): bounds the temporaries
_MINHASH_BLOCK = 8192  # shingles per MinHash block: a (num_perm x block) uint64 block stays in cache
_COMPARE_BLOCK = 1 << 15  # signature rows compared at once when verifying candidates
# LSH banding is chosen to minimise _FP_WEIGHT * P(candidate below threshold) + _FN_WEIGHT *
# P(missed above it): candidates are verified, so a false positive costs only a comparison while a
# miss loses a copy from its campaign. Weighting misses 3:1 moves the S-curve below the threshold.
_FP_WEIGHT, _FN_WEIGHT = 0.25, 0.75

_U64 = np.uint64
_rng = np.random.default_rng(20240607)
_PERM_A = _rng.integers(1, 2**63, size=512, dtype=np.uint64) | _U64(1)  # odd multipliers
_PERM_B = _rng.integers(0, 2**63, size=512, dtype=np.uint64)
_BAND_MULT = _rng.integers(1, 2**63, size=512, dtype=np.uint64) | _U64(1)
_WORD_BASE = _U64(0x100000001B3)  # FNV-1a's 64-bit prime, as the base of the polynomial word hash
_WORD_BASE_INVERSE = _U64(pow(0x100000001B3, -1, 2**64))
_SHINGLE_MULT = (_U64(0x9E3779B97F4A7C15), _U64(0xC2B2AE3D27D4EB4F), _U64(0x165667B19E3779F9))


@dataclass(frozen=True)
class DuplicateGroup:
    """Comments that are copies, exact or lightly edited, of one text."""

    size: int
    comment_ids: list[int]  # sorted
    # The copy closest to the group's centre: of the distinct normalised text that best agrees with
    # the others (see _choose_exemplars), the most common exact spelling, ties to the smallest id.
    exemplar_comment_id: int

    def to_dict(self) -> dict:
        return asdict(self)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place: spreads every input bit over the whole word."""
    x ^= x >> _U64(30)
    x *= _U64(0xBF58476D1CE4E5B9)
    x ^= x >> _U64(27)
    x *= _U64(0x94D049BB133111EB)
    x ^= x >> _U64(31)
    return x


_power_tables: tuple[np.ndarray, np.ndarray] = (np.ones(1, np.uint64), np.ones(1, np.uint64))


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE**k and BASE**-k modulo 2**64 for k < n (kept between calls: batches are alike)."""
    global _power_tables
    if len(_power_tables[0]) < n:
        size = max(n, 2 * len(_power_tables[0]))
        tables = []
        for base in (_WORD_BASE, _WORD_BASE_INVERSE):
            table = np.full(size, base, dtype=np.uint64)
            table[0] = 1
            tables.append(np.cumprod(table))
        _power_tables = (tables[0], tables[1])
    return _power_tables[0][:n], _power_tables[1][:n]


def _tokenise(batch: list[bytes]) -> tuple[list[bytes], np.ndarray, np.ndarray]:
    """For a batch of `separated_bytes` texts: each text normalised (single spaces, stripped), the
    64-bit hash of every word of the batch, and the index within the batch of each word's text."""
    joined = b"\n".join(batch) + b"\n"  # separated_bytes never contains a newline
    buf = np.frombuffer(joined, dtype=np.uint8)
    is_word = (buf != 0x20) & (buf != 0x0A)
    prev_word = np.empty_like(is_word)
    prev_word[0] = False
    prev_word[1:] = is_word[:-1]

    # Normalised texts: keep word bytes, newlines, and one space after each word.
    keep = is_word | (buf == 0x0A) | ((buf == 0x20) & prev_word)
    texts = [text.rstrip(b" ") for text in buf[keep].tobytes().split(b"\n")[:-1]]

    starts = np.flatnonzero(is_word & ~prev_word)
    if not len(starts):
        return texts, np.empty(0, np.uint64), np.empty(0, np.int64)
    ends = np.flatnonzero(is_word & ~np.r_[is_word[1:], False]) + 1
    doc_of_word = np.searchsorted(np.flatnonzero(buf == 0x0A), starts)
    # Polynomial hash of each word, sum(byte_k * BASE**k), for all words at once from prefix sums
    # over the whole batch: (prefix[end] - prefix[start]) / BASE**start, where dividing by the odd
    # BASE is multiplying by its inverse modulo 2**64. All arithmetic wraps modulo 2**64.
    powers, inverse_powers = _powers(len(buf))
    prefix = np.zeros(len(buf) + 1, dtype=np.uint64)
    np.cumsum(buf * powers, out=prefix[1:])
    word_hashes = _mix64((prefix[ends] - prefix[starts]) * inverse_powers[starts])
    return texts, word_hashes, doc_of_word


def _shingle_hashes(word_hashes: np.ndarray, doc_of_word: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hash of every SHINGLE_SIZE-word window lying inside one text whose entry in ``eligible``
    (indexed by text) is true, with that text's index; both ordered by text."""
    span = SHINGLE_SIZE - 1
    if len(word_hashes) <= span:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    doc = doc_of_word[:-span]
    inside = (doc == doc_of_word[span:]) & eligible[doc]
    combined = np.zeros(int(inside.sum()), dtype=np.uint64)
    for k in range(SHINGLE_SIZE):
        combined += word_hashes[k:len(word_hashes) - span + k][inside] * _SHINGLE_MULT[k]
    return _mix64(combined), doc[inside]


def _minhash(shingles: np.ndarray, doc_of_shingle: np.ndarray, num_perm: int) -> np.ndarray:
    """MinHash signatures (one uint32 row per distinct value of ``doc_of_shingle``, in order) under
    the multiply-shift permutations h_i(x) = (a_i * x + b_i) >> 32."""
    a, b = _PERM_A[:num_perm, None], _PERM_B[:num_perm, None]
    doc_starts = np.flatnonzero(np.r_[True, doc_of_shingle[1:] != doc_of_shingle[:-1]])
    bounds = np.r_[doc_starts, len(shingles)]
    signatures = np.empty((len(doc_starts), num_perm), dtype=np.uint32)
    lo = 0
    while lo < len(doc_starts):
        # Whole texts per block, at least one, about _MINHASH_BLOCK shingles.
        hi = max(lo + 1, int(np.searchsorted(bounds, bounds[lo] + _MINHASH_BLOCK, side="right")) - 1)
        hi = min(hi, len(doc_starts))
        block = np.multiply.outer(a[:, 0], shingles[bounds[lo]:bounds[hi]])
        block += b
        block >>= _U64(32)
        signatures[lo:hi] = np.minimum.reduceat(block, doc_starts[lo:hi] - bounds[lo], axis=1).T
        lo = hi
    return signatures


@functools.lru_cache(maxsize=64)
def _lsh_shape(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) minimising the weighted area of misses and false candidates."""
    s = np.linspace(0.0, 1.0, 2001)
    below, above = s < threshold, s >= threshold
    best: tuple[float, int, int] | None = None
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows  # with verified candidates, more bands only buy recall
        p = 1.0 - (1.0 - s**rows) ** bands
        cost = _FP_WEIGHT * np.trapezoid(p[below], s[below]) + _FN_WEIGHT * np.trapezoid(1.0 - p[above], s[above])
        if best is None or cost < best[0]:
            best = (float(cost), bands, rows)
    assert best is not None
    return best[1], best[2]


def _band_keys(signatures: np.ndarray, band: int, rows: int) -> np.ndarray:
    key = np.zeros(len(signatures), dtype=np.uint64)
    for column in range(band * rows, (band + 1) * rows):
        key ^= signatures[:, column].astype(np.uint64)
        key *= _BAND_MULT[column]
        key ^= key >> _U64(29)
    return key


def _estimated_similarity(signatures: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Share of equal signature positions for each pair (left[i], right[i]): the MinHash estimate of
    their Jaccard similarity."""
    out = np.empty(len(left), dtype=np.float64)
    for lo in range(0, len(left), _COMPARE_BLOCK):
        hi = lo + _COMPARE_BLOCK
        equal = signatures[left[lo:hi]] == signatures[right[lo:hi]]
        out[lo:hi] = np.count_nonzero(equal, axis=1) / signatures.shape[1]
    return out


def _near_duplicate_edges(signatures: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of signature rows (left, right) verified as near duplicates, found through LSH."""
    bands, rows = _lsh_shape(threshold, signatures.shape[1])
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    for band in range(bands):
        keys = _band_keys(signatures, band, rows)
        order = np.argsort(keys, kind="stable")  # stable: a bucket's members stay in id order
        sorted_keys = keys[order]
        same_as_previous = np.r_[False, sorted_keys[1:] == sorted_keys[:-1]]
        in_bucket = same_as_previous | np.r_[same_as_previous[1:], False]
        pending = order[in_bucket]  # members of buckets of 2 or more, bucket by bucket
        bucket = np.cumsum(~same_as_previous)[in_bucket]
        for _ in range(_LEADER_ROUNDS):
            if len(pending) < 2:
                break
            is_leader = np.r_[True, bucket[1:] != bucket[:-1]]
            leader = pending[np.flatnonzero(is_leader)[np.cumsum(is_leader) - 1]]
            members, leader, bucket = pending[~is_leader], leader[~is_leader], bucket[~is_leader]
            verified = _estimated_similarity(signatures, leader, members) >= threshold
            lefts.append(leader[verified])
            rights.append(members[verified])
            pending, bucket = members[~verified], bucket[~verified]
    if not lefts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(lefts), np.concatenate(rights)


def _choose_exemplars(
    component: np.ndarray, class_size: np.ndarray, signature_row: np.ndarray, signatures: np.ndarray, groups: list[int]
) -> dict[int, int]:
    """The exemplar text (class) of each listed component of several distinct texts: the one with
    the greatest size-weighted agreement of its signature with the others', i.e. the estimated
    medoid, which for a campaign is the copy with the fewest personal edits; ties go to the larger
    class, then to the text seen first (smallest id)."""
    classes_by_component = np.argsort(component, kind="stable")
    sorted_components = component[classes_by_component]
    starts = np.searchsorted(sorted_components, groups, side="left")
    ends = np.searchsorted(sorted_components, groups, side="right")
    chosen: dict[int, int] = {}
    for label, start, end in zip(groups, starts.tolist(), ends.tolist()):
        classes = classes_by_component[start:end]
        rows = signature_row[classes]
        classes, rows = classes[rows >= 0], rows[rows >= 0]  # texts too short have no signature
        if len(classes) == 0:
            continue
        by_size = np.lexsort((classes, -class_size[classes]))[:_EXEMPLAR_CANDIDATES]
        classes, rows = classes[by_size], rows[by_size]
        sig = signatures[rows]
        agreement = (sig[:, None, :] == sig[None, :, :]).sum(axis=2)  # integer: exact ties
        score = agreement @ class_size[classes]
        chosen[label] = int(classes[np.lexsort((classes, -class_size[classes], -score))[0]])
    return chosen


def _most_common_spelling(items: list[tuple[int, str]], members: np.ndarray) -> int:
    """Among comments with one normalised text (``members``, item indices in id order), the first
    whose exact text is the most common: the spelling most senders used, ties to the smallest id."""
    counts = Counter(items[i][1] for i in members.tolist())
    best = max(counts.values())
    return next(i for i in members.tolist() if counts[items[i][1]] == best)


def find_duplicate_groups(
    comments: Iterable[tuple[int, str]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    num_perm: int = DEFAULT_NUM_PERM,
    min_size: int = 2,
) -> list[DuplicateGroup]:
    """Groups of exact or near-duplicate comments, largest first, then by smallest id.

    ``comments`` are (comment id, text) pairs with unique integer ids, in any order. Exact
    duplicates after normalisation are grouped whatever their length; near duplicates need
    ``MIN_SHINGLES`` shingles in both texts and an estimated Jaccard similarity of word 3-shingles
    of at least ``threshold``; groups are closed under both (a copy of a copy is in the group).
    Texts without words are never grouped. Groups of fewer than ``min_size`` comments are left out.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"The threshold is a Jaccard similarity in (0, 1], not {threshold!r}.")
    if not 16 <= num_perm <= len(_PERM_A):
        raise ValueError(f"num_perm must be between 16 and {len(_PERM_A)}, not {num_perm!r}.")
    if min_size < 2:
        raise ValueError(f"A duplicate group has at least 2 comments; min_size {min_size!r} is too small.")

    items = sorted_by_id(comments)
    ids = np.fromiter((comment_id for comment_id, _ in items), dtype=np.int64, count=len(items))
    if len(ids) > 1 and not np.all(ids[1:] > ids[:-1]):
        ensure_unique_ids(ids.tolist())

    # Stage 1, exact duplicates, batch by batch; the new distinct texts of each batch go on to
    # MinHash straight away so that no batch's text is kept.
    class_of_item = np.full(len(items), -1, dtype=np.int64)  # -1: no words, never grouped
    class_of_digest: dict[bytes, int] = {}
    signature_blocks: list[np.ndarray] = []
    signed_classes: list[np.ndarray] = []
    min_words = MIN_SHINGLES + SHINGLE_SIZE - 1

    def process(first_item: int, batch: list[bytes]) -> None:
        texts, word_hashes, doc_of_word = _tokenise(batch)
        new = np.zeros(len(texts), dtype=bool)
        for offset, text in enumerate(texts):
            if not text:
                continue
            key = digest(text)
            cls = class_of_digest.get(key)
            if cls is None:
                cls = class_of_digest[key] = len(class_of_digest)
                new[offset] = True
            class_of_item[first_item + offset] = cls
        eligible = new & (np.bincount(doc_of_word, minlength=len(texts)) >= min_words)
        if eligible.any():
            shingles, doc_of_shingle = _shingle_hashes(word_hashes, doc_of_word, eligible)
            signature_blocks.append(_minhash(shingles, doc_of_shingle, num_perm))
            signed_classes.append(class_of_item[first_item + np.flatnonzero(eligible)])

    batch: list[bytes] = []
    batch_start = batch_bytes = 0
    for index, (_, text) in enumerate(items):
        separated = separated_bytes(text)
        batch.append(separated)
        batch_bytes += len(separated)
        if batch_bytes >= _BATCH_BYTES:
            process(batch_start, batch)
            batch, batch_start, batch_bytes = [], index + 1, 0
    if batch:
        process(batch_start, batch)
    n_classes = len(class_of_digest)
    class_of_digest.clear()  # the digests are not needed any more; free them before stage 2
    if n_classes == 0:
        return []

    # Stage 2, near duplicates among the distinct texts that have a signature.
    signatures = np.concatenate(signature_blocks) if signature_blocks else np.empty((0, num_perm), np.uint32)
    signature_blocks.clear()
    signed = np.concatenate(signed_classes) if signed_classes else np.empty(0, np.int64)
    left, right = _near_duplicate_edges(signatures, threshold) if len(signatures) > 1 else (signed[:0], signed[:0])
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (signed[left], signed[right])), shape=(n_classes, n_classes))
    _, component = connected_components(graph, directed=False)

    # Groups: components of at least min_size comments.
    grouped_items = np.flatnonzero(class_of_item >= 0)
    item_component = component[class_of_item[grouped_items]]
    sizes = np.bincount(item_component, minlength=n_classes)
    class_size = np.bincount(class_of_item[grouped_items], minlength=n_classes)
    distinct_texts = np.bincount(component, minlength=n_classes)
    kept = np.flatnonzero(sizes >= min_size)
    signature_row = np.full(n_classes, -1, dtype=np.int64)
    signature_row[signed] = np.arange(len(signed))
    exemplar_class = _choose_exemplars(
        component, class_size, signature_row, signatures, [int(c) for c in kept if distinct_texts[c] > 1]
    )

    by_component = np.argsort(item_component, kind="stable")  # items stay in id order within a group
    sorted_components = item_component[by_component]
    starts = np.searchsorted(sorted_components, kept, side="left")
    ends = np.searchsorted(sorted_components, kept, side="right")
    groups = []
    for label, start, end in zip(kept.tolist(), starts.tolist(), ends.tolist()):
        members = grouped_items[by_component[start:end]]
        if label in exemplar_class:
            members_of_text = members[class_of_item[members] == exemplar_class[label]]
        else:  # a single distinct text
            members_of_text = members
        groups.append(DuplicateGroup(
            size=len(members),
            comment_ids=ids[members].tolist(),
            exemplar_comment_id=int(ids[_most_common_spelling(items, members_of_text)]),
        ))
    groups.sort(key=lambda group: (-group.size, group.comment_ids[0]))
    return groups


def dedupe_for_themes(
    comments: Iterable[tuple[int, str]],
    groups: Iterable[DuplicateGroup],
) -> list[tuple[int, str, int]]:
    """(id, text, weight) in id order, with each duplicate group counted once: its exemplar carries
    weight = group size and its other members are left out; every other comment has weight 1.
    Finding themes on this stops one campaign from filling every theme with its copies, while the
    weight still says how many people sent it."""
    group_of: dict[int, DuplicateGroup] = {}
    for group in groups:
        for comment_id in group.comment_ids:
            group_of[comment_id] = group
    result = []
    for comment_id, text in sorted_by_id(comments):
        member_of = group_of.get(comment_id)
        if member_of is None:
            result.append((comment_id, text, 1))
        elif comment_id == member_of.exemplar_comment_id:
            result.append((comment_id, text, member_of.size))
    return result
