"""What the embedders' int8 ONNX graphs share: where a graph is cached, how it is quantised, how it is run.

Both graphs (e5's, built by hand in `align.e5_onnx`, and a sentence-transformers model's, exported in
`align.st_onnx`) are built on first use into the models folder, quantised by onnxruntime's own
`quantize_dynamic` (int8 weights per output channel, activations per tensor at run time) with some
products kept float32, and run by one CPU session.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cached_graph(name: str, cache_dir: Path | None, build: Callable[[Path], None]) -> Path:
    """The graph file `name` in `cache_dir`, made by `build(target)` on first use. A folder that cannot be
    written (a read-only models volume) gets it in the temporary directory instead."""
    for folder in ([cache_dir] if cache_dir else []) + [Path(tempfile.gettempdir()) / "zhen-models"]:
        target = folder / name
        if target.exists():
            return target
        try:
            folder.mkdir(parents=True, exist_ok=True)
            build(target)
            return target
        except OSError:
            continue
    raise OSError("no writable directory for the embedding model's ONNX graph")


def quantise_into(target: Path, write_float: Callable[[Path], list[str]], **options: Any) -> None:  # noqa: ANN401
    """`write_float(path)` writes the float graph and names the products to keep float32; the int8 graph goes
    to `target`, renamed into place so that processes building it at once never read half a file. `options`
    go to `quantize_dynamic`."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        plain, quantised = Path(work) / "float.onnx", Path(work) / "int8.onnx"
        keep_float = write_float(plain)
        logging.disable(logging.WARNING)  # the quantiser's advice to pre-process: these graphs need none
        try:
            quantize_dynamic(plain, quantised, weight_type=QuantType.QInt8, per_channel=True,
                             nodes_to_exclude=keep_float, **options)
        finally:
            logging.disable(logging.NOTSET)
        os.replace(quantised, target)


def cpu_session(graph: Path, threads: int) -> Any:  # noqa: ANN401 - onnxruntime.InferenceSession
    """An onnxruntime session on `threads` CPU threads, its log limited to errors."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    return ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
