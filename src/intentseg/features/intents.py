"""Query intent: what a site search is for, in the spirit of Broder's taxonomy of web search (2002).

Four intents, as in Broder plus the "commercial investigation" class of later work (Jansen, Booth & Spink
2008; search-marketing practice):

- ``navigational``: reach a known page or part of the site ("login", "my account", "contact us", "acme.com",
  a bare one- or two-word name such as a brand or section).
- ``informational``: learn something ("how to ...", "what is ...", "... explained", "guide to ...", a question).
- ``transactional``: do something, usually buy ("buy ...", "... price", "... discount code", "cheap ...",
  "order ...", "download ...").
- ``commercial``: compare before buying ("best ...", "... review", "a vs b", "compare ...", "top 10 ...").

:class:`RuleIntentClassifier` applies ordered lexical rules (first match wins), vectorised over a pandas
Series. Any object with a ``name`` and a ``classify(queries) -> Series`` method can replace it
(:class:`IntentClassifier`); ``name`` is stored with each verdict in the ``query_intents`` table, so changing
it makes the next run reclassify every query.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ..errors import InputError

INTENTS = ("navigational", "informational", "transactional", "commercial")


@runtime_checkable
class IntentClassifier(Protocol):
    """The plug-in protocol: give every query one of :data:`INTENTS` (or None when it cannot tell)."""

    #: identifies the classifier and its version; stored in ``query_intents.classifier``.
    name: str

    def classify(self, queries: pd.Series) -> pd.Series:
        """One intent per query, aligned with ``queries`` (normalised: lower-case, trimmed, non-empty)."""
        ...


def _words(*terms: str) -> str:
    """A regex matching any of ``terms`` as whole words (terms are regex fragments)."""
    return r"\b(?:" + "|".join(terms) + r")\b"


# Ordered rules: the first that matches decides. Strong, explicit cues come first.
_RULES: tuple[tuple[str, str], ...] = (
    # Reaching a known place: account and service pages, or a web address typed into search.
    ("navigational", r"^(?:(?:my|the) )?(?:" + "|".join((
        r"log ?in", r"log ?out", r"sign ?in", r"sign ?up", r"sign ?out", r"register", r"account", r"my account",
        r"my orders?", r"orders? status", r"order history", r"track(?:ing)?(?: my)? orders?", r"wish ?list",
        r"cart", r"basket", r"checkout", r"contact(?: us)?", r"about(?: us)?", r"customer (?:service|support)",
        r"support", r"help(?: (?:center|centre|desk))?", r"home ?page", r"home", r"faq", r"newsletter",
        r"careers?", r"store locator", r"stores? near me", r"returns?", r"shipping", r"delivery",
    )) + r")(?: page)?$"),
    ("navigational", r"(?:^|\s)(?:www\.|https?://)|\.(?:com|org|net|io|co|de|fr|uk)\b|\b(?:website|web site|homepage|official site|login page)\b"),
    # Comparing options before a purchase.
    ("commercial", _words(
        r"best", r"top \d+", r"top rated", r"reviews?", r"reviewed", r"ratings?", r"vs\.?", r"versus",
        r"compare", r"comparison", r"compared", r"alternatives?(?: to)?", r"recommended", r"worth it",
        r"pros and cons", r"which (?:is|one)", r"better than",
    )),
    # Questions and how-tos are informational even when they mention buying ("how to buy a bike").
    ("informational", r"^(?:how|what|why|when|where|who|whom|which|is|are|can|could|does|do|did|should|will|would)\b"),
    # Doing something: buying, getting a price or a deal, downloading, booking.
    ("transactional", _words(
        r"buy(?:ing)?", r"purchase", r"order", r"pre-?order", r"price[sd]?", r"pricing", r"cost", r"cheap(?:est)?",
        r"deals?", r"discount(?:s| code)?", r"coupons?", r"promo(?: code)?", r"vouchers?", r"sale", r"for sale",
        r"offers?", r"shop", r"shopping", r"subscribe", r"subscription", r"download", r"free shipping",
        r"in stock", r"book(?:ing)?", r"rent(?:al)?", r"hire", r"quote", r"add to cart", r"near me",
    )),
    # Learning: explanations, guides, definitions, ideas.
    ("informational", _words(
        r"how to", r"guide", r"tutorial", r"explained", r"explanation", r"meaning", r"definition", r"define",
        r"tips", r"ideas", r"examples?", r"history", r"learn(?:ing)?", r"instructions", r"manual", r"faq",
        r"difference between", r"benefits", r"causes", r"symptoms", r"facts", r"introduction", r"overview",
        r"what", r"why", r"how",
    ) + r"|\?"),
)


class RuleIntentClassifier:
    """Ordered lexical rules, first match wins; then a length rule for the rest.

    After the rules, a query of at most ``short_query_words`` words is navigational (Jansen et al.: short
    queries without other cues name a place — a brand, a section, a product line); longer ones are
    informational, the most common intent of web search and Broder's default. ``navigational_terms``
    (brand, product line and section names of your site) make any query consisting only of those terms
    plus "store"/"section"/"page"/"shop" navigational.
    """

    version = 1

    def __init__(self, navigational_terms: tuple[str, ...] = (), short_query_words: int = 2) -> None:
        self.navigational_terms = tuple(t.lower().strip() for t in navigational_terms if t.strip())
        self.short_query_words = short_query_words
        digest = hashlib.sha1(
            repr((self.navigational_terms, short_query_words)).encode("utf-8")
        ).hexdigest()[:8]
        self.name = f"broder-rules-v{self.version}-{digest}"
        rules = list(_RULES)
        if self.navigational_terms:
            names = "|".join(re.escape(t) for t in self.navigational_terms)
            rules.insert(0, ("navigational", rf"^(?:{names})(?: (?:store|shop|section|page|site))?$"))
        self._rules = [(intent, re.compile(pattern)) for intent, pattern in rules]

    def __repr__(self) -> str:
        return f"RuleIntentClassifier(name={self.name!r})"

    def classify(self, queries: pd.Series) -> pd.Series:
        text = queries.astype("string").str.lower().str.strip().str.replace(r"\s+", " ", regex=True)
        conditions = [text.str.contains(pattern, regex=True).fillna(False).to_numpy(bool) for _, pattern in self._rules]
        choices = [intent for intent, _ in self._rules]
        n_words = text.str.split().str.len().fillna(0).to_numpy()
        conditions.append(n_words <= self.short_query_words)
        choices.append("navigational")
        intent = np.select(conditions, choices, default="informational")
        result = pd.Series(intent, index=queries.index, dtype=object)
        result[(text.isna() | (text == "")).to_numpy(bool)] = None
        return result


def classify_queries(classifier: IntentClassifier, queries: pd.Series) -> pd.Series:
    """Run ``classifier`` and check what it returns (a plug-in's mistakes are named, not propagated)."""
    result = classifier.classify(queries)
    if not isinstance(result, pd.Series) or len(result) != len(queries):
        raise InputError(
            f"Intent classifier {getattr(classifier, 'name', classifier)!r} returned "
            f"{type(result).__name__} of length {len(result) if hasattr(result, '__len__') else '?'} "
            f"for {len(queries)} queries.",
            hint="classify(queries) must return a pandas Series with one intent per query, in the same order.",
        )
    result = pd.Series(result.to_numpy(), index=queries.index, dtype=object)
    bad = sorted({str(v) for v in result.dropna().unique()} - set(INTENTS))
    if bad:
        raise InputError(
            f"Intent classifier {classifier.name!r} returned unknown intent(s) {bad[:5]}.",
            hint=f"Return one of {', '.join(INTENTS)} (or None) for each query.",
        )
    return result


def count_words(queries: pd.Series) -> pd.Series:
    """Whitespace-separated words per query (0 for an empty query)."""
    return queries.astype("string").str.split().str.len().fillna(0).astype("int64")
