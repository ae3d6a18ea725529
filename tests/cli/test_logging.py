"""`vqa`'s stderr: -q hides the notes, -v adds debug lines, --debug adds the traceback of an error;
bad input exits 2 with one line, a bug exits 1 with one line, a usage error is one line too."""
import json
import subprocess
import sys

import pytest

from vqa.cli.main import build_parser, main

QUESTIONS = {"questions": [{"question_index": 0, "answer": "yes", "template_filename": "a.json"},
                           {"question_index": 1, "answer": "2", "template_filename": "b.json"}]}


def run(*args, cwd=None, code=None):
    """``vqa ARGS`` in a subprocess (``code``: Python run instead of ``-m vqa``, with ARGS as its argv)."""
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "vqa"]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600,
                          check=False)


@pytest.fixture
def scoring(tmp_path):
    """A questions file and a predictions file that answers one of its two questions."""
    (tmp_path / "q.json").write_text(json.dumps(QUESTIONS))
    (tmp_path / "p.json").write_text(json.dumps([{"question_index": 0, "answer": "yes"}]))
    return tmp_path


@pytest.mark.parametrize("argv", [["-v", "ask", "Q?", "--scene", "s.json"], ["ask", "Q?", "--scene", "s.json", "-v"],
                                  ["-q", "eval", "merge", "--benchmark", "clevr", "p.json"],
                                  ["eval", "merge", "--benchmark", "clevr", "p.json", "-q"],
                                  ["train", "reasoner", "--debug"], ["--debug", "train", "reasoner"]])
def test_logging_options_go_before_or_after_the_command(argv):
    args = build_parser().parse_args(argv)
    given = {"-v": "verbose", "-q": "quiet", "--debug": "debug"}
    for flag, dest in given.items():
        assert getattr(args, dest) is (flag in argv), (argv, dest)


def test_logging_notes_show_by_default_and_hide_with_q_stdout_keeps_the_table(scoring):
    merge = ["eval", "merge", "--benchmark", "clevr", "--questions", "q.json", "--allow-missing",
             "--predictions-out", "m.json", "p.json"]
    default, quiet = run(*merge, cwd=scoring), run("-q", *merge, cwd=scoring)
    assert default.returncode == quiet.returncode == 0, default.stderr + quiet.stderr
    assert default.stdout == quiet.stdout and "Overall" in default.stdout  # the result, on stdout either way
    assert "vqa eval: merged 1 predictions from 1 files" in default.stderr
    assert "vqa eval: wrote m.json" in default.stderr
    warning = "vqa eval: warning: 1 questions have no prediction and count as wrong (--allow-missing)\n"
    assert warning in default.stderr
    assert quiet.stderr == warning  # -q: warnings and errors only


def test_logging_v_adds_debug_lines(tmp_path, clevr_dir, tiny_weights):
    ask = ["ask", "How many cubes?", "--scene", clevr_dir / "CLEVR_train_scenes.json", "--image-filename",
           "CLEVR_train_000000.png", "--weights", tiny_weights]
    plain, verbose = run(*ask), run(*ask, "-v")
    assert plain.returncode == verbose.returncode == 0, plain.stderr + verbose.stderr
    assert plain.stderr == "" and plain.stdout == verbose.stdout
    assert f"vqa ask: debug: reasoner weights: {tiny_weights}" in verbose.stderr
    assert all(line.startswith("vqa ask: debug: ") for line in verbose.stderr.splitlines()), verbose.stderr


def test_logging_bad_input_is_one_line_and_debug_adds_the_traceback(tmp_path):
    (tmp_path / "q.json").write_text('{"questions": [')
    (tmp_path / "p.json").write_text("[]")
    score = ["eval", "--benchmark", "clevr", "--questions", "q.json", "--predictions", "p.json"]
    plain, debug = run(*score, cwd=tmp_path), run(*score, "--debug", cwd=tmp_path)
    assert plain.returncode == debug.returncode == 2
    assert plain.stderr.startswith("vqa eval: error: q.json is not valid JSON") and plain.stderr.count("\n") == 1
    assert debug.stderr.startswith(plain.stderr)  # the same line, then the traceback
    assert "Traceback (most recent call last):" in debug.stderr and "vqa.errors.DataError" in debug.stderr


def test_logging_usage_error_is_one_line():
    r = run("ask", "Q?", "--top-k", "0")
    assert r.returncode == 2
    assert r.stderr == "vqa ask: error: argument --top-k: must be 1 or more, got 0 (see --help)\n"


BUG = ("import sys, vqa.cli.eval\n"
       "def run(args):\n    raise KeyError('x')\n"
       "vqa.cli.eval.run = run  # a bug in `vqa eval`\n"
       "from vqa.cli.main import main\n"
       "sys.exit(main(sys.argv[1:]))")


def test_logging_a_bug_exits_1_with_one_line_and_debug_adds_the_traceback():
    plain, debug = run("eval", code=BUG), run("eval", "--debug", code=BUG)
    assert plain.returncode == debug.returncode == 1
    assert plain.stderr == ("vqa eval: error: unexpected KeyError: 'x' (a bug in vqa; run again with --debug for "
                            "the traceback)\n")
    assert debug.stderr.startswith("vqa eval: error: unexpected KeyError: 'x' (a bug in vqa; please report it")
    assert "Traceback (most recent call last):" in debug.stderr and 'File "<string>", line 3, in run' in debug.stderr


def test_logging_q_hides_progress_bars(monkeypatch):
    import vqa.cli.eval

    seen = []

    def run_eval(args):
        seen.append(args.no_progress)
        return 0

    monkeypatch.setattr(vqa.cli.eval, "run", run_eval)
    assert main(["eval", "-q", "--benchmark", "clevr"]) == 0 and main(["eval", "--benchmark", "clevr"]) == 0
    assert seen == [True, False]


def test_logging_main_in_a_process_leaves_no_handler_behind(scoring, capsys):
    import logging

    handlers, level = list(logging.getLogger().handlers), logging.getLogger("vqa").level
    assert main(["-v", "eval", "--benchmark", "clevr", "--questions", str(scoring / "q.json"), "--predictions",
                 str(scoring / "p.json"), "--allow-missing"]) == 0
    assert "vqa eval: warning: 1 questions have no prediction" in capsys.readouterr().err
    assert logging.getLogger().handlers == handlers and logging.getLogger("vqa").level == level
