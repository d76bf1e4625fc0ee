"""Figures for finance: the titres of a budget year per département, and the participations of the school years.

The figures themselves are computed by the querysets (TitreQuerySet.montants, ConventionQuerySet.totaux): the same
ones every other page and export shows.
"""

from conventions.models import AnneeScolaire, Convention, Inscription

from .models import CHAMPS_MONTANTS, TitreDePerception, montants_vides


def synthese_exercice(user, annee_budgetaire: int | None = None) -> dict:
    """Titres issued in the year, or in every year when None (cancelling titres excluded), those cancelled since,
    paid, left, overdue, per département (TitreQuerySet.montants), of the académies the user sees."""
    titres = TitreDePerception.objects.for_user(user)
    if annee_budgetaire is not None:
        titres = titres.for_annee_budgetaire(annee_budgetaire)
    montants = titres.montants("debiteur_departement")
    rows = [{"departement": departement, **montants[(departement,)]} for (departement,) in sorted(montants)]
    total = {"departement": "Total", **montants_vides()}
    for row in rows:
        for champ in CHAMPS_MONTANTS:
            total[champ] += row[champ]
    return {"annee_budgetaire": annee_budgetaire, "departements": rows, "total": total}


def montants_campagne(annee: AnneeScolaire) -> dict[str, dict]:
    """The titres of a school year's conventions, per département of the collectivité: the amounts of the year's
    follow-up (conventions.campagne.tableau_de_bord)."""
    departement = "convention__collectivite__departement"
    montants = TitreDePerception.objects.filter(convention__annee=annee).montants(departement)
    return {dep: valeurs for (dep,), valeurs in montants.items()}


ETATS_SIGNES = [Convention.Etat.SIGNEE, Convention.Etat.RESILIEE]


def synthese_participations(user, libelle_annee: str | None = None) -> dict:
    """Participation of the signed conventions, as frozen when they were sent, per school year, département and
    collectivité (ConventionQuerySet.totaux), of the académies the user sees.

    A terminated convention (Article 8) was signed: its participation stays due, nothing is refunded.
    """
    conventions = Convention.objects.for_user(user).filter(etat__in=ETATS_SIGNES)
    if libelle_annee:
        conventions = conventions.filter(annee__libelle=libelle_annee)
    libelle, departement = "annee__libelle", "collectivite__departement"
    par_annee = conventions.totaux(libelle).order_by(f"-{libelle}")
    par_departement = conventions.totaux(libelle, departement).order_by(f"-{libelle}", departement)
    par_collectivite = conventions.totaux(libelle, departement, "collectivite_id", "collectivite__nom").order_by(
        f"-{libelle}", departement, "collectivite__nom"
    )
    inscriptions = Inscription.objects.filter(convention__in=Convention.objects.for_user(user))
    annees = sorted(set(inscriptions.values_list("annee__libelle", flat=True).distinct()), reverse=True)
    return {
        "annee_scolaire": libelle_annee,
        "annees": annees,
        "par_annee": [_participation(row) for row in par_annee],
        "par_departement": [_participation(row) for row in par_departement],
        "par_collectivite": [_participation(row) for row in par_collectivite],
    }


def _participation(row: dict) -> dict:
    return {
        "annee": row["annee__libelle"],
        "departement": row.get("collectivite__departement", ""),
        "collectivite": row.get("collectivite__nom", ""),
        "nb_conventions": row["nb_conventions"],
        "nb_ecoles": row["nb_ecoles"],
        "participation": row["participation"],
    }
