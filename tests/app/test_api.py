"""API use without a browser: ``gradio_client`` on the documented ``/ask`` endpoint returns data."""
from __future__ import annotations

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "vqa" / "app" / "examples" / "CLEVR_train_000045.png"


def test_api_ask_returns_answers_and_probabilities(app_url):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False, analytics_enabled=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    result = client.predict(handle_file(str(EXAMPLE)), "How many cylinders are there?", api_name="/ask")
    assert [a["answer"] for a in result["answers"]][0] == result["answer"]
    probs = [a["probability"] for a in result["answers"]]
    assert len(probs) == 5 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
    assert result["flags"] == [] and len(result["objects"]) == 4
    assert result["image"] == EXAMPLE.name and "reasoning" in result["timings_s"]


def test_api_ask_without_image_is_flagged(app_url):
    from gradio_client import Client

    result = Client(app_url, verbose=False, analytics_enabled=False).predict(None, "How many cubes are there?", api_name="/ask")
    assert result["flags"] == ["no_image"] and "question alone" in result["notes"][0]
