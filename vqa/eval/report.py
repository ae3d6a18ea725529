"""Plain-text tables of the metrics returned by the evaluators (percentages to two decimals)."""

from __future__ import annotations

from typing import Mapping, Sequence

from vqa.errors import DataError
from vqa.eval._checks import show

__all__ = ["format_table"]

_BENCHMARKS = {"vqav2": "VQA v2", "gqa": "GQA", "clevr": "CLEVR"}
# Official GQA print names for semantic types.
_GQA_SEMANTIC = {"attr": "attribute", "cat": "category", "global": "scene", "obj": "object", "rel": "relation"}


def _pct(value: float) -> str:
    return f"{value:.2f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """Columns separated by two spaces; align[i] is "l" or "r" (default: first left, others right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(str(r[c])) for r in [headers, *rows]) for c in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [str(x).ljust(w) if a == "l" else str(x).rjust(w) for x, w, a in zip(cells, widths, align)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _need(metrics: Mapping, keys: Sequence[str], benchmark: str) -> None:
    for k in keys:
        if k not in metrics:
            raise DataError(
                f"{benchmark} metrics lack '{k}' (keys seen: {show(sorted(map(str, metrics)))}); "
                f"pass the dict returned by evaluate_{benchmark}"
            )


def _vqav2(m: Mapping) -> list[str]:
    _need(m, ("overall", "perAnswerType", "perQuestionType", "count", "missing"), "vqav2")
    return [
        f"VQA v2: {m['count']} questions ({m['missing']} without a result)",
        _table(["Metric", "Accuracy (%)"], [["Overall", _pct(m["overall"])]]),
        _table(["Answer type", "Accuracy (%)"], [[k, _pct(v)] for k, v in sorted(m["perAnswerType"].items())]),
        _table(["Question type", "Accuracy (%)"], [[k, _pct(v)] for k, v in sorted(m["perQuestionType"].items())]),
    ]


def _gqa(m: Mapping) -> list[str]:
    _need(m, ("accuracy", "binary", "open", "consistency", "distribution", "breakdowns", "count", "missing"), "gqa")
    rows = [["Accuracy", _pct(m["accuracy"]), "%"], ["Binary", _pct(m["binary"]), "%"], ["Open", _pct(m["open"]), "%"],
            ["Consistency", _pct(m["consistency"]), "%"]]
    for key in ("validity", "plausibility", "grounding"):
        if key in m:  # absent when choices / attentions were not given
            rows.append([key.capitalize(), _pct(m[key]), "%"])
    rows.append(["Distribution", _pct(m["distribution"]), "lower is better"])
    out = [f"GQA: {m['count']} balanced questions ({m['missing']} without a prediction)",
           _table(["Metric", "Score", "Unit"], rows, align="lrl")]
    titles = (("structural", "Structural type"), ("semantic", "Semantic type"),
              ("steps", "Reasoning steps"), ("length", "Words"))
    for key, title in titles:
        table = m["breakdowns"].get(key, {})
        label = (lambda k: _GQA_SEMANTIC.get(k, k)) if key == "semantic" else str
        rows = [[label(k), _pct(pc), str(n)] for k, (pc, n) in table.items()]
        out.append(_table([title, "Accuracy (%)", "Questions"], rows))
    return out


def _clevr(m: Mapping) -> list[str]:
    _need(m, ("accuracy", "per_family", "per_answer_type", "count", "missing"), "clevr")
    # CLEVR metrics are fractions; shown as percentages like the other benchmarks.
    return [
        f"CLEVR: {m['count']} questions ({m['missing']} without a prediction)",
        _table(["Metric", "Accuracy (%)"], [["Overall", _pct(100 * m["accuracy"])]]),
        *([_table(["Calibration", "Value"], [["ECE (15 bins, 0 = calibrated)", f"{m['ece']:.4f}"]])] if "ece" in m else []),
        _table(["Answer type", "Accuracy (%)"], [[k, _pct(100 * v)] for k, v in sorted(m["per_answer_type"].items())]),
        _table(["Question family", "Accuracy (%)"], [[k, _pct(100 * v)] for k, v in sorted(m["per_family"].items())]),
    ]


def format_table(metrics: dict, benchmark: str) -> str:
    """Render the dict from evaluate_vqav2 / evaluate_gqa / evaluate_clevr as aligned text tables.

    ``benchmark`` is "vqav2", "gqa" or "clevr" (case, '-', '_' and spaces ignored).
    """
    name = "".join(ch for ch in str(benchmark).lower() if ch not in "-_ ")
    if name not in _BENCHMARKS:
        raise DataError(f"unknown benchmark {show(benchmark)}; use one of {', '.join(_BENCHMARKS)}")
    if not isinstance(metrics, Mapping):
        raise DataError(f"metrics must be the dict returned by evaluate_{name}, got {show(metrics)}")
    render = {"vqav2": _vqav2, "gqa": _gqa, "clevr": _clevr}[name]
    return "\n\n".join(render(metrics)) + "\n"
