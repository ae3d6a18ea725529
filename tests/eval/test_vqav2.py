"""VQA v2 metric: hand-computed expectations for the official evaluator's behaviour."""

import copy

import pytest

from vqa.errors import DataError
from vqa.eval.vqav2 import (
    evaluate,
    process_answer,
    process_digit_article,
    process_punctuation,
    question_accuracy,
)


def _answers(*pairs: tuple[str, int]) -> list[str]:
    """("yes", 3), ("no", 7) -> ten answers."""
    out = [a for a, n in pairs for _ in range(n)]
    assert len(out) == 10
    return out


def _ann(qid: int, answers: list[str], qtype: str, atype: str) -> dict:
    return {
        "question_id": qid,
        "image_id": 1,
        "question_type": qtype,
        "answer_type": atype,
        "multiple_choice_answer": answers[0],
        "answers": [{"answer": a, "answer_confidence": "yes", "answer_id": i + 1} for i, a in enumerate(answers)],
    }


def _files(anns: list[dict]) -> tuple[dict, dict]:
    questions = {"questions": [{"question_id": a["question_id"], "image_id": 1, "question": "?"} for a in anns]}
    return {"annotations": anns}, questions


# ---- leave-one-out accuracy ------------------------------------------------------------------


@pytest.mark.parametrize(
    "k, expected",
    # k matches among 10: k left-outs see k-1 matches, 10-k see k; acc = min(1, m/3).
    [(0, 0.0), (1, 0.3), (2, 0.6), (3, 0.9), (4, 1.0), (5, 1.0), (10, 1.0)],
)
def test_question_accuracy_leave_one_out_matches(k, expected):
    gts = ["cat"] * k + ["dog"] * (10 - k)
    assert question_accuracy("cat", gts) == pytest.approx(expected, abs=1e-12)


def test_question_accuracy_identical_gts_are_not_normalised():
    gts = ["yes"] * 10
    assert question_accuracy("Yes", gts) == 0.0
    assert question_accuracy("yes.", gts) == 0.0
    assert question_accuracy("yes", gts) == 1.0


def test_question_accuracy_whitespace_cleaned_even_when_gts_identical():
    assert question_accuracy(" yes\n", ["yes"] * 10) == 1.0
    assert question_accuracy("yes", ["yes\t"] * 9 + [" yes"]) == 1.0


def test_question_accuracy_mixed_gts_normalise_prediction():
    gts = _answers(("yes", 9), ("no", 1))
    assert question_accuracy("Yes", gts) == 1.0
    assert question_accuracy("YES!", gts) == 1.0
    gts = _answers(("yes", 3), ("no", 7))
    assert question_accuracy("Yes", gts) == pytest.approx(0.9)


def test_question_accuracy_number_word_matches_digit():
    gts = _answers(("2", 3), ("3", 7))
    assert question_accuracy("two", gts) == pytest.approx(0.9)
    assert question_accuracy("2", _answers(("two", 2), ("3", 8))) == pytest.approx(0.6)


def test_question_accuracy_hyphen_matches_space():
    gts = _answers(("hot dog", 4), ("pizza", 6))
    assert question_accuracy("hot-dog", gts) == 1.0
    gts = _answers(("hot-dog", 1), ("pizza", 9))
    assert question_accuracy("hot dog", gts) == pytest.approx(0.3)


def test_question_accuracy_articles_dropped():
    gts = _answers(("dog", 2), ("cat", 8))
    assert question_accuracy("a dog", gts) == pytest.approx(0.6)
    assert question_accuracy("the dog", gts) == pytest.approx(0.6)
    assert question_accuracy("an dog", gts) == pytest.approx(0.6)


def test_question_accuracy_its_is_not_its():
    # "its" is no key of the contraction map and "'" is no punctuation mark: they never meet.
    assert question_accuracy("its", _answers(("it's", 3), ("no", 7))) == 0.0
    assert question_accuracy("it's", _answers(("it's", 3), ("no", 7))) == pytest.approx(0.9)
    assert question_accuracy("its", _answers(("its", 3), ("no", 7))) == pytest.approx(0.9)


def test_question_accuracy_punctuation_next_to_digits():
    gts = _answers(("2", 4), ("3", 6))
    assert question_accuracy("2.", gts) == 1.0  # period not followed by a digit: removed
    assert question_accuracy("(2)", gts) == 1.0  # parentheses become spaces, split away
    assert question_accuracy("2 .", gts) == 1.0
    assert question_accuracy("2.0", gts) == 0.0  # period before a digit stays
    assert question_accuracy("$2", gts) == 0.0  # '$' is not in the official list
    gts = _answers(("1000", 1), ("34", 2), ("lots", 7))
    assert question_accuracy("1,000", gts) == pytest.approx(0.3)
    assert question_accuracy("3,4", gts) == pytest.approx(0.6)  # digit,digit: marks deleted


def test_question_accuracy_empty_strings():
    gts = _answers(("", 3), ("no", 7))
    assert question_accuracy("", gts) == pytest.approx(0.9)
    assert question_accuracy("the", gts) == pytest.approx(0.9)  # the article goes, "" is left
    assert question_accuracy("   ", gts) == pytest.approx(0.9)
    assert question_accuracy("", ["yes"] * 10) == 0.0


def test_question_accuracy_unicode_whitespace_and_case():
    # str.strip() and split() treat no-break and em spaces as whitespace, as in the official.
    assert question_accuracy("\u00a0yes\u2003", ["yes"] * 10) == 1.0
    assert question_accuracy("Café", _answers(("café", 4), ("tea", 6))) == 1.0
    assert question_accuracy("Café", ["café"] * 10) == 0.0
    assert question_accuracy("hot\u00a0dog", _answers(("hot dog", 3), ("tea", 7))) == pytest.approx(0.9)


def test_question_accuracy_two_vs_2_only_when_gts_differ():
    assert question_accuracy("two", ["2"] * 10) == 0.0  # identical gts: nothing normalised
    assert question_accuracy("two", _answers(("2", 9), ("3", 1))) == 1.0


def test_question_accuracy_contraction_restored():
    gts = _answers(("don't know", 3), ("no", 7))
    assert question_accuracy("dont know", gts) == pytest.approx(0.9)


# ---- normalisation steps ---------------------------------------------------------------------


def test_process_punctuation_trailing_marks():
    assert process_answer("yes.") == "yes"
    assert process_answer("yes!") == "yes"
    assert process_answer("yes?") == "yes"


def test_process_punctuation_marks_outside_official_list_kept():
    # ':' '#' '%' '&' '*' "'" are not in the official list.
    assert process_answer("yes:") == "yes:"
    assert process_answer("#1") == "#1"
    assert process_answer("50%") == "50%"


def test_process_punctuation_space_or_delete():
    assert process_punctuation("hot-dog") == "hot dog"  # no neighbouring space: becomes a space
    assert process_punctuation("hot - dog") == "hot  dog"  # a space next to it: deleted
    assert process_answer("hot - dog") == "hot dog"


def test_process_punctuation_comma_between_digits_deletes_all_marks():
    assert process_answer("1,000") == "1000"
    # digit,digit anywhere switches every mark to deletion, so the hyphen vanishes too
    assert process_answer("1,000 hot-dog") == "1000 hotdog"
    assert process_answer("1, 2") == "1 2"


def test_process_punctuation_period_rules():
    assert process_punctuation("1.5") == "1.5"  # followed by a digit: kept
    assert process_punctuation("a.b") == "ab"
    # "(?!<=\d)" is not a lookbehind, so a period after a digit is still removed
    assert process_punctuation("5.") == "5"


def test_process_punctuation_at_most_32_periods():
    assert process_punctuation("x" + "." * 40) == "x" + "." * 8
    assert process_punctuation("." * 32) == ""
    text = ".a" * 33
    assert process_punctuation(text) == "a" * 32 + ".a"


def test_process_digit_article_words():
    assert process_digit_article("Two Dogs") == "2 dogs"
    assert process_digit_article("none") == "0"
    assert process_digit_article("ten") == "10"
    assert process_digit_article("eleven") == "eleven"
    assert process_digit_article("The  An A") == ""


def test_process_digit_article_contractions():
    assert process_digit_article("isnt") == "isn't"
    assert process_digit_article("dont") == "don't"
    assert process_digit_article("whats") == "what's"
    # "its" is not in the official map (it is a real word); capitalised keys never match.
    assert process_digit_article("its") == "its"
    assert process_digit_article("Im") == "im"


# ---- evaluate ------------------------------------------------------------------------------


def _dataset():
    anns = [
        _ann(1, ["yes"] * 10, "is the", "yes/no"),
        _ann(2, _answers(("2", 2), ("3", 8)), "how many", "number"),
        _ann(3, _answers(("red", 1), ("blue", 9)), "what color", "other"),
        _ann(4, _answers(("4", 5), ("5", 5)), "how many", "number"),
    ]
    return _files(anns)


def test_evaluate_overall_and_per_type():
    annotations, questions = _dataset()
    results = [
        {"question_id": 1, "answer": "yes"},  # 1.0
        {"question_id": 2, "answer": "two"},  # 0.6
        {"question_id": 3, "answer": "Red"},  # 0.3
        {"question_id": 4, "answer": "six"},  # 0.0
    ]
    m = evaluate(annotations, questions, results)
    assert m["overall"] == pytest.approx((1.0 + 0.6 + 0.3 + 0.0) / 4 * 100)
    assert m["perAnswerType"] == pytest.approx({"yes/no": 100.0, "number": 30.0, "other": 30.0})
    assert m["perQuestionType"] == pytest.approx({"is the": 100.0, "how many": 30.0, "what color": 30.0})
    assert (m["count"], m["missing"]) == (4, 0)


def test_evaluate_does_not_mutate_inputs():
    annotations, questions = _dataset()
    before = copy.deepcopy(annotations)
    results = [{"question_id": q, "answer": "two"} for q in (1, 2, 3, 4)]
    evaluate(annotations, questions, results)
    assert annotations == before


def test_evaluate_questions_optional():
    annotations, _ = _dataset()
    results = [{"question_id": q, "answer": "yes"} for q in (1, 2, 3, 4)]
    assert evaluate(annotations, None, results)["overall"] == pytest.approx(25.0)


def test_evaluate_missing_ids_raise():
    annotations, questions = _dataset()
    results = [{"question_id": 1, "answer": "yes"}]
    with pytest.raises(DataError, match=r"3 of 4 .*no result.*2, 3, 4"):
        evaluate(annotations, questions, results)


def test_evaluate_missing_ids_allowed_score_zero():
    annotations, questions = _dataset()
    m = evaluate(annotations, questions, [{"question_id": 1, "answer": "yes"}], allow_missing=True)
    assert m["overall"] == pytest.approx(25.0)
    assert (m["count"], m["missing"]) == (4, 3)


def test_evaluate_duplicate_result_ids_last_wins_like_official():
    annotations, questions = _dataset()
    results = [{"question_id": 1, "answer": "yes"}, {"question_id": 2, "answer": "3"},
               {"question_id": 3, "answer": "blue"}, {"question_id": 4, "answer": "4"},
               {"question_id": 2, "answer": "2"}]  # q2 again: "2" counts (0.6), not "3" (1.0)
    m = evaluate(annotations, questions, results)
    assert m["overall"] == pytest.approx((1.0 + 0.6 + 1.0 + 1.0) / 4 * 100)
    assert m["duplicate_results"] == 1 and m["count"] == 4


def test_evaluate_duplicate_annotation_ids_scored_per_occurrence_like_official():
    # The official scores an id once per annotation, both times on the last annotation, and the
    # second time on answers its first pass already normalised. Forty periods lose 32 per pass:
    # pass 1 "x........" != "x" -> 0.0; pass 2 "x" == "x" with 4 matches -> 1.0.
    first = _ann(1, ["yes"] * 10, "is the", "yes/no")
    last = _ann(1, _answers(("x" + "." * 40, 4), ("y", 6)), "what", "other")
    other = _ann(2, ["no"] * 10, "is the", "yes/no")
    m = evaluate({"annotations": [first, other, last]}, None,
                 [{"question_id": 1, "answer": "x"}, {"question_id": 2, "answer": "no"}])
    assert m["count"] == 3
    assert m["perQuestionType"] == pytest.approx({"what": 50.0, "is the": 100.0})
    assert m["overall"] == pytest.approx((0.0 + 1.0 + 1.0) / 3 * 100)


def test_evaluate_equal_answer_dicts_are_left_out_together():
    # The official leaves an annotator out with `item != gtAnsDatum`: four identical "cat" dicts
    # (same answer_id) all leave together, so each sees 0 matches; each "dog" dict sees 4 -> 1.
    ann = _ann(1, _answers(("cat", 4), ("dog", 6)), "what", "other")
    for a in ann["answers"][:4]:
        a["answer_id"] = 1
    m = evaluate({"annotations": [ann]}, None, [{"question_id": 1, "answer": "cat"}])
    assert m["overall"] == pytest.approx((4 * 0.0 + 6 * 1.0) / 10 * 100)
    # One made distinct sees the other 3 -> 1; the 3 still equal see only it -> 1/3 each.
    ann["answers"][0]["answer_id"] = 11
    m = evaluate({"annotations": [ann]}, None, [{"question_id": 1, "answer": "cat"}])
    assert m["overall"] == pytest.approx((1.0 + 3 * (1 / 3) + 6 * 1.0) / 10 * 100)


def test_evaluate_unknown_ids_raise():
    annotations, questions = _dataset()
    results = [{"question_id": q, "answer": "yes"} for q in (1, 2, 3, 4, 99)]
    with pytest.raises(DataError, match=r"not in the annotations.*99"):
        evaluate(annotations, questions, results, allow_missing=True)


def test_evaluate_non_string_answer_raise():
    annotations, questions = _dataset()
    results = [{"question_id": 1, "answer": "yes"}, {"question_id": 2, "answer": 2}]
    with pytest.raises(DataError, match=r"results\[1\].*'answer' must be a string, got 2"):
        evaluate(annotations, questions, results, allow_missing=True)


def test_evaluate_non_int_question_id_raise():
    annotations, questions = _dataset()
    with pytest.raises(DataError, match=r"results\[0\].*must be an int, got '1'"):
        evaluate(annotations, questions, [{"question_id": "1", "answer": "yes"}], allow_missing=True)


def test_evaluate_results_not_a_list_raise():
    annotations, questions = _dataset()
    with pytest.raises(DataError, match="must be a JSON list"):
        evaluate(annotations, questions, {"1": "yes"})


def test_evaluate_malformed_annotations_raise():
    with pytest.raises(DataError, match="'annotations' list"):
        evaluate({"questions": []}, None, [])
    bad = {"annotations": [_ann(1, ["yes"] * 10, "is", "yes/no")]}
    bad["annotations"][0]["answers"][3] = {"answer": None}
    with pytest.raises(DataError, match=r"answers\[3\]"):
        evaluate(bad, None, [{"question_id": 1, "answer": "yes"}])


def test_evaluate_questions_mismatch_raise():
    annotations, _ = _dataset()
    questions = {"questions": [{"question_id": 1}]}
    with pytest.raises(DataError, match="3 annotated question ids are not in the questions file"):
        evaluate(annotations, questions, [{"question_id": q, "answer": "yes"} for q in (1, 2, 3, 4)])
