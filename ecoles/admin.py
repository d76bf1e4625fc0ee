from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Ecole


@admin.register(Ecole)
class EcoleAdmin(SimpleHistoryAdmin):
    list_display = ["uai", "nom", "nature", "secteur", "etat", "commune"]
    list_filter = ["etat", "nature", "secteur", "commune__departement"]
    search_fields = ["uai", "nom", "commune__nom", "commune__code_insee"]
    autocomplete_fields = ["commune"]
    list_select_related = ["commune"]
