"""Turn raw bytes from scraped pages into text, or refuse with a clear reason.

Scraped Chinese pages arrive as UTF-8, GB18030 (a superset of GBK/GB2312) or Big5. We try the
strict decoders in that order and fall back to charset-normalizer's detection, because a wrong
guess silently produces mojibake that no later stage can repair.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from zhen.errors import DecodeError

__all__ = ["DecodeError", "decode_bytes", "read_text"]


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > max(4, len(sample) // 50)


def _cjk_ratio(text: str) -> float:
    if not text:
        return 0.0
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return cjk / len(text)


def decode_bytes(data: bytes, name: str = "input") -> tuple[str, str]:
    """Decode `data`, returning `(text, encoding)`; raise `DecodeError` naming `name` if impossible."""
    if not data or not data.strip():
        raise DecodeError(f"{name}: empty input")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc), enc
    if _looks_binary(data):
        raise DecodeError(f"{name}: looks like binary data, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates: list[tuple[float, str, str]] = []
    for enc in ("gb18030", "big5"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        candidates.append((_cjk_ratio(text), enc, text))
    if candidates:
        # GB18030 decodes almost any byte string; Big5 text read as GB18030 yields rare characters
        # and punctuation, so prefer whichever reading has more common CJK.
        _, enc, text = max(candidates, key=lambda c: (_common_ratio(c[2]), c[0]))
        return text, enc
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise DecodeError(f"{name}: not valid UTF-8, GB18030 or Big5, and no encoding could be detected")
    return str(best), best.encoding


def _common_ratio(text: str) -> float:
    """Share of CJK characters that lie in GB2312 level 1 (the 3,755 most common hanzi)."""
    cjk = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    if not cjk:
        return 0.0
    common = 0
    for ch in cjk:
        try:
            b = ch.encode("gb2312")
        except UnicodeEncodeError:
            # Traditional characters are not in GB2312: test them through Big5's frequent block.
            try:
                b5 = ch.encode("big5")
            except UnicodeEncodeError:
                continue
            common += 0xA440 <= int.from_bytes(b5, "big") <= 0xC67E
            continue
        common += 0xB0A1 <= int.from_bytes(b, "big") <= 0xD7F9
    return common / len(cjk)


def read_text(path: str) -> str:
    """Read and decode a file (see `decode_bytes`)."""
    with open(path, "rb") as fh:
        data = fh.read()
    text, _ = decode_bytes(data, name=str(path))
    return text
