"""Demo data: the seed convention exactly as signed in 2021, and a realistic Aude built from the Ministry's schools.

It lives in facturation, the top of the dependency chain, because the demo spans every app. Everything is keyed by
natural identifiers (UAI, INSEE code, reference, e-mail), so running it twice changes nothing.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Group
from django.db import transaction
from stdnum import luhn

from collectivites.models import GROUPE_NATIONAL, Collectivite, Commune, User
from conventions.models import Academie, AnneeScolaire, Convention
from conventions.services import (
    choisir_ecoles,
    creer_convention,
    enregistrer_signature,
    envoyer_pour_signature,
    resilier,
)
from conventions.texte import texte_de_campagne
from ecoles.importers import importer_ecoles
from facturation.models import Paiement, ParametresFacturation
from facturation.services import emettre_titre, enregistrer_paiement

ECOLES_AUDE = Path(__file__).parent / "data" / "ips-ecoles-aude-2021-2022.csv"
ECOLES_ARIEGE = Path(__file__).parent / "data" / "ips-ecoles-ariege-2021-2022.csv"
DEMO_PASSWORD = "demo-ent-ecole-2021"
GENERATED_SIREN_NOTE = (
    "Données de démonstration : SIREN généré avec une clé valide (non réel), représentant fictif. "
    "À remplacer par les données réelles."
)
SEED_SIGNATURE = datetime.date(2021, 9, 13)
# The parties of the seed convention, as written in it (benchmarks and tests build their data sets on them too).
ACADEMIE_MONTPELLIER = {
    "nom": "Académie de Montpellier",
    "adresse": "31, rue de l'Université",
    "code_postal": "34 064",
    "ville": "MONTPELLIER Cedex 2",
    "ville_signature": "Montpellier",
    "correspondant_nom": "Le service ENT-école de la DANE",
    "correspondant_email": "ent-ecole@ac-montpellier.fr",
}
# The second académie of the demo (issue 17): Toulouse, with the Ariège schools of the Ministry's IPS file. Its
# identity is public (ac-toulouse.fr); its signatory and ordonnateur are named as in 2022, its IBAN is a test one.
ACADEMIE_TOULOUSE = {
    "nom": "Académie de Toulouse",
    "adresse": "75, rue Saint-Roch",
    "code_postal": "31 400",
    "ville": "TOULOUSE",
    "ville_signature": "Toulouse",
    "correspondant_nom": "La mission numérique éducative de l'académie de Toulouse",
    "correspondant_email": "ent-ecole@ac-toulouse.fr",
}
# Each académie's identity (conventions.Academie), by académie code: the seed's parties and how to reach the service.
IDENTITES = {
    "11": {
        **ACADEMIE_MONTPELLIER,
        "telephone": "04 67 91 47 00",
        "site_internet": "https://www.ac-montpellier.fr",
    },
    "16": {**ACADEMIE_TOULOUSE, "site_internet": "https://www.ac-toulouse.fr"},
}
SIGNATAIRE_2021 = {
    "signataire_prenom": "Sophie",
    "signataire_nom": "Béjean",
    "signataire_titre": "Rectrice de la région académique Occitanie, rectrice de l'académie de Montpellier, "
    "chancelière des universités",
}
# Demo billing settings: the comptable assignataire and how to pay. The IBAN is a published test IBAN.
BILLING = {
    "ordonnateur_nom": "Sophie Béjean",
    "ordonnateur_titre": "Rectrice de la région académique Occitanie, rectrice de l'académie de Montpellier",
    "siret": "13002110800019",  # demo value with a valid key
    "comptable_nom": "Direction régionale des finances publiques d'Occitanie et du département de la Haute-Garonne",
    "comptable_adresse": "34, rue des Lois\nCS 60001\n31039 TOULOUSE Cedex 9",
    "titulaire_compte": "DRFIP OCCITANIE ET HAUTE-GARONNE",
    "iban": "FR7630001007941234567890185",
    "bic": "BDFEFRPPCCT",
    "delai_paiement_jours": 30,
}

SIGNATAIRE_TOULOUSE = {
    "signataire_prenom": "Mostafa",
    "signataire_nom": "Fourar",
    "signataire_titre": "Recteur de l'académie de Toulouse, chancelier des universités",
}
BILLING_TOULOUSE = {
    **BILLING,
    "ordonnateur_nom": "Mostafa Fourar",
    "ordonnateur_titre": "Recteur de l'académie de Toulouse",
    "siret": "13002112400016",  # demo value with a valid key
}
# Ariège communes that sign for their schools in 2022-2023: one signed (and billed), one sent, one draft.
COMMUNES_ARIEGE = [
    ("09225", ("Monsieur", "Frédéric", "Mathieu"), "signee"),
    ("09122", ("Monsieur", "Norbert", "Meler"), "envoyee"),
    ("09261", ("Monsieur", "Jean-Noël", "Vigneau"), "brouillon"),
]

GROUPES_RECTORAT = ["Gestion ENT", "Finances"]

# (INSEE code, official name, postal code)
COMMUNES = {
    "09225": ("Pamiers", "09100"),
    "09122": ("Foix", "09000"),
    "09261": ("Saint-Girons", "09200"),
    "11260": ("Mouthoumet", "11330"),
    "11203": ("Lézignan-Corbières", "11200"),
    "11132": ("Fabrezan", "11200"),
    "11140": ("Ferrals-les-Corbières", "11200"),
    "11210": ("Luc-sur-Orbieu", "11200"),
    "11098": ("Conilhac-Corbières", "11200"),
    "11185": ("Lagrasse", "11220"),
    "11069": ("Carcassonne", "11000"),
    "11429": ("Villemoustaussou", "11620"),
    "11425": ("Villegailhenc", "11600"),
    "11279": ("Pennautier", "11610"),
    "11272": ("Palaja", "11570"),
    "11085": ("Cavanac", "11570"),
    "11397": ("Trèbes", "11800"),
    "11099": ("Conques-sur-Orbiel", "11600"),
    "11262": ("Narbonne", "11100"),
    "11206": ("Limoux", "11300"),
    "11076": ("Castelnaudary", "11400"),
    "11304": ("Quillan", "11500"),
    "11379": ("Sigean", "11130"),
    "11202": ("Leucate", "11370"),
    "11106": ("Coursan", "11110"),
    "11024": ("Bages", "11100"),
    "11041": ("Bize-Minervois", "11120"),
    "11315": ("Rieux-Minervois", "11160"),
    "11013": ("Argens-Minervois", "11200"),
    "11035": ("Belvianes-et-Cavirac", "11500"),
    "11441": ("Vinassan", "11110"),
    "11439": ("Villespy", "11170"),
    "11434": ("Villepinte", "11150"),
    "11433": ("Villeneuve-Minervois", "11160"),
    "11401": ("Tuchan", "11350"),
    "11398": ("Treilles", "11510"),
    "11170": ("Gruissan", "11430"),
    "11145": ("Fleury", "11560"),
}

# Fictional representatives for the communes (civility, first name, family name).
MAIRES = [
    ("Madame", "Claire", "Fabre"),
    ("Monsieur", "Jean", "Roques"),
    ("Madame", "Isabelle", "Marty"),
    ("Monsieur", "Pierre", "Cazals"),
    ("Madame", "Nathalie", "Bonnet"),
    ("Monsieur", "Michel", "Garrigues"),
    ("Madame", "Sylvie", "Barthe"),
    ("Monsieur", "Alain", "Vidal"),
    ("Madame", "Christine", "Pujol"),
    ("Monsieur", "Philippe", "Sabatier"),
]


@dataclass
class ConventionPlan:
    """The state the demo brings one convention to, with all the open public schools of its communes."""

    etat: str
    signature: datetime.date | None = None


# (INSEE code, {year: plan}) for communes that sign for themselves.
COMMUNES_SIGNATAIRES = [
    ("11262", {"2021-2022": ConventionPlan("signee"), "2022-2023": ConventionPlan("brouillon")}),
    ("11206", {"2021-2022": ConventionPlan("signee"), "2022-2023": ConventionPlan("envoyee")}),
    ("11076", {"2021-2022": ConventionPlan("signee"), "2022-2023": ConventionPlan("signee")}),
    ("11304", {"2021-2022": ConventionPlan("signee"), "2022-2023": ConventionPlan("brouillon")}),
    ("11379", {"2021-2022": ConventionPlan("signee")}),
    ("11202", {"2021-2022": ConventionPlan("signee"), "2022-2023": ConventionPlan("envoyee")}),
    ("11106", {"2021-2022": ConventionPlan("envoyee")}),
    ("11024", {"2021-2022": ConventionPlan("signee"), "2022-2023": ConventionPlan("signee")}),
    ("11041", {"2021-2022": ConventionPlan("signee")}),
    ("11315", {"2021-2022": ConventionPlan("resiliee")}),
    ("11013", {"2021-2022": ConventionPlan("signee"), "2022-2023": ConventionPlan("brouillon")}),
    ("11035", {"2021-2022": ConventionPlan("signee")}),
    ("11441", {"2022-2023": ConventionPlan("brouillon")}),
    ("11439", {"2021-2022": ConventionPlan("signee")}),
    ("11434", {"2021-2022": ConventionPlan("signee"), "2022-2023": ConventionPlan("envoyee")}),
    ("11433", {"2021-2022": ConventionPlan("brouillon")}),
    ("11401", {"2021-2022": ConventionPlan("signee")}),
    ("11398", {"2021-2022": ConventionPlan("signee")}),
    ("11170", {"2022-2023": ConventionPlan("brouillon")}),
    ("11145", {"2021-2022": ConventionPlan("signee")}),
]

LEZIGNANAIS = {
    "nom": "Communauté de Communes Région Lézignanaise Corbières et Minervois",
    "type": Collectivite.Type.COMMUNAUTE_COMMUNES,
    "adresse": "48 avenue Charles Cros",
    "code_postal": "11200",
    "ville": "Lézignan-Corbières",
    "representant_civilite": "Monsieur",
    "representant_prenom": "André",
    "representant_nom": "HERNANDEZ",
    "representant_qualite": "Président",
    "conventions_par_commune": True,
}
LEZIGNANAIS_CONVENTIONS = {
    "11260": {"2021-2022": ConventionPlan("signee", signature=SEED_SIGNATURE), "2022-2023": ConventionPlan("envoyee")},
    "11203": {"2021-2022": ConventionPlan("signee"), "2022-2023": ConventionPlan("brouillon")},
    "11132": {"2021-2022": ConventionPlan("signee")},
    "11140": {"2021-2022": ConventionPlan("envoyee")},
    "11210": {"2022-2023": ConventionPlan("brouillon")},
}

CARCASSONNE_AGGLO = {
    "nom": "Carcassonne Agglo",
    "type": Collectivite.Type.COMMUNAUTE_AGGLOMERATION,
    "adresse": "1 rue Pierre Germain",
    "code_postal": "11000",
    "ville": "Carcassonne",
    "representant_civilite": "Monsieur",
    "representant_prenom": "Régis",
    "representant_nom": "Delpech",
    "representant_qualite": "Président",
}
# An agglomération invoiced through Chorus Pro: its titres carry the SIRET of its finance department, the service code
# and the engagement number that it gave the rectorat (demo values).
CARCASSONNE_CHORUS = {"code_service_chorus": "DIR-FINANCES", "numero_engagement": "EJ-2021-000482"}
CARCASSONNE_COMMUNES = ["11069", "11429", "11425", "11279", "11272", "11085", "11397", "11099"]
CARCASSONNE_CONVENTIONS = {"2021-2022": ConventionPlan("signee"), "2022-2023": ConventionPlan("envoyee")}


def generated_siren(seed: str) -> str:
    body = f"2{int(seed):07d}"[-8:]
    return body + luhn.calc_check_digit(body)


def generated_siret(siren: str) -> str:
    """The SIREN's first establishment (NIC 0001 and the key that makes the 14 digits valid)."""
    body = f"{siren}0001"
    return body + luhn.calc_check_digit(body)


class DemoLoader:
    def __init__(self, stdout=None):
        self.stdout = stdout

    def log(self, message):
        if self.stdout:
            self.stdout.write(message)

    @transaction.atomic
    def load(self):
        report = importer_ecoles(ECOLES_AUDE)
        self.log("\n".join(report.lignes()))
        self.name_communes()
        self.academie = self.seed_academie()
        self.annees = self.seed_annees()
        # Each campaign's convention text, the 2021-2022 one of Montpellier, to read and change in the admin.
        for annee in self.annees.values():
            texte_de_campagne(annee)
        lezignanais = self.groupement(LEZIGNANAIS, "200001", [*LEZIGNANAIS_CONVENTIONS, "11098", "11185"])
        for insee, plans in LEZIGNANAIS_CONVENTIONS.items():
            self.conventions(lezignanais, plans, commune=Commune.objects.get(code_insee=insee))
        agglo = self.groupement(CARCASSONNE_AGGLO, "200002", CARCASSONNE_COMMUNES, chorus=CARCASSONNE_CHORUS)
        self.conventions(agglo, CARCASSONNE_CONVENTIONS)
        for index, (insee, plans) in enumerate(COMMUNES_SIGNATAIRES):
            self.conventions(self.commune_signataire(insee, MAIRES[index % len(MAIRES)]), plans)
        self.accounts(lezignanais, Collectivite.objects.get(commune__code_insee="11262"))
        self.billing()
        self.toulouse()

    def name_communes(self):
        """The schools file spells communes its own way ("MOUTHOUMET"); the demo uses the official names."""
        for commune in Commune.objects.filter(code_insee__in=COMMUNES):
            nom, code_postal = COMMUNES[commune.code_insee]
            if (commune.nom, commune.code_postal) != (nom, code_postal):
                commune.nom, commune.code_postal = nom, code_postal
                commune.save()

    def seed_academie(self):
        return Academie.objects.get_or_create(code="11", defaults=IDENTITES["11"])[0]

    def seed_annees(self):
        return {
            libelle: AnneeScolaire.objects.get_or_create(
                academie=self.academie,
                libelle=libelle,
                defaults={"tarif_par_ecole": Decimal("50.00"), **SIGNATAIRE_2021},
            )[0]
            for libelle in ["2021-2022", "2022-2023"]
        }

    def groupement(self, data, siren_seed, communes, chorus=None):
        siren = generated_siren(siren_seed)
        defaults = {**data, "departement": "11", "siren": siren, "notes": GENERATED_SIREN_NOTE}
        if chorus:
            defaults.update(chorus, siret=generated_siret(siren))
        collectivite, _ = Collectivite.objects.get_or_create(nom=data["nom"], defaults=defaults)
        Commune.objects.filter(code_insee__in=communes).exclude(groupement=collectivite).update(groupement=collectivite)
        return collectivite

    def commune_signataire(self, insee, maire):
        commune = Commune.objects.get(code_insee=insee)
        civilite, prenom, nom = maire
        collectivite, _ = Collectivite.objects.get_or_create(
            commune=commune,
            defaults={
                "nom": f"Commune de {commune.nom}",
                "type": Collectivite.Type.COMMUNE,
                "departement": commune.departement,
                "siren": generated_siren(f"1{insee}0"),
                "adresse": "Hôtel de ville",
                "code_postal": commune.code_postal,
                "ville": commune.nom,
                "representant_civilite": civilite,
                "representant_prenom": prenom,
                "representant_nom": nom,
                "representant_qualite": "Maire",
                "email": f"mairie@{insee}.demo.ent-ecole.fr",
                "notes": GENERATED_SIREN_NOTE,
            },
        )
        return collectivite

    def conventions(self, collectivite, plans, commune=None, annees=None):
        for libelle, plan in plans.items():
            annee = (annees or self.annees)[libelle]
            if Convention.objects.filter(annee=annee, collectivite=collectivite, commune=commune).exists():
                continue
            convention = creer_convention(annee, collectivite, commune)
            choisir_ecoles(convention, list(convention.ecoles_proposables()))
            self.advance(convention, plan)

    def advance(self, convention, plan):
        if plan.etat == Convention.Etat.BROUILLON or not convention.inscriptions.exists():
            return
        envoyer_pour_signature(convention)
        if plan.etat in (Convention.Etat.SIGNEE, Convention.Etat.RESILIEE):
            signature = plan.signature or datetime.date(convention.annee.premiere_annee, 9, 20)
            enregistrer_signature(convention, signature, convention.academie.ville_signature)
        if plan.etat == Convention.Etat.RESILIEE:
            resilier(
                convention,
                datetime.date(convention.annee.premiere_annee + 1, 3, 15),
                "Conciliation sans accord après mise en demeure (démonstration).",
            )

    def billing(self):
        """Titres for the signed 2021-2022 conventions, issued on 15 October 2021; most paid, one in part."""
        ParametresFacturation.objects.get_or_create(academie=self.academie, defaults=BILLING)
        signees = Convention.objects.signees().filter(annee=self.annees["2021-2022"], titres__isnull=True)
        for index, convention in enumerate(signees.order_by("reference")):
            titre = emettre_titre(convention, date_emission=datetime.date(2021, 10, 15))
            if index % 3 == 2:
                continue  # left unpaid, hence overdue
            amount = titre.montant if index % 5 else titre.montant - titre.montant / titre.nb_ecoles
            if amount > 0:
                enregistrer_paiement(
                    titre,
                    datetime.date(2021, 11, 10),
                    amount,
                    Paiement.Moyen.VIREMENT,
                    f"VIR-{titre.numero}",
                )

    def toulouse(self):
        """The second académie: its Ariège schools, its 2022-2023 campaign, its own titre numbers, its agents."""
        self.log("\n".join(importer_ecoles(ECOLES_ARIEGE).lignes()))
        self.name_communes()
        academie = Academie.objects.get_or_create(code="16", defaults=IDENTITES["16"])[0]
        ParametresFacturation.objects.get_or_create(academie=academie, defaults=BILLING_TOULOUSE)
        annee, _ = AnneeScolaire.objects.get_or_create(
            academie=academie,
            libelle="2022-2023",
            defaults={"tarif_par_ecole": Decimal("45.00"), **SIGNATAIRE_TOULOUSE},
        )
        self.annees_toulouse = {"2022-2023": annee}
        texte_de_campagne(annee)
        for insee, maire, etat in COMMUNES_ARIEGE:
            collectivite = self.commune_signataire(insee, maire)
            self.conventions(collectivite, {"2022-2023": ConventionPlan(etat)}, annees=self.annees_toulouse)
        signees = Convention.objects.signees().filter(annee=annee, titres__isnull=True)
        for convention in signees:
            emettre_titre(convention, date_emission=datetime.date(2022, 10, 14))
        for email, group in [("gestion@ac-toulouse.fr", "Gestion ENT"), ("finances@ac-toulouse.fr", "Finances")]:
            self.account(email, is_staff=True, academies=["16"]).groups.add(Group.objects.get(name=group))
        national = self.account("national@education.gouv.fr", is_staff=True, first_name="Agent", last_name="national")
        national.groups.add(
            Group.objects.get_or_create(name=GROUPE_NATIONAL)[0], *Group.objects.filter(name__in=GROUPES_RECTORAT)
        )

    def accounts(self, *collectivites):
        admin, created = User.objects.get_or_create(
            email="admin@ac-montpellier.fr",
            defaults={"first_name": "Admin", "last_name": "ENT", "is_staff": True, "is_superuser": True},
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        for email, group in [("gestion@ac-montpellier.fr", "Gestion ENT"), ("finances@ac-montpellier.fr", "Finances")]:
            self.account(email, is_staff=True, academies=["11"]).groups.add(Group.objects.get(name=group))
        for collectivite in collectivites:
            slug = "cc-lezignanais" if collectivite.est_groupement else "narbonne"
            self.account(f"representant@{slug}.demo.ent-ecole.fr", collectivite=collectivite, role="representant")

    def account(self, email, **fields):
        user, created = User.objects.get_or_create(email=email, defaults=fields)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def print_logins(self):
        self.log(
            "Démonstration prête : http://127.0.0.1:8000/admin/\n"
            f"  administrateur : admin@ac-montpellier.fr / {DEMO_PASSWORD}\n"
            f"  Montpellier, agent « Gestion ENT » : gestion@ac-montpellier.fr / {DEMO_PASSWORD}\n"
            f"  Montpellier, agent « Finances » : finances@ac-montpellier.fr / {DEMO_PASSWORD}\n"
            f"  Toulouse, agent « Gestion ENT » : gestion@ac-toulouse.fr / {DEMO_PASSWORD}\n"
            f"  Toulouse, agent « Finances » : finances@ac-toulouse.fr / {DEMO_PASSWORD}\n"
            f"  niveau national (toutes les académies) : national@education.gouv.fr / {DEMO_PASSWORD}\n"
            f"  portail (/espace/) : representant@cc-lezignanais.demo.ent-ecole.fr / {DEMO_PASSWORD}"
        )
