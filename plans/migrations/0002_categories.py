"""The categories of work the seeds' plans use; staff edit the list in the admin."""

from django.db import migrations

CATEGORIES = [
    # name, keywords, parent
    ("党建", ["党建", "党的", "理论武装", "党风", "廉政", "组织制度"], None),
    ("登记评估", ["登记", "等级评估", "年检"], None),
    ("政府合作", ["政府"], None),
    ("会员发展", ["会员"], None),
    ("分支机构", ["分支机构"], None),
    ("专项工作", ["专项工作"], None),
    ("设施评价", ["设施评价", "等级评价", "无害化等级"], "专项工作"),
    ("信用评价", ["信用评价"], "专项工作"),
    ("活动品牌", ["活动", "品牌"], None),
    ("专家研究", ["专家", "研究"], None),
    ("宣传", ["宣传"], None),
    ("组织建设", ["组织建设"], None),
    ("队伍建设", ["队伍"], None),
    ("环境卫生服务", ["环卫服务", "环境卫生", "保洁"], None),
    ("垃圾分类", ["垃圾分类", "分出率"], None),
]


def add_categories(apps, schema_editor):
    Category = apps.get_model("plans", "Category")
    for order, (name, keywords, parent) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(
            name=name,
            defaults={
                "keywords": keywords,
                "sort_order": order * 10,
                "parent": Category.objects.get(name=parent) if parent else None,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_plans")]
    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
