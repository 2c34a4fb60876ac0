"""Search-term extraction: the words and short phrases people type, from titles.

Popular and trending terms are built here from stream rows that the backends
select. A term is a lower-case word, or a two-word phrase taken from one run
of words with no punctuation between them. Stop words, bare numbers and single
characters never become terms, and a phrase must occur in at least
``MIN_PHRASE_STREAMS`` streams so that one long title cannot flood the list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

#: English stop words, shared with the Meilisearch ``stopWords`` setting so
#: both backends ignore the same words in queries.
STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all am an and any are aren't as at be
    because been before being below between both but by can can't cannot could
    couldn't did didn't do does doesn't doing don't down during each few for
    from further had hadn't has hasn't have haven't having he he'd he'll he's
    her here here's hers herself him himself his how how's i i'd i'll i'm i've
    if in into is isn't it it's its itself let's me more most mustn't my myself
    no nor not of off on once only or other ought our ours ourselves out over
    own same shan't she she'd she'll she's should shouldn't so some such than
    that that's the their theirs them themselves then there there's these they
    they'd they'll they're they've this those through to too under until up
    very was wasn't we we'd we'll we're we've were weren't what what's when
    when's where where's which while who who's whom why why's will with won't
    would wouldn't you you'd you'll you're you've your yours yourself
    yourselves
    """.split()
)

#: Words that appear in most stream titles and so tell a searcher nothing.
#: They are dropped from terms but still searchable.
TERM_NOISE_WORDS: frozenset[str] = frozenset(
    {
        "live",
        "stream",
        "streaming",
        "streams",
        "ep",
        "episode",
        "part",
        "pt",
        "day",
        "w",
        "ft",
    }
)

#: A two-word phrase becomes a term only when this many streams contain it.
MIN_PHRASE_STREAMS = 2

# A word is a run of letters or digits, with an inner apostrophe kept
# ("don't"). Everything else separates words.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Punctuation that ends a phrase: a phrase never spans "Python: Django".
_CLAUSE_BREAK = re.compile(r"[^\w\s'’]+|_+")


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lower-case words, apostrophes normalised to ``'``."""
    return [
        match.group(0).replace("’", "'") for match in _WORD.finditer(text.casefold())
    ]


def _is_term_word(word: str) -> bool:
    if len(word) < 2 or word.isdigit():
        return False
    return word not in STOP_WORDS and word not in TERM_NOISE_WORDS


def extract_terms(text: str) -> tuple[set[str], set[str]]:
    """Return the distinct words and two-word phrases of ``text`` that can be terms."""
    words: set[str] = set()
    phrases: set[str] = set()
    for clause in _CLAUSE_BREAK.split(text):
        tokens = tokenize(clause)
        for index, token in enumerate(tokens):
            if not _is_term_word(token):
                continue
            words.add(token)
            if index + 1 < len(tokens) and _is_term_word(tokens[index + 1]):
                phrases.add(f"{token} {tokens[index + 1]}")
    return words, phrases


@dataclass
class TermCounter:
    """Weighted term scores, each source counted once per term."""

    scores: dict[str, float] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    _phrases: set[str] = field(default_factory=set)

    def add_text(self, text: str, weight: float) -> None:
        """Add the words and phrases of one title with ``weight``."""
        words, phrases = extract_terms(text)
        for term in words:
            self._add(term, weight)
        for term in phrases:
            self._phrases.add(term)
            self._add(term, weight)

    def add_phrase(self, phrase: str, weight: float) -> None:
        """Add a whole name (a category) as one term, if it has any term words."""
        words = [word for word in tokenize(phrase) if word not in STOP_WORDS]
        if not words:
            return
        self._add(" ".join(tokenize(phrase)), weight)

    def _add(self, term: str, weight: float) -> None:
        self.scores[term] = self.scores.get(term, 0.0) + weight
        self.sources[term] = self.sources.get(term, 0) + 1

    def top(self, limit: int) -> list[tuple[str, float, int]]:
        """Return up to ``limit`` ``(term, score, sources)``, highest score first."""
        ranked = [
            (term, score, self.sources[term])
            for term, score in self.scores.items()
            if term not in self._phrases or self.sources[term] >= MIN_PHRASE_STREAMS
        ]
        ranked.sort(key=lambda item: (-item[1], -item[2], item[0]))
        return ranked[:limit]


def rank_terms(
    titles: Iterable[tuple[str, float]],
    names: Iterable[tuple[str, float]] = (),
    *,
    limit: int,
) -> list[tuple[str, float, int]]:
    """Rank terms from weighted titles and weighted whole names (see :class:`TermCounter`)."""
    counter = TermCounter()
    for title, weight in titles:
        counter.add_text(title, weight)
    for name, weight in names:
        counter.add_phrase(name, weight)
    return counter.top(limit)
