"""detectron2 0.6 on current torch: the notices it causes that no user can act on, silenced by name,
and the one deprecated call it makes on our path, replaced.

* Importing ``detectron2.modeling`` compiles two box helpers with ``torch.jit.script``, which torch
  deprecates (a ``FutureWarning`` at import): ``quiet_import()`` around our detectron2 imports.
* Its ROI pooler asks ``torch.fx``'s ``is_fx_tracing()``, whose first call logs that it also returns
  true under ``torch.export``: a filter on that logger drops the one record.
* Its ``DefaultAnchorGenerator`` calls ``torch.meshgrid`` without ``indexing`` (a ``UserWarning``
  on the first image): ``ClevrAnchorGenerator`` builds the same anchor grid with ``indexing="ij"``.
"""
from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from typing import Iterator

__all__ = ["quiet_import", "quiet_fx_tracing_notice"]

JIT_SCRIPT_NOTICE = "`torch.jit.script` is deprecated"
FX_TRACING_NOTICE = "is_fx_tracing will return true"


@contextmanager
def quiet_import() -> Iterator[None]:
    """Import detectron2 inside this: its import-time ``torch.jit.script`` notice is dropped, nothing else."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=JIT_SCRIPT_NOTICE, category=FutureWarning)
        yield


class _DropRecord(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(FX_TRACING_NOTICE)


def quiet_fx_tracing_notice() -> None:
    """Drop ``torch.fx``'s "is_fx_tracing will return true ..." record (once per process, on the first image)."""
    logger = logging.getLogger("torch.fx._symbolic_trace")
    if not any(isinstance(f, _DropRecord) for f in logger.filters):
        logger.addFilter(_DropRecord())
