"""Reference backend: any Hugging Face seq2seq MT model (Marian, NLLB, M2M-100) with `transformers`.

Slower than CTranslate2 on CPU; it is here to check other backends against the original weights and
for models CTranslate2 cannot convert. Greedy decoding, deterministic. Loads from a local directory
only (model hubs are not reached).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from zhen.errors import ModelNotInstalled
from zhen.mt.base import Request, Translator
from zhen.mt.registry import register


@register("transformers")
class TransformersTranslator(Translator):
    def __init__(self, model_path: str, source_lang: str | None = None, target_lang: str | None = None,
                 name: str | None = None, max_new_tokens: int = 256, batch_size: int = 16, n_threads: int | None = None,
                 **_ignored: object) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        if not Path(model_path).is_dir():
            raise ModelNotInstalled(f"no transformers model directory at {model_path}")
        torch.set_num_threads(n_threads or max(1, os.cpu_count() or 1))
        self.tok = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        if source_lang and hasattr(self.tok, "src_lang"):
            self.tok.src_lang = source_lang
        self.model = AutoModelForSeq2SeqLM.from_pretrained(model_path, local_files_only=True).eval()
        self.forced_bos = self.tok.convert_tokens_to_ids(target_lang) if target_lang else None
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size
        self.name = name or Path(model_path).name
        self._torch = torch

    def signature(self) -> str:
        return f"{self.name}|hf;greedy"

    def translate(self, requests: Sequence[Request]) -> list[str]:
        out: list[str] = []
        for start in range(0, len(requests), self.batch_size):
            batch = [r.source for r in requests[start : start + self.batch_size]]
            enc = self.tok(batch, return_tensors="pt", padding=True, truncation=True, max_length=512)
            kwargs = {"forced_bos_token_id": self.forced_bos} if self.forced_bos is not None else {}
            with self._torch.no_grad():
                gen = self.model.generate(**enc, max_new_tokens=self.max_new_tokens, num_beams=1, do_sample=False,
                                          **kwargs)
            out += self.tok.batch_decode(gen, skip_special_tokens=True)
        return out
