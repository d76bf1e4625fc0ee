"""Reference-data imports in the admin: the upload page of each kind, and the page of a run in the background.

The run's page refreshes itself with `<meta http-equiv="refresh">` (no script: the CSP forbids inline ones) until
the run is over, then shows the importer's report and, for a preview, the button that confirms it.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from documents.texte import ChampsTexteProteges
from jobs.admin import TypeFilter, type_
from jobs.tabular import FichierIllisible

from . import imports_fichiers
from .codes import code_academie, departement_filtre
from .models import ImportFichier
from .scoping import AcademieScopedAdmin

# Seconds between two refreshes of a run's page while it waits or runs.
RAFRAICHISSEMENT = 2


def option_valide(verifier, valeur: str) -> str:
    """An optional filter of the form (département, académie), checked as the command line checks it."""
    if not valeur:
        return ""
    try:
        return verifier(valeur)
    except FichierIllisible as error:
        raise forms.ValidationError(str(error)) from None


class ImportForm(ChampsTexteProteges, forms.Form):
    """The options every import shares; a kind adds its own (the académie of the schools)."""

    fichier = forms.FileField(label="Fichier CSV", help_text="Séparateur « ; » ou « , », encodé en UTF-8.")
    departement = forms.CharField(
        label="Département", required=False, max_length=3, help_text="Facultatif : 11, 2A, 971…"
    )
    academie = forms.CharField(
        label="Académie",
        required=False,
        max_length=30,
        help_text="Facultatif : 11 ou Montpellier. Un agent d'une seule académie importe toujours dans la sienne.",
    )
    ignorer_invalides = forms.BooleanField(
        label="Ignorer les lignes invalides",
        required=False,
        help_text="Importer les lignes valides et signaler les autres. Sinon, un fichier qui contient une ligne "
        "rejetée n'importe rien.",
    )

    def clean_departement(self):
        return option_valide(departement_filtre, self.cleaned_data["departement"])

    def clean_academie(self):
        return option_valide(code_academie, self.cleaned_data["academie"])

    def options(self) -> dict:
        """The importer's keyword arguments, as stored with the run (JSON)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "fichier"}


class ImportEnArrierePlanMixin:
    """For the model admin of the records a kind of import writes: « Importer » on its list, and the upload page.

    Set `type_import`, `form_import`, `titre_import` and `introduction_import` (the page's explanation).
    """

    type_import: str
    form_import: type[ImportForm] = ImportForm
    titre_import: str
    introduction_import: str

    def get_urls(self):
        opts = self.model._meta
        nom = f"{opts.app_label}_{opts.model_name}_importer"
        return [path("importer/", self.admin_site.admin_view(self.importer_view), name=nom), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        peut = imports_fichiers.peut_importer(request.user, self.type_import)
        return super().changelist_view(request, {**(extra_context or {}), "peut_importer": peut})

    def importer_view(self, request):
        """Upload: the file is stored and its preview queued; the agent follows it on the run's page."""
        if not imports_fichiers.peut_importer(request.user, self.type_import):
            raise PermissionDenied
        form = self.form_import(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                import_ = imports_fichiers.lancer_apercu(
                    self.type_import, form.cleaned_data["fichier"], form.options(), request.user
                )
            except imports_fichiers.ImportImpossible as exc:
                form.add_error(None, str(exc))
        if request.method == "POST" and form.is_valid():
            messages.success(
                request,
                f"Le fichier « {import_.nom_fichier} » est déposé : son aperçu est calculé en arrière-plan, rien "
                "n'est encore enregistré.",
            )
            return HttpResponseRedirect(reverse("admin:collectivites_importfichier_change", args=[import_.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": self.titre_import,
            "introduction": self.introduction_import,
            "form": form,
        }
        return TemplateResponse(request, "admin/collectivites/importfichier/deposer.html", context)


@admin.register(ImportFichier)
class ImportFichierAdmin(AcademieScopedAdmin, admin.ModelAdmin):
    """The runs, read-only: they are started from the upload page of their kind, never typed in."""

    list_display = ["__str__", "etat", "cree_le", type_, "lance_par"]
    list_filter = [TypeFilter, "etat", "simulation"]
    list_select_related = ["lance_par"]
    search_fields = ["nom_fichier"]
    date_hierarchy = "cree_le"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        """Those who may import a kind follow its runs, without a right of their own on the runs."""
        if super().has_view_permission(request, obj):
            return True
        permis = imports_fichiers.types_permis(request.user)
        return bool(permis) if obj is None else obj.type in permis

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if super().has_view_permission(request):
            return queryset
        return queryset.filter(type__in=imports_fichiers.types_permis(request.user))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/confirmer/", view(self.confirmer_view), name="collectivites_importfichier_confirmer"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The run's page: its state, then its report, then what comes next (confirm a preview, import again)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The queryset holds only the kinds this user may follow: another kind's run is a 404.
        import_ = get_object_or_404(self.get_queryset(request).select_related("apercu"), pk=object_id)
        format_ = imports_fichiers.FORMATS[import_.type]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": str(import_),
            "import": import_,
            "rapport": imports_fichiers.rapport(import_),
            "confirmation": ImportFichier.objects.filter(apercu=import_).first(),
            "peut_confirmer": imports_fichiers.peut_confirmer(request.user, import_),
            "rafraichissement": None if import_.est_fini else RAFRAICHISSEMENT,
            "url_liste": reverse(format_.url_liste),
            "url_depot": reverse(format_.url_depot),
            "libelle_retour": format_.libelle_retour,
        }
        return TemplateResponse(request, "admin/collectivites/importfichier/suivi.html", context)

    def confirmer_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        apercu = get_object_or_404(ImportFichier.objects.for_user(request.user), pk=pk)
        if not imports_fichiers.peut_importer(request.user, apercu.type):
            raise PermissionDenied
        try:
            import_ = imports_fichiers.confirmer(apercu, request.user)
        except imports_fichiers.ImportImpossible as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("admin:collectivites_importfichier_change", args=[apercu.pk]))
        messages.success(request, f"L'import de « {import_.nom_fichier} » est lancé en arrière-plan.")
        return HttpResponseRedirect(reverse("admin:collectivites_importfichier_change", args=[import_.pk]))
