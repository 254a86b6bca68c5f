"""Chinese person names next to a title (`副主任杜山鹏`, `樊嘉院士`) rendered in pinyin (`Du Shanpeng`).

A 1.5B model guesses names badly ("Duan Shanyou"); pypinyin reads them right. We only take names in
positions news prose makes unambiguous — right after a title, or right before one — and starting
with a common surname, then hand them to the model as terminology.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from zhen.mt.glossary import Term

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝水洪"
)
TITLES = (
    "党委书记|党委副书记|副书记|书记|副主任|主任|副院长|院长|常务副院长|副局长|局长|副区长|区长|副市长|市长|副省长|省长|"
    "副校长|校长|主席|副主席|教授|院士|秘书长|副秘书长|会长|部长|处长|科长|组长|主任医师|护士长|委员|专家|同志|博士"
)
# Characters that can follow a name in news prose (a verb, a conjunction, punctuation).
_AFTER = set("主在表代致为对共出会讲介提强带参等同一和与、,，。;；:：)）”介说指认希要作进获") | {""}
_BEFORE_TITLE = re.compile(rf"(?:{TITLES})([{SURNAMES}][\u4e00-\u9fff]{{1,2}})")
_AFTER_TITLE = re.compile(rf"(?<![\u4e00-\u9fff])([{SURNAMES}][\u4e00-\u9fff]{{1,2}})(?=院士|教授|同志|主任|书记|博士)")
# Surnames whose everyday reading differs from the surname reading.
_SURNAME_READING = {"卜": "bu", "单": "shan", "曾": "zeng", "仇": "qiu", "查": "zha", "解": "xie", "区": "ou",
                    "朴": "piao", "乐": "yue", "覃": "qin", "盖": "ge", "尉": "yu", "缪": "miao", "翟": "zhai"}
_NOT_NAME = set("院委会省市区县局部处科校厅中大")


def _pick(text: str, start: int, candidate: str) -> str | None:
    """Choose the 3- or 2-character reading of a name by what follows it."""
    for n in (3, 2):
        if len(candidate) < n:
            continue
        name = candidate[:n]
        if any(ch in _NOT_NAME for ch in name[1:]):
            continue
        nxt = text[start + n : start + n + 1]
        if nxt in _AFTER or re.match(rf"{TITLES}", text[start + n :]):
            return name
    return None


@lru_cache(maxsize=4096)
def to_pinyin(name: str) -> str:
    """`杜山鹏` → `Du Shanpeng` (surname, then given name as one word)."""
    syl = lazy_pinyin(name, style=Style.NORMAL, errors="ignore")
    if not syl:
        return name
    syl[0] = _SURNAME_READING.get(name[0], syl[0])
    return " ".join([syl[0].capitalize(), "".join(syl[1:]).capitalize()]).strip()


def find_names(text: str) -> list[Term]:
    """Person names in `text` with their pinyin, in order of appearance."""
    found: dict[str, str] = {}
    for pattern in (_BEFORE_TITLE, _AFTER_TITLE):
        for m in pattern.finditer(text):
            name = _pick(text, m.start(1), m.group(1))
            if name and name not in found:
                found[name] = to_pinyin(name)
    return [Term(k, v) for k, v in found.items()]
