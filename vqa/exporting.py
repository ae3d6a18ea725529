"""Models exported to ONNX in a child process at start-up and run through ONNX Runtime: the
reasoner's single-question path (``vqa.reason.exported``) and the CLEVR detector's convolutions
(``vqa.perception.clevr.exported``).

Nothing but the safetensors weights is shipped. ``BackgroundExport.start`` runs an export function
(``function(weights, folder)``, named ``"module:function"``) in a child process at lower priority,
because exporting takes seconds to tens of seconds and traces modules by patching
``torch.nn.Module`` for the whole process, which must not happen beside requests being answered.
The child writes ``<name>.onnx`` files into a temporary folder; a thread of this process loads
each into an ONNX Runtime session and deletes the folder. An ONNX file holds a graph and tensors,
no code. Until then, and when the export fails (``failed`` says why), ``sessions`` is empty and
callers run their eager models.
"""
from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

__all__ = ["BackgroundExport", "runtime_available", "NOT_INSTALLED", "ExportedPath"]

log = logging.getLogger(__name__)

NOT_INSTALLED = "onnxruntime, onnx or onnxscript is not installed (pip install -e .)"


def runtime_available() -> bool:
    """Whether ONNX Runtime and the exporter's packages (onnx, onnxscript) are installed."""
    return all(find_spec(name) is not None for name in ("onnxruntime", "onnx", "onnxscript"))


class BackgroundExport:
    """The ONNX Runtime sessions of one export, once its child process is done.

    ``sessions``: graph name (the file's stem) -> ``onnxruntime.InferenceSession``, empty until
    ready; ``ready``, ``wait()``, ``close()``; ``failed``: why there are none, in words;
    ``seconds``: export and load, once done.
    """

    def __init__(self, what: str, failed: str | None = None):
        self.what = what  # "reasoner", "detector": the temporary folder's prefix and the messages' word
        self.sessions: dict = {}
        self._inputs: dict[str, list[str]] = {}  # each graph's input names, in order
        self.failed = failed
        self.seconds: float | None = None
        self._process: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def start(cls, export: str, weights: str | Path, what: str, threads: int = 1) -> "BackgroundExport":
        """Start ``export`` on ``weights`` in a child process and return at once; a thread of this
        process loads the graphs it wrote, each session running on ``threads`` threads."""
        out = cls(what)
        folder = Path(tempfile.mkdtemp(prefix=f"vqa-{what}-"))
        code = "import sys; from vqa.exporting import _child; _child(*sys.argv[1:])"
        package_root = str(Path(__file__).resolve().parents[1])  # this vqa, however the parent found it
        env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        with open(folder / "export.log", "wb") as log_file:
            # stdin: a pipe this process holds open; the child stops when it closes (this process is gone)
            argv = [sys.executable, "-c", code, export, str(Path(weights).resolve()), str(folder)]
            out._process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=log_file, stderr=subprocess.STDOUT,
                                            env=env)
        out._thread = threading.Thread(target=out._finish, args=(out._process, folder, threads, time.perf_counter()),
                                       name=f"vqa-onnx-{what}", daemon=True)
        out._thread.start()
        atexit.register(out.close)  # an export still running when this process ends is stopped, its files removed
        return out

    @property
    def ready(self) -> bool:
        return bool(self.sessions)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the export is done and loaded (or ``timeout`` seconds): whether the sessions are there."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.ready

    def run(self, name: str, *inputs) -> list | None:
        """Graph ``name`` on ``inputs`` (numpy arrays, in the graph's input order): its outputs as numpy
        arrays, or None while there is no such session."""
        session = self.sessions.get(name)
        if session is None:
            return None
        return session.run(None, dict(zip(self._inputs[name], inputs)))

    def close(self) -> None:
        """Stop an export still running (its files are removed)."""
        if self._process is not None and self._process.poll() is None:
            self.failed = "closed"
            self._process.kill()
        self.wait()

    def _finish(self, process: subprocess.Popen, folder: Path, threads: int, t0: float) -> None:
        try:
            process.wait()
            process.stdin.close()
            if process.returncode != 0:
                if self.failed is None:
                    tail = (folder / "export.log").read_text(errors="replace").strip().splitlines()[-1:]
                    self.failed = f"the ONNX export failed (exit {process.returncode}): {' '.join(tail)}"
                return
            import onnxruntime as ort  # defers onnxruntime: loaded once the export is done

            options = ort.SessionOptions()
            options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
            # worker threads spin between a run's parallel loops (a CLEVR image on 2 threads: detection 44.6 ->
            # 42.0 ms, the mean of 3 runs of benchmarks/latency.py), but stop when the run ends: spinning on after
            # it took a core from the work that follows (the next question 2.8 -> 6-11 ms; with the stop 1.4 ms)
            options.add_session_config_entry("session.intra_op.allow_spinning", "1")
            options.add_session_config_entry("session.force_spinning_stop", "1")
            sessions = {p.stem: ort.InferenceSession(str(p), options, providers=["CPUExecutionProvider"])
                        for p in sorted(folder.glob("*.onnx"))}
            if not sessions:
                raise RuntimeError("the export wrote no graph")
            self._inputs = {name: [i.name for i in s.get_inputs()] for name, s in sessions.items()}
            self.sessions = sessions
            self.seconds = time.perf_counter() - t0
        except Exception as e:  # noqa: BLE001 - a fast path that cannot load leaves the eager one running
            self.failed = f"the exported {self.what} did not load: {e}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            if self.failed and self.failed != "closed":
                log.warning("running the eager %s: %s", self.what, self.failed)


def _child(export: str, weights: str, folder: str) -> None:
    """The export child: ``export(weights, folder)`` at lower priority on one thread, and gone (its
    folder removed) as soon as its parent is, whose end closes this process's stdin."""
    def watch():
        while os.read(0, 4096):  # b"" at end of file: the parent closed the pipe or exited (unbuffered: no lock
            pass                 # for the interpreter's shutdown to wait on)
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(3)

    threading.Thread(target=watch, daemon=True).start()
    os.nice(5)
    import torch  # defers torch to the child's own start

    torch.set_num_threads(1)
    module, function = export.split(":")
    getattr(import_module(module), function)(weights, Path(folder))


class ExportedPath:
    """What a fast path built on a ``BackgroundExport`` says about its export (the reasoner's and the
    detector's share it): subclasses keep theirs in ``self.export``."""

    export: BackgroundExport

    @property
    def ready(self) -> bool:
        """Whether the fast path answers now."""
        return self.export.ready

    @property
    def failed(self) -> str | None:
        """Why there is no fast path, in words."""
        return self.export.failed

    @property
    def seconds(self) -> float | None:
        """Export and load, once done."""
        return self.export.seconds

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the export is done and loaded (or ``timeout`` seconds): whether the fast path answers now."""
        return self.export.wait(timeout)

    def close(self) -> None:
        """Stop an export still running (its files are removed)."""
        self.export.close()
