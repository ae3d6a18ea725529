"""vqa.atomic: a write that fails or is killed part-way leaves the old file, whole."""
import os
import signal
import subprocess
import sys

import pytest

from vqa import atomic


def test_write_text_replaces_the_file_whole(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("old")
    atomic.write_text(path, "new\n")
    assert path.read_text() == "new\n" and atomic.temp_leftovers(tmp_path) == []


def test_atomic_write_failure_mid_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('["old"]\n')
    with pytest.raises(RuntimeError, match="disk gone"):
        with atomic.atomic_write(path) as f:
            f.write('["new", ')
            raise RuntimeError("disk gone")
    assert path.read_text() == '["old"]\n' and atomic.temp_leftovers(tmp_path) == []


def test_atomic_write_failure_leaves_no_file_where_there_was_none(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with atomic.atomic_write(tmp_path / "m.json", "wb") as f:
            f.write(b"{")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_write_with_keeps_the_suffix_for_format_guessing_writers(tmp_path):
    seen = []
    atomic.write_with(lambda tmp: (seen.append(tmp.suffix), tmp.write_bytes(b"\x89PNG")), tmp_path / "a.png")
    assert seen == [".png"] and (tmp_path / "a.png").read_bytes() == b"\x89PNG"


def test_written_file_has_the_permissions_of_a_plain_write(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    atomic.write_text(tmp_path / "atomic.txt", "x")
    assert (tmp_path / "atomic.txt").stat().st_mode == plain.stat().st_mode


def test_atomic_write_refuses_append_mode(tmp_path):
    with pytest.raises(ValueError, match="whole files"):
        with atomic.atomic_write(tmp_path / "x.jsonl", "a"):
            pass


def test_process_killed_mid_write_leaves_the_old_file(tmp_path):
    """SIGKILL while the new content is half out: the old file stays; the hidden temporary is listed."""
    path = tmp_path / "p.json"
    path.write_text('["old"]\n')
    code = ("import sys, time\nfrom vqa import atomic\n"
            "with atomic.atomic_write(sys.argv[1]) as f:\n"
            "    f.write('[\"new\", ' * 1000); f.flush(); print('half', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "half"
        leftovers = atomic.temp_leftovers(tmp_path)
        assert len(leftovers) == 1 and leftovers[0].stat().st_size > 0
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert path.read_text() == '["old"]\n'
    assert [p.name.startswith(".p.json.") for p in atomic.temp_leftovers(tmp_path)] == [True]


def test_a_link_keeps_pointing_at_its_replaced_target(tmp_path):
    (tmp_path / "real.json").write_text("old")
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    atomic.write_text(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink() and (tmp_path / "real.json").read_text() == "new"


def test_a_destination_that_is_not_a_file_is_written_directly(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    atomic.write_text(fifo, "through the pipe\n")
    assert reader.communicate(timeout=10)[0] == b"through the pipe\n" and fifo.exists()
