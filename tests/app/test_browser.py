"""The app in a real browser: Debian's chromium driven by playwright against ``vqa serve``.

The image is uploaded from ../shared (a real CLEVR validation image, as a user would pick a file);
the expected answer is CLEVR's own annotation of the question, checked against its program.
"""
from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest

IMAGE = "CLEVR_train_000005.png"  # validation split (index % 5 == 0), also a shipped example
QUESTION = "The shiny ball is what color?"
PICTURES = ["objects", "final-attention", "step-words", "step-objects", "word-attention", "coattention", "scene-graph"]
TIMEOUT_MS = 90_000  # a cold first question on a busy machine


@pytest.fixture(scope="module")
def gold(clevr_dir, clevr_questions, clevr_scenes):
    """The annotated answer of QUESTION on IMAGE, re-derived by executing its program on the gold scene."""
    from vqa.data.executor import answer_to_str, execute_program

    q = next(q for q in clevr_questions if q["image_filename"] == IMAGE and q["question"] == QUESTION)
    scene = next(g for g in clevr_scenes if g.image_filename == IMAGE)
    assert answer_to_str(execute_program(q["program"], scene)[-1]) == q["answer"]
    return {"path": clevr_dir / "images" / IMAGE, "answer": q["answer"]}


@pytest.fixture
def page(browser, app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector("#image-upload input[type=file]", state="attached", timeout=TIMEOUT_MS)
    yield page
    page.close()


def _ask(page, image: Path, question: str) -> None:
    page.locator("#image-upload input[type=file]").set_input_files(str(image))
    page.wait_for_selector(f"#image-upload :text('{image.name}')", timeout=TIMEOUT_MS)  # upload finished
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()


def _picture_size(page, elem_id: str):
    return page.evaluate(f"""() => {{ const i = document.querySelector('#{elem_id} img');
                                     return i && i.complete ? [i.naturalWidth, i.naturalHeight] : null; }}""")


def test_browser_answers_question_about_uploaded_image(page, gold, tmp_path):
    _ask(page, gold["path"], QUESTION)
    # the scene graph is the last picture drawn: once it is there, every view has been filled
    page.wait_for_function("() => { const i = document.querySelector('#scene-graph img');"
                           " return i && i.complete && i.naturalWidth > 0; }", timeout=TIMEOUT_MS)
    top = page.locator("#answers [data-testid=label-output-value]").inner_text().strip()
    assert top == gold["answer"]
    assert page.locator("#answers [data-testid$=-confidence-set]").count() == 5  # top-5 bars
    for elem_id in PICTURES:
        size = _picture_size(page, elem_id)
        assert size and size[0] > 100 and size[1] > 100, f"#{elem_id} shows no picture ({size})"
    assert "9 objects" in page.locator("#summary").inner_text()
    shot = Path(os.environ.get("VQA_APP_SCREENSHOT", tmp_path / "app.png"))
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_browser_corrupt_upload_shows_message(page, app_url, tmp_path):
    bad = tmp_path / "corrupt.png"
    good = (Path(__file__).resolve().parents[2] / "vqa" / "app" / "examples" / IMAGE).read_bytes()
    bad.write_bytes(good[: len(good) // 3])  # a real PNG cut short: the header reads, the pixels do not
    _ask(page, bad, QUESTION)
    message = page.get_by_text("'corrupt.png' is truncated or corrupt")
    message.wait_for(timeout=TIMEOUT_MS)
    assert message.is_visible()
    assert page.locator("#answers [data-testid=label-output-value]").count() == 0  # no answer was shown
    with urllib.request.urlopen(app_url, timeout=10) as r:  # the server is still up
        assert r.status == 200
