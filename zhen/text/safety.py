"""Text that every layer can store, encode and export: valid Unicode, XML-safe where XML is written.

JSON can carry a lone surrogate (`"\\ud800"`) that no UTF-8 encoder, SQLite or XML writer accepts, a NUL
that PostgreSQL's text cannot hold, and control characters such as U+0012 that XML 1.0 forbids. They
are refused at the door (`check_text`) and, for data stored before the door existed, removed on the way
out (`xml_safe`).
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_XML_UNSAFE = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def check_text(text: str, xml: bool = False) -> str:
    """`text` unchanged, or ValueError saying what is wrong with it (and where)."""
    m = _SURROGATE.search(text)
    if m:
        raise ValueError(f"invalid Unicode: a lone surrogate (U+{ord(m.group()):04X}) at character {m.start()}")
    if "\x00" in text:
        raise ValueError(f"NUL character (U+0000) at character {text.index(chr(0))}")
    if xml:
        m = _XML_UNSAFE.search(text)
        if m:
            raise ValueError(f"control character U+{ord(m.group()):04X} at character {m.start()} cannot be exported")
    return text


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold (lone surrogates included)."""
    return _XML_UNSAFE.sub("", text)


def displayable(text: str) -> str:
    """`text` as valid Unicode for messages and records: undecodable bytes of an OS string (surrogate
    escapes) as `\\xNN`, any other lone surrogate as `\\udNNN`."""
    if not _SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
