import re
import uuid
from datetime import timedelta
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from collectivites.importers import FichierIllisible, departement_filtre

from .importers import code_academie, importer_ecoles
from .models import Ecole

# Between the preview and the confirmation, the uploaded file waits in the default storage under a random name.
DOSSIER_IMPORTS = "imports/ecoles"
JETON_RE = re.compile(r"^[0-9a-f]{32}$")


class ImportEcolesForm(forms.Form):
    fichier = forms.FileField(
        label="Fichier CSV",
        help_text="Annuaire de l'éducation, Adresse et géolocalisation des établissements ou IPS des écoles ; "
        "séparateur « ; » ou « , », encodé en UTF-8.",
    )
    departement = forms.CharField(
        label="Département", required=False, max_length=3, help_text="Facultatif : 011, 11, 2A…"
    )
    academie = forms.CharField(
        label="Académie", required=False, max_length=30, help_text="Facultatif : 11 ou Montpellier."
    )
    ignorer_invalides = forms.BooleanField(
        label="Ignorer les lignes invalides",
        required=False,
        help_text="Importer les lignes valides et signaler les autres. Sinon, un fichier qui contient une ligne "
        "rejetée n'importe rien.",
    )

    def clean_departement(self):
        return _option_valide(departement_filtre, self.cleaned_data["departement"])

    def clean_academie(self):
        return _option_valide(code_academie, self.cleaned_data["academie"])


def _option_valide(verifier, valeur: str) -> str:
    if not valeur:
        return ""
    try:
        return verifier(valeur)
    except FichierIllisible as error:
        raise forms.ValidationError(str(error)) from None


class ConfirmationForm(forms.Form):
    jeton = forms.RegexField(regex=JETON_RE, widget=forms.HiddenInput)
    nom_fichier = forms.CharField(max_length=200, widget=forms.HiddenInput)
    departement = forms.CharField(required=False, max_length=3, widget=forms.HiddenInput)
    academie = forms.CharField(required=False, max_length=2, widget=forms.HiddenInput)
    ignorer_invalides = forms.BooleanField(required=False, widget=forms.HiddenInput)


@admin.register(Ecole)
class EcoleAdmin(SimpleHistoryAdmin):
    list_display = ["uai", "nom", "nature", "secteur", "etat", "commune"]
    list_filter = ["etat", "nature", "secteur", "commune__departement"]
    search_fields = ["uai", "nom", "commune__nom", "commune__code_insee"]
    autocomplete_fields = ["commune"]
    list_select_related = ["commune"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("importer/", view(self.importer_view), name="ecoles_ecole_importer"),
            path("importer/confirmer/", view(self.confirmer_import_view), name="ecoles_ecole_importer_confirmer"),
            *super().get_urls(),
        ]

    def _peut_importer(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def _exiger_droits(self, request) -> None:
        if not self._peut_importer(request):
            raise PermissionDenied

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {**(extra_context or {}), "peut_importer": self._peut_importer(request)}
        )

    def _contexte(self, request, **extra):
        contexte = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Importer des écoles"}
        return {**contexte, **extra}

    def importer_view(self, request):
        """Step 1 and 2: upload, then a dry run shown as a preview. Nothing is written yet."""
        self._exiger_droits(request)
        form = ImportEcolesForm(request.POST or None, request.FILES or None)
        if request.method != "POST" or not form.is_valid():
            return TemplateResponse(request, "admin/ecoles/ecole/importer.html", self._contexte(request, form=form))
        upload = form.cleaned_data["fichier"]
        _purger_anciens_imports()
        jeton = uuid.uuid4().hex
        default_storage.save(_chemin(jeton), upload)
        options = {k: form.cleaned_data[k] for k in ("departement", "academie", "ignorer_invalides")}
        nom_fichier = Path(upload.name).name[:200]
        try:
            rapport = _importer(jeton, nom_fichier, options, simulation=True)
        except FichierIllisible as error:
            default_storage.delete(_chemin(jeton))
            form.add_error("fichier", str(error))
            return TemplateResponse(request, "admin/ecoles/ecole/importer.html", self._contexte(request, form=form))
        confirmation = ConfirmationForm(initial={"jeton": jeton, "nom_fichier": nom_fichier, **options})
        return TemplateResponse(
            request,
            "admin/ecoles/ecole/importer_apercu.html",
            self._contexte(request, rapport=rapport, confirmation=confirmation, title="Aperçu de l'import"),
        )

    def confirmer_import_view(self, request):
        """Step 3: the same file, for real, on behalf of the agent (recorded in the history)."""
        self._exiger_droits(request)
        if request.method != "POST":
            return redirect("admin:ecoles_ecole_importer")
        form = ConfirmationForm(request.POST)
        if not form.is_valid() or not default_storage.exists(_chemin(form.cleaned_data["jeton"])):
            raise Http404("Ce fichier d'import n'existe plus : déposez-le à nouveau.")
        data = form.cleaned_data
        options = {k: data[k] for k in ("departement", "academie", "ignorer_invalides")}
        try:
            rapport = _importer(data["jeton"], data["nom_fichier"], options, simulation=False, utilisateur=request.user)
        finally:
            default_storage.delete(_chemin(data["jeton"]))
        if rapport.applique:
            messages.success(request, rapport.statut)
        else:
            messages.error(request, rapport.statut)
        return TemplateResponse(
            request,
            "admin/ecoles/ecole/importer_rapport.html",
            self._contexte(request, rapport=rapport, title="Rapport d'import"),
        )


def _chemin(jeton: str) -> str:
    return f"{DOSSIER_IMPORTS}/{jeton}.csv"


def _importer(jeton: str, nom_fichier: str, options: dict, simulation: bool, utilisateur=None):
    with default_storage.open(_chemin(jeton), "rb") as fichier:
        return importer_ecoles(
            fichier,
            nom_fichier=nom_fichier,
            departement=options["departement"],
            academie=options["academie"],
            ignorer_invalides=options["ignorer_invalides"],
            simulation=simulation,
            utilisateur=utilisateur,
        )


def _purger_anciens_imports() -> None:
    """Files previewed but never confirmed are removed after a day."""
    try:
        _, fichiers = default_storage.listdir(DOSSIER_IMPORTS)
    except FileNotFoundError:
        return
    limite = timezone.now() - timedelta(days=1)
    for nom in fichiers:
        chemin = f"{DOSSIER_IMPORTS}/{nom}"
        if default_storage.get_modified_time(chemin) < limite:
            default_storage.delete(chemin)
