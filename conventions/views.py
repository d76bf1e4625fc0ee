"""The collectivité's pages for one convention: its schools, its PDF, the choice of schools, the signed copy.

Every convention comes from `Convention.objects.for_user(user)`: another collectivité's is a 404 by construction.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from collectivites.views import compte_portail, est_representant, representant
from documents.formats import pluriel
from documents.televersements import taille_limitee

from .documents import convention_pdf
from .forms import ChoixEcolesForm, ExemplaireSigneForm
from .models import Academie, Convention, Inscription
from .sections import sections
from .services import TransitionInterdite, choisir_ecoles_par_collectivite, deposer_exemplaire_signe


def _convention(request, pk, inscriptions: bool = False) -> Convention:
    queryset = Convention.objects.for_user(request.user).select_related("annee__academie", "collectivite", "commune")
    if inscriptions:
        queryset = queryset.prefetch_related(
            Prefetch(
                "inscriptions",
                queryset=Inscription.objects.select_related("ecole__commune").order_by(
                    "ecole__commune__nom", "ecole__nom"
                ),
            )
        )
    return get_object_or_404(queryset, pk=pk)


def _peut_choisir(convention: Convention) -> bool:
    return convention.est_modifiable and not convention.choix_ecoles_verrouille


@compte_portail
def detail(request, pk):
    convention = _convention(request, pk, inscriptions=True)
    inscriptions = list(convention.inscriptions.all())
    representant_connecte = est_representant(request.user)
    return render(
        request,
        "conventions/detail.html",
        {
            "convention": convention,
            "inscriptions": inscriptions,
            "nb_ecoles": pluriel(len(inscriptions), "école"),
            "participation": convention.participation,
            "peut_choisir": representant_connecte and _peut_choisir(convention),
            "peut_deposer": representant_connecte and convention.etat == Convention.Etat.ENVOYEE,
            "a_proposer": convention.ecoles_a_proposer() if convention.est_modifiable else [],
            # What other apps show about the convention (its titres de perception): conventions.sections.
            "sections": sections(request, convention),
            "title": f"Convention {convention.reference}",
        },
    )


@compte_portail
def pdf(request, pk):
    """The frozen PDF once sent, the "PROJET" preview before."""
    convention = _convention(request, pk)
    filename, content_type, content = convention_pdf(convention)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@representant("choisir les écoles")
@require_http_methods(["GET", "POST"])
def choix_ecoles(request, pk):
    convention = _convention(request, pk, inscriptions=True)
    inscrites = [inscription.ecole for inscription in convention.inscriptions.all()]
    if not _peut_choisir(convention):
        return render(
            request,
            "conventions/choix_ecoles.html",
            {"convention": convention, "inscrites": inscrites, "title": "Choisir les écoles"},
            status=409 if request.method == "POST" else 200,
        )
    form = ChoixEcolesForm(request.POST or None, convention=convention, initial={"ecoles": inscrites})
    if request.method == "POST" and form.is_valid():
        try:
            choisir_ecoles_par_collectivite(convention, form.cleaned_data["ecoles"], request.user)
        except TransitionInterdite as exc:
            form.add_error(None, str(exc))
        else:
            nb = len(form.cleaned_data["ecoles"])
            messages.success(
                request,
                f"Le choix est enregistré : {pluriel(nb, 'école')} "
                f"{'sont inscrites' if nb > 1 else 'est inscrite' if nb == 1 else 'inscrite'}.",
            )
            return redirect("conventions:detail", pk=convention.pk)
    return render(
        request,
        "conventions/choix_ecoles.html",
        {
            "convention": convention,
            "form": form,
            "tarif": convention.tarif,
            "nb_inscrites": len(inscrites),
            "participation": convention.participation,
            "title": "Choisir les écoles",
        },
    )


@representant("déposer la convention signée")
@require_http_methods(["GET", "POST"])
@taille_limitee("EXEMPLAIRE_SIGNE_TAILLE_MAX")
def exemplaire_signe(request, pk):
    convention = _convention(request, pk)
    if convention.etat != Convention.Etat.ENVOYEE:
        return render(
            request,
            "conventions/exemplaire_signe.html",
            {"convention": convention, "title": "Déposer la convention signée"},
            status=409 if request.method == "POST" else 200,
        )
    form = ExemplaireSigneForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            deposer_exemplaire_signe(convention, form.cleaned_data["fichier"], request.user)
        except TransitionInterdite as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                "La convention signée est déposée. Le rectorat va la vérifier et enregistrer la signature.",
            )
            return redirect("conventions:detail", pk=convention.pk)
    return render(
        request,
        "conventions/exemplaire_signe.html",
        {"convention": convention, "form": form, "title": "Déposer la convention signée"},
    )


@compte_portail
def exemplaire_signe_pdf(request, pk):
    """The signed copy as the collectivité deposited it."""
    convention = _convention(request, pk)
    if not convention.exemplaire_signe:
        raise Http404("Aucune convention signée n'a été déposée.")
    return FileResponse(
        convention.exemplaire_signe.open("rb"),
        as_attachment=True,
        filename=f"{convention.reference}-signee.pdf",
        content_type="application/pdf",
    )


@login_not_required
@require_http_methods(["GET", "HEAD"])
def logo_academie(request, code):
    """An académie's logo, public as on its letters: checked as a PNG or JPEG when uploaded (documents.logos)."""
    academie = get_object_or_404(Academie.objects.exclude(logo=""), code=code)
    try:
        fichier = academie.logo.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = "image/png" if academie.logo.name.lower().endswith(".png") else "image/jpeg"
    response = FileResponse(fichier, content_type=content_type)
    # A new logo shows within the hour.
    response["Cache-Control"] = "public, max-age=3600"
    return response
