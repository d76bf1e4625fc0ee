"""The public verification page (/verifier/): is this document authentic? Open to anyone, rate limited per address.

It answers only what the document itself shows (its kind, reference, issue date) and its current state; about a
code or a file it does not know, it says nothing more than that.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from collectivites.forms import DsfrForm
from documents.registry import chercher_par_code, chercher_par_fichier
from documents.televersements import en_mo, taille_limitee
from documents.verification import normaliser


class VerificationForm(DsfrForm):
    code = forms.CharField(
        label="Code de vérification",
        help_text="Le code imprimé en bas de chaque page du document, par exemple K7QM-4XPA-9DZC.",
        required=False,
        max_length=40,
    )
    fichier = forms.FileField(
        label="Ou le fichier PDF du document",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if code and normaliser(code) is None:
            raise forms.ValidationError(
                "Ce code n'a pas la forme d'un code de vérification : 12 caractères, lettres et chiffres, "
                "par exemple K7QM-4XPA-9DZC."
            )
        return code

    def preparer_champs(self):
        # The size is limited before the body is read (documents.televersements, on the view).
        self.fields["fichier"].help_text = (
            "Le fichier est comparé aux documents émis, puis oublié : il n'est pas conservé. "
            f"{en_mo(settings.VERIFICATION_TAILLE_MAX)} au maximum."
        )

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("code") and not cleaned.get("fichier"):
            raise forms.ValidationError("Saisissez le code de vérification ou choisissez le fichier du document.")
        return cleaned


def _rate(group, request) -> str:
    return settings.VERIFICATION_RATE


@login_not_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_rate, method=ratelimit.ALL, block=False)
@taille_limitee("VERIFICATION_TAILLE_MAX")
def verifier(request):
    if getattr(request, "limited", False):
        return render(request, "verification/trop_de_demandes.html", {"title": "Trop de demandes"}, status=429)
    data = request.POST if request.method == "POST" else (request.GET if "code" in request.GET else None)
    form = VerificationForm(data, request.FILES or None)
    context = {"form": form, "title": "Vérifier un document"}
    if data is not None and form.is_valid():
        if form.cleaned_data["fichier"]:
            context["document"] = chercher_par_fichier(b"".join(form.cleaned_data["fichier"].chunks()))
            context["par_fichier"] = True
        else:
            context["document"] = chercher_par_code(form.cleaned_data["code"])
        context["recherche"] = True
    return render(request, "verification/verifier.html", context)
