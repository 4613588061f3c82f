"""What a circular says, independent of where it is stored: the renderer's input."""

import datetime
from dataclasses import dataclass, field


@dataclass
class CircularContent:
    title: str
    body: str = ""
    mark: str = ""  # 发文机关标志, e.g. 中国城市环境卫生协会文件; empty: no 版头
    number: str = ""  # 发文字号, e.g. 中环卫〔2022〕03号
    recipients: str = ""  # 主送机关
    attachments: list[str] = field(default_factory=list)  # 附件说明, one name per item
    signature: str = ""  # 署名
    written_on: datetime.date | None = None  # 成文日期
    note: str = ""  # 附注
    copy_to: str = ""  # 抄送
    printed_by: str = ""  # 印发机关
    printed_on: datetime.date | None = None  # 印发日期
    figures: dict[str, str] = field(default_factory=dict)  # trusted markup for [[figure:NAME]]


def chinese_date(day: datetime.date | None) -> str:
    """Dates in official documents: Arabic digits, no padding (2022年2月28日)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""
