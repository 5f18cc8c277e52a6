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


def test_candidates_come_by_start_longest_first_whole_before_prefix():
    m = PhraseMatcher()
    for t in ("South China", "South China Sea", "China", "China*", "Sea", "chin*", "South"):
        m.add(t, t)
    m.build()
    text = "South China Sea, Chinas south china"
    found = m.candidates(text)
    keys = [(s, v[0], v[1]) for s, v in found]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    low = fold(text)
    # every occurrence of every key as a whole word (or word start, for a prefix key) is there
    expected = set()
    for key, prefix in (("south china", False), ("south china sea", False), ("china", False), ("china", True),
                        ("sea", False), ("chin", True), ("south", False)):
        for i in range(len(low)):
            if low.startswith(key, i) and (i == 0 or low[i - 1] == " ") and (
                    prefix or i + len(key) == len(low) or low[i + len(key)] == " "):
                expected.add((i, -len(key), prefix))
    assert set(keys) == expected
    assert [(s, e) for s, e, _ in m.scan(text)] == [(0, 15), (17, 23), (24, 35)]
