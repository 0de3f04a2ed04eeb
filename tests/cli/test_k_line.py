"""The CLI's one line on how k was chosen names k once, whatever the rule says."""

from intentseg.cli.app import k_line


def test_a_chosen_k_is_named_once_by_the_rule():
    line = k_line({"k": 5, "rule": "k = 5: silhouette excess over one cloud of the same shape 0.231"})
    assert line.startswith("k = 5: silhouette") and line.count("k = 5") == 1


def test_a_given_k_and_a_fallback_say_k_first():
    assert k_line({"k": 4, "rule": "given"}) == "k = 4 (given)"
    fallback = "fallback to k = 3, the classic three engagement tiers: no k shows clearly more structure"
    assert k_line({"k": 3, "rule": fallback}) == f"k = 3 ({fallback})"
