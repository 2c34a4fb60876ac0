"""Turn user text into a PostgreSQL ``tsquery`` that can never raise a syntax error.

The whole text goes through ``websearch_to_tsquery``, which accepts any input
(quotes, ``or``, ``-word``, lone operators, emoji). Prefix matching on the last
word is added with ``to_tsquery``, whose own syntax would reject or reinterpret
operators, so it only ever sees a quoted run of letters and digits taken from
the user's text, followed by ``:*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, literal, literal_column
from sqlalchemy.dialects.postgresql import TSQUERY

#: Text search configuration of the stemmed lexemes (weights A to C).
TEXT_SEARCH_CONFIG = "english"
#: Configuration of the unstemmed copies (weight D): ``simple`` without
#: English stop words, created by migration 0004.
UNSTEMMED_CONFIG = "search_unstemmed"

_LAST_WORD = re.compile(r"([^\W_]+)$")


def strip_nul(text: str) -> str:
    """Remove NUL characters, which PostgreSQL text values cannot contain."""
    return text.replace("\x00", "")


@dataclass(frozen=True)
class ParsedQuery:
    """User text split for the query: all of it, and the last word for prefix matching."""

    text: str
    head: str
    prefix: str | None


def parse_user_query(text: str) -> ParsedQuery:
    """Split ``text`` into the full query and a sanitized last word to match as a prefix.

    The last word is a prefix only when the text ends with it: a trailing
    space, a closing quote or a negated word (``-word``) means the user has
    finished typing it.
    """
    text = strip_nul(text)
    match = _LAST_WORD.search(text)
    if match is None:
        return ParsedQuery(text=text, head=text, prefix=None)
    start = match.start(1)
    before = text[:start]
    negated = before.endswith("-") and (len(before) == 1 or before[-2].isspace())
    if negated:
        return ParsedQuery(text=text, head=text, prefix=None)
    if before.count('"') % 2 == 1:
        return ParsedQuery(text=text, head=text, prefix=None)
    return ParsedQuery(text=text, head=before, prefix=match.group(1).casefold())


def _regconfig(name: str) -> ColumnElement[object]:
    return literal_column(f"'{name}'::regconfig")


def websearch_query(text: str) -> ColumnElement[object]:
    return func.websearch_to_tsquery(
        _regconfig(TEXT_SEARCH_CONFIG), literal(text), type_=TSQUERY
    )


def prefix_query(word: str, config: str) -> ColumnElement[object]:
    """``to_tsquery(config, '''word'':*')`` for a word of letters and digits only."""
    if not _LAST_WORD.fullmatch(word):
        raise ValueError(f"prefix word {word!r} must contain only letters and digits")
    return func.to_tsquery(_regconfig(config), literal(f"'{word}':*"), type_=TSQUERY)


def build_tsquery(text: str) -> ColumnElement[object]:
    """Build the ``tsquery`` expression for user ``text``.

    Without a prefix word it is ``websearch_to_tsquery(text)``. With one it is
    ``websearch(text) || (websearch(head) && (prefix_english || prefix_simple))``:
    a row matches either the whole text as typed or the finished words plus
    any word that starts with the last one.
    """
    parsed = parse_user_query(text)
    full = websearch_query(parsed.text)
    if parsed.prefix is None:
        return full
    prefix = prefix_query(parsed.prefix, TEXT_SEARCH_CONFIG).op("||")(
        prefix_query(parsed.prefix, UNSTEMMED_CONFIG)
    )
    completed = prefix
    if parsed.head.strip():
        completed = websearch_query(parsed.head).op("&&")(prefix)
    return full.op("||")(completed)


def has_search_words(text: str) -> bool:
    """True when ``text`` contains at least one letter or digit to search for."""
    return any(char.isalnum() for char in text)
