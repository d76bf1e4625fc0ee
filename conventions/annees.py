"""Preparing a school year from the previous one: the new year, then one draft per convention signed last year.

Each renewal is its own small transaction, so that it can run item by item on the Celery workers (a batch of the
admin) or in a loop (the `prepare_annee` command); a convention already renewed is left as it is, which makes the
whole preparation safe to run twice.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from collectivites.models import Commune
from documents.formats import date_longue, euros, pluriel
from ecoles.models import Ecole
from jobs.runner import raison_echec

from .models import AnneeScolaire, Convention, Inscription, validate_libelle_annee
from .services import creer_convention
from .texte import preparer_texte


class PreparationImpossible(Exception):
    """The year cannot be prepared as asked. The message is for users."""


# The year's values that `prepare_annee` copies from the previous year unless told otherwise.
CHAMPS_ANNEE = ("tarif_par_ecole", "signataire_prenom", "signataire_nom", "signataire_titre")


@transaction.atomic
def creer_annee(libelle: str, precedente: AnneeScolaire, **valeurs) -> tuple[AnneeScolaire, bool]:
    """The new year, its rate and signatory copied from the previous one unless given, its convention text the
    version prepared for it in the admin or else a copy of the previous year's (conventions.texte.preparer_texte).
    Returns (year, created).

    An existing year is kept untouched; asking for other values than the ones it has is an error rather than a
    silent change, since conventions may already have been sent with them.
    """
    try:
        validate_libelle_annee(libelle)
    except ValidationError as exc:
        raise PreparationImpossible(" ".join(exc.messages)) from exc
    if libelle <= precedente.libelle:
        raise PreparationImpossible(
            f"L'année à préparer ({libelle}) doit suivre l'année dont elle reprend les conventions ({precedente})."
        )
    valeurs = {name: value for name, value in valeurs.items() if value not in (None, "")}
    unknown = set(valeurs) - set(CHAMPS_ANNEE)
    if unknown:
        raise ValueError(f"Champs inconnus : {', '.join(sorted(unknown))}")
    existante = AnneeScolaire.objects.filter(libelle=libelle).first()
    if existante is not None:
        _verifier_identique(existante, valeurs)
        preparer_texte(existante, precedente)
        return existante, False
    defaults = {name: getattr(precedente, name) for name in CHAMPS_ANNEE} | valeurs
    annee = AnneeScolaire(libelle=libelle, academie=precedente.academie, **defaults)
    annee._change_reason = f"Préparée à partir de {precedente}"
    annee.save()
    preparer_texte(annee, precedente)
    return annee, True


def _verifier_identique(annee: AnneeScolaire, valeurs: dict) -> None:
    differences = []
    for name, value in valeurs.items():
        current = getattr(annee, name)
        if name == "tarif_par_ecole":
            if Decimal(value) != current:
                differences.append(f"participation par école {euros(current)} (demandé : {euros(Decimal(value))})")
        elif str(value) != current:
            label = AnneeScolaire._meta.get_field(name).verbose_name
            differences.append(f"{label} « {current} » (demandé : « {value} »)")
    if differences:
        raise PreparationImpossible(
            f"L'année {annee} existe déjà avec d'autres valeurs : {' ; '.join(differences)}. "
            "Modifiez-la dans l'administration si c'est voulu."
        )


def conventions_a_reconduire(precedente: AnneeScolaire):
    """Last year's signed conventions (a terminated one is not renewed), in a stable order."""
    return Convention.objects.for_annee(precedente).signees().select_related("collectivite", "commune")


@dataclass
class Reconduction:
    """What renewing one convention did: the report of `prepare_annee`, per convention."""

    source: Convention
    nouvelle: Convention | None
    creee: bool
    # Why this renewal failed (then nothing of it was written): the other conventions are renewed all the same.
    echec: str = ""
    reconduites: list[Ecole] = field(default_factory=list)
    retirees: list[tuple[Ecole, str]] = field(default_factory=list)
    proposees: list[Ecole] = field(default_factory=list)
    nouvelles: list[Ecole] = field(default_factory=list)
    # For a grouping signing for all its communes: the members that joined or left between the two rentrées.
    entrees: list[Commune] = field(default_factory=list)
    sorties: list[Commune] = field(default_factory=list)

    def resume(self) -> str:
        """One line, in French: "ENT-2022-2023-0012 créée : 3 écoles reconduites ; 1 école retirée (…) ; …"."""
        if self.echec:
            return f"échec, rien n'a été créé : {self.echec}"
        if not self.creee:
            return f"{self.nouvelle.reference} existait déjà : inchangée."
        parts = [pluriel(len(self.reconduites), "école reconduite", "écoles reconduites")]
        if self.retirees:
            detail = ", ".join(f"{ecole.uai} {raison}" for ecole, raison in self.retirees)
            parts.append(f"{pluriel(len(self.retirees), 'école retirée', 'écoles retirées')} ({detail})")
        if self.proposees:
            detail = ", ".join(
                f"{ecole.uai} {ecole.nom}" + (" : nouvelle école dans la commune" if ecole in self.nouvelles else "")
                for ecole in self.proposees
            )
            parts.append(f"{pluriel(len(self.proposees), 'école à proposer', 'écoles à proposer')} ({detail})")
        if self.entrees or self.sorties:
            changes = [f"entrée de {c.nom} ({c.code_insee})" for c in self.entrees]
            changes += [f"sortie de {c.nom} ({c.code_insee})" for c in self.sorties]
            parts.append(f"membres du groupement changés : {', '.join(changes)}")
        if not self.reconduites:
            parts.append("aucune école inscrite : à compléter avant l'envoi")
        return f"{self.nouvelle.reference} créée : {' ; '.join(parts)}."

    def as_dict(self) -> dict:
        """Kept on the batch item, so that the admin shows the report after the fact."""
        return {
            "convention": self.nouvelle.pk,
            "reference": self.nouvelle.reference,
            "creee": self.creee,
            "reconduites": [ecole.uai for ecole in self.reconduites],
            "retirees": [{"uai": ecole.uai, "nom": ecole.nom, "raison": raison} for ecole, raison in self.retirees],
            "proposees": [
                {"uai": ecole.uai, "nom": ecole.nom, "nouvelle": ecole in self.nouvelles} for ecole in self.proposees
            ],
            "entrees": [commune.code_insee for commune in self.entrees],
            "sorties": [commune.code_insee for commune in self.sorties],
        }


def _raison_retrait(ecole: Ecole, annee: AnneeScolaire) -> str | None:
    """Why a school of last year's Annexe 1 is left out of the new draft; None when it stays."""
    if ecole.fermee_au(annee.rentree):
        return f"fermée le {date_longue(ecole.date_fermeture)}" if ecole.date_fermeture else "fermée"
    if ecole.etat == Ecole.Etat.A_FERMER:
        return "à fermer"
    if ecole.secteur != Ecole.Secteur.PUBLIC:
        return "privée"
    return None


@transaction.atomic
def reconduire_convention(source: Convention, annee: AnneeScolaire, user=None) -> Reconduction:
    """A draft for `annee`, same collectivité and commune, with the schools of `source` that may still be registered.

    A convention that already exists for that collectivité, commune and year is left as it is.
    """
    # A commune merged since into a commune nouvelle: next year's convention names the commune nouvelle.
    commune = source.commune.actuelle if source.commune_id else None
    existante = Convention.objects.filter(annee=annee, collectivite=source.collectivite_id, commune=commune).first()
    if existante is not None:
        return Reconduction(source=source, nouvelle=existante, creee=False)

    ecoles = [inscription.ecole for inscription in source.inscriptions.select_related("ecole")]
    # A school an agent already put in another convention of the new year stays there (one convention per year).
    prises = dict(
        Inscription.objects.filter(annee=annee, ecole__in=ecoles).values_list("ecole_id", "convention__reference")
    )
    gardees, retirees = [], []
    for ecole in ecoles:
        raison = _raison_retrait(ecole, annee)
        if raison is None and ecole.pk in prises:
            raison = f"déjà inscrite dans {prises[ecole.pk]}"
        if raison is None:
            gardees.append(ecole)
        else:
            retirees.append((ecole, raison))

    nouvelle = creer_convention(annee, source.collectivite, commune, ecoles=gardees, user=user)
    proposees = list(nouvelle.ecoles_proposables().exclude(pk__in=[ecole.pk for ecole in gardees]).order_by("uai"))
    return Reconduction(
        source=source,
        nouvelle=nouvelle,
        creee=True,
        reconduites=gardees,
        retirees=retirees,
        proposees=proposees,
        nouvelles=list(nouvelle.ecoles_nouvelles().order_by("uai")),
        **_membres_changes(source, annee),
    )


def _membres_changes(source: Convention, annee: AnneeScolaire) -> dict:
    """The communes that joined or left a grouping between last year's rentrée and the new one's (Adhesion)."""
    if source.commune_id or not source.collectivite.est_groupement:
        return {}
    avant = set(source.collectivite.communes_couvertes(au=source.annee.rentree))
    apres = set(source.collectivite.communes_couvertes(au=annee.rentree))
    return {
        "entrees": sorted(apres - avant, key=lambda c: c.code_insee),
        "sorties": sorted(avant - apres, key=lambda c: c.code_insee),
    }


def preparer_annee(libelle: str, precedente: AnneeScolaire, user=None, **valeurs):
    """The whole preparation in this process (the `prepare_annee` command): (year, created, [Reconduction])."""
    annee, creee = creer_annee(libelle, precedente, **valeurs)
    return annee, creee, [_reconduire_isolee(source, annee, user) for source in conventions_a_reconduire(precedente)]


def _reconduire_isolee(source: Convention, annee: AnneeScolaire, user) -> Reconduction:
    """One renewal in its own savepoint: a failure is reported with its reason and the batch goes on."""
    try:
        with transaction.atomic():
            return reconduire_convention(source, annee, user=user)
    except Exception as exc:
        return Reconduction(
            source=source, nouvelle=None, creee=False, echec=raison_echec(exc, (PreparationImpossible,))
        )
