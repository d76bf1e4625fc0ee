"""An académie-shaped data set, written with bulk inserts: the worker test and `scripts/bench_campaign.py` use it.

Montpellier's five départements; communes that sign for themselves and communautés de communes signing one
convention for their member communes; each collectivité had a signed convention last year. Some schools have closed
since (to be dropped), some open public schools were never registered (to be proposed), a few are private.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from stdnum import luhn

from collectivites.models import Collectivite, Commune
from conventions.models import Academie, AnneeScolaire, Convention, Inscription
from conventions.services import reference_for
from demo.loader import ACADEMIE_MONTPELLIER, SIGNATAIRE_2021
from ecoles.models import Ecole
from ecoles.validators import uai_check_letter

DEPARTEMENTS = ["11", "30", "34", "48", "66"]
MEMBRES_PAR_GROUPEMENT = 3


@dataclass
class JeuAcademie:
    academie: Academie
    annee: AnneeScolaire
    nb_conventions: int
    nb_ecoles: int


def _siren(n: int) -> str:
    body = f"2{n:07d}"
    return body + luhn.calc_check_digit(body)


def _uai(departement: str, n: int) -> str:
    digits = f"0{departement}{n:04d}"
    return digits + uai_check_letter(digits)


def charger_academie(
    nb_collectivites: int = 600,
    nb_ecoles: int = 1300,
    nb_groupements: int | None = None,
    libelle: str = "2021-2022",
    email: bool = True,
) -> JeuAcademie:
    """`nb_collectivites` collectivités (1 in 15 a grouping), each with a signed convention of `libelle`."""
    nb_groupements = nb_collectivites // 15 if nb_groupements is None else nb_groupements
    academie, _ = Academie.objects.get_or_create(code="11", defaults=ACADEMIE_MONTPELLIER)
    annee = AnneeScolaire.objects.create(
        academie=academie, libelle=libelle, tarif_par_ecole=Decimal("50.00"), **SIGNATAIRE_2021
    )

    nb_communes_seules = nb_collectivites - nb_groupements
    nb_communes = nb_communes_seules + nb_groupements * MEMBRES_PAR_GROUPEMENT
    communes = []
    for i in range(nb_communes):
        dep = DEPARTEMENTS[i % len(DEPARTEMENTS)]
        # Commune.save() derives the département; bulk_create does not call it.
        communes.append(
            Commune(code_insee=f"{dep}{100 + i // len(DEPARTEMENTS):03d}", nom=f"Commune {i}", departement=dep)
        )
    communes = Commune.objects.bulk_create(communes)

    collectivites = []
    for i, commune in enumerate(communes[:nb_communes_seules]):
        collectivites.append(nouvelle_collectivite(i, f"Commune de {commune.nom}", commune.departement, commune, email))
    for g in range(nb_groupements):
        dep = DEPARTEMENTS[g % len(DEPARTEMENTS)]
        collectivites.append(
            nouvelle_collectivite(
                nb_communes_seules + g, f"Communauté de communes n° {g}", dep, None, email, groupement=True
            )
        )
    collectivites = Collectivite.objects.bulk_create(collectivites)
    membres = communes[nb_communes_seules:]
    for g, groupement in enumerate(collectivites[nb_communes_seules:]):
        for commune in membres[g * MEMBRES_PAR_GROUPEMENT : (g + 1) * MEMBRES_PAR_GROUPEMENT]:
            commune.groupement = groupement
    Commune.objects.bulk_update(membres, ["groupement"])

    ecoles = []
    for i in range(nb_ecoles):
        commune = communes[i % nb_communes]
        # The first school of each commune stays open, public and registered: every convention can be sent.
        autre = i >= nb_communes
        ecoles.append(
            Ecole(
                uai=_uai(commune.departement, i),
                nom=f"ECOLE PRIMAIRE PUBLIQUE N° {i}",
                nature=Ecole.Nature.PRIMAIRE,
                # 1 in 50 closed since last year, 1 in 97 private (never registered).
                etat=Ecole.Etat.FERMEE if autre and i % 50 == 7 else Ecole.Etat.OUVERTE,
                secteur=Ecole.Secteur.PRIVE if autre and i % 97 == 5 else Ecole.Secteur.PUBLIC,
                commune=commune,
            )
        )
    ecoles = Ecole.objects.bulk_create(ecoles)

    conventions = Convention.objects.bulk_create(
        [
            Convention(
                annee=annee,
                collectivite=collectivite,
                reference=reference_for(annee, collectivite, None),
                etat=Convention.Etat.SIGNEE,
                date_signature=datetime.date(2021, 9, 13),
                lieu_signature="Montpellier",
                representant_civilite=collectivite.representant_civilite,
                representant_prenom=collectivite.representant_prenom,
                representant_nom=collectivite.representant_nom,
                representant_qualite=collectivite.representant_qualite,
            )
            for collectivite in collectivites
        ]
    )
    convention_de_commune = {}
    for convention in conventions:
        collectivite = convention.collectivite
        if collectivite.commune_id:
            convention_de_commune[collectivite.commune_id] = convention
    for g, convention in enumerate(conventions[nb_communes_seules:]):
        for commune in membres[g * MEMBRES_PAR_GROUPEMENT : (g + 1) * MEMBRES_PAR_GROUPEMENT]:
            convention_de_commune[commune.pk] = convention
    inscriptions = [
        Inscription(convention=convention_de_commune[ecole.commune_id], ecole=ecole, annee=annee)
        for i, ecole in enumerate(ecoles)
        # Private schools were never registered; 1 public school in 31 was not (the new year proposes it).
        if ecole.secteur == Ecole.Secteur.PUBLIC and (i < nb_communes or i % 31 != 3)
    ]
    Inscription.objects.bulk_create(inscriptions, batch_size=2000)
    return JeuAcademie(academie=academie, annee=annee, nb_conventions=len(conventions), nb_ecoles=len(ecoles))


def nouvelle_collectivite(n: int, nom: str, dep: str, commune, email: bool, groupement: bool = False) -> Collectivite:
    collectivite = Collectivite(
        nom=nom,
        type=Collectivite.Type.COMMUNAUTE_COMMUNES if groupement else Collectivite.Type.COMMUNE,
        commune=commune,
        departement=dep,
        siren=_siren(n),
        adresse=f"{n} place de la Mairie",
        code_postal=f"{dep}000",
        ville=commune.nom if commune else "Chef-lieu",
        representant_civilite="Monsieur" if groupement else "Madame",
        representant_prenom="André" if groupement else "Marie",
        representant_nom=f"Nom{n}",
        representant_qualite="Président" if groupement else "Maire",
        email=f"contact{n}@collectivite.example.fr" if email else "",
    )
    collectivite.deriver_academie()  # bulk-created: save() does not run
    return collectivite
