"""Figures for finance: the titres of a budget year per département, and the participations of the school years.

Each figure is one grouped query; payments are summed in their own query, since joining titres and payments at once
would count a titre once per payment.
"""

from decimal import Decimal

from django.db.models import Count, Q, Sum

from conventions.models import Convention, Inscription

from .models import Paiement, TitreDePerception

ZERO = Decimal("0.00")
CHAMPS = ["nb_emis", "emis", "nb_annules", "annules", "net", "paye", "reste", "nb_en_retard", "en_retard"]


def _ligne(departement: str) -> dict:
    return {"departement": departement, **{champ: 0 if champ.startswith("nb_") else ZERO for champ in CHAMPS}}


def synthese_exercice(annee_budgetaire: int) -> dict:
    """Titres issued in the year (cancelling titres excluded), those cancelled since, paid, left, overdue."""
    titres = TitreDePerception.objects.for_annee_budgetaire(annee_budgetaire).titres()
    lignes: dict[str, dict] = {}

    def ligne(departement: str) -> dict:
        return lignes.setdefault(departement, _ligne(departement))

    annule = Q(titre_annulation__isnull=False)
    par_departement = titres.values("debiteur_departement").annotate(
        nb_emis=Count("pk"),
        emis=Sum("montant"),
        nb_annules=Count("pk", filter=annule),
        annules=Sum("montant", filter=annule),
    )
    for row in par_departement:
        current = ligne(row["debiteur_departement"])
        for key in ("nb_emis", "emis", "nb_annules", "annules"):
            current[key] = row[key] or current[key]
    paiements = Paiement.objects.filter(titre__in=titres).values("titre__debiteur_departement")
    for row in paiements.annotate(total=Sum("montant")):
        ligne(row["titre__debiteur_departement"])["paye"] = row["total"]
    # What is left on each overdue titre, from the paid amount annotated by en_retard(): one query.
    for titre in titres.en_retard().only("montant", "debiteur_departement", "annule"):
        current = ligne(titre.debiteur_departement)
        current["nb_en_retard"] += 1
        current["en_retard"] += titre.reste_a_payer

    rows = [lignes[departement] for departement in sorted(lignes)]
    total = _ligne("Total")
    for row in rows:
        row["net"] = row["emis"] - row["annules"]
        row["reste"] = max(row["net"] - row["paye"], ZERO)
        for champ in CHAMPS:
            total[champ] += row[champ]
    return {"annee_budgetaire": annee_budgetaire, "departements": rows, "total": total}


ETATS_SIGNES = [Convention.Etat.SIGNEE, Convention.Etat.RESILIEE]


def synthese_participations(annee_scolaire: str | None = None) -> dict:
    """Participation of the signed conventions (schools × rate), per school year, département and collectivité.

    A terminated convention (Article 8) was signed: its participation stays due, nothing is refunded.
    """
    inscriptions = Inscription.objects.filter(convention__etat__in=ETATS_SIGNES)
    if annee_scolaire:
        inscriptions = inscriptions.filter(annee__libelle=annee_scolaire)
    champs = {
        "nb_conventions": Count("convention", distinct=True),
        "nb_ecoles": Count("pk"),
        "participation": Sum("annee__tarif_par_ecole"),
    }
    par_annee = inscriptions.values("annee__libelle").annotate(**champs).order_by("-annee__libelle")
    par_departement = (
        inscriptions.values("annee__libelle", "convention__collectivite__departement")
        .annotate(**champs)
        .order_by("-annee__libelle", "convention__collectivite__departement")
    )
    par_collectivite = (
        inscriptions.values(
            "annee__libelle",
            "convention__collectivite__departement",
            "convention__collectivite_id",
            "convention__collectivite__nom",
        )
        .annotate(**champs)
        .order_by("-annee__libelle", "convention__collectivite__departement", "convention__collectivite__nom")
    )
    annees = sorted(set(Inscription.objects.values_list("annee__libelle", flat=True).distinct()), reverse=True)
    return {
        "annee_scolaire": annee_scolaire,
        "annees": annees,
        "par_annee": [_participation(row) for row in par_annee],
        "par_departement": [_participation(row) for row in par_departement],
        "par_collectivite": [_participation(row) for row in par_collectivite],
    }


def _participation(row: dict) -> dict:
    return {
        "annee": row["annee__libelle"],
        "departement": row.get("convention__collectivite__departement", ""),
        "collectivite": row.get("convention__collectivite__nom", ""),
        "nb_conventions": row["nb_conventions"],
        "nb_ecoles": row["nb_ecoles"],
        "participation": row["participation"] or ZERO,
    }
