"""What every job's admin shows: its type by its registered label (jobs.models.TypeEnregistre)."""

from django.contrib import admin


class TypeFilter(admin.SimpleListFilter):
    """The types by their labels, registered ones included."""

    title = "type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return sorted(model_admin.model.LIBELLES.items(), key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(type=self.value()) if self.value() else queryset


@admin.display(description="type", ordering="type")
def type_(obj):
    return obj.libelle_type
