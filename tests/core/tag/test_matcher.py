from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.tag.matcher import PhraseMatcher, fold


def build(*terms):
    m = PhraseMatcher()
    for t in terms:
        m.add(t, t)
    m.build()
    return m


def test_fold_keeps_length_and_maps_punctuation_to_spaces():
    text = "İstanbul’s U.S.-based"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded.endswith("u s  based")


def test_whole_words_only():
    m = build("Oman")
    assert [t[:2] for t in m.scan("A woman in Oman.")] == [(11, 15)]


def test_longest_match_hides_the_shorter_name_inside():
    m = build("China", "South China Sea")
    hits = m.scan("Ships in the South China Sea near China")
    assert [h[2] for h in hits] == [("South China Sea",), ("China",)]


def test_prefix_terms_match_word_starts_and_report_the_whole_word():
    m = build("elect*")
    text = "The election and electoral rules; not reelected"
    hits = m.scan(text)
    assert [text[s:e] for s, e, _ in hits] == ["election", "electoral"]


def test_offsets_point_at_the_original_text_and_extend_over_dots():
    m = build("U.S.")
    text = "Talks with the U.S. ended"
    (s, e, _), = m.scan(text)
    assert text[s:e] == "U.S."


def test_lookup_is_case_and_punctuation_insensitive():
    m = build("North Korea")
    assert m.lookup("north  korea") == ("North Korea",)
    assert m.lookup("Korea") is None


def test_fold_handles_accents_and_other_scripts_without_moving_offsets():
    text = "Zürich, İstanbul — 한국 £5"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded.startswith("zurich  istanbul")
    m = build("Zurich")
    assert m.scan(text)[0][:2] == (0, 6)


def test_a_word_that_is_both_a_whole_term_and_a_prefix_term_reports_both():
    m = PhraseMatcher()
    m.add("profit", "whole")
    m.add("profit*", "prefix")
    m.build()
    assert set(m.scan("Profit rose")[0][2]) == {"whole", "prefix"}
    assert m.scan("Profits rose")[0][2] == ("prefix",)


_TERMS = ("South China", "South China Sea", "China", "China*", "Sea", "chin*", "South", "U.S.", "U.S. Army",
          "profit", "profit*", "a b", "b", "b c")


def _reference_scan(text):
    """Leftmost-longest by brute force: every whole-word (or word-start, for a prefix) occurrence of
    every key, by start, longest key first, whole word before prefix; overlaps dropped."""
    entries = {}
    for term in _TERMS:
        prefix = term.endswith("*")
        word = term[:-1] if prefix else term
        key = " ".join(fold(word).split())
        entries.setdefault((key, prefix), [len(word) - len(word.rstrip(".")), []])[1].append(term)
    low, n = fold(text), len(text)
    found = []
    for (key, prefix), (dots, payloads) in entries.items():
        if not prefix and (key, True) in entries:
            payloads = payloads + entries[(key, True)][1]
        for s in range(n):
            e = s + len(key)
            if low.startswith(key, s) and (s == 0 or low[s - 1] == " ") and (prefix or e == n or low[e] == " "):
                found.append((s, -len(key), prefix, dots, tuple(payloads)))
    found.sort(key=lambda f: f[:3])
    out, last_end = [], -1
    for s, neg, prefix, dots, payloads in found:
        if s < last_end:
            continue
        e = s - neg
        if prefix:
            while e < n and text[e].isalnum():
                e += 1
        else:
            k = 0
            while k < dots and e < n and text[e] == ".":
                e, k = e + 1, k + 1
        out.append((s, e, payloads))
        last_end = e
    return out


@given(st.lists(st.sampled_from(["South", "China", "Chinas", "Sea", "chin", "U.S.", "Army", "U.S.Army", "profit",
                                 "profits", "a", "b", "c", "x", " ", "  ", ".", ",", "-", "é", "\n"]), max_size=14))
@settings(max_examples=600, deadline=None)
def test_scan_is_leftmost_longest_whole_words(parts):
    m = PhraseMatcher()
    for t in _TERMS:
        m.add(t, t)
    m.build()
    text = " ".join(parts)
    assert m.scan(text) == _reference_scan(text)


def test_adjacent_matches_share_no_space():
    m = build("north korea", "south korea")
    text = "north korea south korea"
    assert [(s, e) for s, e, _ in m.scan(text)] == [(0, 11), (12, 23)]
