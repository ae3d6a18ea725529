"""The app in a real browser: Debian's chromium driven by playwright against ``vqa serve``.

Images are uploaded through the image box's file input, as a user would pick a file, and its preview
must show the picture before the question is asked: a CLEVR validation
image from ../shared (its expected answer is CLEVR's own annotation, checked against its program),
then images that are not shipped examples: photos packaged with scikit-image (answered by the photo
answerer, in one step, or in two for a relation such as "a spoon next to the cup"), another CLEVR image (five reasoning steps, read by the detector) and a
flat colour picture with nothing to detect. On each, every view must render without an error.
A corrupt file and a picture over the pixel limit get the app's one-line message instead.
"""
from __future__ import annotations

import os
import re
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


def _ask(page, image: Path, question: str, preview: bool = True) -> None:
    """Upload ``image`` through the image box, wait for its preview, then ask ``question``.

    ``preview``: the browser must draw the picture (False: a corrupt file, whose preview is broken).
    """
    clear = page.locator("#image-upload button[aria-label='Remove Image']")
    if clear.count():  # a picture is shown: remove it (the x in the corner)
        clear.click()
        page.wait_for_selector("#image-upload img", state="detached", timeout=TIMEOUT_MS)
    page.locator("#image-upload input[type=file]").set_input_files(str(image))
    # upload finished: the box previews the uploaded file (served under its own name)
    page.wait_for_function("""name => { const i = document.querySelector('#image-upload img');
                                        return i && i.src.endsWith('/' + name) && i.complete; }""",
                           arg=image.name, timeout=TIMEOUT_MS)
    if preview:
        width = page.evaluate("() => document.querySelector('#image-upload img').naturalWidth")
        assert width > 0, f"the image box shows no picture of {image.name}"
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
    _ask(page, bad, QUESTION, preview=False)
    _expect_message(page, app_url, "'corrupt.png' is truncated or corrupt")


def test_browser_not_an_image_shows_message(page, app_url, tmp_path):
    """Bytes Pillow cannot open at all: Gradio's image box would fail on them; the app words the message."""
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"these are not the pixels you are looking for\n" * 20)
    _ask(page, bad, QUESTION, preview=False)
    _expect_message(page, app_url, "'notes.png' is not an image vqa reads")


def test_browser_oversized_image_shows_pixel_limit_message(page, app_url, tmp_path):
    from PIL import Image

    from vqa.app.uploads import MAX_PIXELS

    big = tmp_path / "huge.png"
    Image.new("RGB", (7000, 6000), (40, 90, 200)).save(big)  # 42 MP of one colour: a small file
    assert 7000 * 6000 > MAX_PIXELS
    _ask(page, big, QUESTION)
    _expect_message(page, app_url, f"'huge.png' is 7000x6000 pixels, over the {MAX_PIXELS:,}-pixel limit")


def _expect_message(page, app_url, text: str) -> None:
    """The page shows ``text`` (the failed upload's one-line message), no answer, and the server stays up."""
    message = page.get_by_text(text)
    message.wait_for(timeout=TIMEOUT_MS)
    assert message.is_visible()
    assert page.locator("#answers [data-testid=label-output-value]").count() == 0  # no answer was shown
    with urllib.request.urlopen(app_url, timeout=10) as r:  # the server is still up
        assert r.status == 200


# ------------------------------------------------------------------ images that are not shipped examples
EXAMPLES = Path(__file__).resolve().parents[2] / "vqa" / "app" / "examples"
OTHER_CLEVR = "CLEVR_train_000006.png"  # in ../shared, not a shipped example
# the step's word bars are drawn for every answer, with the other pictures: once a new one has loaded
# (its source differs from the previous answer's), the pictures have arrived
DONE_OR_FAILED = """before => {
    const i = document.querySelector('#step-words img');
    const failed = document.querySelector('[data-testid=toast-body]')
        || [...document.querySelectorAll('[data-testid=status-tracker]')].some(s => s.innerText.trim() === 'Error');
    return failed || (i && i.src !== before && i.complete && i.naturalWidth > 0);
}"""


@pytest.fixture(scope="module")
def skimage_photos() -> Path:
    import skimage

    return Path(skimage.__file__).resolve().parent / "data"


def _errors(page) -> list[str]:
    """What the page shows as failed: toasts (with their text) and components showing "Error"."""
    toasts = [t.inner_text().strip() for t in page.locator("[data-testid=toast-body]").all()]
    marked = [e.inner_text().strip() for e in page.get_by_text("Error", exact=True).all() if e.is_visible()]
    return toasts + marked


def _src(page, elem_id: str) -> str | None:
    return page.evaluate(f"() => {{ const i = document.querySelector('#{elem_id} img'); return i ? i.src : null; }}")


def _wait_for_step(page, previous: dict[str, str | None], step: int) -> dict[str, str | None]:
    """Wait until the step pictures differ from ``previous`` and have loaded; return their sources."""
    page.wait_for_function(
        """([prev, ids]) => ids.every(id => { const i = document.querySelector(`#${id} img`);
                                              return i && i.src !== prev[id] && i.complete && i.naturalWidth > 0; })""",
        arg=[previous, [k for k, v in previous.items() if v is not None]], timeout=TIMEOUT_MS)
    assert page.locator("#step input[type=number]").input_value() == str(step)
    return {k: _src(page, k) if v is not None else None for k, v in previous.items()}


def _check_every_view(page, objects: int | None, before: str | None = None) -> int:
    """Wait for the answer and its pictures; check every view; move the slider through every step.

    ``objects``: how many objects the summary must report (None: at least one); ``before``: the step
    word picture of the previous answer on this page. Returns the number of steps.
    """
    page.wait_for_function(DONE_OR_FAILED, arg=before, timeout=TIMEOUT_MS)
    assert not _errors(page), f"the page shows errors: {_errors(page)}"
    assert page.locator("#answers [data-testid=label-output-value]").inner_text().strip()
    summary = page.locator("#summary").inner_text()
    n, steps = (int(x) for x in re.search(r"(\d+) objects?, (\d+) reasoning steps?", summary).groups())
    assert n == objects if objects is not None else n > 0, summary
    drawn = ["objects", "step-words", "word-attention"] + (
        ["final-attention", "step-objects", "coattention", "scene-graph"] if n else [])
    for elem_id in drawn:
        page.wait_for_function(f"() => {{ const i = document.querySelector('#{elem_id} img');"
                               " return i && i.complete && i.naturalWidth > 0; }", timeout=TIMEOUT_MS)
        size = _picture_size(page, elem_id)
        assert size and size[0] > 50 and size[1] > 50, f"#{elem_id} shows no picture ({size})"
    for elem_id in set(PICTURES) - set(drawn):  # nothing to draw without objects: empty, not an error
        assert _src(page, elem_id) is None, f"#{elem_id} shows a picture of a graph with no objects"

    slider = page.locator("#step input[type=range]")
    if steps == 1:  # nothing to move through: the slider is fixed at 1 and says why
        assert slider.is_disabled() and page.locator("#step input[type=number]").input_value() == "1"
        assert "one step" in page.locator("#step").inner_text()
    else:  # from the last step down to the first, each step's pictures replace the previous step's
        assert slider.is_enabled() and slider.get_attribute("max") == str(steps)
        assert page.locator("#step input[type=number]").input_value() == str(steps)
        seen = [{k: _src(page, k) for k in ("step-words", "step-objects") if k in drawn}]
        for t in range(steps - 1, 0, -1):
            slider.focus()
            page.keyboard.press("ArrowLeft")
            seen.append(_wait_for_step(page, seen[-1], t))
        for k in seen[0]:
            assert len({s[k] for s in seen}) == steps, f"#{k} did not change with every step"
    assert not _errors(page), f"the page shows errors: {_errors(page)}"
    return steps


@pytest.mark.parametrize("source, image, question, objects", [
    ("skimage", "astronaut.png", "How many people are there?", None),  # photos: the photo answerer, one step
    ("skimage", "coffee.png", "Is there a cup?", None),
    ("clevr", OTHER_CLEVR, "How many cubes are there?", None),  # the clevr detector and the reasoner's steps
    ("flat", "flat_blue.png", "Is there a cup?", 0),  # a photo in which nothing is found
])
def test_browser_every_view_renders_for_uploaded_image(page, skimage_photos, clevr_dir, tmp_path, source, image,
                                                       question, objects):
    assert not (EXAMPLES / image).exists(), f"{image} is a shipped example; this test wants an image that is not"
    if source == "flat":
        from PIL import Image

        Image.new("RGB", (640, 480), (40, 90, 200)).save(tmp_path / image)
    path = {"skimage": skimage_photos, "clevr": clevr_dir / "images", "flat": tmp_path}[source] / image
    _ask(page, path, question)
    assert _check_every_view(page, objects) == (5 if source == "clevr" else 1)


def test_browser_slider_follows_one_step_and_many_step_answers(page, skimage_photos, clevr_dir):
    """A photo, then a CLEVR image, then the photo again, on one page: the slider opens and closes."""
    _ask(page, skimage_photos / "coffee.png", "Is there a cup?")
    assert _check_every_view(page, None) == 1
    for image, question, steps in ((clevr_dir / "images" / OTHER_CLEVR, "How many cubes are there?", 5),
                                   (skimage_photos / "coffee.png", "How many cups are there?", 1)):
        before = _src(page, "step-words")
        _ask(page, image, question)
        assert _check_every_view(page, None, before) == steps


def test_browser_photo_two_step_relation_question_shows_every_step_and_the_edge(page, skimage_photos):
    """A photo and a question in two steps: find the cup, then the spoon next to it. Each step's
    object picture differs, the summary lists both steps with the relation they followed, and the
    scene graph is drawn."""
    _ask(page, skimage_photos / "coffee.png", "Is there a spoon next to the cup?")
    assert _check_every_view(page, None) == 2
    summary = page.locator("#summary").inner_text()
    assert "find: cup" in summary and "spoon next to the cup" in summary, summary
    assert re.search(r"via spoon \(\d+\) next to cup \(\d+\)", summary), summary
    assert page.locator("#answers [data-testid=label-output-value]").inner_text().strip() == "yes"
