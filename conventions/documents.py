"""What the convention PDF says: every variable part of templates/pdf/convention.html, computed from the data.

Formatting rules (checked against the 2021-2022 convention, ../shared/seed/):
- full capitals drop their accents, as the seed writes "L'ACADEMIE", "LA COLLECTIVITE", "Sophie BEJEAN" and the
  communes of Annexe 1 ("MOUTHOUMET", "LEZIGNAN-CORBIERES"), see formats.majuscules;
- amounts in figures use formats.euros ("1 250 €", non-breaking spaces), whole euros without cents as the seed;
- Article 7 agrees in number with the schools registered, and its amount is computed, never typed.
"""

from django.db.models import Prefetch, prefetch_related_objects

from collectivites.models import Commune

from .formats import date_en_lettres, date_longue, euros, majuscules, pluriel
from .models import Convention, Inscription

# Ids of the two empty areas that receive the signature fields (see pdf.CONVENTION_SIGNATURES).
ZONE_COLLECTIVITE = "signature-collectivite"
ZONE_ACADEMIE = "signature-academie"


# The rows each document reads besides the convention's: joined (one row each), then prefetched (lists).
DOCUMENT_RELATED = ("annee__academie", "collectivite__commune", "commune")


def _document_prefetches() -> tuple[Prefetch, ...]:
    return (
        Prefetch("inscriptions", queryset=Inscription.objects.select_related("ecole__commune").order_by("ecole__uai")),
        Prefetch("collectivite__communes_membres", queryset=Commune.objects.order_by("nom")),
    )


def conventions_for_documents(queryset=None):
    """Everything the template reads, in three queries whatever the number of conventions and schools."""
    queryset = Convention.objects.all() if queryset is None else queryset
    return queryset.select_related(*DOCUMENT_RELATED).prefetch_related(*_document_prefetches())


def load_for_documents(convention: Convention) -> Convention:
    """The same, fetched onto a convention already in hand (e.g. just locked): what is already there is not fetched
    again, so a convention read with DOCUMENT_RELATED costs two queries more."""
    if "inscriptions" not in getattr(convention, "_prefetched_objects_cache", {}):
        prefetch_related_objects([convention], *DOCUMENT_RELATED, *_document_prefetches())
    return convention


def _liste(noms: list[str]) -> str:
    """ "A", "A et B", "A, B et C"."""
    return noms[0] if len(noms) == 1 else ", ".join(noms[:-1]) + " et " + noms[-1]


def communes_concernees(convention: Convention) -> tuple[str, str]:
    """The label and the text of the line under the collectivité's address.

    A commune, or one commune of a grouping that pays per commune (NB of the convention): "Commune : MOUTHOUMET".
    A grouping signing one convention for all its communes says so, and names them when they are known.
    """
    collectivite = convention.collectivite
    commune = convention.commune or (None if collectivite.est_groupement else collectivite.commune)
    if commune is not None:
        return "Commune", majuscules(commune.nom)
    if not collectivite.est_groupement:
        return "Commune", majuscules(collectivite.ville)
    membres = [majuscules(c.nom) for c in collectivite.communes_membres.all()]
    texte = "l'ensemble des communes membres du regroupement"
    if len(membres) == 1:
        return "Commune", f"{membres[0]}, seule commune membre du regroupement"
    return "Communes", f"{texte} ({_liste(membres)})" if membres else texte


def ligne_annexe(inscription: Inscription) -> str:
    """ "0110422Z - MOUTHOUMET / ECOLE PRIMAIRE PUBLIQUE /" followed by the school's own name, if it has one."""
    ecole = inscription.ecole
    return f"{ecole.uai} - {majuscules(ecole.commune.nom)} / {ecole.libelle_nature_secteur} / {ecole.patronyme}".strip()


def article_7(nb_ecoles: int) -> str:
    """ "1 école est inscrite", "3 écoles sont inscrites" (French takes the singular below 2, as pluriel())."""
    verbe = "est inscrite" if nb_ecoles < 2 else "sont inscrites"
    return f"{pluriel(nb_ecoles, 'école')} {verbe}"


def tarif_en_euros(value) -> str:
    """ "50 euros", as Article 5 writes the rate: the amount in figures, the currency in words."""
    return euros(value, decimals=False).replace("\u00a0€", "\u00a0euros")


def convention_context(convention: Convention) -> dict:
    annee = convention.annee
    academie = annee.academie
    collectivite = convention.collectivite
    lignes = [ligne_annexe(inscription) for inscription in convention.inscriptions.all()]
    nb_ecoles = len(lignes)
    communes_libelle, communes_texte = communes_concernees(convention)
    return {
        "annee": annee.libelle,
        "academie_entete": "L'" + majuscules(academie.nom),
        "academie_adresse": academie.adresse_complete,
        # "académie de Montpellier", as Articles 6 and 8 name it after "Rectorat de l'".
        "academie_designation": academie.nom[:1].lower() + academie.nom[1:],
        "ville_rectorat": academie.ville_signature,
        "signataire": annee.signataire,
        "signataire_titre": annee.signataire_titre.rstrip(". "),
        "signataire_signature": f"{annee.signataire_prenom} {majuscules(annee.signataire_nom)}",
        "collectivite_nom": collectivite.nom,
        "collectivite_adresse": collectivite.adresse_complete,
        "communes_libelle": communes_libelle,
        "communes_texte": communes_texte,
        # "Monsieur André HERNANDEZ": the family name in capitals without accents, like the signatory's.
        "representant": (
            f"{convention.representant_civilite} {convention.representant_prenom} "
            f"{majuscules(convention.representant_nom)}"
        ),
        "representant_qualite": convention.representant_qualite,
        "date_fin": date_longue(annee.date_fin, zero_pad=True),
        # The figures frozen when the PDF is (Convention.participation): the draft preview shows today's rate.
        "tarif": euros(convention.tarif, decimals=False),
        "tarif_en_euros": tarif_en_euros(convention.tarif),
        "ecoles_inscrites": article_7(nb_ecoles),
        "nb_ecoles": pluriel(nb_ecoles, "école"),
        "montant": euros(convention.participation, decimals=False),
        "titre_annexe": f"Liste des écoles inscrites à l'ENT-école pour l'année scolaire {annee.libelle}",
        "lieu_signature": convention.lieu_signature or academie.ville_signature,
        "date_signature": date_en_lettres(convention.date_signature) if convention.date_signature else "",
        "ecoles": lignes,
        "zone_collectivite": ZONE_COLLECTIVITE,
        "zone_academie": ZONE_ACADEMIE,
    }
