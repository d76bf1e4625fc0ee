"""Facturation in the admin: titres (read-only, issued and cancelled through the services), payments, reminders,
exports, the finance summary, and the « issue now » action added to the conventions' admin.

Rights (facturation/migrations/0003): "Finances" issues, exports, records payments and sends reminders;
"Gestion ENT" only looks. Nobody, not even a superuser, changes or deletes an issued titre here.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from collectivites.destinataires import destinataires, motif_sans_destinataire, prefetch_representants
from collectivites.scoping import AcademieScopedAdmin
from conventions.admin import Extension, etendre
from conventions.admin_campagne import lancer_et_suivre
from conventions.admin_confirmation import CONFIRMER, Confirmation, Ligne, adresses, est_confirmee, page
from conventions.models import Convention
from documents.formats import euros, pluriel
from documents.texte import ChampsTexteProteges

from . import exports
from .campagne import lancer_emission
from .models import Paiement, ParametresFacturation, Relance, TitreDePerception
from .pdf import PdfTitreAltere, pdf_stocke
from .pdf import liquidation as texte_liquidation
from .services import (
    FacturationImpossible,
    annuler_titre,
    emettre_serie,
    enregistrer_paiement,
    envoyer_relance,
    verifier_paiement,
)
from .signatures import etat_signature
from .syntheses import synthese_exercice, synthese_participations

# Beyond this many conventions, the synchronous action asks for the background one (each titre takes ~0.3 s).
EMISSION_IMMEDIATE_MAX = 50


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Settings per académie ---


@admin.register(ParametresFacturation)
class ParametresFacturationAdmin(AcademieScopedAdmin, SimpleHistoryAdmin):
    list_display = ["academie", "ordonnateur_nom", "comptable_nom", "iban_affiche", "delai_paiement_jours"]
    list_select_related = ["academie"]
    fieldsets = [
        (None, {"fields": ["academie"]}),
        ("Ordonnateur", {"fields": ["ordonnateur_nom", "ordonnateur_titre", "siret"]}),
        ("Comptable assignataire", {"fields": ["comptable_nom", "comptable_adresse"]}),
        ("Paiement", {"fields": ["titulaire_compte", "iban", "bic", "delai_paiement_jours"]}),
    ]

    @admin.display(description="IBAN")
    def iban_affiche(self, obj):
        return obj.iban_affiche


# --- Titres ---


class EtatFilter(admin.SimpleListFilter):
    title = "état"
    parameter_name = "etat"

    def lookups(self, request, model_admin):
        return [
            *TitreDePerception.Etat.choices,
            ("en_retard", "En retard de paiement"),
            ("annulation", "Titres d'annulation"),
        ]

    def queryset(self, request, queryset):
        filters = {
            TitreDePerception.Etat.EMIS: queryset.emis,
            TitreDePerception.Etat.PARTIELLEMENT_PAYE: queryset.partiellement_payes,
            TitreDePerception.Etat.PAYE: queryset.payes,
            TitreDePerception.Etat.ANNULE: queryset.annules,
            "en_retard": queryset.en_retard,
            "annulation": queryset.annulations,
        }
        return filters[self.value()]() if self.value() in filters else queryset


class PaiementInline(admin.TabularInline):
    model = Paiement
    fields = ["date", "montant", "moyen", "reference", "enregistre_par", "enregistre_le"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RelanceInline(admin.TabularInline):
    model = Relance
    fields = ["envoyee_le", "destinataires", "reste_a_payer", "envoyee_par"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AnnulationForm(ChampsTexteProteges, forms.Form):
    motif = forms.CharField(
        label="Motif de l'annulation",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Il figure sur le titre d'annulation envoyé à la collectivité.",
    )


@admin.register(TitreDePerception)
class TitreDePerceptionAdmin(AcademieScopedAdmin, admin.ModelAdmin):
    # State first, then what a finance officer decides from; a cancelling titre is told by its « état » filter.
    list_display = [
        "etat_affiche",
        "numero",
        "debiteur",
        "date_echeance",
        "montant_affiche",
        "paye_affiche",
        "reste_affiche",
        "derniere_relance",
    ]
    academie_filter = "academie"
    list_filter = ["annee_budgetaire", EtatFilter, "debiteur_departement", "annee_scolaire"]
    search_fields = ["numero", "debiteur_nom", "debiteur_siren", "convention_reference"]
    date_hierarchy = "date_emission"
    list_per_page = 50
    actions = ["exporter_csv", "exporter_xlsx", "exporter_zip", "envoyer_relances"]
    inlines = [PaiementInline, RelanceInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "numero",
                    "nature",
                    "etat_affiche",
                    "annule",
                    "titre_annulation_lien",
                    "motif_annulation",
                    "convention",
                    "document",
                ]
            },
        ),
        (
            "Montant",
            {"fields": ["montant_affiche", "montant_en_lettres", "paye_affiche", "reste_affiche", "date_echeance"]},
        ),
        ("Émission", {"fields": ["annee_budgetaire", "date_emission", "emis_le", "emis_par", "lieu_emission"]}),
        (
            "Émetteur",
            {
                "fields": [
                    "emetteur_nom",
                    "emetteur_adresse",
                    "emetteur_code_postal",
                    "emetteur_ville",
                    "emetteur_siret",
                    "ordonnateur_nom",
                    "ordonnateur_titre",
                ]
            },
        ),
        (
            "Débiteur",
            {
                "fields": [
                    "debiteur_nom",
                    "debiteur_commune",
                    "debiteur_adresse",
                    "debiteur_code_postal",
                    "debiteur_ville",
                    "debiteur_departement",
                    "debiteur_siren",
                    "debiteur_siret",
                    "debiteur_code_service_chorus",
                    "debiteur_numero_engagement",
                ]
            },
        ),
        (
            "Objet et liquidation",
            {
                "fields": [
                    "objet",
                    "convention_reference",
                    "convention_date_signature",
                    "annee_scolaire",
                    "liste_ecoles",
                    "liquidation",
                ]
            },
        ),
        ("Paiement", {"fields": ["comptable_nom", "comptable_adresse", "titulaire_compte", "iban", "bic"]}),
        ("Document", {"fields": ["pdf_sha256", "signature_electronique"]}),
    ]

    def get_queryset(self, request):
        derniere_relance = Relance.objects.filter(titre=OuterRef("pk")).order_by("-envoyee_le").values("envoyee_le")
        return (
            super()
            .get_queryset(request)
            .with_paiements()
            .select_related("annule", "titre_annulation", "emis_par")
            .annotate(derniere_relance_annot=Subquery(derniere_relance[:1]))
        )

    def get_readonly_fields(self, request, obj=None):
        # Every field, and the computed ones: the admin shows a titre, it never edits one.
        names = [name for _, options in self.fieldsets for name in options["fields"]]
        return names

    # An issued titre is never added by a form, changed or deleted: the services issue and cancel.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_exporter_permission(self, request):
        return request.user.has_perm("facturation.exporter_titres")

    def has_relancer_permission(self, request):
        return request.user.has_perm("facturation.add_relance")

    # --- columns ---
    @admin.display(description="débiteur", ordering="debiteur_nom")
    def debiteur(self, obj):
        return f"{obj.debiteur_nom} ({obj.debiteur_commune})" if obj.debiteur_commune else obj.debiteur_nom

    @admin.display(description="nature")
    def nature(self, obj):
        return "Annulation" if obj.est_annulation else "Titre"

    @admin.display(description="montant", ordering="montant")
    def montant_affiche(self, obj):
        return euros(obj.montant)

    @admin.display(description="payé")
    def paye_affiche(self, obj):
        return euros(obj.montant_paye) if not obj.est_annulation else "—"

    @admin.display(description="reste à payer")
    def reste_affiche(self, obj):
        return euros(obj.reste_a_payer) if not obj.est_annulation else "—"

    @admin.display(description="état")
    def etat_affiche(self, obj):
        if obj.est_annulation:
            return "Titre d'annulation"
        return obj.etat_affiche

    @admin.display(description="dernière relance", ordering="derniere_relance_annot")
    def derniere_relance(self, obj):
        date = getattr(obj, "derniere_relance_annot", None)
        return timezone.localtime(date).strftime("%d/%m/%Y") if date else "—"

    @admin.display(description="titre d'annulation")
    def titre_annulation_lien(self, obj):
        annulation = getattr(obj, "titre_annulation", None) if not obj.est_annulation else None
        if annulation is None:
            return "—"
        url = reverse("admin:facturation_titredeperception_change", args=[annulation.pk])
        return format_html('<a href="{}">{}</a>', url, annulation)

    @admin.display(description="PDF émis")
    def document(self, obj):
        url = reverse("admin:facturation_titredeperception_pdf", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.nom_fichier)

    @admin.display(description="signature électronique")
    def signature_electronique(self, obj):
        return etat_signature(obj)

    @admin.display(description="écoles")
    def liste_ecoles(self, obj):
        return ", ".join(f"{ecole['uai']} – {ecole['nom']}" for ecole in obj.ecoles)

    @admin.display(description="liquidation")
    def liquidation(self, obj):
        return texte_liquidation(obj)

    # --- pages ---
    def get_urls(self):
        own = [
            path("synthese/", self.admin_site.admin_view(self.synthese_view), name="facturation_synthese"),
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="facturation_titredeperception_pdf",
            ),
            path(
                "<int:pk>/annuler/",
                self.admin_site.admin_view(self.annuler_view),
                name="facturation_titredeperception_annuler",
            ),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        titre = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if titre is not None:
            user = request.user
            extra_context.update(
                peut_payer=user.has_perm("facturation.add_paiement") and titre.reste_a_payer > 0,
                peut_annuler=user.has_perm("facturation.emettre_titre")
                and not titre.est_annulation
                and not titre.est_annule
                and titre.montant_paye == 0,
                paiement_url=reverse("admin:facturation_paiement_add") + f"?titre={titre.pk}",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def pdf_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        titre = get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            filename, content_type, content = pdf_stocke(titre)
        except PdfTitreAltere as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("admin:facturation_titredeperception_change", args=[pk]))
        response = _download(content, filename, content_type)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response

    def annuler_view(self, request, pk):
        if not request.user.has_perm("facturation.emettre_titre"):
            raise PermissionDenied
        titre = get_object_or_404(self.get_queryset(request), pk=pk)
        form = AnnulationForm(request.POST if est_confirmee(request) else None)
        if form.is_bound and form.is_valid():
            try:
                annulation = annuler_titre(titre, form.cleaned_data["motif"], user=request.user)
            except FacturationImpossible as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Le titre n° {titre.numero} est annulé par le titre n° {annulation.numero}. La convention "
                    f"{titre.convention_reference} peut recevoir un nouveau titre.",
                )
                return HttpResponseRedirect(reverse("admin:facturation_titredeperception_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Annuler le titre n° {titre.numero}",
            "titre": titre,
            "montant": euros(titre.montant),
            "date": timezone.localdate(),
            "form": form,
            "confirmer": CONFIRMER,
        }
        return TemplateResponse(request, "admin/facturation/annuler.html", context)

    def synthese_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        avec_titres = set(self.get_queryset(request).values_list("annee_budgetaire", flat=True).distinct())
        exercices = sorted(avec_titres | {timezone.localdate().year}, reverse=True)
        # By default every budget year: what is still owed, and overdue, whatever the year it was issued.
        choisi = request.GET.get("exercice", "")
        exercice = int(choisi) if choisi.isdigit() else None
        participations = synthese_participations(request.user, request.GET.get("annee") or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Synthèse financière – exercice {exercice}"
            if exercice
            else "Synthèse financière – tous les exercices",
            "exercices": exercices,
            "exercice": exercice,
            "synthese": synthese_exercice(request.user, exercice),
            "participations": participations,
            "en_retard_url": reverse("admin:facturation_titredeperception_changelist") + "?etat=en_retard",
        }
        return TemplateResponse(request, "admin/facturation/synthese.html", context)

    # --- actions ---
    def _export(self, request, queryset, format_):
        titres = exports.titres_a_exporter(queryset)
        exercices = {titre.annee_budgetaire for titre in titres}
        content, content_type = exports.exporter(format_, titres)
        exercice = exercices.pop() if len(exercices) == 1 else None
        return _download(content, exports.nom_fichier(format_, exercice), content_type)

    @admin.action(description="Exporter en CSV (tableur)", permissions=["exporter"])
    def exporter_csv(self, request, queryset):
        return self._export(request, queryset, "csv")

    @admin.action(description="Exporter en XLSX (Excel)", permissions=["exporter"])
    def exporter_xlsx(self, request, queryset):
        return self._export(request, queryset, "xlsx")

    @admin.action(description="Télécharger les PDF (ZIP)", permissions=["exporter"])
    def exporter_zip(self, request, queryset):
        try:
            return self._export(request, queryset, "zip")
        except PdfTitreAltere as exc:
            messages.error(request, str(exc))
            return None

    @admin.action(description="Envoyer une relance aux collectivités (titres en retard)", permissions=["relancer"])
    def envoyer_relances(self, request, queryset):
        if not est_confirmee(request):
            return page(self, request, queryset, "envoyer_relances", confirmation_relances(queryset))
        envoyees, refus = 0, []
        for titre in queryset.order_by("annee_budgetaire", "sequence"):
            try:
                envoyer_relance(titre, user=request.user)
            except FacturationImpossible as exc:
                refus.append(str(exc))
            else:
                envoyees += 1
        if envoyees:
            messages.success(request, f"{pluriel(envoyees, 'relance envoyée', 'relances envoyées')}.")
        for message in refus:
            messages.warning(request, message)


def confirmation_relances(queryset) -> Confirmation:
    """Reminders go only for overdue titres, to the addresses of the contact rule, with the titre attached."""
    titres = queryset.select_related("convention__collectivite").prefetch_related(
        prefetch_representants("convention__collectivite__")
    )
    lignes, refus = [], []
    for titre in titres.order_by("annee_budgetaire", "sequence"):
        collectivite = titre.convention.collectivite
        if not titre.est_en_retard():
            refus.append((str(titre), "il n'est pas en retard de paiement."))
        elif not destinataires(collectivite):
            refus.append((str(titre), motif_sans_destinataire(collectivite)))
        else:
            lignes.append(Ligne(f"{titre} – {titre.debiteur_nom}", titre.reste_a_payer, adresses(collectivite)))
    return Confirmation(
        titre="Envoyer les relances",
        consequence=(
            "Un e-mail de relance, avec le titre de perception joint, part à chaque collectivité en retard de "
            "paiement, à l'adresse indiquée ; chaque relance est enregistrée sur son titre."
        ),
        bouton="Envoyer les relances",
        unite=("relance", "relances"),
        lignes=lignes,
        refus=refus,
        date=timezone.localdate(),
        libelle_date="Date de la relance",
        libelle_montant="Reste à payer",
    )


def confirmation_emission(queryset) -> Confirmation:
    """Issuing titres: legal numbers, never given back. The signed conventions, each with its amount and where the
    « titre émis » e-mail goes; the others refused, and so is a convention that already has its live titre."""
    conventions = queryset.select_related("annee", "collectivite", "commune").prefetch_related(
        prefetch_representants("collectivite__")
    )
    deja = dict(TitreDePerception.objects.vivants().filter(convention__in=queryset).values_list("convention", "numero"))
    lignes, refus = [], []
    for convention in conventions.order_by("reference"):
        if convention.etat != Convention.Etat.SIGNEE:
            refus.append((str(convention), f"elle est à l'état « {convention.get_etat_display()} »."))
        elif convention.pk in deja:
            refus.append((str(convention), f"elle a déjà le titre n° {deja[convention.pk]}."))
        else:
            lignes.append(
                Ligne(str(convention), convention.participation, adresses(convention.collectivite), pk=convention.pk)
            )
    return Confirmation(
        titre="Émettre les titres de perception",
        consequence=(
            "Chaque convention signée reçoit un titre de perception, avec un numéro définitif de l'exercice : un "
            "titre émis ne se modifie ni ne se supprime, une erreur se corrige par un titre d'annulation. Un e-mail "
            "« titre émis » part à chaque collectivité, à l'adresse indiquée. Une convention qui a déjà son titre "
            "n'en reçoit pas de second."
        ),
        bouton="Émettre les titres",
        unite=("titre à émettre", "titres à émettre"),
        lignes=lignes,
        refus=refus,
        date=timezone.localdate(),
        libelle_date="Date d'émission",
    )


# --- Payments ---


class PaiementForm(forms.ModelForm):
    class Meta:
        model = Paiement
        fields = ["titre", "date", "montant", "moyen", "reference"]
        # A French finance officer types "50,00".
        localized_fields = ["montant"]

    def clean(self):
        """Explains, before saving, what enregistrer_paiement refuses (it checks again under lock)."""
        cleaned = super().clean()
        titre, date, montant = cleaned.get("titre"), cleaned.get("date"), cleaned.get("montant")
        if titre is not None and date is not None and montant is not None:
            try:
                verifier_paiement(titre, date, montant, cleaned.get("reference", ""))
            except FacturationImpossible as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned


@admin.register(Paiement)
class PaiementAdmin(AcademieScopedAdmin, SimpleHistoryAdmin):
    form = PaiementForm
    list_display = ["titre", "debiteur", "date", "montant_affiche", "moyen", "reference", "enregistre_par"]
    list_filter = ["moyen", "titre__annee_budgetaire"]
    list_select_related = ["titre", "enregistre_par"]
    search_fields = ["titre__numero", "titre__debiteur_nom", "reference"]
    autocomplete_fields = ["titre"]
    date_hierarchy = "date"

    @admin.display(description="débiteur", ordering="titre__debiteur_nom")
    def debiteur(self, obj):
        return obj.titre.debiteur_nom

    @admin.display(description="montant", ordering="montant")
    def montant_affiche(self, obj):
        return euros(obj.montant)

    def get_readonly_fields(self, request, obj=None):
        return ["titre", "date", "montant", "moyen", "reference", "enregistre_par", "enregistre_le"] if obj else []

    # A payment is an accounting record: recorded once, never edited here.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        paiement = enregistrer_paiement(
            data["titre"], data["date"], data["montant"], data["moyen"], data["reference"], user=request.user
        )
        obj.pk = paiement.pk
        messages.info(
            request,
            f"Titre n° {paiement.titre.numero} : reste à payer {euros(paiement.titre.reste_a_payer)}.",
        )

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(reverse("admin:facturation_titredeperception_change", args=[obj.titre_id]))


@admin.register(Relance)
class RelanceAdmin(AcademieScopedAdmin, admin.ModelAdmin):
    list_display = ["titre", "envoyee_le", "destinataires", "reste_a_payer", "envoyee_par"]
    list_select_related = ["titre", "envoyee_par"]
    search_fields = ["titre__numero", "destinataires"]
    readonly_fields = list_display

    # Reminders are sent by the titres' action, which records them.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Issuing from the conventions' admin (conventions.admin.Extension) ---


@admin.action(description="Émettre les titres de perception maintenant (conventions signées)")
def emettre_titres(modeladmin, request, queryset):
    if queryset.count() > EMISSION_IMMEDIATE_MAX:
        messages.error(
            request,
            f"Plus de {EMISSION_IMMEDIATE_MAX} conventions sélectionnées : utilisez l'émission en arrière-plan.",
        )
        return None
    if not est_confirmee(request):
        return page(modeladmin, request, queryset, "emettre_titres", confirmation_emission(queryset))
    bilan = emettre_serie(queryset, user=request.user)
    if bilan.emis:
        numeros = ", ".join(titre.numero for titre in bilan.emis)
        messages.success(request, f"{pluriel(len(bilan.emis), 'titre émis', 'titres émis')} : {numeros}.")
    for message in [*bilan.avertissements, *(motif for _, motif in bilan.refus)]:
        messages.warning(request, message)
    return None


@admin.action(description="Émettre les titres de perception en arrière-plan (conventions signées)")
def emettre_titres_en_arriere_plan(modeladmin, request, queryset):
    if not est_confirmee(request):
        return page(modeladmin, request, queryset, "emettre_titres_en_arriere_plan", confirmation_emission(queryset))
    return lancer_et_suivre(request, lancer_emission, queryset)


def _avec_titre_en_cours(queryset):
    vivant = TitreDePerception.objects.vivants().filter(convention=OuterRef("pk")).order_by("-pk")
    return queryset.annotate(numero_titre_annot=Subquery(vivant.values("numero")[:1]))


@admin.display(description="titre de perception")
def titre_en_cours(convention):
    return getattr(convention, "numero_titre_annot", None) or "—"


def boutons(convention) -> list[tuple[str, str]]:
    """On a signed convention's page without its titre: issue it (through the same confirmation page)."""
    if convention.etat != Convention.Etat.SIGNEE:
        return []
    if TitreDePerception.objects.vivants().filter(convention=convention).exists():
        return []
    return [("emettre_titres", "Émettre le titre de perception")]


etendre(
    Extension(
        actions=(emettre_titres_en_arriere_plan, emettre_titres),
        permission="facturation.emettre_titre",
        colonnes=(titre_en_cours,),
        annoter=_avec_titre_en_cours,
        boutons=boutons,
    )
)
