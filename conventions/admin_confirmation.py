"""The confirmation page in front of every irreversible action of the admin (send for signature, confirm a signature,
issue titres, send reminders): what will happen, to how many, the total amount, the date, and what will be refused
and why, before anything is done.

An action is first posted from the list (or from a convention's own page, whose buttons post the same action): it
answers this page. Only the page's own button, which posts `confirmer`, does the work; any other POST changes nothing.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse

from collectivites.destinataires import destinataires
from documents.formats import pluriel

CONFIRMER = "confirmer"
# Sent by the buttons of an object's page, so that the action comes back to that page.
OBJET = "_objet"


def est_confirmee(request) -> bool:
    return request.method == "POST" and CONFIRMER in request.POST


def adresses(collectivite) -> str:
    """Where the e-mail will go, as the confirmation page and the follow-up page show it."""
    return ", ".join(destinataires(collectivite)) or "aucune adresse"


@dataclass
class Ligne:
    """One object the action will act on."""

    objet: str
    montant: Decimal | None = None
    destinataires: str = ""
    lien: str = ""
    lien_libelle: str = ""
    pk: int | None = None


@dataclass
class Confirmation:
    """What the page states. `unite` is the singular and plural of the objects: ("convention", "conventions")."""

    titre: str
    consequence: str
    bouton: str
    unite: tuple[str, str]
    lignes: list[Ligne]
    refus: list[tuple[str, str]] = field(default_factory=list)
    date: datetime.date | None = None
    libelle_date: str = "Date"
    libelle_montant: str = "Montant"
    form: forms.Form | None = None

    @property
    def nombre(self) -> str:
        return pluriel(len(self.lignes), *self.unite)

    @property
    def total(self) -> Decimal | None:
        montants = [ligne.montant for ligne in self.lignes if ligne.montant is not None]
        return sum(montants, Decimal("0.00")) if montants else None

    @property
    def avec_destinataires(self) -> bool:
        return any(ligne.destinataires for ligne in self.lignes)

    @property
    def avec_liens(self) -> bool:
        return any(ligne.lien for ligne in self.lignes)


def page(modeladmin, request, queryset, action: str, confirmation: Confirmation) -> TemplateResponse:
    """The page, posting back the same action on the same selection, with `confirmer`."""
    opts = modeladmin.model._meta
    retour = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    # Posted from an object's own page (its workflow buttons): cancelling goes back there.
    objet = request.POST.get(OBJET, "")
    if objet.isdigit():
        retour = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[objet])
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": confirmation.titre,
        "opts": opts,
        "confirmation": confirmation,
        "form": confirmation.form,
        "action": action,
        "selection": list(queryset.values_list("pk", flat=True)),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "confirmer": CONFIRMER,
        "retour": retour,
        "objet": objet if objet.isdigit() else "",
        "objet_name": OBJET,
    }
    return TemplateResponse(request, "admin/confirmation.html", context)
