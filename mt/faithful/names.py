"""Chinese person names rendered in pinyin the way names are read (`卜明长` → `Bu Mingchang`).

A 1.5B model guesses names badly ("Duan Shanyou"); pypinyin reads them right once it reads them as
names: surname readings (卜 Bu, 单 Shan), and given-name readings of polyphones character by
character (朝阳 in a name is Chaoyang, not the word zhāoyáng "morning sun"). Names come from the
entity tagger (`zhen.mt.faithful.ner`) and from positions news prose makes unambiguous — right after a title
or right before one — and must start with a known surname.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from zhen.mt.base import Term

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝水洪"
    "习练阚幸官蔺綦郜韶訾谈邸郄竺储冀郗暴厉慕权逯茅钮蓬羊於丰雍桓濮寿通扈燕冼郦封芮羿储靖汲邴糜松井段富巴"
    "弓牧隗谷车侯宓蓬全郗班仰秋仲伊宫宁仇栾暴甘钭厉戎祖武符刘景詹束龙叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍"
)
# Title words a name follows (`副院长樊嘉`) whatever the phrase before them (`孔子学院中方院长柴克清`), longest
# first so that `副院长` is read whole.
TITLE_WORDS = sorted({
    "党委书记", "党委副书记", "总书记", "副书记", "书记", "常务副院长", "副院长", "院长", "副主任",
    "主任", "副局长", "局长", "副区长", "区长", "副市长", "市长", "副省长", "省长", "副县长", "县长",
    "镇长", "乡长", "村长", "副校长", "校长", "主席", "副主席", "教授", "副教授", "院士", "秘书长",
    "副秘书长", "会长", "副会长", "部长", "副部长", "处长", "科长", "组长", "主任医师", "副主任医师",
    "主治医师", "医师", "护士长", "委员", "专家", "同志", "博士", "所长", "副所长", "司长", "副司长",
    "厅长", "副厅长", "董事长", "副董事长", "总经理", "副总经理", "经理", "总裁", "副总裁", "总监",
    "理事长", "副理事长", "主任委员", "主委", "队长", "主教练", "教练", "主编", "总编辑", "研究员",
    "副研究员", "馆长", "站长", "行长", "副行长", "社长", "台长", "检察长", "庭长",
    "厂长", "总理", "副总理", "大使", "发言人", "总干事", "主持人", "负责人", "创始人", "医生",
    "老师", "法官", "律师", "导演", "演员", "歌手", "运动员", "选手",
    # what a person is, written before the name as news writes titles (`大满贯得主王林`, `村民王林`); not
    # the words that also qualify a thing (农民丰收节, 学生会, 裁判文书网)
    "得主", "冠军", "亚军", "名将", "队友", "搭档", "主播", "网友", "市民", "村民", "居民"
}, key=lambda w: (-len(w), w))
TITLES = "|".join(TITLE_WORDS)
_ROLES = "记者|通讯员|实习生|摄影|摄像|编辑|责编|审核|校对|供稿"  # words, never a surname
_CREDITS = _ROLES + "|文|图"  # 文/X and 图/X: only with the slash or colon, since 文 is a surname too
_SEP = r"[ \t\u3000、，,]"  # between the names of one byline (never a line break)
_NAME_RUN = rf"[\u4e00-\u9fff]{{2,4}}(?:{_SEP}+[\u4e00-\u9fff]{{2,4}}){{0,5}}"
# Bylines and credits, one pattern each; group 1 holds the names (roles among them are removed):
BYLINES = (
    # a dateline's or a report's reporters: "电 (记者 陈静 罗燕倩)", "本报讯(记者 王斌)",
    # "消息(记者徐志强 通讯员严怡娜)"
    re.compile(rf"(?:电|讯|消息|报道)\s*[(（]{_SEP}*((?:(?:{_ROLES})?{_SEP}*[:：/]?{_SEP}*{_NAME_RUN}{_SEP}*)+)"
               r"[)）]"),
    # "记者 王斌 通讯员 李明" at the start of a line or after punctuation
    re.compile(rf"(?:^|(?<=[\s。！？；]))((?:(?:记者|通讯员|实习生){_SEP}*[:：]?{_SEP}*{_NAME_RUN}{_SEP}*)+)"
               r"(?=$|[\s。，,；;])", re.M),
    # credits: "文/王斌", "摄影 李明", "图：张三 李四", "编辑：赵六"
    re.compile(rf"(?:^|(?<=[\s(（|丨]))(?:{_CREDITS}){_SEP}*[/:：]{_SEP}*({_NAME_RUN})", re.M),
    re.compile(rf"(?:^|(?<=[\s(（|丨]))(?:摄影|摄像|编辑|责编){_SEP}+({_NAME_RUN})", re.M),
    # "(王斌 报道)", "(记者 王斌 报道)"
    re.compile(rf"[(（]{_SEP}*((?:(?:{_ROLES}){_SEP}*)?{_NAME_RUN}){_SEP}*报道{_SEP}*[)）]"),
)
_ROLE = re.compile(rf"^(?:{_ROLES})\s*[:：/]?\s*")
_GROUP_NOUN = ("人|人士|人员|音乐人|艺人|歌手|演员|明星|导演|作家|画家|专家|学者|教授|院士|代表|委员|"
               "领导|干部|同志|嘉宾|运动员|选手|球员|队员|医生|医务人员|护士|患者|同学|学生|老师|教师|"
               "记者|企业家|科学家|研究人员|官员|负责人")
# People listed before a group noun: "老狼、朴树、李宇春、毛不易等音乐人", "张三和李四等专家"
_PEOPLE_LIST = re.compile(rf"((?:[\u4e00-\u9fff]{{2,4}}[、和与及])+[\u4e00-\u9fff]{{2,4}})等(?:{_GROUP_NOUN})")


def bylines(text: str) -> list[tuple[int, list[str]]]:
    """Each byline or credit in `text` (`BYLINES`): where its names start, and the names with their roles
    removed (`电 (记者 陈静 罗燕倩)` → ["陈静", "罗燕倩"], `记者 王斌 通讯员 李明` → ["王斌", "李明"])."""
    out: list[tuple[int, list[str]]] = []
    for pattern in BYLINES:
        for m in pattern.finditer(text):
            words = re.split(rf"{_SEP}+|(?=(?:{_ROLES}))", m.group(1))
            names = [w for w in (_ROLE.sub("", p).strip() for p in words) if w and not re.fullmatch(_ROLES, w)]
            if names:
                out.append((m.start(1), names))
    return out


def people_lists(text: str) -> list[tuple[int, list[str]]]:
    """Runs of names joined by 、 or 和 before a group noun (`李宇春、毛不易等音乐人`): where they start, and
    the members."""
    return [(m.start(1), re.split(r"[、和与及]", m.group(1))) for m in _PEOPLE_LIST.finditer(text)]


# Particles and verbs that follow a name and never end a given name: a tagged `柴春说` is 柴春 who says.
_GLUED = set("的说是在被把对向给也都就还又称等")
# Characters that can follow a name in news prose (a verb, a conjunction, punctuation).
_AFTER = set("主在表代致为对共出会讲介提强带参等同一和与、,，。;；:：)）”介说指认希要作进获")
_AFTER |= set("宣称坦建透告答回呼补谈率") | {""}
# 同志 follows a name and never precedes one (`张光军同志简历`: his résumé).
_BEFORE_TITLE = re.compile(rf"(?:{TITLES.replace('|同志', '')})([{SURNAMES}][\u4e00-\u9fff]{{1,2}})")
_AFTER_TITLE = re.compile(rf"(?<![\u4e00-\u9fff])([{SURNAMES}][\u4e00-\u9fff]{{1,2}})(?=院士|教授|同志|主任|书记|博士)")
# Surnames whose everyday reading differs from the surname reading.
_SURNAME_READING = {"卜": "bu", "单": "shan", "曾": "zeng", "仇": "qiu", "查": "zha", "解": "xie", "区": "ou",
                    "朴": "piao", "乐": "yue", "覃": "qin", "盖": "ge", "尉": "yu", "缪": "miao", "翟": "zhai"}
_NOT_NAME = set("院委会省市区县局部处科校厅中大")
# 刘先生 is Mr. Liu, 王某 an unnamed Wang, 宋氏 the Song family
_HONORIFIC = re.compile("先生|小姐|女士|太太|夫人|师傅|大夫|老板|阿姨|某|氏")
_NOT_GIVEN = set("院委会省市区县局部处科校厅")  # 中 and 大 are common in given names (李大民)
# Characters that end transliterated foreign names (史密斯 Smith, 安德森 Anderson, 米勒 Miller) and rarely
# end a Chinese given name; 克 or 恩 inside one (李克强, 周恩来) is common, so only the last is judged.
_TRANSLITERATION = set("斯尔特姆森丝蒂逊迪弗瓦塞萨索赫茨兹夫默勒拉伦耶普布瑟克基")
COMPOUND_SURNAMES = {"欧阳": "Ouyang", "司马": "Sima", "诸葛": "Zhuge", "上官": "Shangguan", "东方": "Dongfang",
                     "皇甫": "Huangfu", "令狐": "Linghu", "司徒": "Situ", "夏侯": "Xiahou", "慕容": "Murong",
                     "尉迟": "Yuchi", "长孙": "Zhangsun", "公孙": "Gongsun", "宇文": "Yuwen", "端木": "Duanmu",
                     "南宫": "Nangong", "西门": "Ximen", "澹台": "Tantai", "闻人": "Wenren", "呼延": "Huyan"}
# Given-name readings of polyphones where pypinyin's first reading is the everyday word's.
_GIVEN_READING = {"长": "chang", "重": "chong", "曾": "zeng", "都": "du", "薄": "bo", "藏": "zang", "卜": "bu",
                  "朴": "pu", "省": "xing", "茜": "qian", "蔚": "wei", "单": "dan", "仇": "qiu", "翟": "zhai"}


def _pick(text: str, start: int, candidate: str, is_word: Callable[[str], bool] = lambda w: False) -> str | None:
    """Choose the 3- or 2-character reading of a name by what follows it: a character that follows names
    (a verb, a conjunction, punctuation) or a title; failing that, a dictionary word that starts right after
    it (`主教练郎平今天`: 今天 "today" follows 郎平)."""
    readings = [candidate[:n] for n in (3, 2) if len(candidate) >= n
                and not any(ch in _NOT_NAME for ch in candidate[1:n]) and candidate[n - 1] not in _GLUED]
    for follows in (lambda after: after[:1] in _AFTER or re.match(rf"{TITLES}", after),
                    lambda after: is_word(after[:2]) or is_word(after[:3])):
        for name in readings:
            if follows(text[start + len(name) :]):
                return name
    return None


def _char_reading(ch: str) -> str:
    """One character's name reading; ü is written `yu`, as the national standard for names in Latin
    letters (GB/T 28039) and passports write it: 吕 is Lyu, not pypinyin's `lv`."""
    reading = _GIVEN_READING.get(ch) or "".join(lazy_pinyin(ch, style=Style.NORMAL, errors="ignore"))
    return reading.replace("v", "yu")


def surname_of(name: str) -> str:
    """The surname part of a Chinese name: a compound surname (`欧阳`) or the first character."""
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


@lru_cache(maxsize=4096)
def to_pinyin(name: str) -> str:
    """`杜山鹏` → `Du Shanpeng`, `欧阳明长` → `Ouyang Mingchang` (surname, then the given name as one word)."""
    sur = surname_of(name)
    sur_py = COMPOUND_SURNAMES.get(sur) or _SURNAME_READING.get(sur) or _char_reading(sur)
    given = ""
    for ch in name[len(sur) :]:
        syllable = _char_reading(ch)
        given += ("'" if given and syllable[:1] in ("a", "o", "e") else "") + syllable  # Xiao'an, not Xiaoan
    if not sur_py:
        return name
    return " ".join(p for p in (sur_py.capitalize(), given.capitalize()) if p)


def is_person_name(text: str) -> bool:
    """A plausible Chinese personal name: 2–4 Han characters starting with a known surname, no title,
    honorific or institution character in the given name (rejects LAC's `蒋主任`, `卫健委`, `刘先生`, `王某`)."""
    if not 2 <= len(text) <= 4 or not all("\u4e00" <= ch <= "\u9fff" for ch in text):
        return False
    sur = surname_of(text)
    if sur not in COMPOUND_SURNAMES and sur not in SURNAMES:
        return False
    given = text[len(sur) :]
    return (1 <= len(given) <= 2 and not any(ch in _NOT_GIVEN for ch in given)
            and given[-1] not in _TRANSLITERATION and not re.search(TITLES, given) and not _HONORIFIC.search(given))


# function words the tagger reads as a one-character given name (`附近安有水龙头`: 安有 "is fitted with")
_FUNCTION = set("不有是了着过的地得也都就还又")
_COUNTED = re.compile(r"(?:\d|[一二三四五六七八九十百千万两几])\s*$")  # `4.2 张不等`: 张 counts, it names no one
# a name in apposition to a business unit is the unit's (`美国谷物部门高鸿`: the grain division Gavilon)
_UNIT_BEFORE = re.compile(r"(?:部门|公司|集团|品牌|银行|旗下)$")


def _tagged_by_mistake(text: str, name: str) -> bool:
    """The tagger's people that are no people: a business unit's name where the article introduces it
    (`谷物部门高鸿`, then `高鸿发言人`); or, of two characters, a measure word after a number (`4.2 张不等`)
    or a word ending in a function word (`安有`)."""
    where = positions(text, name)
    if where and _UNIT_BEFORE.search(text[: where[0]]):
        return True
    return len(name) == 2 and (name[1] in _FUNCTION or all(_COUNTED.search(text[:i]) for i in where))


def _reads_as_words(text: str, name: str, is_word: Callable[[str], bool]) -> bool:
    """`关于加` in `关于加强`: the candidate's first two characters and its last with the next are words,
    so the text reads as words, not as a name."""
    if len(name) != 3 or not is_word(name[:2]):
        return False
    return any(is_word(name[2] + text[i + 3 : i + 3 + k]) for i in positions(text, name) for k in (1, 2))


_AND = "和与及同、"  # what joins two people: `王小明和白雪`, `白雪与王小明之间`, `张三、李四`


def _partners(text: str, name: str, is_word: Callable[[str], bool]) -> list[tuple[str, int]]:
    """Names joined to `name` by 和, 与, 及, 同 or 、 (`王小明和白雪`): the person beside a person is a
    person. Before the conjunction the three-character reading wins when it is a name and a non-Han
    character or the line's start stands before it (`，王小明和`), else the two-character one; after it,
    `_pick` chooses by what follows. A reading that starts with the conjunction itself is none (和 is a
    surname too)."""
    def joinable(cand: str) -> bool:
        return is_person_name(cand) and cand[0] not in _AND

    out = []
    for i in positions(text, name):
        before = i - 1
        if before >= 1 and text[before] in _AND:
            for n in (3, 2):
                start = before - n
                if start < 0:
                    continue
                cand = text[start:before]
                edge = start == 0 or not "\u4e00" <= text[start - 1] <= "\u9fff"
                if joinable(cand) and (n == 2 or edge):
                    out.append((cand, start))
                    break
        after = i + len(name)
        if after < len(text) and text[after] in _AND:
            window = text[after + 1 : after + 4]
            marked = _pick(text, after + 1, window)  # a verb or punctuation marks where it ends
            picked = marked or _pick(text, after + 1, window, is_word)
            # a dictionary word ended only by the next word is that word (`顾建英、全体医院领导`: all)
            if picked and joinable(picked) and (picked == marked or not is_word(picked)):
                out.append((picked, after + 1))
    return out


def positions(text: str, sub: str) -> list[int]:
    """Where `sub` starts in `text`, every time (literal, not a pattern)."""
    return [m.start() for m in re.finditer(re.escape(sub), text)]


def find_names(text: str, tagged: Iterable[str] = (), is_word: Callable[[str], bool] = lambda w: False,
               chinese: Callable[[str], float] = lambda n: 0.0) -> list[Term]:
    """Person names in `text` with their pinyin, in order of appearance.

    `tagged` are the names the entity tagger found; title patterns, bylines and credits, lists of people
    before a group noun (`李宇春、毛不易等音乐人`) and people joined to a found person (`王小明和白雪`) add
    the ones it missed. A name is `pinned` when it is certainly a Chinese one: beside a title, in a byline or
    such a list, joined to a pinned person, or a tagged name whose characters `chinese` scores as a Chinese
    name rather than a transliteration (the tagger also tags
    `唐诺利` Donnelly, whose pinyin would be wrong; `gazetteer.name_odds` tells them apart). Of a candidate and the
    same plus one character, the one the text writes more often wins: `吴皓` over `吴皓提` (a verb glued
    on; on a tie the extra character decides), `喻树迅` over `喻树` (a name cut short). `is_word` (a
    dictionary's common words) rejects candidates that read as words: `简历` (résumé), `关于加`.
    """
    found: dict[str, int] = {}
    sure: set[str] = set()
    tagged = [n[:-1] if len(n) >= 3 and n[-1] in _GLUED else n for n in tagged]
    tags = set(tagged)
    foreign = {m.group() for m in re.finditer(r"[\u4e00-\u9fff]+(?:[·•・][\u4e00-\u9fff]+)+", text)}
    for name in tagged:
        if (is_person_name(name) and name in text and not any(name in f for f in foreign)
                and not is_word(name) and not _reads_as_words(text, name, is_word)
                and not _tagged_by_mistake(text, name)):
            found.setdefault(name, text.index(name))
            if chinese(name) > 0:
                sure.add(name)
    for pattern in (_BEFORE_TITLE, _AFTER_TITLE):
        for m in pattern.finditer(text):
            picked = _pick(text, m.start(1), m.group(1), is_word)
            if picked and picked[0] in _AND:  # 和 is a surname, but after a title it joins (`村民和游客`)
                continue
            # a common word after a title is the title's object (`总理肖像`, the premier's portrait) unless
            # the tagger, too, read it as a person
            if (picked and is_person_name(picked) and not _reads_as_words(text, picked, is_word)
                    and (picked in tags or not is_word(picked))):
                found.setdefault(picked, m.start(1))
                sure.add(picked)
    exact: set[str] = set()  # delimited on both sides (bylines, lists): their length is not a guess
    for start, parts in bylines(text):
        if parts and all(is_person_name(p) for p in parts):
            for p in parts:
                found.setdefault(p, start)
                sure.add(p)
                exact.add(p)
    for start, members in people_lists(text):
        people = [m for m in members if is_person_name(m) and not is_word(m) and chinese(m) > 0]
        if len(people) >= 2:  # a list of people, not of things that happen to start with a surname
            for p in people:
                found.setdefault(p, start + text[start:].index(p))
                sure.add(p)
                exact.add(p)

    # people joined to a person (`王小明和白雪`), until no new one is found; a dictionary word stands as a
    # name here (白雪 "snow"), but the transliteration odds and the dictionary's proper nouns still rule
    grown = set(sure)
    while grown:
        new: set[str] = set()
        for name in grown:
            for partner, start in _partners(text, name, is_word):
                if partner not in sure and chinese(partner) > 0 and not _reads_as_words(text, partner, is_word):
                    found.setdefault(partner, start)
                    new.add(partner)
        sure |= new
        grown = new

    def shorter_wins(long: str) -> bool:
        """Of `吴皓` and `吴皓提`: the exact one, else the one written more often, and on a tie the shorter when
        the extra character begins a word where the long one stands (`提出`; not `志强 ` or `钢强表示`)."""
        short = long[:-1]
        if long in exact or short in exact:
            return short in exact
        if text.count(short) != text.count(long):
            return text.count(short) > text.count(long)
        return any(is_word(text[i + len(short) : i + len(short) + 2]) for i in positions(text, long))

    pairs = [n for n in found if len(n) > 2 and n[:-1] in found]
    dropped = {n if shorter_wins(n) else n[:-1] for n in pairs}
    names = [n for n in found if n not in dropped]
    return [Term(n, to_pinyin(n), "person", n in sure) for n in sorted(names, key=found.__getitem__)]
