"""The convention PDF in the admin: preview, download, "envoyer pour signature" now, "remettre en brouillon".

Media files are not served publicly: every PDF goes through the admin's permission check. A draft's PDF is a fresh
preview marked "PROJET"; a sent convention's is the frozen copy, byte for byte (conventions.documents.convention_pdf).
"""

import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from collectivites.destinataires import destinataires, motif_sans_destinataire, prefetch_representants
from documents.formats import pluriel
from documents.texte import ChampsTexteProteges

from .admin_confirmation import OBJET, Confirmation, Ligne, adresses, est_confirmee, page
from .documents import convention_pdf
from .models import Convention
from .notifications import NotificationImpossible, notifier_convention_prete
from .services import TransitionInterdite, envoyer_pour_signature, revenir_en_brouillon
from .tasks import raison_echec

logger = logging.getLogger(__name__)


def trier_pour_envoi(queryset, etats) -> tuple[list, list[tuple[str, str]]]:
    """The conventions that can be sent, and the others with the reason, before anything is sent: one in another
    state, one with no school in Annexe 1, one whose collectivité has nobody to write to (collectivites.destinataires).
    """
    conventions = (
        queryset.select_related("annee", "collectivite", "commune")
        .prefetch_related(prefetch_representants("collectivite__"))
        .order_by("reference")
    )
    a_envoyer, refus = [], []
    for convention in conventions:
        if convention.etat not in etats:
            refus.append((str(convention), f"elle est à l'état « {convention.get_etat_display()} »."))
        elif not convention.nb_ecoles:
            refus.append((str(convention), "aucune école n'est inscrite à l'annexe 1."))
        elif not destinataires(convention.collectivite):
            refus.append((str(convention), motif_sans_destinataire(convention.collectivite)))
        else:
            a_envoyer.append(convention)
    return a_envoyer, refus


def confirmation_envoi(a_envoyer, refus, consequence: str, bouton: str) -> Confirmation:
    return Confirmation(
        titre="Envoyer pour signature",
        consequence=consequence,
        bouton=bouton,
        unite=("convention", "conventions"),
        lignes=[Ligne(str(c), c.participation, adresses(c.collectivite)) for c in a_envoyer],
        refus=refus,
        date=timezone.localdate(),
        libelle_date="Date d'envoi",
        libelle_montant="Participation",
    )


@admin.action(description="Envoyer pour signature maintenant (fige le PDF)", permissions=["change"])
def envoyer_pour_signature_maintenant(modeladmin, request, queryset):
    """Renders and freezes each PDF in this request (about 0.2 s each), then tells the collectivité as the
    background action does: for a few conventions; the campaign's background action is meant for a whole year."""
    a_envoyer, refus = trier_pour_envoi(queryset, [Convention.Etat.BROUILLON])
    if not est_confirmee(request):
        consequence = (
            "Le PDF de chaque convention est figé (il ne pourra plus changer sans un retour en brouillon motivé) et "
            "un e-mail « convention prête à signer » part à chaque collectivité, à l'adresse indiquée."
        )
        confirmation = confirmation_envoi(a_envoyer, refus, consequence, "Envoyer pour signature maintenant")
        return page(modeladmin, request, queryset, "envoyer_pour_signature_maintenant", confirmation)
    envoyees = []
    for objet, motif in refus:
        modeladmin.message_user(request, f"{objet} non envoyée : {motif}", messages.WARNING)
    for convention in a_envoyer:
        try:
            envoyer_pour_signature(convention, user=request.user)
        except Exception as exc:
            # One convention that cannot be sent is reported with its reason; the others are sent.
            if isinstance(exc, TransitionInterdite):
                modeladmin.message_user(request, str(exc), messages.ERROR)
            else:
                logger.exception("Envoi de la convention %s impossible", convention.reference)
                modeladmin.message_user(request, f"{convention.reference} : {raison_echec(exc)}", messages.ERROR)
            continue
        envoyees.append(convention.reference)
        _annoncer(modeladmin, request, convention)
    if envoyees:
        modeladmin.message_user(
            request,
            f"{pluriel(len(envoyees), 'convention envoyée', 'conventions envoyées')} pour signature, PDF figé : "
            f"{', '.join(envoyees)}.",
            messages.SUCCESS,
        )


def _annoncer(modeladmin, request, convention) -> None:
    """The "convention prête" e-mail; the convention stays sent if it cannot go (the agent is told why, and resends
    it from « Notifications » once the cause is fixed)."""
    try:
        notification = notifier_convention_prete(convention)
    except NotificationImpossible as exc:
        raison = str(exc)
    else:
        if notification is None or notification.etat != notification.Etat.ECHEC:
            return
        raison = notification.erreur
    modeladmin.message_user(
        request, f"Convention {convention.reference} envoyée, mais e-mail non parti : {raison}", messages.WARNING
    )


class MotifForm(ChampsTexteProteges, forms.Form):
    motif = forms.CharField(
        label="Motif du retour en brouillon",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Par exemple : erreur dans la liste des écoles signalée par la collectivité.",
    )


@admin.action(description="Remettre en brouillon (supprime le PDF envoyé, motif obligatoire)", permissions=["change"])
def remettre_en_brouillon(modeladmin, request, queryset):
    """A recorded decision: a page asks for the reason, then each convention goes back to draft with it."""
    form = MotifForm(request.POST if "confirmer" in request.POST else None)
    if form.is_bound and form.is_valid():
        remises = []
        for convention in queryset.order_by("reference"):
            try:
                revenir_en_brouillon(convention, form.cleaned_data["motif"], user=request.user)
            except TransitionInterdite as exc:
                modeladmin.message_user(request, str(exc), messages.ERROR)
            else:
                remises.append(convention.reference)
        if remises:
            modeladmin.message_user(
                request,
                f"{pluriel(len(remises), 'convention remise', 'conventions remises')} en brouillon : "
                f"{', '.join(remises)}.",
                messages.SUCCESS,
            )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Remettre en brouillon",
        "opts": modeladmin.model._meta,
        "conventions": queryset.select_related("collectivite", "commune").order_by("reference"),
        "form": form,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "objet": request.POST.get(OBJET, "") if request.POST.get(OBJET, "").isdigit() else "",
    }
    return TemplateResponse(request, "admin/conventions/convention/remettre_en_brouillon.html", context)


class ConventionPdfAdminMixin:
    """Adds the PDF views and their links to the convention's admin."""

    def get_urls(self):
        apercu = self.admin_site.admin_view(self.pdf_apercu)
        telechargement = self.admin_site.admin_view(self.pdf_telechargement)
        return [
            path("<int:pk>/pdf/", apercu, name="conventions_convention_pdf"),
            path("<int:pk>/pdf/telecharger/", telechargement, name="conventions_convention_pdf_telecharger"),
            *super().get_urls(),
        ]

    def _pdf_response(self, request, pk: int, as_attachment: bool) -> HttpResponse:
        convention = self.get_object(request, str(pk))
        if convention is None:
            raise Http404("Convention introuvable.")
        if not self.has_view_permission(request, convention):
            raise PermissionDenied
        filename, content_type, content = convention_pdf(convention)
        response = HttpResponse(content, content_type=content_type)
        disposition = "attachment" if as_attachment else "inline"
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
        return response

    def pdf_apercu(self, request, pk):
        return self._pdf_response(request, pk, as_attachment=False)

    def pdf_telechargement(self, request, pk):
        return self._pdf_response(request, pk, as_attachment=True)

    @admin.display(description="PDF de la convention")
    def pdf_convention(self, obj):
        if obj.pk is None:
            return "—"
        apercu = reverse("admin:conventions_convention_pdf", args=[obj.pk])
        telechargement = reverse("admin:conventions_convention_pdf_telecharger", args=[obj.pk])
        if obj.document:
            return format_html(
                '<a href="{}">Voir le PDF envoyé</a> · <a href="{}">Télécharger</a> (figé le {})',
                apercu,
                telechargement,
                timezone.localtime(obj.date_envoi).strftime("%d/%m/%Y à %H:%M") if obj.date_envoi else "—",
            )
        return format_html('<a href="{}">Aperçu (PROJET)</a> · <a href="{}">Télécharger</a>', apercu, telechargement)
