from django.contrib import admin

from sanitation.organisations.access import scope_by_unit

from .models import Category, Chapter, Indicator, Item, Plan


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The editable list of kinds of work, with the keywords the importer assigns them by."""

    list_display = ["name", "parent", "keywords", "sort_order"]
    list_editable = ["sort_order"]


class ChapterInline(admin.TabularInline):
    model = Chapter
    extra = 0
    fields = ["number", "title", "category"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["title", "issuer", "year", "circular"]
    list_filter = ["year"]
    inlines = [ChapterInline]
    readonly_fields = ["circular", "created_by"]
    raw_id_fields = ["issuer"]

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user, via="issuer")


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "plan", "category", "deadline", "percent"]
    list_filter = ["category", "plan__year"]
    search_fields = ["title", "text"]
    filter_horizontal = ["lead_units", "assisting_units"]
    raw_id_fields = ["plan", "chapter"]
    inlines = [IndicatorInline]

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user, via="plan__issuer")
