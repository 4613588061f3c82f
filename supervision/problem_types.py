"""The problem types inspectors find, as the district offices name them; editable afterwards in the admin."""

from .models import ProblemType

STANDARD_PROBLEM_TYPES = [
    # code, name, usual severity
    ("mixed-disposal", "混投", "general"),
    ("mixed-loading", "混装", "serious"),
    ("mixed-transport", "混运", "serious"),
    ("unlicensed-collection", "无资质收运", "serious"),
    ("damaged-bins", "桶点破损", "general"),
    ("missing-signs", "标识缺失", "minor"),
    ("incomplete-ledger", "台账不全", "minor"),
    ("supervisor-absent", "督导员不在岗", "general"),
    ("overflowing", "满溢", "general"),
    ("odour", "异味", "minor"),
    ("no-publicity", "宣传不到位", "minor"),
    ("bins-missing", "分类容器缺失", "serious"),
]


def standard_problem_types_ensure() -> dict[str, ProblemType]:
    """Create the standard types that are missing (a fresh database has them from migration 0002)."""
    for order, (code, name, severity) in enumerate(STANDARD_PROBLEM_TYPES):
        ProblemType.objects.get_or_create(code=code, defaults={"name": name, "severity": severity, "order": order})
    return {problem_type.code: problem_type for problem_type in ProblemType.objects.all()}
