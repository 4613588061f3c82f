"""The cycle's reports on the bench city against the raw SQL that computes the same numbers.

    python -m bench.reports [--json]        (on a city built by `python -m bench.city`)

Two reports, each timed warm against its SQL (after one unmeasured run of each, the two run in
turn, 15 times for the week and 3 for the quarter, and the medians are compared):
- the weekly report (周报告) of one district for the city's last complete week: `weekly.collect`;
- the quarterly review (季讲评) of all streets: `quarterly.collect` of every district for the last
  complete quarter.
Each against hand-written SQL (GROUP BY, GROUPING SETS, FILTER) that a DBA would write for the
same numbers, run on the same connection in the same run; the ratio is report / SQL. The SQL
results are compared with the report's numbers street by street, so the baseline is known to do
the same work and the report is known to be right.

`plans(...)` captures every query the weekly report makes and writes its EXPLAIN (ANALYZE,
BUFFERS) to bench/plans/, with the scan each plan uses, which is how the scaling figure (the
same week at 100,000 and at 1,000,000 inspections) shows it is bounded by indexes.
"""

import argparse
import datetime
import json
import re
import statistics
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from bench import city

PLANS_DIR = Path(__file__).with_name("plans")
REPEAT = 7
TARGETS = {"weekly_ratio": 1.5, "weekly_s": 0.3, "quarterly_ratio": 1.5, "scaling_ratio": 2.0}


def _timed_pair(report, sql, repeat: int = REPEAT) -> tuple[float, object, float, object]:
    """Both sides timed in turn, run after run, so a slow moment of the machine weighs on both;
    the medians, and each side's last result."""
    report_result, sql_result = report(), sql()
    report_times, sql_times = [], []
    for _ in range(repeat):
        for work, times in ((report, report_times), (sql, sql_times)):
            started = time.perf_counter()
            result = work()
            times.append(time.perf_counter() - started)
            if work is report:
                report_result = result
            else:
                sql_result = result
    return statistics.median(report_times), report_result, statistics.median(sql_times), sql_result


def _rows(sql: str, params) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _district(code: str):
    from sanitation.organisations.models import Unit

    return Unit.objects.get(code=code)


def _dates(pair: list[str]) -> tuple[datetime.date, datetime.date]:
    return datetime.date.fromisoformat(pair[0]), datetime.date.fromisoformat(pair[1])


# The weekly report in SQL ----------------------------------------------------------------------

WEEK_INSPECTIONS = """
SELECT i.street_id, i.kind, count(*), count(DISTINCT i.site_id), sum(i.percent)
FROM supervision_inspection i JOIN organisations_unit street ON street.id = i.street_id
WHERE street.parent_id = %(district)s AND i.inspected_at >= %(since)s AND i.inspected_at < %(until)s
  AND i.deleted_at IS NULL
GROUP BY GROUPING SETS ((i.street_id), (i.kind), ())
"""
WEEK_PROBLEMS = """
SELECT i.street_id, p.problem_type_id, count(*)
FROM supervision_problem p JOIN supervision_inspection i ON i.id = p.inspection_id
JOIN organisations_unit street ON street.id = i.street_id
WHERE street.parent_id = %(district)s AND i.inspected_at >= %(since)s AND i.inspected_at < %(until)s
  AND i.deleted_at IS NULL
GROUP BY GROUPING SETS ((i.street_id), (p.problem_type_id))
"""
# One statement per figure so each reads its own index (an OR of them reads them all).
WEEK_RECTIFICATIONS = [
    """
SELECT r.unit_id, count(*), count(*) FILTER (WHERE r.state = 'closed'),
       count(*) FILTER (WHERE r.state = 'closed' AND (r.closed_at AT TIME ZONE %(zone)s)::date <= r.deadline)
FROM supervision_rectification r JOIN organisations_unit street ON street.id = r.unit_id
WHERE street.parent_id = %(district)s AND r.deleted_at IS NULL
  AND r.opened_at >= %(since)s AND r.opened_at < %(until)s
GROUP BY r.unit_id
""",
    """
SELECT r.unit_id, count(*),
       count(*) FILTER (WHERE r.state = 'closed' AND (r.closed_at AT TIME ZONE %(zone)s)::date <= r.deadline)
FROM supervision_rectification r JOIN organisations_unit street ON street.id = r.unit_id
WHERE street.parent_id = %(district)s AND r.deleted_at IS NULL AND r.deadline BETWEEN %(start)s AND %(end)s
GROUP BY r.unit_id
""",
]
WEEK_OVERDUE_LIST = """
SELECT r.unit_id, street.name, site.name, t.name, r.deadline
FROM supervision_rectification r
JOIN classification_site site ON site.id = r.site_id
JOIN organisations_unit street ON street.id = r.unit_id
JOIN supervision_problem p ON p.id = r.problem_id JOIN supervision_problemtype t ON t.id = p.problem_type_id
WHERE street.parent_id = %(district)s AND r.deleted_at IS NULL AND r.state = ANY(%(late)s) AND r.deadline < %(end)s
ORDER BY street.sort_order, street.path, r.deadline, site.name, r.id
"""
WEEK_SITES = """
SELECT site.street_id, count(*),
       count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM supervision_inspection i WHERE i.site_id = site.id AND i.deleted_at IS NULL
             AND i.inspected_at >= %(since)s AND i.inspected_at < %(until)s))
FROM classification_site site JOIN organisations_unit street ON street.id = site.street_id
WHERE street.parent_id = %(district)s AND street.is_active AND site.deleted_at IS NULL
GROUP BY site.street_id
"""
WEEK_NOT_VISITED_MONTH = """
SELECT street.name, site.name,
       (SELECT max(i.inspected_at) FROM supervision_inspection i
        WHERE i.site_id = site.id AND i.deleted_at IS NULL AND i.inspected_at < %(until)s)
FROM classification_site site JOIN organisations_unit street ON street.id = site.street_id
WHERE street.parent_id = %(district)s AND street.is_active AND site.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM supervision_inspection i WHERE i.site_id = site.id AND i.deleted_at IS NULL
                  AND i.inspected_at >= %(month_since)s AND i.inspected_at < %(until)s)
ORDER BY street.sort_order, street.path, site.name
"""
SITE_MEANS = """
SELECT i.inspected_at >= %(since)s AS this_week, i.street_id, avg(i.percent), count(*)
FROM supervision_inspection i JOIN organisations_unit street ON street.id = i.street_id
WHERE street.parent_id = %(district)s AND i.inspected_at >= %(previous)s AND i.inspected_at < %(until)s
  AND i.deleted_at IS NULL
GROUP BY 1, i.street_id, i.site_id
"""
ASSIGNMENTS = """
SELECT site.street_id, count(*),
       count(*) FILTER (WHERE (a.inspection_id IS NOT NULL AND done.deleted_at IS NULL) OR EXISTS (
           SELECT 1 FROM supervision_inspection i WHERE i.site_id = a.site_id AND i.deleted_at IS NULL
             AND (i.inspected_at AT TIME ZONE %(zone)s)::date = a.day))
FROM supervision_assignment a JOIN classification_site site ON site.id = a.site_id
JOIN organisations_unit street ON street.id = site.street_id
LEFT JOIN supervision_inspection done ON done.id = a.inspection_id
WHERE a.day BETWEEN %(start)s AND %(end)s AND street.parent_id = %(district)s AND site.deleted_at IS NULL
GROUP BY site.street_id
"""
# What the report computes beside the counts: each clerk's assignments, and the scores the streets
# were given by the other sources of the scheme in force (third party, public opinion) for both weeks.
CLERK_ASSIGNMENTS = """
SELECT a.clerk_id, count(*)
FROM supervision_assignment a JOIN classification_site site ON site.id = a.site_id
JOIN organisations_unit street ON street.id = site.street_id
WHERE a.day BETWEEN %(start)s AND %(end)s AND street.parent_id = %(district)s AND site.deleted_at IS NULL
GROUP BY a.clerk_id
"""
SOURCE_SCORES = """
SELECT s.period_start, s.street_id, source.weight, s.score
FROM supervision_streetsourcescore s JOIN supervision_scoresource source ON source.id = s.source_id
JOIN organisations_unit street ON street.id = s.street_id
WHERE street.parent_id = %(district)s AND s.period_start IN (%(start)s, %(previous_start)s)
"""


def _week_params(district, start: datetime.date, end: datetime.date) -> dict:
    from django.conf import settings

    from supervision.cycle.daily import LATE_STATES
    from supervision.cycle.weekly import NOT_VISITED_DAYS
    from supervision.scores import period_span

    since, until = period_span(start, end)
    previous, _ = period_span(start - datetime.timedelta(days=7), end)
    month_since, _ = period_span(end - datetime.timedelta(days=NOT_VISITED_DAYS - 1), end)
    return {
        "district": district.pk,
        "start": start,
        "end": end,
        "since": since,
        "until": until,
        "previous": previous,
        "previous_start": start - datetime.timedelta(days=7),
        "month_since": month_since,
        "late": [str(state) for state in LATE_STATES],
        "zone": settings.TIME_ZONE,
    }


def weekly_sql(district, start: datetime.date, end: datetime.date) -> dict:
    """The weekly report's numbers, street by street, in eleven plain queries."""
    params = _week_params(district, start, end)
    streets: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    totals = {}
    for street_id, kind, count, sites, percent_sum in _rows(WEEK_INSPECTIONS, params):
        if street_id is not None:
            streets[street_id].update(inspections=count, sites_inspected=sites)
        elif kind is None:
            totals = {"count": count, "sites": sites, "average": percent_sum / count if count else None}
    by_type = {}
    for street_id, type_id, count in _rows(WEEK_PROBLEMS, params):
        if street_id is not None:
            streets[street_id]["problems"] = count
        else:
            by_type[type_id] = count
    figures = (("opened", "opened_closed", "opened_closed_on_time"), ("due", "due_closed_on_time"))
    for sql, keys in zip(WEEK_RECTIFICATIONS, figures, strict=True):
        for street_id, *values in _rows(sql, params):
            streets[street_id].update(zip(keys, values, strict=True))
    for street_id, sites, not_visited in _rows(WEEK_SITES, params):
        streets[street_id].update(sites=sites, not_visited=not_visited)
    for street_id, assigned, done in _rows(ASSIGNMENTS, params):
        streets[street_id].update(assigned=assigned, done=done)
    clerks = dict(_rows(CLERK_ASSIGNMENTS, params))
    reported = _rows(SOURCE_SCORES, params)
    overdue = _rows(WEEK_OVERDUE_LIST, params)
    for street_id, *_row in overdue:
        streets[street_id]["overdue"] += 1
    long_unvisited = _rows(WEEK_NOT_VISITED_MONTH, params)
    means: dict[tuple[bool, int], list[Decimal]] = defaultdict(list)
    for this_week, street_id, mean, _visits in _rows(SITE_MEANS, params):
        means[this_week, street_id].append(mean)
    scores = {street_id: sum(values) / len(values) for (this_week, street_id), values in means.items() if this_week}
    return {
        "streets": streets,
        "totals": totals,
        "problems_by_type": by_type,
        "overdue": len(overdue),
        "not_visited_long": len(long_unvisited),
        "scores": scores,
        "clerks": clerks,
        "reported": len(reported),
    }


def _check_weekly(report: dict, sql: dict, names: dict[int, str]) -> list[str]:
    """Where the report and the SQL disagree (an empty list when every number matches)."""
    from supervision.cycle.daily import decimal_text

    problems = []
    by_name = {row["street"]: row for row in report["streets"]}
    for street_id, values in sql["streets"].items():
        row = by_name.get(names[street_id], {})
        for key, value in values.items():
            if row.get(key, 0) != value:
                problems.append(f"{names[street_id]} {key}: report {row.get(key)} sql {value}")
    if report["inspections"]["count"] != sql["totals"].get("count", 0):
        problems.append(f"inspections: report {report['inspections']['count']} sql {sql['totals']}")
    if report["inspections"]["average_percent"] != decimal_text(sql["totals"].get("average")):
        problems.append(f"average: report {report['inspections']['average_percent']} sql {sql['totals']}")
    if sorted(row["count"] for row in report["problems_by_type"]) != sorted(sql["problems_by_type"].values()):
        problems.append("problems by type differ")
    if len(report["overdue"]) != sql["overdue"] or report["not_visited"]["long"] != sql["not_visited_long"]:
        problems.append("overdue or long-unvisited lists differ")
    if sorted(row["assigned"] for row in report["clerks"]) != sorted(sql["clerks"].values()):
        problems.append("assignments by clerk differ")
    report_scores = {row["street"]: row["inspection_score"] for row in report["ranking"]}
    for street_id, score in sql["scores"].items():
        if report_scores.get(names[street_id]) != decimal_text(score):
            problems.append(f"{names[street_id]} score: report {report_scores.get(names[street_id])} sql {score}")
    return problems


def _street_names() -> dict[int, str]:
    from sanitation.organisations.models import Unit, UnitKind

    return dict(Unit.objects.filter(kind=UnitKind.STREET).values_list("pk", "name"))


def weekly(code: str, week: list[str]) -> dict:
    """The weekly report of district `code` against its SQL; raises if their numbers differ."""
    from supervision.cycle import weekly as weekly_cycle

    district = _district(code)
    start, end = _dates(week)
    report_s, report, sql_s, sql = _timed_pair(
        lambda: weekly_cycle.collect(district=district, start=start, end=end),
        lambda: weekly_sql(district, start, end),
        repeat=15,
    )
    disagreements = _check_weekly(report, sql, _street_names())
    if disagreements:
        raise AssertionError("the weekly report and its SQL disagree:\n" + "\n".join(disagreements[:20]))
    return {
        "district": code,
        "week": week,
        "inspections": report["inspections"]["count"],
        "problems": report["problems"]["count"],
        "report_s": round(report_s, 4),
        "sql_s": round(sql_s, 4),
        "ratio": round(report_s / sql_s, 2),
    }


# The quarterly review in SQL ---------------------------------------------------------------------

QUARTER_SITE_MEANS = """
SELECT street.parent_id, i.street_id, avg(i.percent), count(*)
FROM supervision_inspection i JOIN organisations_unit street ON street.id = i.street_id
WHERE street.parent_id = %(district)s AND i.inspected_at >= %(since)s AND i.inspected_at < %(until)s
  AND i.deleted_at IS NULL
GROUP BY street.parent_id, i.street_id, i.site_id
"""
QUARTER_PROBLEMS = """
SELECT street.parent_id, i.street_id, p.problem_type_id, count(*)
FROM supervision_problem p JOIN supervision_inspection i ON i.id = p.inspection_id
JOIN organisations_unit street ON street.id = i.street_id
WHERE street.parent_id = %(district)s AND i.inspected_at >= %(since)s AND i.inspected_at < %(until)s
  AND i.deleted_at IS NULL
GROUP BY GROUPING SETS ((street.parent_id, i.street_id), (street.parent_id, p.problem_type_id))
"""
QUARTER_RECTIFICATIONS = """
SELECT street.parent_id,
       count(*) FILTER (WHERE r.opened_at >= %(since)s AND r.opened_at < %(until)s),
       count(*) FILTER (WHERE closed_in),
       count(*) FILTER (WHERE closed_in AND (r.closed_at AT TIME ZONE %(zone)s)::date <= r.deadline),
       count(*) FILTER (WHERE r.opened_at < %(until)s AND r.deadline <= %(end)s
                        AND (r.closed_at IS NULL OR r.closed_at >= %(until)s)),
       count(*) FILTER (WHERE r.state = 'overdue')
FROM supervision_rectification r
CROSS JOIN LATERAL (SELECT r.state = 'closed' AND r.closed_at >= %(since)s AND r.closed_at < %(until)s
                    AS closed_in) AS c
JOIN organisations_unit street ON street.id = r.unit_id
WHERE street.parent_id = %(district)s AND r.deleted_at IS NULL
  AND ((r.opened_at >= %(since)s AND r.opened_at < %(until)s) OR (r.closed_at >= %(since)s AND r.closed_at < %(until)s)
       OR (r.closed_at >= %(until)s AND r.deadline <= %(end)s) OR r.closed_at IS NULL)
GROUP BY street.parent_id
"""


def quarterly_sql(district_ids: list[int], start: datetime.date, end: datetime.date) -> dict:
    """Every street's quarter (inspections, sites, score) and every district's problems and
    rectifications, district by district as the reviews are made (one circular each)."""
    from django.conf import settings

    from supervision.scores import period_span, rounded

    since, until = period_span(start, end)
    means: dict[int, list[Decimal]] = defaultdict(list)
    visits: dict[int, int] = defaultdict(int)
    problems: dict[int, dict] = defaultdict(lambda: {"streets": {}, "types": {}})
    keys = ("opened", "closed", "closed_on_time", "overdue_at_end", "overdue_now")
    rectifications = {}
    for district_id in district_ids:
        params = {"district": district_id, "since": since, "until": until, "end": end, "zone": settings.TIME_ZONE}
        for _district_id, street_id, mean, count in _rows(QUARTER_SITE_MEANS, params):
            means[street_id].append(mean)
            visits[street_id] += count
        for _district_id, street_id, type_id, count in _rows(QUARTER_PROBLEMS, params):
            group = "streets" if street_id is not None else "types"
            problems[district_id][group][street_id if street_id is not None else type_id] = count
        for row in _rows(QUARTER_RECTIFICATIONS, params):
            rectifications[row[0]] = dict(zip(keys, row[1:], strict=True))
    streets = {
        street_id: {"inspections": visits[street_id], "sites": len(values), "score": rounded(sum(values) / len(values))}
        for street_id, values in means.items()
    }
    return {"streets": streets, "problems": problems, "rectifications": rectifications}


def _check_quarterly(reports: dict[int, dict], sql: dict) -> list[str]:
    problems = []
    for district_id, report in reports.items():
        for row in report["streets"]:
            expected = sql["streets"].get(_street_id(row["code"]))
            if expected is None:
                if row["inspections"]:
                    problems.append(f"{row['name']}: report {row['inspections']} inspections, sql none")
                continue
            got = (row["inspections"], row["sites_inspected"], row["inspection_score"])
            want = (expected["inspections"], expected["sites"], str(expected["score"]))
            if got != want:
                problems.append(f"{row['name']}: report {got} sql {want}")
        district_problems = sql["problems"].get(district_id, {"streets": {}, "types": {}})
        if sorted(t["count"] for t in report["problems"]["types"]) != sorted(district_problems["types"].values()):
            problems.append(f"district {district_id}: problems by type differ")
        counts = sql["rectifications"].get(district_id, {})
        for key, value in report["rectifications"].items():
            if counts.get(key, 0) != value:
                problems.append(f"district {district_id} {key}: report {value} sql {counts.get(key)}")
    return problems


_STREET_IDS: dict[str, int] = {}


def _street_id(code: str) -> int:
    from sanitation.organisations.models import Unit, UnitKind

    if not _STREET_IDS:
        _STREET_IDS.update(Unit.objects.filter(kind=UnitKind.STREET).values_list("code", "pk"))
    return _STREET_IDS[code]


def quarterly(districts: list[dict], quarter: list[str]) -> dict:
    """The quarterly review of every district (all the city's streets) against its SQL."""
    from supervision.cycle import quarterly as quarterly_cycle

    units = {row["id"]: _district(row["code"]) for row in districts}
    start, end = _dates(quarter)

    def reports() -> dict[int, dict]:
        return {pk: quarterly_cycle.collect(district=unit, start=start, end=end) for pk, unit in units.items()}

    report_s, made, sql_s, sql = _timed_pair(reports, lambda: quarterly_sql(list(units), start, end), repeat=3)
    disagreements = _check_quarterly(made, sql)
    if disagreements:
        raise AssertionError("the quarterly review and its SQL disagree:\n" + "\n".join(disagreements[:20]))
    return {
        "quarter": quarter,
        "streets": sum(len(report["streets"]) for report in made.values()),
        "inspections": sum(report["inspections"] for report in made.values()),
        "report_s": round(report_s, 4),
        "sql_s": round(sql_s, 4),
        "ratio": round(report_s / sql_s, 2),
    }


# Query plans --------------------------------------------------------------------------------------

SCAN = re.compile(r"((?:Parallel )?(?:Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)[^(]*)")


def plans(code: str, week: list[str], label: str) -> dict:
    """EXPLAIN ANALYZE of every query the weekly report makes, written to bench/plans/<label>.txt."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supervision.cycle import weekly as weekly_cycle

    district = _district(code)
    start, end = _dates(week)
    with CaptureQueriesContext(connection) as captured:
        weekly_cycle.collect(district=district, start=start, end=end)
    PLANS_DIR.mkdir(exist_ok=True)
    lines, queries = [], []
    for number, query in enumerate(captured.captured_queries, start=1):
        plan = [row[0] for row in _rows("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"], None)]
        ms = float(re.search(r"Execution Time: ([\d.]+)", plan[-1]).group(1))
        scans = sorted({match.strip() for line in plan for match in SCAN.findall(line)})
        queries.append({"query": number, "ms": round(ms, 2), "scans": scans})
        lines += [f"-- query {number}: {ms:.2f} ms", query["sql"], *plan, ""]
    path = PLANS_DIR / f"weekly-{label}.txt"
    path.write_text("\n".join(lines) + "\n")
    seq_scans = sorted({scan for q in queries for scan in q["scans"] if scan.startswith("Seq Scan")})
    return {"file": str(path.relative_to(city.ROOT)), "queries": queries, "seq_scans": seq_scans}


def scaling(at_100k: dict, at_1m: dict) -> dict:
    return {
        "inspections": [at_100k["table_inspections"], at_1m["table_inspections"]],
        "report_s": [at_100k["report_s"], at_1m["report_s"]],
        "ratio": round(at_1m["report_s"] / at_100k["report_s"], 2),
        "same_week_rows": at_100k["inspections"] == at_1m["inspections"],
    }


def weekly_at_size(facts: dict, label: str) -> dict:
    """The weekly report of the biggest district as the table stands, with its plans."""
    code = facts["districts"][0]["code"]
    result = weekly(code, facts["week"])
    result["table_inspections"] = facts["counts"]["supervision_inspection"]
    result["plans"] = plans(code, facts["week"], label)
    return result


def run(facts: dict) -> dict:
    return {
        "weekly": weekly(facts["districts"][0]["code"], facts["week"]),
        "quarterly": quarterly(facts["districts"], facts["quarter"]),
    }


def table(results: dict) -> str:
    lines = [f"{'reports against raw SQL':<46}{'report':>10}{'sql':>10}{'ratio':>8}{'target':>10}"]
    for key, name in (
        ("weekly", "weekly report, one district (s)"),
        ("quarterly", "quarterly review, all streets (s)"),
    ):
        if key in results:
            row = results[key]
            lines.append(f"{name:<46}{row['report_s']:>10}{row['sql_s']:>10}{row['ratio']:>8}{'≤ 1.5':>10}")
    if "scaling" in results:
        row = results["scaling"]
        name = f"weekly at {row['inspections'][0]:,} → {row['inspections'][1]:,} inspections (s)"
        lines.append(f"{name:<46}{row['report_s'][0]:>10}{row['report_s'][1]:>10}{row['ratio']:>8}{'≤ 2':>10}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    facts = city.facts()
    results = run(facts)
    results["plans"] = plans(facts["districts"][0]["code"], facts["week"], "current")
    print(json.dumps(results, ensure_ascii=False, indent=2, default=str) if args.json else table(results))


if __name__ == "__main__":
    main()
