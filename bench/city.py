"""The bench city: ten districts of a year's supervision in a PostgreSQL database of its own.

    python -m bench.city [--scale 1.0] [--phase recent|all] [--json]

At scale 1.0 the city has 10 districts, 100 streets, 5,000 sites, 1,000,000 inspections with
about 3,000,000 problems (each with its rectification), 3,000,000 collection records and 2,000
plan items. It is the demo world (`seed_demo`: its users, 城东区 and the association) plus nine
generated districts; the few hundred rows of structure (units, users, schemes, issuers, plans)
go through the ORM and the services, the millions of rows through INSERT … SELECT
generate_series in PostgreSQL, so building takes minutes, not hours.

Inspections are grown backwards in time: the first `grow` fills the most recent weeks, each
later one the weeks before. So a report on the last complete week reads the same rows whether
the table holds 100,000 inspections or 1,000,000, which is what the scaling figure compares.

Everything lives in the database `sanitation_bench` (never the one `make run` uses), media in
var/bench-media; `build` drops and recreates both.
"""

import argparse
import datetime
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "sanitation_bench"
SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE_URL = f"{SERVER}/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/14"
MEDIA_ROOT = ROOT / "var" / "bench-media"
PASSWORD = "demo-2026"

# Sizes at scale 1.0.
DISTRICTS = 10
STREETS = 100
SITES = 5_000
INSPECTIONS = 1_000_000
RECENT_INSPECTIONS = 100_000  # the first growth, measured on its own
COLLECTION_DAYS = 600  # × SITES = 3,000,000 collection records
PLAN_ITEMS = 2_000
YEAR_DAYS = 364  # INSPECTIONS spread over this many days before today
CHAPTERS_PER_PLAN = 10
COMMUNITIES_PER_STREET = 3

NEW_DISTRICTS = ["城西区", "城南区", "城北区", "高新区", "经开区", "滨江区", "江北区", "湖滨区", "临港区"]
STREET_NAMES = ["长安", "和平", "永宁", "太平", "安定", "兴隆", "清河", "广济", "丰乐", "仁和", "福寿"]
COMMUNITY_NAMES = ["东苑", "西苑", "南苑"]


def environment() -> dict[str, str]:
    """The environment of a process working on the city (this one, gunicorn, a celery worker)."""
    return {
        "DJANGO_SETTINGS_MODULE": "sanitation.settings.base",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
        "DEBUG": "false",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "MEDIA_ROOT": str(MEDIA_ROOT),
        "CELERY_TASK_DEFAULT_QUEUE": "bench",
        "LOG_LEVEL": "WARNING",
    }


def setup() -> None:
    """Point this process at the city and set Django up (once)."""
    os.environ.update(environment())
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _admin_sql(statement: str) -> None:
    import psycopg2

    connection = psycopg2.connect(f"{SERVER}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(statement)
    connection.close()


def _execute(sql: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _scalar(sql: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# Meta: what was built, so later steps and other processes know the city's dates -----------------


def _meta_set(**values) -> None:
    for key, value in values.items():
        _execute(
            "INSERT INTO bench_city_meta (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [key, json.dumps(value, default=str)],
        )


def _meta() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT key, value FROM bench_city_meta")
        return {key: json.loads(value) if isinstance(value, str) else value for key, value in cursor.fetchall()}


# Structure through the ORM -----------------------------------------------------------------------


def _district(order: int, name: str, streets: int, password_hash: str) -> None:
    """A generated district: sorting office (a cycle issuer), streets, communities, scheme, users."""
    from sanitation.documents.models import DocumentIssuer
    from sanitation.organisations.models import Membership, Role, Unit, UnitKind, User
    from supervision.demo import rules_seed, schemes_seed

    code = f"BX{order:02d}"
    district = Unit.objects.create(code=code, name=name, kind=UnitKind.DISTRICT, short_name=name, sort_order=order)
    office = Unit.objects.create(
        code=f"{code}-FLB", name=f"{name}生活垃圾分类工作领导小组办公室", kind=UnitKind.OFFICE, parent=district
    )
    office_name = f"{name}生活垃圾分类工作领导小组办公室"
    DocumentIssuer.objects.create(
        unit=office, prefix=f"{name[:2]}分类办", mark=office_name, signature=office_name, printed_by=office_name
    )
    for s in range(1, streets + 1):
        street_name = f"{STREET_NAMES[(s - 1) % len(STREET_NAMES)]}街道"
        street = Unit.objects.create(
            code=f"{code}-JD{s:02d}", name=street_name, kind=UnitKind.STREET, parent=district, sort_order=10 + s
        )
        for c, community in enumerate(COMMUNITY_NAMES[:COMMUNITIES_PER_STREET], start=1):
            Unit.objects.create(
                code=f"{code}-JD{s:02d}-SQ{c:02d}", name=f"{community}社区", kind=UnitKind.COMMUNITY, parent=street
            )
    today = datetime.date.today()
    schemes_seed(district, today)
    rules_seed(district, range(today.year - 1, today.year + 1))
    for suffix, unit, role, display in (
        ("clerk", office, Role.CLERK, "督查员"),
        ("leader", district, Role.LEADER, "主任"),
    ):
        user = User.objects.create(username=f"{code.lower()}{suffix}", display_name=f"{name}{display}")
        user.password = password_hash  # one hash for all: hashing is not what is measured
        user.save(update_fields=["password"])
        Membership.objects.create(user=user, unit=unit, role=role)


def _structure() -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction

    call_command("seed_demo", verbosity=0)
    password_hash = make_password(PASSWORD)
    extra_streets = STREETS - 8  # 城东区 has eight
    with transaction.atomic():
        for order, name in enumerate(NEW_DISTRICTS, start=1):
            base, rest = divmod(extra_streets, len(NEW_DISTRICTS))
            _district(order, name, base + (1 if order <= rest else 0), password_hash)


# The sites, then the millions, in SQL --------------------------------------------------------------


def _sites(scale: float) -> int:
    """Fill every street up to its share of SITES (城东区's demo sites count towards it)."""
    per_street = max(1, round(SITES * scale / STREETS))
    return _execute(
        """
        INSERT INTO classification_site
            (name, kind, households, property_company, contact_name, contact_phone, address,
             covered_since, is_demonstration, community_id, street_id)
        SELECT street.name || '第' || n || '号点位',
               (ARRAY['managed_estate','open_estate','office_building','public_institution','school',
                      'supermarket','restaurant','farmers_market'])[1 + (street.id * 7 + n) %% 8],
               200 + (n * 37) %% 1800, '', '', '', '', DATE '2024-01-01', n %% 25 = 0,
               (SELECT c.id FROM organisations_unit c WHERE c.parent_id = street.id AND c.kind = 'community'
                ORDER BY c.id OFFSET n %% 3 LIMIT 1),
               street.id
        FROM organisations_unit street
        CROSS JOIN generate_series(1, %s) AS n
        WHERE street.kind = 'street'
          AND n > (SELECT count(*) FROM classification_site s WHERE s.street_id = street.id)
        """,
        [per_street],
    )


def _site_table() -> None:
    """bench_site: every live site numbered, with what its inspections need (scheme, clerk)."""
    _execute("DROP TABLE IF EXISTS bench_site")
    _execute(
        """
        CREATE UNLOGGED TABLE bench_site AS
        SELECT row_number() OVER (ORDER BY s.id) - 1 AS idx, s.id AS site_id, s.street_id, s.community_id,
               (SELECT sc.id FROM supervision_assessmentscheme sc WHERE sc.district_id = street.parent_id
                ORDER BY sc.year DESC, sc.version DESC LIMIT 1) AS scheme_id,
               (SELECT m.user_id FROM organisations_membership m JOIN organisations_unit o ON o.id = m.unit_id
                WHERE o.parent_id = street.parent_id AND o.kind = 'office' AND m.role = 'clerk'
                ORDER BY m.user_id LIMIT 1) AS clerk_id
        FROM classification_site s JOIN organisations_unit street ON street.id = s.street_id
        WHERE s.deleted_at IS NULL
        """
    )
    _execute("CREATE UNIQUE INDEX ON bench_site (idx)")


def _problem_type_table() -> None:
    _execute("DROP TABLE IF EXISTS bench_problem_type")
    _execute(
        """
        CREATE UNLOGGED TABLE bench_problem_type AS
        SELECT row_number() OVER (ORDER BY id) - 1 AS idx, id, severity,
               CASE severity WHEN 'serious' THEN 3 WHEN 'general' THEN 7 ELSE 15 END AS days,
               CASE severity WHEN 'serious' THEN 10 WHEN 'general' THEN 5 ELSE 3 END AS points
        FROM supervision_problemtype WHERE is_active
        """
    )


def _inspections(count: int, first_day: datetime.date, per_day: int) -> int:
    """`count` inspections, per_day a day, from first_day backwards; 0–6 problems each (3 on average)."""
    return _execute(
        """
        INSERT INTO supervision_inspection
            (kind, inspected_at, note, score, max_score, percent, problem_count, created_at,
             recorded_by_id, scheme_id, site_id, street_id)
        SELECT CASE WHEN g.r1 < 0.9 THEN 'daily' WHEN g.r1 < 0.95 THEN 'special'
                    WHEN g.r1 < 0.98 THEN 'unannounced' ELSE 'joint' END,
               g.at, '', g.percent, 100, g.percent, g.problems, g.at,
               s.clerk_id, s.scheme_id, s.site_id, s.street_id
        FROM (
            SELECT n, random() AS r1, problems,
                   round((100 - problems * 5 - random() * 10)::numeric, 2) AS percent,
                   ((%(first)s::date - (n / %(per_day)s)::int)::timestamp + interval '8 hours'
                     + random() * interval '9 hours') AT TIME ZONE %(zone)s AS at
            FROM (
                SELECT n, floor(random() * 7)::int AS problems FROM generate_series(0::bigint, %(count)s - 1) AS n
            ) AS drawn
        ) AS g
        JOIN bench_site s ON s.idx = (g.n * 7919) %% (SELECT count(*) FROM bench_site)
        """,
        {"first": first_day, "per_day": per_day, "count": count, "zone": _zone()},
    )


def _problems(after_inspection: int) -> int:
    return _execute(
        """
        INSERT INTO supervision_problem (severity, note, deduction, criterion_id, inspection_id, problem_type_id)
        SELECT t.severity, '', t.points, NULL, i.id, t.id
        FROM supervision_inspection i
        CROSS JOIN LATERAL generate_series(1, i.problem_count) AS k
        JOIN bench_problem_type t ON t.idx = (i.id * 31 + k * 17) %% (SELECT count(*) FROM bench_problem_type)
        WHERE i.id > %s
        """,
        [after_inspection],
    )


def _rectifications(after_problem: int) -> int:
    """One per problem, the street answering. Those over two months old are closed, a few of the last two
    months are overdue (about 1,500 in the city), and those of the last week are in every state."""
    return _execute(
        """
        INSERT INTO supervision_rectification
            (responsible_party, state, deadline, opened_at, closed_at, version, problem_id, site_id, unit_id)
        SELECT '', CASE WHEN d.state = 'overdue' AND d.deadline >= current_date THEN 'in_progress' ELSE d.state END,
               d.deadline, d.opened_at,
               CASE WHEN d.state = 'closed'
                    THEN least(d.opened_at + (1 + d.r2 * (d.days + 3)) * interval '1 day', now() - interval '1 hour')
               END,
               1, d.problem_id, d.site_id, d.street_id
        FROM (
            SELECT p.id AS problem_id, i.site_id, i.street_id, i.inspected_at AS opened_at, t.days, r2,
                   (i.inspected_at AT TIME ZONE %(zone)s)::date + t.days AS deadline,
                   CASE
                     WHEN age > 60 THEN 'closed'
                     WHEN age > 30 THEN CASE WHEN r1 < 0.99 THEN 'closed' ELSE 'overdue' END
                     WHEN age > 7 THEN CASE WHEN r1 < 0.85 THEN 'closed' WHEN r1 < 0.90 THEN 'overdue'
                                            WHEN r1 < 0.96 THEN 'in_progress' ELSE 'awaiting_review' END
                     ELSE CASE WHEN r1 < 0.30 THEN 'closed' WHEN r1 < 0.60 THEN 'pending'
                               WHEN r1 < 0.80 THEN 'in_progress' ELSE 'awaiting_review' END
                   END AS state
            FROM (
                SELECT p.*, random() AS r1, random() AS r2 FROM supervision_problem p WHERE p.id > %(after)s
            ) AS p
            JOIN supervision_inspection i ON i.id = p.inspection_id
            JOIN bench_problem_type t ON t.id = p.problem_type_id
            CROSS JOIN LATERAL (SELECT current_date - (i.inspected_at AT TIME ZONE %(zone)s)::date AS age) AS a
        ) AS d
        """,
        {"after": after_problem, "zone": _zone()},
    )


def _collection_records(days: int, today: datetime.date) -> int:
    """A record per site and day for `days` days before today: tonnes in the four categories."""
    return _execute(
        """
        INSERT INTO classification_collectionrecord
            (collected_on, recyclable_t, hazardous_t, kitchen_t, other_t, vehicle, destination,
             community_id, site_id, street_id)
        SELECT %(today)s::date - d, round((0.5 + random() * 1.5)::numeric, 3), round((random() * 0.05)::numeric, 3),
               round((1 + random() * 3)::numeric, 3), round((3 + random() * 5)::numeric, 3),
               '浙A' || lpad((s.idx %% 99999)::text, 5, '0'), '转运站', s.community_id, s.site_id, s.street_id
        FROM bench_site s CROSS JOIN generate_series(1, %(days)s) AS d
        """,
        {"today": today, "days": days},
    )


def _plans(scale: float, today: datetime.date) -> int:
    """Ten plans (one per district) of PLAN_ITEMS / 10 items in ten chapters, led by streets or sections."""
    from django.db import transaction

    from plans.models import Chapter, Item, Plan
    from sanitation.organisations.models import Unit, UnitKind

    per_plan = max(CHAPTERS_PER_PLAN, round(PLAN_ITEMS * scale / DISTRICTS))
    made = 0
    with transaction.atomic():
        for district in Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("sort_order", "code"):
            issuer = Unit.objects.filter(parent=district, kind__in=[UnitKind.CENTER, UnitKind.OFFICE]).order_by("kind")
            issuer = issuer.first()
            leads = list(
                Unit.objects.filter(path__startswith=district.path, kind__in=[UnitKind.STREET, UnitKind.SECTION])
            )
            plan = Plan.objects.create(
                issuer=issuer, year=today.year, title=f"{today.year}年{district.name}重点工作计划"
            )
            chapters = Chapter.objects.bulk_create(
                Chapter(plan=plan, number=n, title=f"第{n}部分重点工作") for n in range(1, CHAPTERS_PER_PLAN + 1)
            )
            items = Item.objects.bulk_create(
                Item(
                    plan=plan,
                    chapter=chapters[n % CHAPTERS_PER_PLAN],
                    number=n + 1,
                    position=n,
                    title=f"重点工作事项{n + 1}",
                    text=f"第{n + 1}项：抓好生活垃圾分类和环境卫生重点工作，按期完成目标任务。",
                    deadline=datetime.date(today.year, 1 + n % 12, 28),
                    percent=(n * 13) % 101,
                )
                for n in range(per_plan)
            )
            Lead, Assisting = Item.lead_units.through, Item.assisting_units.through
            Lead.objects.bulk_create(Lead(item=item, unit=leads[n % len(leads)]) for n, item in enumerate(items))
            Assisting.objects.bulk_create(
                Assisting(item=item, unit=leads[(n + 1) % len(leads)]) for n, item in enumerate(items) if len(leads) > 1
            )
            made += len(items)
    return made


def _zone() -> str:
    from django.conf import settings

    return settings.TIME_ZONE


def _analyze() -> None:
    """Fresh statistics and visibility maps for every table, as autovacuum leaves them on a server
    that has run a while: a planner that thinks a district has two streets walks its rectifications
    site by site (seconds), and without the visibility map no count is answered from an index alone."""
    _execute("VACUUM (ANALYZE)")


# The steps ----------------------------------------------------------------------------------------


def build(scale: float = 1.0, *, log=print) -> dict:
    """A fresh city with its structure, sites, collection records and plans; no inspections yet."""
    _admin_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _admin_sql(f"CREATE DATABASE {DATABASE}")
    shutil.rmtree(MEDIA_ROOT, ignore_errors=True)
    setup()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    _execute("CREATE TABLE bench_city_meta (key text PRIMARY KEY, value jsonb NOT NULL)")
    today = datetime.date.today()
    _structure()
    log(f"  structure (demo + 9 districts): {time.perf_counter() - started:.1f} s")
    step = time.perf_counter()
    sites = _sites(scale)
    _site_table()
    _problem_type_table()
    collection = _collection_records(COLLECTION_DAYS, today)
    items = _plans(scale, today)
    connection.close()
    _analyze()
    log(f"  {sites} sites, {collection} collection records, {items} plan items: {time.perf_counter() - step:.1f} s")
    total = max(1, round(INSPECTIONS * scale))
    _meta_set(
        today=today.isoformat(),
        scale=scale,
        per_day=math.ceil(total / YEAR_DAYS),
        next_day=(today - datetime.timedelta(days=1)).isoformat(),
        target=total,
    )
    return facts()


def grow(count: int, *, log=print) -> dict:
    """Add `count` inspections (their problems and rectifications) before the earliest ones so far."""
    setup()
    meta = _meta()
    started = time.perf_counter()
    first_day = datetime.date.fromisoformat(meta["next_day"])
    per_day = meta["per_day"]
    last_inspection = _scalar("SELECT coalesce(max(id), 0) FROM supervision_inspection")
    last_problem = _scalar("SELECT coalesce(max(id), 0) FROM supervision_problem")
    _execute("SELECT setseed(%s)", [0.2026 + (last_inspection % 1000) / 10_000])
    made = _inspections(count, first_day, per_day)
    problems = _problems(last_inspection)
    rectifications = _rectifications(last_problem)
    _analyze()
    days = math.ceil(count / per_day)
    _meta_set(next_day=(first_day - datetime.timedelta(days=days)).isoformat())
    log(
        f"  +{made} inspections ({days} days to {first_day}), +{problems} problems, "
        f"+{rectifications} rectifications: {time.perf_counter() - started:.1f} s"
    )
    return facts()


def facts() -> dict:
    """What the measurements need to know about the city as it stands."""
    setup()
    from sanitation.documents.models import DocumentIssuer
    from sanitation.organisations.models import Unit, UnitKind
    from supervision.cycle.periods import cycle_period
    from supervision.models import Cycle

    meta = _meta()
    today = datetime.date.fromisoformat(meta["today"])
    districts = []
    for district in Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("sort_order", "code"):
        issuer = DocumentIssuer.objects.filter(unit__parent=district, unit__kind=UnitKind.OFFICE).first()
        districts.append(
            {
                "code": district.code,
                "name": district.name,
                "id": district.pk,
                "office_code": issuer.unit.code if issuer else None,
                "issuer_id": issuer.pk if issuer else None,
            }
        )
    counts = {
        table: _scalar(f"SELECT count(*) FROM {table}")
        for table in (
            "organisations_unit",
            "classification_site",
            "supervision_inspection",
            "supervision_problem",
            "supervision_rectification",
            "classification_collectionrecord",
            "plans_item",
        )
    }
    week = cycle_period(Cycle.WEEKLY, today)
    quarter = cycle_period(Cycle.QUARTERLY, today)
    return {
        "today": today.isoformat(),
        "scale": meta["scale"],
        "districts": districts,
        "streets": Unit.objects.filter(kind=UnitKind.STREET).count(),
        "week": [week[0].isoformat(), week[1].isoformat()],
        "quarter": [quarter[0].isoformat(), quarter[1].isoformat()],
        "inspections_from": meta["next_day"],
        "counts": counts,
    }


def exists() -> bool:
    """Whether a built city is there (its meta table answers)."""
    import psycopg2

    try:
        connection = psycopg2.connect(DATABASE_URL)
    except psycopg2.OperationalError:
        return False
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_city_meta') IS NOT NULL")
        found = cursor.fetchone()[0]
    connection.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--phase", choices=["recent", "all"], default="all", help="grow only the recent inspections")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    build(args.scale)
    recent = max(1, round(RECENT_INSPECTIONS * args.scale))
    result = grow(recent)
    if args.phase == "all":
        result = grow(max(0, round(INSPECTIONS * args.scale) - recent))
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else json.dumps(result["counts"], indent=2))


if __name__ == "__main__":
    main()
