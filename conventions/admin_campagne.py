"""The campaign in the admin: the actions that start batches, their progress page, and the follow-up of a year.

The progress page refreshes itself with `<meta http-equiv="refresh">` (no script: the CSP forbids inline ones).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from collectivites.scoping import AcademieScopedAdmin
from documents.formats import date_longue, pluriel
from documents.texte import ChampsTexteProteges
from jobs.admin import TypeFilter, type_
from jobs.progression import Bouton, Lien, Ligne, Progression
from jobs.progression import page as progression_page

from .admin_confirmation import est_confirmee, page
from .admin_pdf import confirmation_envoi, trier_pour_envoi
from .annees import CHAMPS_ANNEE, PreparationImpossible
from .campagne import (
    FileIndisponible,
    conventions_non_retournees,
    lancer_envoi,
    lancer_preparation,
    reessayer,
    tableau_de_bord,
)
from .models import AnneeScolaire, Convention, ElementTraitement, Notification, Traitement
from .notifications import renvoyer

# Seconds between two refreshes of the progress page while the batch runs.
RAFRAICHISSEMENT = 3
BOUTON_REESSAYER = "Réessayer les échecs et remettre en file les éléments restants"


def _moment(moment, secondes: bool = False) -> str:
    """« 2 décembre 2026 à 14:03 », in the local time zone."""
    local = timezone.localtime(moment)
    return f"{date_longue(local.date())} à {local.strftime('%H:%M:%S' if secondes else '%H:%M')}"


def vers_traitements(request, traitements: list[Traitement]) -> HttpResponseRedirect | None:
    if not traitements:
        messages.warning(request, "Aucune convention de la sélection n'est concernée : aucun traitement lancé.")
        return None
    total = sum(t.elements.count() for t in traitements)
    messages.success(
        request,
        f"{pluriel(len(traitements), 'traitement lancé', 'traitements lancés')} "
        f"({pluriel(total, 'convention', 'conventions')}). Suivez l'avancement sur cette page.",
    )
    if len(traitements) == 1:
        return HttpResponseRedirect(reverse("admin:conventions_traitement_change", args=[traitements[0].pk]))
    return HttpResponseRedirect(reverse("admin:conventions_traitement_changelist"))


# --- Actions on conventions ---


def lancer_et_suivre(request, lancer, queryset) -> HttpResponseRedirect | None:
    """Starts batches (`lancer(queryset, user=…)`) and shows their progress, or says in French that the queue is away
    (nothing was started)."""
    try:
        return vers_traitements(request, lancer(queryset, user=request.user))
    except FileIndisponible as exc:
        messages.error(request, str(exc))
        return None


@admin.action(description="Envoyer pour signature en arrière-plan (PDF figé et e-mail)", permissions=["change"])
def envoyer_en_arriere_plan(modeladmin, request, queryset):
    a_envoyer, refus = trier_pour_envoi(queryset, [Convention.Etat.BROUILLON, Convention.Etat.ENVOYEE])
    if not est_confirmee(request):
        consequence = (
            "Un traitement en arrière-plan fige le PDF de chaque brouillon et envoie l'e-mail « convention prête à "
            "signer » à chaque collectivité, à l'adresse indiquée ; pour une convention déjà envoyée, seul un e-mail "
            "qui n'était pas parti est envoyé. Vous suivez l'avancement sur la page du traitement."
        )
        confirmation = confirmation_envoi(a_envoyer, refus, consequence, "Lancer l'envoi en arrière-plan")
        return page(modeladmin, request, queryset, "envoyer_en_arriere_plan", confirmation)
    selection = queryset.filter(pk__in=[convention.pk for convention in a_envoyer])
    return lancer_et_suivre(request, lancer_envoi, selection)


# --- « Préparer l'année » on school years ---


class PreparationForm(ChampsTexteProteges, forms.Form):
    libelle = forms.CharField(label="Année à préparer", max_length=9, help_text="Par exemple 2022-2023")
    tarif_par_ecole = forms.DecimalField(label="Participation par école (€ TTC)", max_digits=8, decimal_places=2)
    signataire_prenom = forms.CharField(label="Prénom du signataire de l'académie", max_length=100)
    signataire_nom = forms.CharField(label="Nom du signataire de l'académie", max_length=100)
    signataire_titre = forms.CharField(label="Titre du signataire", widget=forms.Textarea(attrs={"rows": 3}))

    @classmethod
    def initial_from(cls, precedente: AnneeScolaire) -> dict:
        suivante = f"{precedente.premiere_annee + 1}-{precedente.premiere_annee + 2}"
        return {"libelle": suivante, **{name: getattr(precedente, name) for name in CHAMPS_ANNEE}}


@admin.action(description="Préparer l'année suivante à partir de cette année", permissions=["add"])
def preparer_annee(modeladmin, request, queryset):
    if queryset.count() != 1:
        messages.error(request, "Choisissez une seule année scolaire : celle dont les conventions sont reprises.")
        return None
    precedente = queryset.get()
    form = PreparationForm(request.POST if "confirmer" in request.POST else None)
    if form.is_bound and form.is_valid():
        valeurs = {name: form.cleaned_data[name] for name in CHAMPS_ANNEE}
        try:
            traitement = lancer_preparation(form.cleaned_data["libelle"], precedente, user=request.user, **valeurs)
        except (PreparationImpossible, FileIndisponible) as exc:
            form.add_error(None, str(exc))
        else:
            return vers_traitements(request, [traitement])
    if not form.is_bound:
        form = PreparationForm(initial=PreparationForm.initial_from(precedente))
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"Préparer l'année suivante à partir de {precedente}",
        "opts": modeladmin.model._meta,
        "precedente": precedente,
        "nb_conventions": precedente.conventions.signees().count(),
        "form": form,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/conventions/campagne/preparer_annee.html", context)


# --- The batches: list, progress, retry, and the follow-up of a year ---


@admin.register(Traitement)
class TraitementAdmin(AcademieScopedAdmin, admin.ModelAdmin):
    list_display = ["__str__", type_, "annee", "lance_le", "lance_par", "avancement", "nb_echecs", "termine_le"]
    list_filter = [TypeFilter, "annee"]
    list_select_related = ["annee", "lance_par"]
    change_list_template = "admin/conventions/campagne/traitement_changelist.html"

    def get_queryset(self, request):
        return super().get_queryset(request).with_compteurs()

    @admin.display(description="avancement")
    def avancement(self, obj):
        return f"{obj.nb_faits + obj.nb_echecs} / {obj.nb_total}"

    @admin.display(description="échecs", ordering="nb_echecs")
    def nb_echecs(self, obj):
        return obj.nb_echecs

    def has_add_permission(self, request):
        return False  # a batch is started by an action, never typed in

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("suivi/", view(self.suivi_view), name="conventions_traitement_suivi"),
            path("<int:pk>/reessayer/", view(self.reessayer_view), name="conventions_traitement_reessayer"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The progress page (jobs.progression): counters, the failures with their reason, the report of every item."""
        traitement = get_object_or_404(self.get_queryset(request).select_related("annee", "lance_par"), pk=object_id)
        if not self.has_view_or_change_permission(request, traitement):
            raise PermissionDenied
        compteurs = traitement.compteurs()
        # Failures first (they need the agent), then the rest in the batch's order.
        echecs_d_abord = Case(When(etat=ElementTraitement.Etat.ECHEC, then=0), default=1)
        elements = traitement.elements.select_related("convention__collectivite").order_by(echecs_d_abord, "pk")
        peut_reessayer = self.has_change_permission(request, traitement)
        reessayer = reverse("admin:conventions_traitement_reessayer", args=[traitement.pk])
        a_reessayer = compteurs["echecs"] or (compteurs["restants"] and traitement.termine_le is None)
        fiche = [
            ("Type", traitement.libelle_type),
            ("Année scolaire", str(traitement.annee)),
            (
                "Lancé le",
                _moment(traitement.lance_le) + (f" par {traitement.lance_par}" if traitement.lance_par else ""),
            ),
        ]
        if traitement.termine_le:
            fiche.append(("Terminé le", _moment(traitement.termine_le, secondes=True)))
        progression = Progression(
            etat="termine" if traitement.termine_le else "en_cours",
            libelle_etat="Terminé" if traitement.termine_le else "En cours",
            fiche=fiche,
            rafraichissement=RAFRAICHISSEMENT if traitement.termine_le is None else None,
            compteurs=compteurs,
            boutons=[Bouton(BOUTON_REESSAYER, reessayer)] if peut_reessayer and a_reessayer else [],
            titre_elements="Compte rendu par convention",
            colonnes=["Convention", "Collectivité"],
            elements=(
                Ligne(
                    element,
                    [
                        Lien(
                            element.convention.reference,
                            reverse("admin:conventions_convention_change", args=[element.convention_id]),
                        ),
                        str(element.convention.collectivite),
                    ],
                )
                for element in elements
            ),
            reessayer=Bouton("Réessayer", reessayer) if peut_reessayer else None,
            aucun_element="Aucune convention n'était concernée.",
        )
        return progression_page(request, self, str(traitement), progression)

    def reessayer_view(self, request, pk):
        traitement = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, traitement):
            raise PermissionDenied
        element = request.POST.get("element")
        element_ids = [int(element)] if element and element.isdigit() else None
        try:
            n = reessayer(traitement, element_ids)
        except FileIndisponible as exc:
            messages.error(request, str(exc))
            n = None
        if n:
            messages.success(request, f"{pluriel(n, 'élément remis', 'éléments remis')} en file d'attente.")
        elif n == 0:
            messages.info(request, "Aucun élément à réessayer.")
        return HttpResponseRedirect(reverse("admin:conventions_traitement_change", args=[traitement.pk]))

    def suivi_view(self, request):
        """Follow-up of a year, per département, and the collectivités that have not returned their convention."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        annees = list(AnneeScolaire.objects.for_user(request.user).select_related("academie"))
        annee = next((a for a in annees if str(a.pk) == request.GET.get("annee")), annees[0] if annees else None)
        departement = request.GET.get("departement", "")
        context = {
            **self.admin_site.each_context(request),
            "title": "Suivi de campagne",
            "opts": self.model._meta,
            "annees": annees,
            "annee": annee,
            "departement": departement,
        }
        if annee is not None:
            context["tableau"] = tableau_de_bord(annee)
            context["non_retournees"] = conventions_non_retournees(annee, departement or None)
        return TemplateResponse(request, "admin/conventions/campagne/suivi.html", context)


@admin.action(description="Renvoyer les e-mails en échec", permissions=["renvoyer"])
def renvoyer_les_echecs(modeladmin, request, queryset):
    try:
        nombre = renvoyer(queryset)
    except FileIndisponible as exc:
        modeladmin.message_user(request, str(exc), messages.ERROR)
        return
    if nombre:
        modeladmin.message_user(
            request, f"{pluriel(nombre, 'e-mail en échec remis', 'e-mails en échec remis')} en envoi.", messages.SUCCESS
        )
    else:
        modeladmin.message_user(request, "Aucun e-mail en échec dans la sélection.", messages.WARNING)


@admin.register(Notification)
class NotificationAdmin(AcademieScopedAdmin, admin.ModelAdmin):
    """The e-mails of the campaign: a record to read, never to edit; the failed ones can be sent again."""

    list_display = ["envoyee_le", type_, "convention", "destinataires", "sujet", "etat", "tentatives", "erreur"]
    list_filter = ["etat", TypeFilter, "convention__annee"]
    actions = [renvoyer_les_echecs]
    exclude = ["corps_html"]

    def has_renvoyer_permission(self, request):
        return request.user.has_perm("conventions.change_convention")

    list_select_related = ["convention__collectivite", "convention__commune"]
    search_fields = ["convention__reference", "destinataires", "sujet"]
    date_hierarchy = "envoyee_le"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
