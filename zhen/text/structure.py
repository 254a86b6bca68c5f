"""Label the blocks of a scraped page: title, meta, body, caption, byline, boilerplate.

Rules are written against Simplified text (blocks are classified after normalisation) and against
the page furniture of Chinese hospital sites: breadcrumbs, previous/next links, slider prompts, QR
prompts, footers with phones, addresses and bus lines. Boilerplate is kept and labelled, not deleted,
so a translator can still ask for it.
"""

from __future__ import annotations

import re
from enum import Enum


class Kind(str, Enum):
    TITLE = "title"
    META = "meta"
    BODY = "body"
    CAPTION = "caption"
    BYLINE = "byline"
    BOILERPLATE = "boilerplate"


_TERMINAL = "。！？!?；;…”\"’」』)）"

_BOILER = [re.compile(p, re.I) for p in (
    r"(首页|主页|网站首页|home)\s*(>|»|＞|/|›)",
    r"^(您现在的位置|当前位置|你的位置|现在位置|所在位置)",
    r"^(上一[条篇页]|下一[条篇页]|previous|next)\s*[:：]",
    r"^[【\[]?(关闭|打印|返回|返回顶部|关闭窗口|收藏|分享到?|打印本页|关闭本页)[】\]]?$",
    r"^<<.*>>$|滑动查看|点击查看大图",
    r"二维码|扫一扫|扫码关注|关注.{0,20}(微信|微博|公众号)",
    r"^(信息来源|来源|稿件来源|消息来源|source)\s*[:：]",
    r"内部资料|免费交流|准字第|^版权所有|copyright|©|icp备|备案号|技术支持|未经.{0,6}授权|仅供参考",
    r"^(地址|邮编|邮箱|传真|e-?mail|乘车路线|公交线路|网址)\s*[:：]",
    r"(电话|热线|咨询)\s*[:：]?\s*[(（]?\d{3,4}[)）]?[-\s]?\d{7,8}",
    r"www\.[a-z0-9-]+\.",
)]
# Lines that open a page footer: everything after them, up to the end of the page, is footer.
_FOOTER_START = re.compile(r"二维码|扫一扫|版权所有|copyright|©|^地址\s*[:：]|服务电话|乘车路线|icp备", re.I)
_META = [re.compile(p, re.I) for p in (
    r"^(日期|发布时间|发布日期|时间|更新时间|发表时间|作者|点击|浏览|阅读|hits|time|date)\s*[:：]",
    r"(点击|浏览次数|阅读量|hits)\s*[:：]",
    r"^总第\d+期",
)]
_DATE = re.compile(r"\d{4}\s*[-/年.]\s*\d{1,2}\s*[-/月.]\s*\d{1,2}")
_BYLINE = [re.compile(p) for p in (
    r"^[文图摄供稿撰编辑审核校对、]{1,6}\s*[/:：｜|]",
    r"^[【\[(（].{0,12}(编辑|供稿|通讯员|记者|撰稿|审核).{0,20}[】\])）]$",
    r"^(通讯员|记者|编辑|责任编辑|审核|撰稿)\s*[:：]?\s*\S{1,12}(\s+\S{1,12}){0,3}$",
)]
_CAPTION_END = re.compile(
    r"(现场|合影|留念|讲话|致辞|发言|签约|签字|揭牌|授牌|合照|义诊|查房|手术|座谈|会议|会场|仪式|活动|参观|调研|指导|交流)$"
)
_CAPTION_START = re.compile(r"^(图为|图[:：]|图\d|上图|下图|左图|右图|photo)", re.I)


def _has_text(s: str) -> bool:
    return any(c.isalpha() for c in s)


def _is_body(s: str) -> bool:
    # English headlines run longer than Chinese ones, so the no-punctuation length limit differs.
    limit = 60 if sum(1 for c in s if "\u4e00" <= c <= "\u9fff") * 3 >= len(s) else 160
    return len(s) >= limit or (len(s) >= 12 and s.rstrip()[-1:] in _TERMINAL and not s.endswith(")"))


def classify_line(s: str, seen_body: bool) -> Kind:
    """Kind of one normalised block, knowing whether body text came before it."""
    s = s.strip()
    if not _has_text(s) or any(p.search(s) for p in _BOILER):
        return Kind.BOILERPLATE
    if len(s) < 80 and any(p.search(s) for p in _BYLINE):
        return Kind.BYLINE
    if len(s) < 60 and (any(p.search(s) for p in _META) or (_DATE.search(s) and len(_DATE.sub("", s)) < 12)):
        return Kind.META
    if _is_body(s):
        return Kind.BODY
    if seen_body and (_CAPTION_END.search(s) or _CAPTION_START.search(s)):
        return Kind.CAPTION
    return Kind.TITLE


def classify(blocks: list[str]) -> list[Kind]:
    """Kinds of all blocks of a page, with the trailing footer zone marked boilerplate."""
    kinds: list[Kind] = []
    seen_body = False
    for s in blocks:
        k = classify_line(s, seen_body)
        seen_body = seen_body or k is Kind.BODY
        kinds.append(k)
    n = len(blocks)
    for i in range(1, n):
        if _FOOTER_START.search(blocks[i]) and not any(
            kinds[j] is Kind.BODY and len(blocks[j]) >= 120 for j in range(i + 1, n)
        ):
            for j in range(i, n):
                kinds[j] = Kind.BOILERPLATE
            break
    return kinds


def ends_sentence(s: str) -> bool:
    """True when a block ends with sentence-final punctuation (so it is not a paragraph cut by a page break)."""
    return s.rstrip()[-1:] in _TERMINAL
