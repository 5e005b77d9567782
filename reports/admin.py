"""Admin for programmes and their targets; the statistics themselves have their own pages."""

from django.contrib import admin

from reports.models import Programme, Target


class TargetInline(admin.TabularInline):
    model = Target
    extra = 1
    fields = ("indicator", "value", "period_start", "period_end")


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "donors", "start_date", "end_date")
    search_fields = ("code", "name", "donors")
    filter_horizontal = ("sessions",)
    inlines = [TargetInline]
