"""The convention's text: its placeholders, checked when an agent saves it and filled in when a PDF is made; its
versions, frozen once a convention of their campaign is sent.

The text typed in the admin never reaches the template engine: it is cut into paragraphs, the whitelisted
placeholders ({{ nom }}) are replaced by the convention's figures, and the result is plain text that the PDF
template prints with autoescaping, so HTML or template code typed by an agent is printed as typed.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from . import texte_reference
from .models import Academie, AnneeScolaire, ArticleConvention, TexteConvention

# Every placeholder an agent may type, with what it prints (shown in the admin). conventions.documents computes
# their values, the same for the PDF of a convention and for the preview.
CHAMPS = {
    "annee": "l'année scolaire : « 2021-2022 »",
    "academie": "l'académie, en minuscule : « académie de Montpellier »",
    "ville_rectorat": "la ville du rectorat : « Montpellier »",
    "collectivite": "le nom de la collectivité",
    "commune": "la ou les communes concernées : « MOUTHOUMET »",
    "representant": "le représentant de la collectivité : « Monsieur André HERNANDEZ »",
    "representant_qualite": "sa qualité : « Président »",
    "signataire": "le signataire de l'académie : « Sophie Béjean »",
    "signataire_titre": "son titre",
    "nb_ecoles": "le nombre d'écoles inscrites : « 1 école », « 3 écoles »",
    "ecoles_inscrites": "« 1 école est inscrite », « 3 écoles sont inscrites »",
    "tarif": "la participation par école : « 50 € »",
    "tarif_en_euros": "la participation par école en toutes lettres pour la devise : « 50 euros »",
    "montant": "la participation de la collectivité : « 150 € »",
    "date_fin": "la fin de la convention (article 3) : « 01 septembre 2022 »",
    "titre_annexe": "le titre de l'annexe 1, ses champs remplis",
}

CHAMP_RE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
# French typography: a non-breaking space before : ; ! ? and », after «, as the 2021-2022 text prints them.
ESPACE_AVANT_RE = re.compile(r"[ \t]+(?=[:;!?»])")
ESPACE_APRES_RE = re.compile(r"(?<=«)[ \t]+")
# The ordinal « 1er », « 1re » (« 1er degré »): the ordinal's letters are printed as superscript.
ORDINAL_RE = re.compile(r"(?<!\w)(1)(er|re)(?!\w)")


# --- Checking: every placeholder is known ---


def champs_inconnus(texte: str, connus=CHAMPS) -> list[str]:
    """The placeholders of `texte` that are not in the whitelist, as typed ("{{ nb_ecole }}")."""
    return [match.group(0) for match in CHAMP_RE.finditer(texte or "") if match.group(1) not in connus]


def verifier(texte: str, lieu: str, connus=CHAMPS) -> None:
    """Raises the error an agent reads: « Champ inconnu {{ nb_ecole }} dans l'article 3 »."""
    inconnus = champs_inconnus(texte, connus)
    if inconnus:
        noms = ", ".join(dict.fromkeys(inconnus))
        pluriel = "Champs inconnus" if len(set(inconnus)) > 1 else "Champ inconnu"
        raise ValidationError(
            f"{pluriel} {noms} dans {lieu} : les champs possibles sont listés en tête de page.",
            code="champ_inconnu",
        )


# Where each field of a version is, for the messages; the annex heading cannot print itself.
LIEUX = {
    "titre": ("le titre", CHAMPS),
    "clause_nb": ("la clause NB", CHAMPS),
    "titre_preambule": ("le titre du préambule", CHAMPS),
    "preambule": ("le préambule", CHAMPS),
    "titre_annexe": ("le titre de l'annexe 1", {k: v for k, v in CHAMPS.items() if k != "titre_annexe"}),
}


def lieu_article(numero: str) -> str:
    return f"l'article {numero}" if numero else "un article sans numéro"


# --- Rendering: plain text with the figures in it ---


@dataclass(frozen=True)
class Fragment:
    texte: str
    exposant: bool = False


def remplir(texte: str, valeurs: dict) -> str:
    """The text with its placeholders replaced and French typographic spaces; plain text, escaped by the template.

    The typography applies to the agent's words only, never inside a value (an address keeps its own spaces)."""
    morceaux, debut = [], 0
    for match in CHAMP_RE.finditer(texte):
        morceaux.append(_typographie(texte[debut : match.start()]))
        # An unknown name cannot be saved (verifier); one left by a direct change of the database prints as typed.
        morceaux.append(str(valeurs[match.group(1)]) if match.group(1) in valeurs else match.group(0))
        debut = match.end()
    morceaux.append(_typographie(texte[debut:]))
    return "".join(morceaux)


def _typographie(texte: str) -> str:
    return ESPACE_APRES_RE.sub("\u00a0", ESPACE_AVANT_RE.sub("\u00a0", texte))


def _fragments(paragraphe: str) -> list[Fragment]:
    fragments, debut = [], 0
    for match in ORDINAL_RE.finditer(paragraphe):
        fragments += [Fragment(paragraphe[debut : match.start(2)]), Fragment(match.group(2), exposant=True)]
        debut = match.end()
    return [*fragments, Fragment(paragraphe[debut:])]


def paragraphes(texte: str, valeurs: dict) -> list[list[Fragment]]:
    """The paragraphs (separated by an empty line; a single line break is a space), each as its fragments."""
    blocs = re.split(r"\n[ \t]*\n", (texte or "").replace("\r\n", "\n").strip())
    return [_fragments(remplir(" ".join(bloc.split("\n")).strip(), valeurs)) for bloc in blocs if bloc.strip()]


def contexte_texte(version, articles, valeurs: dict) -> dict:
    """What templates/pdf/convention.html reads of the text. The last paragraph of the last article is apart:
    the template keeps it on the page of the signatures."""
    titre_annexe = remplir(version.titre_annexe, valeurs)
    valeurs = {**valeurs, "titre_annexe": titre_annexe}
    rendus = [
        {
            "intitule": remplir(a.intitule, valeurs),
            "sous_article": a.est_sous_article,
            "paragraphes": paragraphes(a.corps, valeurs),
        }
        for a in articles
    ]
    dernier = rendus[-1]["paragraphes"].pop() if rendus and rendus[-1]["paragraphes"] else []
    return {
        "titre_lignes": [remplir(ligne.strip(), valeurs) for ligne in version.titre.splitlines() if ligne.strip()],
        "clause_nb": paragraphes(version.clause_nb, valeurs),
        "titre_preambule": remplir(version.titre_preambule, valeurs),
        "preambule": paragraphes(version.preambule, valeurs),
        "articles": rendus,
        "dernier_paragraphe": dernier,
        "titre_annexe": titre_annexe,
    }


# --- Versions ---


def version_reference(academie: Academie) -> tuple[TexteConvention, list[ArticleConvention]]:
    """The 2021-2022 text (conventions.texte_reference), not saved."""
    version = TexteConvention(
        academie=academie,
        version=1,
        titre=texte_reference.TITRE,
        clause_nb=texte_reference.CLAUSE_NB,
        titre_preambule=texte_reference.TITRE_PREAMBULE,
        preambule=texte_reference.PREAMBULE,
        titre_annexe=texte_reference.TITRE_ANNEXE,
    )
    articles = [
        ArticleConvention(ordre=ordre, numero=numero, titre=titre, corps=corps)
        for ordre, (numero, titre, corps) in enumerate(texte_reference.ARTICLES, start=1)
    ]
    return version, articles


def texte_de(annee: AnneeScolaire) -> tuple[TexteConvention, list[ArticleConvention]]:
    """The text a convention of `annee` prints: the campaign's version; for a campaign that has none yet (it gets
    one when its first convention is sent), the version of the académie's latest earlier campaign, else the 2021-2022
    text. Never a version prepared for a later campaign."""
    version = TexteConvention.objects.filter(annee=annee).first()
    if version is None:
        anterieures = TexteConvention.objects.filter(academie=annee.academie_id, annee__libelle__lt=annee.libelle)
        version = anterieures.order_by("-annee__libelle").first()
    if version is None:
        return version_reference(annee.academie)
    return version, list(version.articles.all())


def _copier(source: TexteConvention, articles, academie: Academie, annee: AnneeScolaire | None) -> TexteConvention:
    derniere = TexteConvention.objects.filter(academie=academie).order_by("-version").values_list("version", flat=True)
    copie = TexteConvention.objects.create(
        academie=academie,
        annee=annee,
        version=(derniere.first() or 0) + 1,
        titre=source.titre,
        clause_nb=source.clause_nb,
        titre_preambule=source.titre_preambule,
        preambule=source.preambule,
        titre_annexe=source.titre_annexe,
    )
    # With their history: the next change of an article keeps, beside it, the wording it replaced.
    bulk_create_with_history(
        [
            ArticleConvention(texte=copie, ordre=a.ordre, numero=a.numero, titre=a.titre, corps=a.corps)
            for a in articles
        ],
        ArticleConvention,
    )
    return copie


@transaction.atomic
def texte_de_campagne(annee: AnneeScolaire) -> TexteConvention:
    """The campaign's own version, made (as a copy of what texte_de gives) when it has none."""
    version = TexteConvention.objects.filter(annee=annee).first()
    if version is not None:
        return version
    source, articles = texte_de(annee)
    try:
        with transaction.atomic():
            return _copier(source, articles, annee.academie, annee)
    except IntegrityError:
        # Another sending of the same campaign made it at the same moment.
        return TexteConvention.objects.get(annee=annee)


def figer_pour_envoi(annee: AnneeScolaire) -> tuple[TexteConvention, list[ArticleConvention]]:
    """Called in the sending transaction, before the PDF is rendered: the campaign's version, frozen (it is the
    version the PDF prints). Only the first sending of a campaign writes; the others just read it."""
    version = TexteConvention.objects.filter(annee=annee).first() or texte_de_campagne(annee)
    if not version.est_fige:
        # Locked so that an agent saving the text in the admin at this moment waits, then is refused.
        version = TexteConvention.objects.select_for_update().get(pk=version.pk)
        if not version.est_fige:
            version.fige_le = timezone.now()
            version.save(update_fields=["fige_le"])
    return version, list(version.articles.all())


@transaction.atomic
def nouvelle_version(version: TexteConvention) -> TexteConvention:
    """The version that follows a frozen one, for the académie's next campaign: a campaign after this one that has
    no text yet, else none (`prepare_annee` attaches it). A version still modifiable for later is returned as is."""
    suivante = (
        TexteConvention.objects.modifiables()
        .filter(academie=version.academie_id, version__gt=version.version)
        .order_by("version")
        .first()
    )
    if suivante is not None:
        return suivante
    return _copier(version, list(version.articles.all()), version.academie, None)


def preparer_texte(annee: AnneeScolaire, precedente: AnneeScolaire) -> TexteConvention:
    """The new campaign's text (`prepare_annee`): the version prepared for it in the admin if there is one, else a
    copy of the previous campaign's."""
    existante = TexteConvention.objects.filter(annee=annee).first()
    if existante is not None:
        return existante
    preparee = (
        TexteConvention.objects.modifiables()
        .filter(academie=annee.academie_id, annee__isnull=True)
        .order_by("-version")
        .first()
    )
    if preparee is not None:
        preparee.annee = annee
        preparee.save(update_fields=["annee"])
        return preparee
    source, articles = texte_de(precedente)
    return _copier(source, articles, annee.academie, annee)
