"""A sentence-transformers model as an int8 ONNX graph, run by onnxruntime.

Why: on a CPU without bfloat16 matrix units (no AMX) torch runs EmbeddingGemma in float32, and its
bfloat16 is slower still; onnxruntime's int8 products (weights int8 per output channel, activations
quantised per tensor at run time, VNNI) are not. On 2 such cores EmbeddingGemma embeds 400 literary
sentences 2.6 times as fast as torch's float32, its vectors at cosine ≥ 0.996 (`python -m bench.align
--embedder embeddinggemma-300m --dtypes 3`), and the 12 mac-dev chapters align in 342 s instead of 670 s,
F1 0.922 against 0.925 (docs/benchmarks.md). torch's own dynamic int8 was 1.4-1.7 times as fast but lost
0.014 F1 on three chapters.

The graph is the whole model (transformer, pooling, dense layers, normalisation) exported once from the
loaded torch model with `torch.onnx`, quantised with onnxruntime's `quantize_dynamic`, and cached in the
models folder, keyed by the model folder's files and the torch, transformers and onnxruntime versions.
Two kinds of product stay float32, where one int8 scale per tensor loses most: the feed-forward's down
projections (their inputs are activation outputs, a few large values dominate the range) and every
product after the transformer (the dense head). For EmbeddingGemma that keeps a cosine of 0.998 on average
to float32, against 0.988 with every product in int8.

Imported only by the sentence-transformers embedder, where torch is installed.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
import transformers

from zhen.align.onnx_graphs import cached_graph, cpu_session, quantise_into

GRAPH_VERSION = 1  # bump when the export or the quantisation below changes: cached files carry it in their names
BATCH = 32  # texts per session run, sorted by length so that a run pads little
CHECK_COSINE = 0.98  # a freshly built graph's vectors must reach this cosine to the torch model's
PREFIX = "/transformer/"  # the exported transformer's node names start with it (the wrapper's attribute)


class StOnnx:
    """Texts → normalised sentence embeddings of a loaded SentenceTransformer, through its int8 graph."""

    def __init__(self, model: Any, model_path: str | Path, cache_dir: Path | None, threads: int) -> None:  # noqa: ANN401 - a SentenceTransformer
        """Builds the graph on first use (about a minute for EmbeddingGemma) and loads it; `model` is only
        read (its tokenizer is kept), so the caller may drop it afterwards."""
        import onnxruntime as ort

        self.tokenizer = model.tokenizer
        self.pad = int(model.tokenizer.pad_token_id or 0)
        self.max_length = int(model.max_seq_length or 512)
        key = hashlib.sha256(f"{_folder_digest(Path(model_path))}|{ort.__version__}|{_torch_versions()}|"
                             f"{GRAPH_VERSION}".encode()).hexdigest()[:16]
        name = f"st-int8-{Path(model_path).resolve().name}-{key}.onnx"
        self.session = cpu_session(cached_graph(name, cache_dir, lambda target: _build(model, target)), threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text, in order; texts are run in batches of similar token length."""
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        out: np.ndarray | None = None
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            width = max(len(ids[i]) for i in rows)
            input_ids = np.full((len(rows), width), self.pad, np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            for r, i in enumerate(rows):
                input_ids[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            vecs = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
            if out is None:
                out = np.zeros((len(texts), vecs.shape[1]), np.float32)
            out[rows] = vecs
        return out if out is not None else np.zeros((0, 0), np.float32)


def _build(model: Any, target: Path) -> None:  # noqa: ANN401
    """The checked int8 graph at `target`. A model that cannot be exported leaves a `.failed` note beside
    where its graph would be, so that later loads do not spend the export's time again."""
    failed = target.with_name(f"{target.name}.failed")
    if failed.exists():
        raise ValueError(failed.read_text(encoding="utf-8"))
    try:
        _write_quantised(model, target)
        _check(model, target)
    except OSError:
        raise  # an unwritable folder: `cached_graph` tries the next
    except Exception as e:  # the exporter's or the check's: any of them means no graph for this model
        failed.write_text(f"{type(e).__name__}: {e}", encoding="utf-8")
        raise ValueError(f"{type(e).__name__}: {e}") from e


def _check(model: Any, graph: Path) -> None:  # noqa: ANN401
    """The new graph against the torch model on texts of other lengths than the export's sample (a length
    the tracer froze would fail here, not in a user's request); a graph that disagrees is removed."""
    texts = ["Short.", "一句比导出时的样本更长的中文句子，" * 4, "A longer English sentence than the sample, " * 5]
    batch = model.tokenizer(texts, padding=True, return_tensors="np")
    try:
        got = cpu_session(graph, 0).run(None, {"input_ids": batch["input_ids"].astype(np.int64),
                                 "attention_mask": batch["attention_mask"].astype(np.int64)})[0]
        want = model.encode(texts, convert_to_numpy=True, normalize_embeddings=True)
        cosine = float(np.min(np.einsum("ij,ij->i", want, got) / np.linalg.norm(got, axis=1)))
    except Exception as e:
        graph.unlink(missing_ok=True)
        raise ValueError(f"the exported graph does not run: {e}") from e
    if cosine < CHECK_COSINE:
        graph.unlink(missing_ok=True)
        raise ValueError(f"the exported graph's vectors differ from the model's (cosine {cosine:.3f})")


def _folder_digest(path: Path) -> str:
    """Names, sizes and modification times of the model folder's files: a changed model builds a new graph
    (hashing a gigabyte of weights at every load would cost seconds)."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.resolve().rglob("*") if p.is_file()):
        st = f.stat()
        h.update(f"{f.relative_to(path.resolve())}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _torch_versions() -> str:
    return f"{torch.__version__}|{transformers.__version__}"


def _write_quantised(model: Any, target: Path) -> None:  # noqa: ANN401
    """The exported float graph (`_export`), quantised into `target` (`onnx_graphs.quantise_into`); only
    matrix products with a constant weight are quantised."""
    import onnx

    def write_float(plain: Path) -> list[str]:
        _export(model, plain)
        graph = onnx.load(plain, load_external_data=False)
        return _float_products(graph, getattr(model[0].auto_model.config, "intermediate_size", 0))

    quantise_into(target, write_float, op_types_to_quantize=["MatMul"], extra_options={"MatMulConstBOnly": True})


def _float_products(graph: Any, wide: int) -> list[str]:  # noqa: ANN401 - onnx.ModelProto
    """Matrix products left in float32: those after the transformer, and its down projections (the weights
    with `wide` rows, the feed-forward's intermediate size: its way back from the activation to the model
    width)."""
    rows = {t.name: t.dims[0] for t in graph.graph.initializer if len(t.dims) == 2}
    return [n.name for n in graph.graph.node if n.op_type == "MatMul"
            and (not n.name.startswith(PREFIX) or rows.get(n.input[1]) == wide)]


def _export(model: Any, path: Path) -> None:  # noqa: ANN401
    """The whole SentenceTransformer (input ids and attention mask → normalised sentence embedding) as one
    float32 ONNX graph with dynamic batch and length."""
    wrapper = _Whole(model).eval()
    sample = model.tokenizer(["a sample sentence, to trace the graph", "一个句子"], padding=True, return_tensors="pt")
    args = (sample["input_ids"], sample["attention_mask"])
    axes = {"input_ids": {0: "batch", 1: "length"}, "attention_mask": {0: "batch", 1: "length"},
            "embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python values it treats as constants
        torch.onnx.export(wrapper, args, str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["embedding"], dynamic_axes=axes, opset_version=17, dynamo=False)


class _Whole(torch.nn.Module):
    """The transformer called with attention masks it can trace, then the model's own pooling, dense and
    normalisation modules.

    Models with per-layer attention types (Gemma 3: sliding-window and full layers) build their masks with
    `torch.vmap`, which the exporter cannot trace; they accept the masks ready-made, one per layer type, so
    the padding mask (and, for sliding layers, the window |q - k| < window of a bidirectional encoder) is
    built here in plain tensor operations."""

    def __init__(self, model: Any) -> None:  # noqa: ANN401 - a SentenceTransformer
        super().__init__()
        self.transformer = model[0].auto_model
        self.head = torch.nn.ModuleList(list(model)[1:])
        cfg = self.transformer.config
        self.layer_types = sorted(set(getattr(cfg, "layer_types", None) or []))
        self.window = int(getattr(cfg, "sliding_window", 0) or 0)
        if self.layer_types and not getattr(cfg, "use_bidirectional_attention", False):
            raise ValueError("only bidirectional encoders can be exported with per-layer attention masks")

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        mask: Any = attention_mask
        if self.layer_types:  # shapes taken from the inputs, never Python ints: those would trace as constants
            lowest = torch.finfo(torch.float32).min
            padding = torch.where(attention_mask[:, None, None, :] != 0, 0.0, lowest)  # [batch, 1, 1, length]
            pos = torch.arange(input_ids.shape[1])
            far = ((pos[:, None] - pos[None, :]).abs() >= self.window)[None, None]  # [1, 1, length, length]
            sliding = torch.where(far, lowest, padding)
            mask = {t: sliding if "sliding" in t and self.window else padding for t in self.layer_types}
        hidden = self.transformer(input_ids=input_ids, attention_mask=mask).last_hidden_state
        features = {"input_ids": input_ids, "attention_mask": attention_mask, "token_embeddings": hidden}
        for module in self.head:
            features = module(features)
        return features["sentence_embedding"]
