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
from django.utils import timezone
from django.utils.safestring import mark_safe

from documents.texte import ChampsTexteProteges
from jobs.admin import TypeFilter, type_
from jobs.progression import Bouton, Lien, Note, Progression
from jobs.progression import page as progression_page
from jobs.tabular import FichierIllisible, RapportImport

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
        """The run's page (jobs.progression): its state, then its report, then what comes next (confirm a preview,
        import again)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The queryset holds only the kinds this user may follow: another kind's run is a 404.
        import_ = get_object_or_404(self.get_queryset(request).select_related("apercu", "lance_par"), pk=object_id)
        progression = suivi(
            import_,
            rapport=imports_fichiers.rapport(import_),
            confirmation=ImportFichier.objects.filter(apercu=import_).first(),
            peut_confirmer=imports_fichiers.peut_confirmer(request.user, import_),
        )
        return progression_page(request, self, str(import_), progression)

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


def _le(moment) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y à %H:%M:%S}"


# Our own wording, without data: marked safe so that it reaches the page as typed (apostrophes included).
CONFIRMER = mark_safe("Confirmer l'import")
CORRIGER = mark_safe(
    "Corrigez le fichier, ou déposez-le à nouveau en cochant « Ignorer les lignes invalides » pour n'importer que "
    "les lignes valides."
)
APERCU = "Aperçu : rien n'est encore enregistré. Vérifiez le rapport ci-dessous"


def suivi(
    import_: ImportFichier, rapport: RapportImport | None, confirmation: ImportFichier | None, peut_confirmer: bool
) -> Progression:
    """An import run as the one progress page of background work shows it (jobs.progression)."""
    Etat = ImportFichier.Etat
    options = import_.options
    fiche: list = [
        ("Type", import_.libelle_type + (" — aperçu, rien n'est enregistré" if import_.simulation else "")),
        ("Fichier", import_.nom_fichier),
    ]
    precisions = [
        f"département {options['departement']}" if options.get("departement") else "",
        f"académie {options['academie']}" if options.get("academie") else "",
        "lignes invalides ignorées" if options.get("ignorer_invalides") else "",
    ]
    if any(precisions):
        fiche.append(("Options", ", ".join(p for p in precisions if p)))
    fiche.append(("Déposé", f"le {_le(import_.cree_le)}" + (f" par {import_.lance_par}" if import_.lance_par else "")))
    if import_.apercu_id:
        lien = reverse("admin:collectivites_importfichier_change", args=[import_.apercu_id])
        fiche.append(("Confirmé à partir de", Lien(f"aperçu n° {import_.apercu_id}", lien)))
    if confirmation is not None:
        lien = reverse("admin:collectivites_importfichier_change", args=[confirmation.pk])
        fiche.append(("Confirmé par", Lien(f"import n° {confirmation.pk}", lien)))

    if import_.etat == Etat.EN_ATTENTE:
        precision = "en attente d'un processus d'arrière-plan."
    elif import_.etat == Etat.EN_COURS:
        precision = f"depuis {timezone.localtime(import_.commence_le):%H:%M:%S}."
    else:
        precision = f"le {_le(import_.termine_le)}."

    notes = []
    if rapport and rapport.annule:
        notes.append(Note(CORRIGER))
    if rapport and import_.etat == Etat.TERMINE:
        if import_.simulation:
            notes.append(Note(mark_safe(APERCU + (", puis confirmez l'import." if peut_confirmer else "."))))
        else:
            notes.append(Note(rapport.statut))
    rien = import_.simulation and import_.etat == Etat.TERMINE and not (rapport and rapport.a_enregistrer)
    if rien and confirmation is None and not peut_confirmer:
        notes.append(Note("Rien à importer : le fichier ne change rien."))

    format_ = imports_fichiers.FORMATS[import_.type]
    url_liste, url_depot = reverse(format_.url_liste), reverse(format_.url_depot)
    if peut_confirmer:
        confirmer = reverse("admin:collectivites_importfichier_confirmer", args=[import_.pk])
        boutons = [Bouton(CONFIRMER, confirmer)]
        liens = [Lien("Annuler et déposer un autre fichier", url_depot), Lien(format_.libelle_retour, url_liste)]
    else:
        boutons = []
        liens = [Lien("Déposer un autre fichier", url_depot)] if import_.est_fini else []
        liens.append(Lien(format_.libelle_retour, url_liste))
    return Progression(
        etat=import_.etat,
        libelle_etat=import_.get_etat_display(),
        precision_etat=precision,
        fiche=fiche,
        rafraichissement=None if import_.est_fini else RAFRAICHISSEMENT,
        erreur=import_.erreur,
        notes=notes,
        rapport=rapport,
        boutons=boutons,
        liens=liens,
    )
