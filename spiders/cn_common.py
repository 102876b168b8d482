"""Chinese sources' shared parsing: case numbers (案号), document numbers (文号), standard numbers,
document types from titles, labelled metadata fields and lead paragraphs. Pure functions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.normalize import clean_line, first_paragraph

# --- case numbers 案号 ----------------------------------------------------------------------------

PROVINCES = {
    "京": "北京市", "津": "天津市", "沪": "上海市", "渝": "重庆市", "冀": "河北省", "晋": "山西省",
    "内": "内蒙古自治区", "辽": "辽宁省", "吉": "吉林省", "黑": "黑龙江省", "苏": "江苏省", "浙": "浙江省",
    "皖": "安徽省", "闽": "福建省", "赣": "江西省", "鲁": "山东省", "豫": "河南省", "鄂": "湖北省",
    "湘": "湖南省", "粤": "广东省", "桂": "广西壮族自治区", "琼": "海南省", "川": "四川省", "黔": "贵州省",
    "云": "云南省", "藏": "西藏自治区", "陕": "陕西省", "甘": "甘肃省", "青": "青海省", "宁": "宁夏回族自治区",
    "新": "新疆维吾尔自治区", "军": "中国人民解放军", "兵": "新疆生产建设兵团",
}
# Court codes whose court is named in the bulletin's cases (the code table itself is not public data).
KNOWN_COURTS = {
    "最高法": "最高人民法院",
    "京0491": "北京互联网法院", "浙0192": "杭州互联网法院", "粤0192": "广州互联网法院",
    "京73": "北京知识产权法院", "沪73": "上海知识产权法院", "粤73": "广州知识产权法院",
    "浙01": "杭州市中级人民法院", "鄂01": "武汉市中级人民法院", "粤01": "广州市中级人民法院",
    "京04": "北京市第四中级人民法院", "鄂0192": "武汉东湖新技术开发区人民法院",
}
_SPECIAL_INTERMEDIATE = {"71": "铁路运输中级法院", "72": "海事法院", "73": "知识产权法院"}

CASE_NUMBER = re.compile(
    r"[（(〔\[]\s*(?P<year>(?:19|20)\d{2})\s*[）)〕\]]\s*"
    rf"(?P<court>最高法|[{''.join(PROVINCES)}](?:\s*\d\s*\d){{0,2}})\s*"
    r"(?P<special>知)?\s*(?P<kind>[民刑行执赔财破协认司][\u4e00-\u9fa5]{0,2}?)\s*第?\s*"
    r"(?P<number>\d+)\s*号(?P<suffix>之[一二三四五六七八九十]+)?"
)
# Checked in order: the first marker found in the type code (类型代字) names the stage.
_PROCEDURES = (
    ("执", "enforcement"), ("辖", "jurisdiction"), ("申", "retrial_review"), ("再", "retrial"),
    ("初", "first_instance"), ("终", "second_instance"), ("特", "special_procedure"), ("保", "preservation"),
    ("破", "bankruptcy"), ("赔", "state_compensation"), ("核", "death_penalty_review"),
)
_CASE_KINDS = {"民": "civil", "刑": "criminal", "行": "administrative", "执": "enforcement", "赔": "state_compensation"}


@dataclass(frozen=True)
class CaseNumber:
    number: str       # normalized: full-width brackets, no spaces, e.g. （2024）浙01民终10332号
    year: int         # the year the case was filed
    court_code: str   # 法院代字, e.g. 浙01
    court: str        # the court's name where known, else its level and province with the code
    procedure: str    # first_instance, second_instance, retrial, ...
    kind: str         # civil, criminal, administrative, ... ; intellectual_property_civil with 知

    def identifiers(self) -> dict[str, str]:
        return {"case_number": self.number, "court": self.court, "procedure": self.procedure}


def court_name(code: str) -> str:
    if code in KNOWN_COURTS:
        return KNOWN_COURTS[code]
    province, digits = PROVINCES.get(code[0], code[0]), code[1:]
    if not digits:
        return f"{province}高级人民法院"
    if len(digits) == 2:
        return f"{province}{_SPECIAL_INTERMEDIATE.get(digits, '中级人民法院')}（{code}）"
    return f"{province}基层人民法院（{code}）"


def parse_case_number(match: re.Match[str]) -> CaseNumber:
    court = re.sub(r"\s", "", match["court"])
    kind_code = match["kind"]
    procedure = next((name for marker, name in _PROCEDURES if marker in kind_code), "other")
    kind = _CASE_KINDS.get(kind_code[0], "other")
    if match["special"]:
        kind = f"intellectual_property_{kind}"
    number = f"（{match['year']}）{court}{match['special'] or ''}{kind_code}{match['number']}号{match['suffix'] or ''}"
    return CaseNumber(number, int(match["year"]), court, court_name(court), procedure, kind)


def case_numbers(text: str) -> list[CaseNumber]:
    """Every distinct case number in a text, in order of appearance."""
    found: dict[str, CaseNumber] = {}
    for match in CASE_NUMBER.finditer(text or ""):
        case = parse_case_number(match)
        found.setdefault(case.number, case)
    return list(found.values())


def case_identifiers(text: str) -> dict[str, str]:
    """case_number, court and procedure of the cases a text names (several joined with '; ')."""
    cases = case_numbers(text)
    joined = lambda values: "; ".join(dict.fromkeys(values))  # noqa: E731 (distinct, in order)
    if not cases:
        return {}
    return {"case_number": joined(c.number for c in cases), "court": joined(c.court for c in cases),
            "procedure": joined(c.procedure for c in cases)}


# --- document numbers 文号 and standard numbers -----------------------------------------------

DOC_NUMBER = re.compile(
    r"(?P<prefix>[\u4e00-\u9fa5]{1,12})\s*[〔［\[]\s*(?P<year>(?:19|20)\d{2})\s*[〕］\]]\s*第?\s*(?P<number>\d+)\s*号"
)
ORDER_NUMBER = re.compile(r"(?P<prefix>[\u4e00-\u9fa5]{2,20}令)\s*第\s*(?P<number>\d+)\s*号")
# Words that end a sentence fragment before the issuing office's abbreviation begins.
_PREFIX_NOISE = re.compile(r".*(?:印发|转发|关于|根据|按照|依据|依照|见|和|及|与|的|即|号|为|是|以)")
_ORDER_NOISE = re.compile(r".*(?:公布|发布|印发|根据|以|经|的|第\d+号)")


def doc_numbers(text: str) -> list[str]:
    """文号 such as 国办发〔2024〕5号 or 网安秘字〔2026〕44号, and 令 numbers (国家互联网信息办公室令第15号)."""
    found: list[str] = []
    for match in DOC_NUMBER.finditer(text or ""):
        prefix = _PREFIX_NOISE.sub("", match["prefix"])
        if 1 < len(prefix) <= 8:
            found.append(f"{prefix}〔{match['year']}〕{match['number']}号")
    for match in ORDER_NUMBER.finditer(text or ""):
        prefix = _ORDER_NOISE.sub("", match["prefix"])
        if len(prefix) >= 3:
            found.append(f"{prefix}第{match['number']}号")
    return list(dict.fromkeys(found))


STANDARD_NUMBER = re.compile(
    r"(?<![A-Za-z])(?P<prefix>GB(?:/[TZ])?)\s*(?P<number>\d{4,5}(?:\.\d+)?)\s*[-—–－]\s*(?P<year>(?:19|20)\d{2})"
    r"|(?P<tc>TC260-PG-\d{5,6}[A-Z]|TC260-\d{3})"
)


def standard_numbers(text: str) -> list[str]:
    """GB/T 45438—2025 and GB 45438-2025 (normalized with an ASCII hyphen), TC260-PG-20241A, TC260-003."""
    found = []
    for match in STANDARD_NUMBER.finditer(text or ""):
        found.append(match["tc"] or f"{match['prefix']} {match['number']}-{match['year']}")
    return list(dict.fromkeys(found))


# --- document types --------------------------------------------------------------------------

# (pattern on the title, doc_type), first match wins: a draft for comment of a rule is a proposed
# rule, whatever the rule is called; a notice that issues a rule is the rule.
_TITLE_TYPES = (
    (re.compile(r"征求意见|意见稿|草案"), "draft"),
    (re.compile(r"判决|裁定|宣判|审结|一审|二审"), "judgment"),
    (re.compile(r"国家标准|行业标准|标准发布|项.{0,8}标准"), "standard"),
    (re.compile(r"实践指南|指引|指南|方案|预案|行动计划|规划|意见(?!稿)|要点"), "guidance"),
    (re.compile(r"办法|规定|细则|规则|司法解释|解释》"), "rule"),
    (re.compile(r"条例|(?<![办方做司说])法(?:》|$|（|\()|决定》"), "law"),
    (re.compile(r"报告|白皮书|统计"), "report"),
    (re.compile(r"公告|通告|通知|公示|决定|批复"), "notice"),
    (re.compile(r"新闻|发布会|答记者问|解读"), "news"),
)


def cn_doc_type(title: str, default: str = "notice") -> str:
    """The doc_type a Chinese title names: 通知→notice, 办法/规定→rule, 条例/…法→law, 征求意见稿→
    proposed_rule (draft_standard for standards), 行动方案/指南/意见→guidance, 标准→standard,
    判决→judgment, 报告→report, 新闻→news."""
    for pattern, doc_type in _TITLE_TYPES:
        if pattern.search(title or ""):
            if doc_type == "draft":
                return "draft_standard" if "标准" in title else "proposed_rule"
            return doc_type
    return default


# --- dates in the text ------------------------------------------------------------------------

_CN_NUMERALS = (r"[〇零○一二三四五六七八九]{4}\s*年\s*[一二三四五六七八九十]{1,3}\s*月"
                r"\s*[一二三四五六七八九十]{1,3}\s*日")
_DAY = rf"(\d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日|\d{{4}}-\d{{1,2}}-\d{{1,2}}|{_CN_NUMERALS})"
COMMENT_DEADLINE = re.compile(r"(?:截止|反馈|请于)[^。；\n]{0,12}?" + _DAY)
EFFECTIVE = re.compile(r"自\s*" + _DAY + r"\s*起(?:施行|实施|生效)")
# A line holding only a date near the end: the signature date (落款) of a notice or a judgment.
SIGNATURE_DATE = re.compile(rf"^\s*[（(]?\s*{_DAY}\s*[）)]?\s*$")


def signature_date(text: str) -> str | None:
    """The date line among the last lines (after 审判长/书记员 lines in judgments, the issuer in notices)."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return next((m[1] for line in reversed(lines[-8:]) if (m := SIGNATURE_DATE.match(line))), None)


def text_dates(text: str) -> dict[str, str]:
    """Comment deadline (意见反馈截止时间为…), entry into force (自…起施行) and the signature date
    (a closing line such as 2025年1月7日 or 二〇二四年十二月二十日) as the text words them."""
    found = {}
    if match := COMMENT_DEADLINE.search(text or ""):
        found["comment_deadline"] = match[1]
    if match := EFFECTIVE.search(text or ""):
        found["effective"] = match[1]
    if signed := signature_date(text):
        found["signed"] = signed
    return found


# --- page helpers ----------------------------------------------------------------------------

_LABEL = re.compile(r"^\s*([\u4e00-\u9fa5][\u4e00-\u9fa5\s\u00a0\u3000]{1,9}?)\s*[：:]\s*(.*)$", re.S)


def labelled_fields(cells: list[str]) -> dict[str, str]:
    """'发文字号：' / '国办发〔2024〕5号' style pairs from table cells or list items, in order.

    A cell holding "标签：值" gives both; a cell holding only "标签：" takes the next cell as its value.
    Spaces inside labels (标 题, 索 引 号) are dropped.
    """
    fields: dict[str, str] = {}
    pending: str | None = None
    for raw in cells:
        cell = clean_line(raw)
        match = _LABEL.match(cell)
        if match:
            label = re.sub(r"[\s\u00a0\u3000]", "", match[1])
            value = clean_line(match[2])
            if value:
                fields[label], pending = value, None
            else:
                pending = label
        elif pending and cell:
            fields[pending], pending = cell, None
    return fields


_SALUTATION = re.compile(r"[：:]$")
_NUMBER_LINE = re.compile(r"^[\u4e00-\u9fa5]{1,12}[〔［\[]\d{4}[〕］\]]\d+号$")


def lead_paragraph(text: str) -> str:
    """The first paragraph that says something: addressee lines (各省、自治区…：) and lines holding
    only a document number are skipped."""
    paragraphs = [p.strip() for p in (text or "").split("\n\n") if p.strip()]
    kept = [p for p in paragraphs
            if not (_SALUTATION.search(p) and "。" not in p) and not _NUMBER_LINE.match(p)]
    return first_paragraph("\n\n".join(kept or paragraphs), max_chars=300)
