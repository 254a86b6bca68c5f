"""Tiny MT models built by the tests themselves (no hub): a Marian model with random weights and its
SentencePiece vocabulary, saved for `transformers` and converted for CTranslate2.

The outputs are nonsense by construction; what the tests check is the loading, tokenisation, batching
and decoding plumbing of the backends, which is identical for the real opus-mt / NLLB weights.
"""

from __future__ import annotations

import json
from pathlib import Path

from zhen import config


def build_tiny_marian(root: Path) -> tuple[Path, Path]:
    """(transformers directory, CTranslate2 directory)."""
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    hf, ct2 = root / "tiny-marian-hf", root / "tiny-marian-ct2"
    hf.mkdir(parents=True)
    flores = config.shared_data() / "mt" / "flores200-devtest"
    corpus = root / "corpus.txt"
    lines = []
    for name in ("zho_Hans.devtest", "eng_Latn.devtest"):
        lines += (flores / name).read_text(encoding="utf-8").splitlines()[:300]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(root / "spm"), vocab_size=2000, minloglevel=2,
                                   character_coverage=0.9995, model_type="unigram", num_threads=1,
                                   bos_id=-1, eos_id=1, unk_id=0, pad_id=-1)
    for name in ("source.spm", "target.spm"):
        (hf / name).write_bytes((root / "spm.model").read_bytes())
    sp = spm.SentencePieceProcessor(model_file=str(root / "spm.model"))
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    vocab["<pad>"] = len(vocab)
    (hf / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = MarianTokenizer(str(hf / "source.spm"), str(hf / "target.spm"), str(hf / "vocab.json"),
                          source_lang="zh", target_lang="en")
    cfg = MarianConfig(vocab_size=len(vocab), d_model=32, encoder_layers=1, decoder_layers=1,
                       encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                       max_position_embeddings=256, pad_token_id=vocab["<pad>"], eos_token_id=vocab["</s>"],
                       decoder_start_token_id=vocab["<pad>"], forced_eos_token_id=vocab["</s>"])
    torch.manual_seed(0)
    model = MarianMTModel(cfg).eval()
    model.save_pretrained(hf)
    tok.save_pretrained(hf)
    import ctranslate2

    ctranslate2.converters.TransformersConverter(str(hf), copy_files=["source.spm", "target.spm"]).convert(str(ct2))
    return hf, ct2


def build_tiny_sentence_transformer(root: Path, arch: str = "bert") -> Path:
    """A sentence-transformers directory (tiny BERT with random weights, a WordPiece vocabulary trained
    on FLORES lines, mean pooling, normalisation): the same layout as LaBSE's, loadable offline.
    `arch="gemma3"`: a bidirectional Gemma 3 encoder instead (EmbeddingGemma's architecture: sliding-window
    layers of a 4-token window and a full-attention layer) with a dense head, EmbeddingGemma's layout."""
    import torch
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers >= 6 moved the modules; older releases keep `models`
        from sentence_transformers.sentence_transformer import modules as st_models
    except ImportError:
        from sentence_transformers import models as st_models
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors, trainers
    from tokenizers.models import WordPiece
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    hf, out = root / f"tiny-{arch}", root / ("tiny-st" if arch == "bert" else f"tiny-st-{arch}")
    flores = config.shared_data() / "mt" / "flores200-devtest"
    lines = []
    for name in ("zho_Hans.devtest", "eng_Latn.devtest"):
        lines += (flores / name).read_text(encoding="utf-8").splitlines()[:300]
    tok = Tokenizer(WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(handle_chinese_chars=True, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(lines, trainers.WordPieceTrainer(vocab_size=3000, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=128)
    torch.manual_seed(0)
    head = []
    if arch == "gemma3":
        from transformers import Gemma3TextConfig, Gemma3TextModel

        gcfg = Gemma3TextConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, intermediate_size=48,
                                num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                                sliding_window=4, layer_types=["sliding_attention", "full_attention"],
                                use_bidirectional_attention=True, max_position_embeddings=128,
                                pad_token_id=tok.token_to_id("[PAD]"))
        Gemma3TextModel(gcfg).eval().save_pretrained(hf)
        head = [st_models.Dense(32, 64, bias=False, activation_function=torch.nn.Identity()),
                st_models.Dense(64, 32, bias=False, activation_function=torch.nn.Identity())]
    else:
        cfg = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)
        BertModel(cfg).eval().save_pretrained(hf)
    fast.save_pretrained(hf)
    word = st_models.Transformer(str(hf), max_seq_length=128)
    model = SentenceTransformer(modules=[word, st_models.Pooling(32, pooling_mode="mean"), *head, st_models.Normalize()],
                                device="cpu")
    model.save(str(out))
    return out


def build_tiny_gguf(path: Path, tokenizer_from: Path) -> Path:
    """A two-layer Qwen2 GGUF with random weights (about 20 MB): llama.cpp's server loads and runs it as it
    would the real model, in milliseconds per token. It borrows the real model's tokenizer and chat
    template (`tokenizer_from`, the pulled default GGUF), since llama.cpp needs a working vocabulary; the
    text it writes is noise, which is all a test of transport and rotation needs."""
    import gguf
    import numpy as np

    src = gguf.GGUFReader(str(tokenizer_from))
    hidden, ffn, heads, kv_heads, layers = 64, 128, 4, 2, 2
    head_dim = hidden // heads
    w = gguf.GGUFWriter(str(path), "qwen2")
    w.add_context_length(2048)
    w.add_embedding_length(hidden)
    w.add_block_count(layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_rope_freq_base(1_000_000.0)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    fields = src.fields
    tokens = [bytes(fields["tokenizer.ggml.tokens"].parts[i]).decode("utf-8") for i in fields["tokenizer.ggml.tokens"].data]
    merges = [bytes(fields["tokenizer.ggml.merges"].parts[i]).decode("utf-8") for i in fields["tokenizer.ggml.merges"].data]
    types = [int(fields["tokenizer.ggml.token_type"].parts[i][0]) for i in fields["tokenizer.ggml.token_type"].data]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    for key, add in (("tokenizer.ggml.eos_token_id", w.add_eos_token_id), ("tokenizer.ggml.bos_token_id", w.add_bos_token_id),
                     ("tokenizer.ggml.padding_token_id", w.add_pad_token_id)):
        add(int(fields[key].contents()))
    w.add_add_bos_token(False)
    w.add_chat_template(fields["tokenizer.chat_template"].contents())
    rng = np.random.default_rng(0)

    def t(name: str, *shape: int, scale: float = 0.02, ones: bool = False) -> None:
        data = np.ones(shape, np.float32) if ones else (rng.standard_normal(shape) * scale).astype(np.float32)
        w.add_tensor(name, data.astype(np.float16) if len(shape) > 1 else data)

    vocab = len(tokens)
    t("token_embd.weight", vocab, hidden)
    t("output_norm.weight", hidden, ones=True)
    t("output.weight", vocab, hidden)
    for i in range(layers):
        b = f"blk.{i}"
        t(f"{b}.attn_norm.weight", hidden, ones=True)
        t(f"{b}.attn_q.weight", hidden, hidden)
        t(f"{b}.attn_q.bias", hidden)
        t(f"{b}.attn_k.weight", kv_heads * head_dim, hidden)
        t(f"{b}.attn_k.bias", kv_heads * head_dim)
        t(f"{b}.attn_v.weight", kv_heads * head_dim, hidden)
        t(f"{b}.attn_v.bias", kv_heads * head_dim)
        t(f"{b}.attn_output.weight", hidden, hidden)
        t(f"{b}.ffn_norm.weight", hidden, ones=True)
        t(f"{b}.ffn_gate.weight", ffn, hidden)
        t(f"{b}.ffn_up.weight", ffn, hidden)
        t(f"{b}.ffn_down.weight", hidden, ffn)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
