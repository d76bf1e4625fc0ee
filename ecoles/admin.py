from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from collectivites.admin_imports import ImportEnArrierePlanMixin, ImportForm
from collectivites.scoping import AcademieScopedAdmin

from .importers import IMPORT_ECOLES
from .models import Ecole


class ImportEcolesForm(ImportForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fichier"].help_text = (
            "Annuaire de l'éducation, Adresse et géolocalisation des établissements ou IPS des écoles ; "
            "séparateur « ; » ou « , », encodé en UTF-8."
        )
        self.fields["departement"].help_text = "Facultatif : 011, 11, 2A…"
        # The académie before the last option, as the command line lists them.
        self.order_fields(["fichier", "departement", "academie", "ignorer_invalides"])


@admin.register(Ecole)
class EcoleAdmin(AcademieScopedAdmin, ImportEnArrierePlanMixin, SimpleHistoryAdmin):
    list_display = ["uai", "nom", "nature", "secteur", "etat", "commune", "academie"]
    list_filter = ["etat", "nature", "secteur", "academie", "commune__departement"]
    readonly_fields = ["academie"]
    search_fields = ["uai", "nom", "commune__nom", "commune__code_insee"]
    autocomplete_fields = ["commune"]
    list_select_related = ["commune"]

    type_import = IMPORT_ECOLES.type
    form_import = ImportEcolesForm
    titre_import = "Importer des écoles"
    introduction_import = (
        "Déposez un fichier des données ouvertes du ministère : l'Annuaire de l'éducation, l'ancien fichier "
        "« Adresse et géolocalisation des établissements » ou le fichier « IPS des écoles ». Seules les écoles du "
        "premier degré sont importées ; une école est reconnue à son UAI. Le fichier est d'abord lu en arrière-plan "
        "pour un aperçu : rien n'est enregistré avant votre confirmation."
    )
