"""Encoder-decoder MT models (Marian / opus-mt, NLLB, M2M-100) through CTranslate2, on CPU or GPU.

A model directory is what `ct2-transformers-converter --model ... --output_dir DIR --copy_files ...`
writes, with the SentencePiece models beside it: `source.spm` + `target.spm` (Marian) or
`sentencepiece.bpe.model` (NLLB/M2M, whose language codes are given as `source_lang`/`target_lang`).
These models take no prompt, so titles, terms and post-editing drafts are not passed; the pipeline
still checks terms and numbers on their output.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from zhen.errors import ModelNotInstalled
from zhen.mt.base import Request, Translator
from zhen.mt.registry import register


@register("ctranslate2")
class CTranslate2Translator(Translator):
    def __init__(self, model_path: str, source_lang: str | None = None, target_lang: str | None = None,
                 name: str | None = None, device: str = "cpu", compute_type: str = "default", beam_size: int = 1,
                 max_decoding_length: int = 256, batch_size: int = 32, n_threads: int | None = None,
                 **_ignored: object) -> None:
        import ctranslate2
        import sentencepiece as spm

        d = Path(model_path)
        if not (d / "model.bin").is_file():
            raise ModelNotInstalled(f"no CTranslate2 model in {d} (expected model.bin; convert with "
                                    f"ct2-transformers-converter)")
        shared = d / "sentencepiece.bpe.model"
        src, tgt = (shared, shared) if shared.exists() else (d / "source.spm", d / "target.spm")
        for p in (src, tgt):
            if not p.is_file():
                raise ModelNotInstalled(f"missing SentencePiece model {p} (pass --copy_files to the converter)")
        threads = n_threads or max(1, os.cpu_count() or 1)
        self.model = ctranslate2.Translator(str(d), device=device, compute_type=compute_type, intra_threads=threads)
        self.sp_src = spm.SentencePieceProcessor(model_file=str(src))
        self.sp_tgt = spm.SentencePieceProcessor(model_file=str(tgt))
        self.source_lang, self.target_lang = source_lang, target_lang
        self.beam_size, self.max_len, self.batch_size = beam_size, max_decoding_length, batch_size
        self.name = name or d.name

    def signature(self) -> str:
        return f"{self.name}|ct2;beam={self.beam_size}"

    def translate(self, requests: Sequence[Request]) -> list[str]:
        if not requests:
            return []
        tokens = []
        for r in requests:
            pieces = self.sp_src.encode(r.source, out_type=str) + ["</s>"]
            tokens.append([self.source_lang, *pieces] if self.source_lang else pieces)
        prefix = [[self.target_lang]] * len(tokens) if self.target_lang else None
        results = self.model.translate_batch(tokens, target_prefix=prefix, beam_size=self.beam_size,
                                             max_decoding_length=self.max_len, max_batch_size=self.batch_size)
        out = []
        for res in results:
            hyp = res.hypotheses[0]
            if self.target_lang and hyp and hyp[0] == self.target_lang:
                hyp = hyp[1:]
            out.append(self.sp_tgt.decode(hyp))
        return out
