"""Reading an annual plan from the text of the document itself, as real documents come:
copied from a web page with its furniture and ads, from Markdown, or from Word.

Pure functions, no database: `parse_plan(text)` gives chapters, items, sub-points, the
unit clauses as written, the gaps in the numbering and warnings. Resolving unit names and
saving belong to services.py.
"""

import calendar
import re
from dataclasses import asdict, dataclass, field
from datetime import date

NUMERALS = "一二三四五六七八九十"
_CHINESE_NUMBER = f"[{NUMERALS}百零〇]+"

CHAPTER = re.compile(rf"^({_CHINESE_NUMBER})[、.．]\s*(.+)$")
BRACKETED_ITEM = re.compile(rf"^[（(]({_CHINESE_NUMBER})[）)]\s*(.*)$")
ARABIC_ITEM = re.compile(r"^(\d{1,3})\s*[.．、](?!\d)\s*(.*)$")
PLAN_TITLE = re.compile(r"^(?!关于).{0,30}?(\d{4})\s*年.{0,40}?(重点工作|工作要点|工作计划|工作安排)$")
SUB_POINT = re.compile(rf"(?:^|(?<=[。；;！]))\s*({_CHINESE_NUMBER})是")
UNIT_CLAUSE = re.compile(
    r"[（(]\s*(?P<lead_label>牵头单位|责任单位|牵头部门|责任部门)\s*[:：]\s*(?P<lead>[^;；）)]*?)\s*"
    r"(?:[;；,，]\s*(?P<assist_label>协助单位|配合单位|协办单位|协助部门|配合部门)\s*[:：]\s*(?P<assist>[^）)]*?))?"
    r"\s*[）)]\s*[。.]?\s*$"
)
OPEN_UNIT_CLAUSE = re.compile(r"[（(]\s*(牵头单位|责任单位|牵头部门|责任部门)\s*[:：][^）)]*$")
# The unit clause ends an item: it is looked for in the item's last characters only. Searched
# over the whole text, the two patterns above try every “（” against all that follows it, and
# 30 KB of “（牵头单位：” repeated takes a minute.
CLAUSE_SPAN = 400
TRUNCATION = re.compile(r"…{2,}|\.{6,}|……略……")
NAME_SEPARATORS = re.compile(r"[、，,；;/]|\s+和\s*|及")
# Lines that end the plan: the 版记 of a circular, or the end of a web page's preview.
END_OF_PLAN = re.compile(r"^(抄送[:：]|预览结束|相关阅读|最近更新|\d{4}年\d{1,2}月\d{1,2}日印发$)")
# Page furniture: rules, empty-page marks, headers and footers of the page the text came from.
FURNITURE = re.compile(
    r"^(-{3,}|\*{3,}|_{3,}|[（(]此页无内容[）)]|.{0,12}首页|请点击.*|—\s*\d+\s*—"
    r"|\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?.*)$"
)
DEADLINE = re.compile(r"(\d{1,2})月(\d{1,2})日(?:前|之前|以前)|(\d{1,2})月底前|(年底|年内)前?")
INDICATOR = re.compile(
    r"((?:厨余垃圾|其他垃圾|生活垃圾|可回收物|垃圾|综合)?[\u4e00-\u9fff]{0,2}?"
    r"(?:分出率|覆盖率|回收利用率|资源化利用率|无害化处理率|回收率|利用率|达标率|知晓率|参与率|准确率|合格率|完成率|满意度))"
    r"(?:要|须|需)?(?:达到|达|不低于|保持)?\s*(\d+(?:\.\d+)?)\s*[%％]"
)


def chinese_numeral(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五."""
    tens, units = divmod(number, 10)
    if number <= 0 or number >= 100:
        return str(number)
    text = (NUMERALS[tens - 1] if tens > 1 else "") + ("十" if tens else "")
    return text + (NUMERALS[units - 1] if units else "")


def chinese_number(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23."""
    digits = {c: i + 1 for i, c in enumerate(NUMERALS[:9])} | {"零": 0, "〇": 0}
    if "十" in text:
        tens, _, units = text.partition("十")
        return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(units, 0) if units else 0)
    return digits.get(text, 0)


@dataclass
class ParsedItem:
    number: int
    style: str  # "bracketed" （一） or "arabic" 1.
    title: str
    text: str
    sub_points: list[str] = field(default_factory=list)
    lead_names: list[str] = field(default_factory=list)
    assisting_names: list[str] = field(default_factory=list)
    deadline: date | None = None
    indicators: list[dict] = field(default_factory=list)
    truncated: bool = False
    line: int = 0

    @property
    def label(self) -> str:
        return f"（{chinese_numeral(self.number)}）" if self.style == "bracketed" else f"{self.number}."


@dataclass
class ParsedChapter:
    number: int
    title: str
    items: list[ParsedItem] = field(default_factory=list)
    line: int = 0


@dataclass
class ParsedPlan:
    title: str = ""
    year: int | None = None
    preamble: str = ""
    chapters: list[ParsedChapter] = field(default_factory=list)
    gaps: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def items(self) -> list[ParsedItem]:
        return [item for chapter in self.chapters for item in chapter.items]

    def as_dict(self) -> dict:
        data = asdict(self)
        for chapter, parsed in zip(data["chapters"], self.chapters, strict=True):
            for item, parsed_item in zip(chapter["items"], parsed.items, strict=True):
                item["label"] = parsed_item.label
                item["deadline"] = parsed_item.deadline.isoformat() if parsed_item.deadline else None
        return data


def clean_line(line: str) -> str:
    """A line without Markdown heading marks, emphasis and odd spaces."""
    line = line.replace("\u3000", " ").replace("\xa0", " ").strip()
    line = re.sub(r"^#{1,6}\s*", "", line)
    line = re.sub(r"\*\*|__", "", line)
    return line.strip()


def parse_plan(text: str, *, year: int | None = None) -> ParsedPlan:
    plan = ParsedPlan(year=year)
    item: ParsedItem | None = None
    preamble: list[str] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = clean_line(raw)
        if not line or FURNITURE.match(line):
            continue
        if END_OF_PLAN.match(line):
            break
        if match := PLAN_TITLE.match(line.replace(" ", "")):
            plan.title = line.replace(" ", "")
            plan.year = plan.year or int(match.group(1))
            preamble, item = [], None
            continue
        if (match := CHAPTER.match(line)) and len(line) <= 40:
            plan.chapters.append(ParsedChapter(chinese_number(match.group(1)), match.group(2).strip(), line=number))
            item = None
            continue
        match = BRACKETED_ITEM.match(line) or ARABIC_ITEM.match(line)
        if match and plan.chapters:
            style = "bracketed" if line[0] in "（(" else "arabic"
            value = chinese_number(match.group(1)) if style == "bracketed" else int(match.group(1))
            item = ParsedItem(number=value, style=style, title="", text=match.group(2).strip(), line=number)
            plan.chapters[-1].items.append(item)
            continue
        if item is not None:
            item.text += line  # a paragraph the page broke in two
        elif not plan.chapters:
            preamble.append(line)
    plan.preamble = "\n".join(preamble)
    for parsed in plan.items:
        _finish_item(parsed, plan)
    _find_gaps(plan)
    if not plan.chapters:
        plan.warnings.append("no_chapters")
    return plan


def _finish_item(item: ParsedItem, plan: ParsedPlan) -> None:
    text = item.text
    tail_at = max(0, len(text) - CLAUSE_SPAN)
    tail = text[tail_at:]
    if match := UNIT_CLAUSE.search(tail):
        item.lead_names = split_names(match.group("lead"))
        item.assisting_names = split_names(match.group("assist") or "")
        text = text[: tail_at + match.start()].rstrip()
    elif match := OPEN_UNIT_CLAUSE.search(tail):
        item.truncated = True
        text = text[: tail_at + match.start()].rstrip()
    if TRUNCATION.search(text):
        item.truncated = True
    item.text = text
    item.title = short_title(text)
    item.sub_points = split_sub_points(text)
    item.deadline = find_deadline(text, plan.year)
    item.indicators = [
        {"name": name, "target": target, "unit": "%"} for name, target in dict.fromkeys(INDICATOR.findall(text))
    ]


def split_names(clause: str) -> list[str]:
    names = [name.strip(" 。.") for name in NAME_SEPARATORS.split(clause)]
    return [name for name in names if name and not TRUNCATION.search(name)]


def short_title(text: str) -> str:
    """The item's own name: 深入实施铸魂培根 of "1.深入实施铸魂培根。一是…"; for an item that is
    one long sentence, its first clause, cut at 30 characters."""
    first_sentence = re.split(r"[。；;]", text, maxsplit=1)[0]
    if len(first_sentence) <= 24:
        return first_sentence
    clause = re.split(r"[，,：:]", first_sentence, maxsplit=1)[0]
    return clause if len(clause) <= 30 else clause[:29] + "…"


def split_sub_points(text: str) -> list[str]:
    marks = list(SUB_POINT.finditer(text))
    points = []
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        points.append(text[mark.start() : end].strip())
    return points


def find_deadline(text: str, year: int | None) -> date | None:
    if not year or not (match := DEADLINE.search(text)):
        return None
    month, day, month_end, year_end = match.groups()
    if year_end:
        return date(year, 12, 31)
    if month_end and 1 <= int(month_end) <= 12:
        return date(year, int(month_end), calendar.monthrange(year, int(month_end))[1])
    try:
        return date(year, int(month), int(day))
    except ValueError:
        return None


def _find_gaps(plan: ParsedPlan) -> None:
    """Numbering that jumps (items lost to truncation) is reported, never filled in.
    （一） restarts in every chapter; 1. runs through the plan or restarts at 1."""
    previous = None
    for chapter in plan.chapters:
        for position, item in enumerate(chapter.items):
            chapter_start = position == 0 and (item.style == "bracketed" or item.number == 1)
            expected = 1 if chapter_start or previous is None else previous.number + 1
            if item.number > expected:
                after = previous.label if previous is not None and not chapter_start else ""
                missing = list(range(expected, item.number))
                plan.gaps.append({"chapter": chapter.number, "after": after, "missing": missing})
            elif item.number < expected:
                plan.warnings.append(f"repeated_number:{item.label}")
            previous = item
