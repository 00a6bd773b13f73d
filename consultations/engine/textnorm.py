"""Tokenising and normalising helpers shared by the comment analysis engines (duplicates, themes,
suggestions): one definition of "the same words", so the engines agree on what counts as identical.

Everything here is stable across processes: nothing depends on Python's salted ``hash()`` of str
(PYTHONHASHSEED differs between Celery workers), so digests can safely reach the output.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

# Apostrophes inside words are dropped rather than split on, so "don't" and "dont" agree and two
# form letters that differ only in typographic quotes still match exactly.
_APOSTROPHES = re.compile("['`\u2018\u2019]")
# A word is a run of letters or digits; everything else (punctuation, symbols, underscores,
# whitespace) separates words.
_WORD = re.compile(r"[^\W_]+")

# For ASCII text (the vast majority of comments) a byte translation does the same job as the
# regular expressions above about 20 times faster, which matters at a million comments: letters are
# lowercased, digits kept, every other byte becomes a space, apostrophes are deleted.
def _ascii_table() -> bytes:
    table = bytearray(b" " * 256)
    for byte in b"0123456789abcdefghijklmnopqrstuvwxyz":
        table[byte] = byte
    for byte in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[byte] = byte + 0x20
    return bytes(table)


_ASCII_TABLE = _ascii_table()
_ASCII_DELETE = b"'`"


def words(text: str) -> list[str]:
    """The words of ``text``: NFKC-normalised, casefolded, punctuation stripped."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _WORD.findall(_APOSTROPHES.sub("", text.casefold()))


def normalise(text: str) -> str:
    """The words of ``text`` joined by single spaces: the form in which two texts count as identical
    (whitespace-, case- and punctuation-insensitive)."""
    return " ".join(words(text))


def separated_bytes(text: str) -> bytes:
    """``normalise(text)`` in UTF-8, except that words may be separated by runs of several spaces
    and the result may start or end with spaces: the caller collapses them in bulk (see
    `duplicates`). ``b" ".join(separated_bytes(t).split()) == normalise(t).encode()`` for every t."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE, _ASCII_DELETE)
    return normalise(text).encode("utf-8")


def digest(normalised: bytes) -> bytes:
    """A stable 16-byte digest of an already normalised text, for exact-duplicate buckets. blake2b
    rather than a fast non-cryptographic hash: a commenter cannot craft a collision that files their
    comment under someone else's form letter."""
    return hashlib.blake2b(normalised, digest_size=16).digest()


def sorted_by_id(items: Iterable[tuple]) -> list[tuple]:
    """Items sorted by their first element (the comment id): the canonical order every engine works
    in, so that the same comments given in any order give the same result."""
    return sorted(items, key=lambda item: item[0])


def ensure_unique_ids(ids: Iterable[int]) -> None:
    """Raises ValueError naming a repeated comment id: two comments under one id would make every
    result ambiguous."""
    seen: set[int] = set()
    for comment_id in ids:
        if comment_id in seen:
            raise ValueError(f"Comment id {comment_id!r} appears more than once.")
        seen.add(comment_id)
