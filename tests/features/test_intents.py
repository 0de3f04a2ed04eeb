"""The rule classifier on hand-written queries: Broder's taxonomy, not the generator's templates."""

from __future__ import annotations

import pandas as pd
import pytest

from intentseg.errors import InputError
from intentseg.features import INTENTS, IntentClassifier, RuleIntentClassifier
from intentseg.features.intents import classify_queries, count_words

# query, expected intent — written by hand, many unlike anything the generator plants.
CASES = [
    # navigational: a known page of the site, a web address, a bare name
    ("login", "navigational"),
    ("Log In", "navigational"),
    ("my account", "navigational"),
    ("contact us", "navigational"),
    ("customer service", "navigational"),
    ("order status", "navigational"),
    ("track my order", "navigational"),
    ("www.acme.com", "navigational"),
    ("acme.com outlet", "navigational"),
    ("acme official site", "navigational"),
    ("patagonia", "navigational"),  # short, no other cue: a brand or section name
    ("kids section", "navigational"),
    # informational: learning, questions, guides
    ("how to clean suede shoes", "informational"),
    ("what is gore-tex", "informational"),
    ("why do running shoes wear out", "informational"),
    ("can you wash hiking boots", "informational"),
    ("how to buy a bike for a child", "informational"),  # a how-to, even about buying
    ("marathon training guide", "informational"),
    ("merino wool explained", "informational"),
    ("history of the sneaker", "informational"),
    ("waterproofing leather tips", "informational"),
    ("size chart?", "informational"),
    ("layering clothes for winter hiking trips", "informational"),  # long, no cue: Broder's default
    # transactional: buying, prices, deals, downloads, bookings
    ("buy trail running shoes", "transactional"),
    ("trail shoes price", "transactional"),
    ("cheap rain jacket", "transactional"),
    ("acme discount code", "transactional"),
    ("tent coupon", "transactional"),
    ("order hiking poles", "transactional"),
    ("download size guide pdf", "transactional"),
    ("book a bike fitting", "transactional"),
    ("camping stove for sale", "transactional"),
    ("bike repair near me", "transactional"),
    # commercial investigation: comparing before buying
    ("best running shoes 2026", "commercial"),
    ("nike vs adidas", "commercial"),
    ("garmin versus polar watch", "commercial"),
    ("compare sleeping bags", "commercial"),
    ("hoka clifton review", "commercial"),
    ("top 10 tents", "commercial"),
    ("alternatives to crocs", "commercial"),
    ("is the acme x1 worth it", "commercial"),
    ("which is better gore-tex or event", "commercial"),
]


def test_rule_classifier_on_hand_written_queries():
    queries = pd.Series([q for q, _ in CASES])
    got = RuleIntentClassifier().classify(queries)
    wrong = [(q, want, g) for (q, want), g in zip(CASES, got) if g != want]
    assert not wrong, wrong


def test_blank_queries_have_no_intent_and_index_is_kept():
    queries = pd.Series([None, "", "  ", "login"], index=[10, 11, 12, 13])
    got = RuleIntentClassifier().classify(queries)
    assert got.index.tolist() == [10, 11, 12, 13]
    assert got.isna().tolist() == [True, True, True, False]


def test_site_terms_make_names_navigational():
    clf = RuleIntentClassifier(navigational_terms=("trail blazers collection",))
    assert clf.classify(pd.Series(["trail blazers collection store"])).tolist() == ["navigational"]
    assert RuleIntentClassifier().classify(pd.Series(["trail blazers collection store"])).tolist() == ["informational"]
    assert clf.name != RuleIntentClassifier().name  # a changed rule set reclassifies stored queries


def test_every_intent_is_known_and_protocol_holds():
    assert set(RuleIntentClassifier().classify(pd.Series([q for q, _ in CASES]))) == set(INTENTS)
    assert isinstance(RuleIntentClassifier(), IntentClassifier)


@pytest.mark.parametrize("result, message", [
    (pd.Series(["buying"]), "unknown intent"),
    (["navigational"], "returned list"),
])
def test_a_plugins_mistakes_are_named(result, message):
    class Broken:
        name = "broken-v1"

        def classify(self, queries):
            return result

    with pytest.raises(InputError, match=message):
        classify_queries(Broken(), pd.Series(["x"]))


def test_count_words():
    assert count_words(pd.Series(["a  b c", "", None, " one "])).tolist() == [3, 0, 0, 1]
