"""INSEE's « mouvements des communes » (`mvtcommune_AAAA.csv` of the Code officiel géographique): changes of name,
creations, rétablissements, fusions and communes nouvelles, applied in date order to the stored communes.

Each row is one commune before (`*_AV`) and after (`*_AP`) an event of type `MOD`. Only the rows from a commune
to a commune (`TYPECOM` COM on both sides) change what we store; the rows about communes déléguées or associées
are counted as skipped. A commune that disappears into another (fusion, commune nouvelle, change of code) is kept,
pointing to the one that took its place: the conventions sent with its name and code keep them. Its collectivité
follows it into the new commune; its schools and the draft conventions follow through the `commune_remplacee`
signal, to which `ecoles` and `conventions` connect (this app knows neither). Applying the file twice changes
nothing the second time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.dispatch import Signal

from jobs.tabular import (
    Colonne,
    Contexte,
    ErreurChamp,
    Erreurs,
    creer_avec_historique,
    date_iso,
    lignes_valides,
    normaliser_valeur,
    texte,
)

from .codes import code_insee
from .models import Collectivite, Commune
from .validators import departement_of

# Sent with sender=Commune, ancienne, nouvelle, date (of effect), motif (for the history) and noter(texte), which
# adds a line to the import's report. Receivers move what they own from `ancienne` to `nouvelle`.
commune_remplacee = Signal()

COLONNES_MOUVEMENTS = [
    Colonne("mod", "type d'événement (MOD)", ("mod",)),
    Colonne("date_eff", "date d'effet (DATE_EFF)", ("date_eff",)),
    Colonne("typecom_av", "type de commune avant (TYPECOM_AV)", ("typecom_av",)),
    Colonne("com_av", "code de la commune avant (COM_AV)", ("com_av",)),
    Colonne("libelle_av", "nom de la commune avant (LIBELLE_AV)", ("libelle_av", "nccenr_av")),
    Colonne("typecom_ap", "type de commune après (TYPECOM_AP)", ("typecom_ap",)),
    Colonne("com_ap", "code de la commune après (COM_AP)", ("com_ap",)),
    Colonne("libelle_ap", "nom de la commune après (LIBELLE_AP)", ("libelle_ap", "nccenr_ap")),
]
OBLIGATOIRES_MOUVEMENTS = ["mod", "date_eff", "typecom_av", "com_av", "typecom_ap", "com_ap", "libelle_ap"]
FORMAT_MOUVEMENTS = "mouvements des communes (INSEE)"

# The MOD codes of INSEE's documentation of the file.
LIBELLES_MOD = {
    10: "changement de nom",
    20: "création",
    21: "rétablissement",
    30: "suppression",
    31: "fusion simple",
    32: "création de commune nouvelle",
    33: "fusion-association",
    34: "transformation de fusion-association en fusion simple",
    41: "changement de code dû à un changement de département",
    50: "changement de code dû à un transfert de chef-lieu",
    70: "transformation de commune associée en commune déléguée",
}
# COM_AV → COM_AP, two codes: the territory of COM_AV is now COM_AP's.
REMPLACEMENTS = {31, 32, 33, 34, 41, 50}
# COM_AV → COM_AP, two codes: COM_AP is created from part of COM_AV's territory (which one of COM_AV's schools
# are in it, only the next schools file tells).
CREATIONS = {20, 21}


@dataclass
class Mouvement:
    numero: int
    mod: int
    date: datetime.date
    com_av: str
    libelle_av: str
    com_ap: str
    libelle_ap: str

    @property
    def libelle(self) -> str:
        return f"{LIBELLES_MOD[self.mod]}, {self.date.strftime('%d/%m/%Y')}"


def mod(valeur: str) -> int:
    if not valeur.isdigit() or int(valeur) not in LIBELLES_MOD:
        connus = ", ".join(str(code) for code in LIBELLES_MOD)
        raise ErreurChamp("mod", valeur, f"type d'événement inconnu : l'un des codes {connus} est attendu.")
    return int(valeur)


def date_effet(cle: str, valeur: str) -> datetime.date:
    if not date_iso(cle, valeur):
        raise ErreurChamp(cle, valeur, "valeur obligatoire manquante (date d'effet).")
    try:
        return datetime.date.fromisoformat(valeur)
    except ValueError:
        raise ErreurChamp(cle, valeur, "cette date n'existe pas dans le calendrier.") from None


def _verifier(valeurs: dict, rapport, filtre) -> Mouvement | None:
    erreurs = Erreurs()
    code_mod = erreurs.essayer(mod, valeurs["mod"])
    date = erreurs.essayer(date_effet, "date_eff", valeurs["date_eff"])
    com_av = erreurs.essayer(code_insee, "com_av", valeurs["com_av"])
    com_ap = erreurs.essayer(code_insee, "com_ap", valeurs["com_ap"])
    libelle_ap = erreurs.essayer(texte, "libelle_ap", valeurs["libelle_ap"], 150, "nom de la commune après")
    erreurs.lever()
    types = (normaliser_valeur(valeurs["typecom_av"]), normaliser_valeur(valeurs["typecom_ap"]))
    if types != ("COM", "COM"):
        rapport.ignorees["Commune déléguée, associée ou arrondissement (TYPECOM autre que COM)"] += 1
        return None
    if filtre and filtre.exclut(com_av, com_ap):
        rapport.ignorees[filtre.hors] += 1
        return None
    return Mouvement(0, code_mod, date, com_av, valeurs.get("libelle_av", ""), com_ap, libelle_ap)


def traiter_mouvements(lecteur, contexte: Contexte, filtre, progression) -> None:
    """Reads every row (a refused file changes nothing), then applies them in date order (INSEE's file is not
    sorted)."""
    rapport = contexte.rapport
    mouvements = []
    for numero, mouvement in lignes_valides(lecteur, rapport, lambda v: _verifier(v, rapport, filtre), progression):
        mouvement.numero = numero
        mouvements.append(mouvement)
    # On one date, the new names first: a commune nouvelle that keeps a former commune's code is written with
    # that code renamed, and the communes merged into it are then reported as going into it, by its new name.
    mouvements.sort(key=lambda m: (m.date, m.com_av != m.com_ap, m.numero))
    Application(contexte, mouvements).appliquer()


class Application:
    def __init__(self, contexte: Contexte, mouvements: list[Mouvement]):
        self.contexte, self.rapport, self.mouvements = contexte, contexte.rapport, mouvements
        codes = {m.com_av for m in mouvements} | {m.com_ap for m in mouvements}
        self.communes = {c.code_insee: c for c in Commune.objects.filter(code_insee__in=codes)}

    def appliquer(self) -> None:
        for mouvement in self.mouvements:
            if mouvement.com_av == mouvement.com_ap:
                self.renommer(mouvement)
            elif mouvement.mod in REMPLACEMENTS:
                self.remplacer(mouvement)
            elif mouvement.mod in CREATIONS:
                self.creer(mouvement)
            else:
                self.rapport.ignorees[f"Événement « {LIBELLES_MOD[mouvement.mod]} » : à traiter par un agent"] += 1

    def noter(self, texte: str) -> None:
        self.rapport.noter_modification(texte)

    def _sauver(self, objet) -> None:
        objet._change_reason = self.contexte.motif_historique
        objet.save()

    def renommer(self, m: Mouvement) -> None:
        commune = self.communes.get(m.com_ap)
        if commune is None or commune.nom == m.libelle_ap:
            self.rapport.inchangees += 1
            return
        self.noter(f"{commune.code_insee} : nom « {commune.nom} » → « {m.libelle_ap} » ({m.libelle})")
        commune.nom = m.libelle_ap
        self._sauver(commune)
        self.rapport.modifiees += 1

    def _assurer(self, code: str, nom: str, m: Mouvement) -> Commune:
        """The commune `code` after the event: created if unknown, back in use if it had been replaced."""
        commune = self.communes.get(code)
        if commune is not None and commune.remplacee_par_id is not None:
            self.noter(f"{commune} : de nouveau une commune ({m.libelle}), après son remplacement")
            commune.remplacee_par, commune.date_remplacement = None, None
            self._sauver(commune)
            self.rapport.modifiees += 1
        if commune is None:
            commune = Commune(code_insee=code, nom=nom, departement=departement_of(code))
            creer_avec_historique([commune], Commune, self.contexte)
            self.communes[code] = commune
            self.rapport.creees += 1
            self.noter(f"{code} : commune « {nom} » créée ({m.libelle})")
        return commune

    def creer(self, m: Mouvement) -> None:
        existante = self.communes.get(m.com_ap)
        if m.com_av not in self.communes or (existante is not None and existante.remplacee_par_id is None):
            # Out of what we store (the territory it comes from has none of our schools), or already there.
            self.rapport.inchangees += 1
            return
        self._assurer(m.com_ap, m.libelle_ap, m)

    def remplacer(self, m: Mouvement) -> None:
        ancienne = self.communes.get(m.com_av)
        if ancienne is None or ancienne.remplacee_par_id is not None:
            self.rapport.inchangees += 1
            return
        nouvelle = self._assurer(m.com_ap, m.libelle_ap, m)
        self.noter(f"{ancienne} → {nouvelle.nom} ({nouvelle.code_insee}) : {m.libelle}")
        ancienne.remplacee_par, ancienne.date_remplacement = nouvelle, m.date
        self._sauver(ancienne)
        if nouvelle.groupement_id is None and ancienne.groupement_id is not None:
            nouvelle.groupement_id = ancienne.groupement_id
            self._sauver(nouvelle)
            self.noter(f"{nouvelle.code_insee} : membre du groupement de {ancienne.nom}")
        self.suivre_collectivite(ancienne, nouvelle)
        commune_remplacee.send(
            sender=Commune,
            ancienne=ancienne,
            nouvelle=nouvelle,
            date=m.date,
            motif=self.contexte.motif_historique,
            noter=self.noter,
        )
        self.rapport.modifiees += 1

    def suivre_collectivite(self, ancienne: Commune, nouvelle: Commune) -> None:
        collectivite = Collectivite.objects.filter(commune=ancienne).first()
        if collectivite is None:
            return
        if Collectivite.objects.filter(commune=nouvelle).exists():
            self.noter(
                f"La collectivité « {collectivite} » reste rattachée à {ancienne} : {nouvelle} a déjà sa collectivité."
            )
            return
        collectivite.commune = nouvelle
        self._sauver(collectivite)
        self.noter(
            f"La collectivité « {collectivite} » suit sa commune dans {nouvelle} : vérifiez son nom, son SIREN et son "
            "représentant."
        )
