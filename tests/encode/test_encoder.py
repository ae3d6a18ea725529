"""Question encoders and the cached tokenizer."""
import pytest
import torch

from vqa.encode.encoder import EncoderConfig, QuestionEncoder, tokenize
from vqa.errors import QuestionError
from vqa.encode.tokenizer import encode_ids, load_tokenizer

TRICKY = ["How many cubes are there?", "  what's the COLOUR of the big ball?? ", "Is there a__big\tcube?!",
          "ARE THERE 2 BALLS (or 3-cubes)?", "x" * 150, "Café: is the thing metallic?", "¿cuántos cubos hay?",
          "how many\ncylinders", "What size is the cyllinder ; behind the shiny blok", "a-b/c'd\"e[f]{g}~h`i@j"]


@pytest.mark.parametrize("question", TRICKY)
def test_cached_word_pieces_equal_the_tokenizer(question):
    assert encode_ids([question])[0] == load_tokenizer().encode(question.strip()).ids


def test_tokenize_pads_like_the_tokenizer():
    ids, mask = tokenize(TRICKY[:4])
    enc = load_tokenizer().encode_batch([q.strip() for q in TRICKY[:4]])
    assert torch.equal(ids, torch.tensor([e.ids for e in enc]))
    assert torch.equal(mask, torch.tensor([e.attention_mask for e in enc], dtype=torch.bool))


@pytest.mark.parametrize("kind", ["small", "conv"])
def test_a_question_encodes_the_same_alone_and_in_a_padded_batch(kind):
    torch.manual_seed(0)
    enc = QuestionEncoder(EncoderConfig(kind=kind, dim=32, layers=2, heads=2, ffn=64)).eval()
    q = "Is the red cube left of the sphere?"
    long = "What number of small rubber things are behind the large metal cylinder that is right of the cube?"
    with torch.inference_mode():
        alone = enc(*tokenize([q]))
        both = enc(*tokenize([q, long]))
    n = alone.tokens.shape[1]
    assert torch.allclose(alone.tokens[0], both.tokens[0, :n], atol=1e-5)
    assert torch.allclose(alone.pooled[0], both.pooled[0], atol=1e-5)


def test_eval_table_follows_new_weights():
    torch.manual_seed(0)
    enc = QuestionEncoder(EncoderConfig(kind="conv", dim=16, layers=1)).eval()
    ids, mask = tokenize(["how many cubes?"])
    with torch.inference_mode():
        before = enc(ids, mask).tokens.clone()
    state = {k: v.clone() for k, v in enc.state_dict().items()}
    state["adapter.weight"] += torch.randn_like(state["adapter.weight"])
    enc.load_state_dict(state)  # a stale adapter(embed) table would ignore this
    with torch.inference_mode():
        after = enc(ids, mask).tokens
    with torch.no_grad():
        enc.train()
        reference = enc(ids, mask).tokens  # training path: no table
    assert not torch.allclose(before, after)
    assert torch.allclose(after, reference, atol=1e-5)


def test_eval_keeps_the_table_and_a_training_step_rebuilds_it():
    torch.manual_seed(0)
    enc = QuestionEncoder(EncoderConfig(kind="conv", dim=16, layers=1)).eval()
    ids, mask = tokenize(["how many cubes?"])
    with torch.inference_mode():
        enc(ids, mask)
    table = enc.token_table()
    enc.eval()  # answering calls eval() before every batch: the table is kept
    assert enc.token_table() is table
    enc.train()
    with torch.no_grad():
        enc.adapter.weight.add_(1.0)  # what an optimizer step does, in training mode
    enc.eval()
    with torch.inference_mode():
        after = enc(ids, mask).tokens
    with torch.no_grad():
        enc.train()
        reference = enc(ids, mask).tokens
    assert torch.allclose(after, reference, atol=1e-5)


def test_unknown_encoder_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown encoder kind"):
        QuestionEncoder(EncoderConfig(kind="lstm"))


def test_token_rows_pad_to_tokenize():
    from vqa.encode.encoder import pad_token_rows, token_rows

    qs = ["How many cubes?", "Is the big shiny ball left of the tiny matte blocks?", "Wie viele Würfel?"]
    rows = token_rows(qs)
    ids, mask = tokenize(qs)
    assert [len(r) for r in rows] == mask.sum(1).tolist()
    ids2, mask2 = pad_token_rows(rows)
    assert torch.equal(ids, ids2) and torch.equal(mask, mask2)
    with pytest.raises(QuestionError, match="limit is 5"):
        pad_token_rows(rows, max_tokens=5)


def test_photo_phrase_chains_are_bounded():
    """A question chaining a thousand relations is an unknown phrase (refused), not a RecursionError."""
    from vqa.encode.photo_phrases import parse_question

    qtype, _, phrases, _ = parse_question("Is there a cup " + "on the cup " * 1000 + "?")
    assert qtype == "exist" and phrases["a"].unknown() is not None
    assert parse_question("Is there a cup on the table next to the dog?")[2]["a"].unknown() is None
