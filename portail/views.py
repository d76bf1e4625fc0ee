"""The portal's own pages: the collectivité's home (its conventions with their titres) and the legal pages.

The home lives here, at the top of the dependency chain, because it shows conventions with their titres. The
other pages of /espace/ belong to the domain apps, which declare them in their AppConfig (see portail.registry).
"""

import datetime
from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.generic import TemplateView

from collectivites.views import compte_portail
from conventions.models import Convention
from facturation.models import TitreDePerception


@compte_portail
def tableau_de_bord(request):
    """Conventions per school year, each with its state, schools, amount, titres and what is left to pay."""
    # Only the columns the page shows: a titre has some fifty frozen fields, and building their SELECT for every
    # request costs more than running it.
    titres = (
        TitreDePerception.objects.hors_annulations()
        .with_paiements()
        .only("convention_id", "numero", "montant", "annule_id", "emis_le", "date_echeance")
        .order_by("emis_le")
    )
    conventions = (
        Convention.objects.for_user(request.user)
        .with_participation()
        .select_related("annee", "commune")
        .only(
            "reference",
            "etat",
            "exemplaire_signe",
            "tarif_fige",
            "participation_figee",
            "annee__libelle",
            "annee__tarif_par_ecole",
            "commune__nom",
        )
        .prefetch_related(Prefetch("titres", queryset=titres, to_attr="titres_portail"))
        .order_by("-annee__libelle", "reference")
    )
    lignes = [
        {
            "convention": convention,
            "titres": convention.titres_portail,
            "reste_a_payer": sum((t.reste_a_payer for t in convention.titres_portail), Decimal("0")),
        }
        for convention in conventions
    ]
    annees = [
        {"libelle": libelle, "lignes": list(group)}
        for libelle, group in groupby(lignes, key=lambda ligne: ligne["convention"].annee.libelle)
    ]
    return render(
        request,
        "portail/tableau_de_bord.html",
        {"annees": annees, "collectivite": request.user.collectivite, "title": "Tableau de bord"},
    )


# Legal pages, open to everyone ------------------------------------------------------------------------------------


class PagePublique(TemplateView):
    def get_context_data(self, **kwargs):
        # The académies the page names come from portail.context_processors; the host is the deployment's.
        return {**super().get_context_data(**kwargs), "hebergeur": settings.HEBERGEUR}


def page_publique(template: str, title: str):
    return login_not_required(PagePublique.as_view(template_name=template, extra_context={"title": title}))


mentions_legales = page_publique("portail/mentions_legales.html", "Mentions légales")
donnees_personnelles = page_publique("portail/donnees_personnelles.html", "Données personnelles")
accessibilite = page_publique("portail/accessibilite.html", "Déclaration d'accessibilité")
plan_du_site = page_publique("portail/plan_du_site.html", "Plan du site")


# RFC 9116 recommends an expiry less than a year ahead: the file is regenerated on each request.
SECURITY_TXT_VALIDITE = datetime.timedelta(days=180)


@login_not_required
def security_txt(request):
    """Where to report a vulnerability (README, « Signaler une vulnérabilité »); 404 until SECURITY_CONTACT is set."""
    if not settings.SECURITY_CONTACT:
        raise Http404
    expires = (timezone.now() + SECURITY_TXT_VALIDITE).replace(microsecond=0)
    lignes = [
        f"Contact: {settings.SECURITY_CONTACT}",
        f"Expires: {expires.astimezone(datetime.UTC).isoformat().replace('+00:00', 'Z')}",
        "Preferred-Languages: fr, en",
        f"Canonical: {settings.SITE_URL}/.well-known/security.txt",
    ]
    return HttpResponse("\n".join(lignes) + "\n", content_type="text/plain; charset=utf-8")
