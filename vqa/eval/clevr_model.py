"""`vqa eval --benchmark clevr --graphs gold`: run the reasoner on CLEVR questions, then score."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from ..errors import DataError
from ..graph.io import load_clevr_scenes, load_json
from .clevr import evaluate as evaluate_clevr

__all__ = ["run_clevr_model", "load_clevr_questions"]


def load_clevr_questions(path: str | Path) -> list[dict]:
    data = load_json(path)
    qs = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(qs, list) or not all(isinstance(q, dict) for q in qs):
        raise DataError(f"{path}: expected a CLEVR questions file {{\"questions\": [...]}}")
    for k, q in enumerate(qs):
        if not isinstance(q.get("question"), str) or not isinstance(q.get("image_filename"), str):
            raise DataError(f"{path}: question {k} needs string fields 'question' and 'image_filename'")
    return qs


def run_clevr_model(args) -> dict | None:
    """Answer every question on its gold scene graph; write predictions/attention; return metrics
    (None when the questions carry no answers, e.g. a test split)."""
    from ..encode.encoder import token_strings, tokenize
    from ..reason.batching import GraphCache
    from ..reason.inference import run_batches
    from ..reason.io import load_reasoner

    if not args.questions or not args.scenes:
        raise DataError("--graphs gold needs --questions Q.json and --scenes S.json")
    questions = load_clevr_questions(args.questions)
    if args.limit is not None:
        questions = questions[: args.limit]
    scenes = load_clevr_scenes(args.scenes)
    torch.set_num_threads(args.threads)
    model = load_reasoner(args.weights)
    cache = GraphCache(model.config.vocab)
    for g in scenes:
        cache.add(g.image_filename, g)
    for k, q in enumerate(questions):
        if q["image_filename"] not in cache:
            raise DataError(f"question {q.get('question_index', k)}: no scene for image {q['image_filename']!r} in {args.scenes}")
    index = [q.get("question_index", k) for k, q in enumerate(questions)]
    answers: list[str | None] = [None] * len(questions)
    attention: list[dict | None] = [None] * len(questions)
    texts, keys = [q["question"] for q in questions], [q["image_filename"] for q in questions]
    for idx, out in run_batches(model, texts, keys, cache, args.batch_size, progress=not args.no_progress):
        for row, i in enumerate(out.logits.argmax(-1).tolist()):
            answers[idx[row]] = model.config.answers[i]
        if args.attention_out:
            ids, mask = tokenize([texts[i] for i in idx], model.config.encoder.max_tokens)
            toks = token_strings(ids, mask)
            for row, i in enumerate(idx):
                n, L = len(cache.graphs[keys[i]].objects), len(toks[row])
                attention[i] = {"question_index": index[i], "image_filename": keys[i],
                                "node_attn": out.node_attn[row, :, :n].tolist(),
                                "word_attn": out.word_attn[row, :, :L].tolist(), "tokens": toks[row]}
    predictions = [{"question_index": i, "image_filename": f, "answer": a} for i, f, a in zip(index, keys, answers)]
    if args.predictions_out:
        Path(args.predictions_out).write_text(json.dumps(predictions) + "\n")
    if args.attention_out:
        with open(args.attention_out, "w") as f:
            for rec in attention:
                f.write(json.dumps(rec) + "\n")
    if not all(isinstance(q.get("answer"), str) for q in questions):
        print(f"{len(questions)} questions answered; they carry no answers, so only predictions were written")
        return None
    scored = [dict(q, question_index=i) for q, i in zip(questions, index)]
    for q in scored:
        q.setdefault("template_filename", "unknown")
    metrics = evaluate_clevr(scored, [{"question_index": p["question_index"], "answer": p["answer"]} for p in predictions])
    return metrics
