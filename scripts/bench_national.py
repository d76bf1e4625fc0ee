#!/usr/bin/env python
"""Benchmark at national scale (issue 19): a country-shaped database, page costs, the campaign and its scale-out.

    bash scripts/services.sh            # PostgreSQL and Redis on this machine (what `make test` needs)
    DATABASE_URL=postgres://ent:ent@127.0.0.1:5432/ent BENCH_BROKER_URL=redis://127.0.0.1:6379/8 \
        .venv/bin/python scripts/bench_national.py [--echantillon 100] [--preparation 1500] [--duree 30]

1. Data: the national schools file of `bench_import_ecoles.py` (32,091 schools, 17,730 communes, every territory of
   the table of académies) imported by the real importer (timed, peak memory), then, with bulk inserts, each
   académie's schools shared out between collectivités (~12,000: communes and groupings) whose conventions hold 1 to
   300 schools (most of them one or two), two signed years (2021-2022, 2022-2023), their titres and payments, one
   representative per collectivité and a national agent. Then 2023-2024 prepared (`prepare_annee`'s service) for
   whole académies up to --preparation conventions (0: all of them), timed with its peak memory in a fresh process.
2. The campaign (render, freeze, e-mail) on two samples of the prepared conventions, by a Celery worker of 1 process
   and one of 2, both up on queues of their own and taking turns in rounds (A B B A B A A B) so that the machine's
   drift weighs on both alike: speed-up in the rounds' steady state (rendering work per second, each convention
   weighed by the CPU of rendering it alone), worker CPU per convention against that of the PDFs it rendered, peak
   memory per process. Before it, on a third of the first sample, the project's renderer against WeasyPrint called
   plainly on the same HTML (`bench_rendu.py`'s a/b).
3. Scale-out: two worker groups on separate queues, one académie each (sending and titres at once); the statements,
   locks and `EXPLAIN` plans of each kind of campaign item; two académies' titre counters locked at once.
4. Page costs (after the campaign, so that its batches and e-mails are rows too): the query count of every admin
   changelist (the admin registry) with 5 and 50 rows a page and with the default page over the national set, and
   of the portal's pages for conventions of ~5, ~50 and ~300 schools; a page whose count grows with the rows is
   flagged. Then p95 latency under load, on a gunicorn bound to 127.0.0.1: national agents over the admin lists,
   then simulated representatives pausing between clicks (sessions opened beforehand, not timed).

The database (`--database`, default `ent_national_bench`, next to DATABASE_URL's server, owner rights needed) is
dropped and created again; Redis database 8 (BENCH_BROKER_URL) is flushed. Every phase is bounded (--duree).
"""

import argparse
import contextlib
import dataclasses
import datetime
import json
import multiprocessing
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import bench_campaign
import bench_import_ecoles
import bench_portal
import bench_rendu
import bench_worker

BROKER_URL = os.environ.get("BENCH_BROKER_URL", bench_campaign.BROKER_URL)
ANNEES = ("2021-2022", "2022-2023")
NOUVELLE_ANNEE = "2023-2024"
TARIF = Decimal("50.00")
TAILLE_MAX = 300
OBJECTIFS = {
    "admin_ms": 300,
    "portail_ms": 150,
    "acceleration": 1.8,
    "cpu": 1.25,
    "memoire_mo": 250,
    "moteur": 1.5,
}
# Drafts of each académie of the samples that each worker process sends before the campaign is measured (not counted).
CHAUFFE = 2
# The rounds of the campaign, by the worker that takes each: A B B A B A A B, so that a drift of the machine's speed,
# linear or curved, weighs as much on the rounds of one worker as on those of the other.
MANCHES = ("un", "deux", "deux", "un", "deux", "un", "un", "deux")
SQL_VERROU = re.compile(r"FOR (NO KEY )?UPDATE( OF [^ ]+)?( SKIP LOCKED| NOWAIT)?", re.IGNORECASE)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="ent_national_bench", help="base créée pour la mesure (détruite d'abord)")
    parser.add_argument("--conventions", type=int, default=12_000, help="collectivités (une convention par an)")
    parser.add_argument("--echantillon", type=int, default=100, help="conventions de chaque mesure de la campagne")
    parser.add_argument("--duree", type=float, default=30, help="secondes de chaque mesure de charge")
    parser.add_argument("--representants", type=int, default=100, help="représentants simulés sur le portail")
    parser.add_argument("--agents", type=int, default=8, help="agents nationaux simulés sur l'administration")
    parser.add_argument("--pause", type=float, default=2.0, help="secondes de réflexion entre deux clics")
    parser.add_argument("--processus-web", type=int, default=3, help="processus de gunicorn pour la mesure de latence")
    parser.add_argument("--fils-web", type=int, default=1, help="fils de chaque processus de gunicorn")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument(
        "--preparation", type=int, default=1500, help="conventions reconduites (académies entières ; 0 : toutes)"
    )
    parser.add_argument("--reprendre", action="store_true", help="garder la base d'une exécution précédente")
    parser.add_argument(
        "--campagne-seule", action="store_true", help="avec --reprendre : ne mesurer que la campagne (phase 2)"
    )
    parser.add_argument("--mesurer", choices=["import", "preparation"], help=argparse.SUPPRESS)
    parser.add_argument("--fichier", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # Each worker's rounds need a steady state: more conventions than twice its processes, in each of its rounds.
    manches = len(MANCHES) // 2
    if args.echantillon < 10 * manches:
        parser.error(f"--echantillon : au moins {10 * manches} ({manches} manches de 10 par worker)")
    return args


def titre(texte: str) -> None:
    print(f"\n=== {texte} (charge de la machine : {os.getloadavg()[0]:.1f}) ===", flush=True)


# --- 1. The data -------------------------------------------------------------------------------------------------


def mesurer_en_sous_processus(etape: str, **options) -> dict:
    """Runs an import or the preparation in a fresh process (its own peak memory); returns what it printed."""
    extra = [f"--{k}={v}" for k, v in options.items()]
    child = subprocess.run(
        [sys.executable, __file__, "--mesurer", etape, *extra], capture_output=True, text=True, check=False
    )
    if child.returncode:
        sys.exit(f"Échec de l'étape {etape} :\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def mesure_enfant(args) -> None:
    """In the fresh process: the national import of the schools file, or the preparation of the next year for every
    académie, timed; prints one JSON line."""
    import django

    django.setup()
    debut, cpu = time.perf_counter(), time.process_time()
    rss_depart = bench_import_ecoles.memoire_ko("VmRSS") // 1024
    if args.mesurer == "import":
        from ecoles.importers import importer_ecoles

        rapport = importer_ecoles(args.fichier)
        detail = {"lues": rapport.lues, "creees": rapport.creees, "communes": rapport.communes_creees}
    else:
        from django.db.models import Count

        from conventions.annees import preparer_annee
        from conventions.models import AnneeScolaire

        reconduites = echecs = 0
        annees = list(AnneeScolaire.objects.filter(libelle=ANNEES[-1]).annotate(n=Count("conventions")).order_by("pk"))
        # Académies taken in a fixed shuffled order until --preparation conventions (all if 0).
        random.Random(args.seed).shuffle(annees)
        choisies = []
        for annee in annees:
            if args.preparation and sum(a.n for a in choisies) >= args.preparation:
                break
            choisies.append(annee)
        for precedente in choisies:
            _, _, rapports = preparer_annee(NOUVELLE_ANNEE, precedente)
            reconduites += sum(1 for r in rapports if r.creee)
            echecs += sum(1 for r in rapports if r.echec)
        detail = {
            "reconduites": reconduites,
            "echecs": echecs,
            "academies": len(choisies),
            "national": sum(a.n for a in annees),
        }
    print(
        json.dumps(
            {
                "secondes": round(time.perf_counter() - debut, 1),
                "cpu": round(time.process_time() - cpu, 1),
                "rss_depart_mo": rss_depart,
                "pic_mo": bench_import_ecoles.memoire_ko("VmHWM") // 1024,
                **detail,
            }
        )
    )


def tailles(rng: random.Random, nb_ecoles: int, nb_conventions: int) -> list[int]:
    """Convention sizes summing to nb_ecoles, about nb_conventions of them, skewed: most of one or two schools, a few
    of hundreds (a Pareto law, capped at TAILLE_MAX), as the communes and the intercommunalités that sign."""
    moyenne = nb_ecoles / max(nb_conventions, 1)
    # The mean of a floored Pareto(alpha) capped at 300 is about 1 + 1/(alpha - 1) - 0.5; solved for alpha.
    alpha = 1 + 1 / max(moyenne - 0.5, 0.05)
    resultat, reste = [], nb_ecoles
    while reste > 0:
        taille = min(TAILLE_MAX, reste, int(rng.paretovariate(alpha)))
        resultat.append(taille)
        reste -= taille
    return resultat


def generer(rng: random.Random, nb_conventions: int) -> dict:
    """Everything but the schools and communes (imported), with bulk inserts; returns counts."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from collectivites.academies import ACADEMIES
    from collectivites.models import GROUPE_NATIONAL, Collectivite, Commune, Contact, User
    from conventions.models import Academie, AnneeScolaire, Convention, Inscription
    from conventions.services import reference_for
    from demo.loader import ACADEMIE_MONTPELLIER, BILLING, GROUPES_RECTORAT, SIGNATAIRE_2021
    from ecoles.models import Ecole
    from facturation.models import CompteurTitres, Paiement, ParametresFacturation, Relance, TitreDePerception
    from tests.campagne.donnees import nouvelle_collectivite

    compte = {}
    with transaction.atomic():
        par_academie = defaultdict(list)
        for pk, academie, commune_id in Ecole.objects.order_by("commune__code_insee", "uai").values_list(
            "pk", "academie", "commune_id"
        ):
            par_academie[academie].append((pk, commune_id))
        communes = {c.pk: c for c in Commune.objects.only("pk", "code_insee", "nom", "departement")}
        nb_ecoles = sum(len(v) for v in par_academie.values())

        academies = Academie.objects.bulk_create(
            [
                Academie(
                    **{
                        **ACADEMIE_MONTPELLIER,
                        "code": code,
                        "nom": ACADEMIES[code].nom_complet.capitalize(),
                        "ville_signature": ACADEMIES[code].nom,
                        "correspondant_email": f"ent-ecole@ac-{code}.example.fr",
                    }
                )
                for code in sorted(par_academie)
            ]
        )
        ParametresFacturation.objects.bulk_create([ParametresFacturation(academie=a, **BILLING) for a in academies])
        annees = {
            (annee.academie.code, annee.libelle): annee
            for annee in AnneeScolaire.objects.bulk_create(
                [
                    AnneeScolaire(academie=a, libelle=libelle, tarif_par_ecole=TARIF, **SIGNATAIRE_2021)
                    for a in academies
                    for libelle in ANNEES
                ]
            )
        }

        # Each académie's schools, in commune order, shared out between its collectivités.
        plans = []  # (académie code, collectivité, [school pks])
        numero = 0
        for code, ecoles in sorted(par_academie.items()):
            cible = max(1, round(nb_conventions * len(ecoles) / nb_ecoles))
            debut = 0
            avec_collectivite = set()
            for taille in tailles(rng, len(ecoles), cible):
                part = ecoles[debut : debut + taille]
                debut += taille
                membres = list(dict.fromkeys(commune_id for _, commune_id in part))
                premiere = communes[membres[0]]
                seule = len(membres) == 1 and premiere.pk not in avec_collectivite
                numero += 1
                if seule:
                    avec_collectivite.add(premiere.pk)
                    nom = f"Commune de {premiere.nom.title()}"
                else:
                    nom = f"Communauté de communes n° {numero}"
                collectivite = nouvelle_collectivite(
                    numero, nom, premiere.departement, premiere if seule else None, True, groupement=not seule
                )
                collectivite.code_postal = collectivite.code_postal[:5]  # "971000" for an overseas département
                plans.append((code, collectivite, [pk for pk, _ in part], membres if not seule else []))
        collectivites = Collectivite.objects.bulk_create([p[1] for p in plans], batch_size=2000)
        groupes = []
        for _, collectivite, _, membres in plans:
            # A grouping's member communes: the first grouping that takes a commune's schools keeps it.
            for commune_id in membres:
                commune = communes[commune_id]
                if commune.groupement_id is None:
                    commune.groupement_id = collectivite.pk
                    groupes.append(commune)
        Commune.objects.bulk_update(groupes, ["groupement"], batch_size=2000)
        compte["collectivites"] = len(collectivites)

        conventions, inscriptions = [], []
        for libelle, signature in zip(ANNEES, (datetime.date(2021, 9, 13), datetime.date(2022, 9, 12)), strict=True):
            for code, collectivite, ecoles_pk, _ in plans:
                conventions.append(
                    Convention(
                        annee=annees[(code, libelle)],
                        collectivite=collectivite,
                        reference=reference_for(annees[(code, libelle)], collectivite, None),
                        etat=Convention.Etat.SIGNEE,
                        date_signature=signature,
                        # Article 7's figures, frozen when it was sent (the titre is issued from them).
                        tarif_fige=TARIF,
                        participation_figee=TARIF * len(ecoles_pk),
                        choix_ecoles_verrouille=True,
                        lieu_signature="Mairie",
                        representant_civilite=collectivite.representant_civilite,
                        representant_prenom=collectivite.representant_prenom,
                        representant_nom=collectivite.representant_nom,
                        representant_qualite=collectivite.representant_qualite,
                    )
                )
        conventions = Convention.objects.bulk_create(conventions, batch_size=2000)
        for index, convention in enumerate(conventions):
            for ecole_pk in plans[index % len(plans)][2]:
                inscriptions.append(Inscription(convention=convention, ecole_id=ecole_pk, annee=convention.annee))
        Inscription.objects.bulk_create(inscriptions, batch_size=5000)
        compte["conventions"], compte["inscriptions"] = len(conventions), len(inscriptions)

        titres, sequences = [], defaultdict(int)
        billing = BILLING
        for index, convention in enumerate(conventions):
            annee = convention.annee
            exercice = int(annee.libelle[:4])
            # Last year's conventions all have their titre; this year's 4 in 5 (the rest is the titres batch's work).
            if exercice == 2022 and index % 5 == 4:
                continue
            cle = (annee.academie_id, exercice)
            sequences[cle] += 1
            nb = len(plans[index % len(plans)][2])
            collectivite = convention.collectivite
            emission = datetime.date(exercice, 10, 14)
            titres.append(
                TitreDePerception(
                    convention=convention,
                    academie_id=annee.academie_id,
                    numero=f"{exercice}-{sequences[cle]:06d}",
                    annee_budgetaire=exercice,
                    sequence=sequences[cle],
                    date_emission=emission,
                    date_echeance=emission + datetime.timedelta(days=30),
                    montant=TARIF * nb,
                    montant_en_lettres="montant en lettres",
                    objet=f"Participation ENT-école {annee.libelle}",
                    convention_reference=convention.reference,
                    convention_date_signature=convention.date_signature,
                    annee_scolaire=annee.libelle,
                    tarif_par_ecole=TARIF,
                    nb_ecoles=nb,
                    emetteur_nom="Académie",
                    emetteur_adresse=ACADEMIE_MONTPELLIER["adresse"],
                    emetteur_code_postal=ACADEMIE_MONTPELLIER["code_postal"],
                    emetteur_ville=ACADEMIE_MONTPELLIER["ville"],
                    lieu_emission="Rectorat",
                    emetteur_siret=billing["siret"],
                    ordonnateur_nom=billing["ordonnateur_nom"],
                    ordonnateur_titre=billing["ordonnateur_titre"],
                    debiteur_nom=collectivite.nom,
                    debiteur_adresse=collectivite.adresse,
                    debiteur_code_postal=collectivite.code_postal,
                    debiteur_ville=collectivite.ville,
                    debiteur_departement=collectivite.departement,
                    debiteur_siren=collectivite.siren,
                    comptable_nom=billing["comptable_nom"],
                    comptable_adresse=billing["comptable_adresse"],
                    titulaire_compte=billing["titulaire_compte"],
                    iban=billing["iban"],
                    bic=billing["bic"],
                    pdf=f"titres/banc/{exercice}-{index}.pdf",
                    pdf_sha256="0" * 64,
                )
            )
        titres = TitreDePerception.objects.bulk_create(titres, batch_size=2000)
        # Loaded as history: the counters start where their titres end, which the guard trigger (one number at a
        # time, from 0) refuses; the owner lifts it for this insert, as migration facturation 0008 does.
        table = CompteurTitres._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            CompteurTitres.objects.bulk_create(
                [CompteurTitres(academie_id=a, annee_budgetaire=e, dernier_numero=n) for (a, e), n in sequences.items()]
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending check may remain for ALTER TABLE
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        paiements = []
        for index, titre_ in enumerate(titres):
            # Last year's: 9 in 10 paid; this year's: 2 in 5 paid, 1 in 10 partly.
            paye = index % 10 != 0 if titre_.annee_budgetaire == 2021 else index % 10 < 4
            if paye:
                montant = titre_.montant
            elif titre_.annee_budgetaire == 2022 and index % 10 == 4:
                montant = (titre_.montant / 2).quantize(Decimal("0.01"))
            else:
                continue
            paiements.append(
                Paiement(titre=titre_, date=titre_.date_emission + datetime.timedelta(days=20), montant=montant)
            )
        Paiement.objects.bulk_create(paiements, batch_size=5000)
        # Last year's unpaid titres were reminded once.
        relances = [
            Relance(
                titre=t,
                envoyee_le=datetime.datetime(2022, 1, 10, 9, tzinfo=datetime.UTC),
                destinataires=f"maire{t.convention.collectivite_id}@collectivite.example.fr",
                reste_a_payer=t.montant,
            )
            for index, t in enumerate(titres)
            if t.annee_budgetaire == 2021 and index % 10 == 0
        ]
        Relance.objects.bulk_create(relances, batch_size=5000)
        compte["titres"], compte["paiements"], compte["relances"] = len(titres), len(paiements), len(relances)

        # Article 2.7's contacts: a référent ville for 1 collectivité in 3, so that their admin list has rows.
        Contact.objects.bulk_create(
            [
                Contact(
                    collectivite=c,
                    role=Contact.Role.REFERENT,
                    prenom="Camille",
                    nom=f"Référent {c.pk}",
                    email=f"referent{c.pk}@collectivite.example.fr",
                )
                for c in collectivites[::3]
            ],
            batch_size=5000,
        )
        mot_de_passe = make_password(bench_portal.BENCH_PASSWORD)
        User.objects.bulk_create(
            [
                User(
                    email=f"maire{c.pk}@collectivite.example.fr",
                    password=mot_de_passe,
                    collectivite=c,
                    role=User.Role.REPRESENTANT,
                )
                for c in collectivites
            ],
            batch_size=5000,
        )
        national = User.objects.create(
            email="national@education.example.fr", password=mot_de_passe, is_staff=True, first_name="Agent"
        )
        national.groups.add(
            Group.objects.get_or_create(name=GROUPE_NATIONAL)[0], *Group.objects.filter(name__in=GROUPES_RECTORAT)
        )
    compte["academies"] = len(academies)
    return compte


def phase_donnees(args, rng: random.Random, workdir: Path) -> None:
    titre("1. Données nationales")
    fichier = workdir / "ips.csv"
    bench_import_ecoles.generer(fichier, "ips")
    resultat = mesurer_en_sous_processus("import", fichier=fichier)
    print(
        f"Import national des écoles (fichier IPS, {resultat['lues']} lignes) : {resultat['secondes']} s "
        f"(CPU {resultat['cpu']} s), {resultat['creees']} écoles et {resultat['communes']} communes créées ; "
        f"pic de mémoire {resultat['pic_mo']} Mo (Django chargé : {resultat['rss_depart_mo']} Mo)"
    )
    debut, cpu = time.perf_counter(), time.process_time()
    compte = generer(rng, args.conventions)
    print(
        f"Génération (insertions groupées) : {compte['academies']} académies, {compte['collectivites']} collectivités, "
        f"{compte['conventions']} conventions signées sur {len(ANNEES)} ans ({compte['inscriptions']} inscriptions), "
        f"{compte['titres']} titres, {compte['paiements']} paiements, {compte['relances']} relances en "
        f"{time.perf_counter() - debut:.1f} s "
        f"(CPU {time.process_time() - cpu:.1f} s) ; pic de mémoire de ce processus "
        f"{bench_import_ecoles.memoire_ko('VmHWM') // 1024} Mo"
    )
    repartition()
    resultat = mesurer_en_sous_processus("preparation", preparation=args.preparation, seed=args.seed)
    par_convention = resultat["secondes"] / max(resultat["reconduites"], 1)
    print(
        f"Préparation de {NOUVELLE_ANNEE} (prepare_annee) dans {resultat['academies']} académies : "
        f"{resultat['reconduites']} conventions reconduites, {resultat['echecs']} échecs, en {resultat['secondes']} s "
        f"(CPU {resultat['cpu']} s), {par_convention * 1000:.0f} ms par convention, soit ~"
        f"{par_convention * resultat['national'] / 60:.0f} min pour les {resultat['national']} conventions du pays "
        f"en un processus ; pic de mémoire {resultat['pic_mo']} Mo (Django chargé : {resultat['rss_depart_mo']} Mo)"
    )
    # A base in service has been vacuumed and analysed long since: without this, the autovacuum that the bulk inserts
    # set off would run during the measures below, and take part of a core from some of them.
    from django.db import connection

    debut = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE de la base : {time.perf_counter() - debut:.1f} s")


def repartition() -> None:
    """The shape of what was generated: schools per académie, conventions per size."""
    from django.db.models import Count

    from conventions.models import Convention

    par_taille = defaultdict(int)
    for nb in (
        Convention.objects.filter(annee__libelle=ANNEES[0])
        .annotate(n=Count("inscriptions"))
        .values_list("n", flat=True)
    ):
        par_taille[next(b for b in (1, 2, 5, 10, 50, 100, TAILLE_MAX) if nb <= b)] += 1
    print("Conventions par nombre d'écoles :", ", ".join(f"≤ {k} : {v}" for k, v in sorted(par_taille.items())))


# --- 4. Page costs -----------------------------------------------------------------------------------------------


def representants_types() -> dict[str, dict]:
    """A representative whose current convention holds ~5, ~50 and the most schools, with the pages to measure."""
    from django.db.models import Count
    from django.urls import reverse

    from collectivites.models import User
    from conventions.models import Convention

    courantes = Convention.objects.filter(annee__libelle=ANNEES[-1]).annotate(n=Count("inscriptions"))
    choix = {}
    for cible in (5, 50, TAILLE_MAX):
        convention = courantes.filter(n__lte=cible).order_by("-n", "pk").first()
        user = User.objects.filter(collectivite=convention.collectivite_id).first()
        choix[f"{convention.n} écoles"] = {
            "user": user,
            "urls": pages_portail(reverse, convention),
        }
    return choix


def pages_portail(reverse, convention) -> list[tuple[str, str]]:
    return [
        ("tableau de bord", reverse("portail:tableau_de_bord")),
        ("page de convention", reverse("conventions:detail", args=[convention.pk])),
        ("titres", reverse("facturation:titres")),
        ("contacts", reverse("collectivites:contacts")),
    ]


def compter(client, url: str) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as requetes:
        response = client.get(url)
    return response.status_code, len(requetes)


def phase_requetes() -> tuple[list[str], list[tuple[str, str]]]:
    """Query counts of every admin changelist and of the portal's pages; returns the pages flagged and the lists
    the national agent opens."""
    from django.contrib import admin
    from django.test import Client
    from django.urls import reverse

    from collectivites.models import User

    titre("4a. Requêtes par page (5, 50 lignes par page ; page par défaut sur le jeu national)")
    signalees, ouvertes = [], []
    client = Client()
    client.force_login(User.objects.get(email="national@education.example.fr"))
    # The lists the national agent may not open (authentication, operations) are measured as a superuser.
    superutilisateur = Client()
    superutilisateur.force_login(
        User.objects.get_or_create(
            email="admin@education.example.fr", defaults={"is_staff": True, "is_superuser": True}
        )[0]
    )
    print(f"{'liste de l’administration':<48}{'lignes':>8}{'5':>6}{'50':>6}{'national':>10}")
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        par_page = model_admin.list_per_page
        comptes = []
        try:
            qui = client if compter(client, url)[0] == 200 else superutilisateur
            if qui is client:
                ouvertes.append((model._meta.label, url))
            for n in (5, 50, par_page):
                model_admin.list_per_page = n
                comptes.append(compter(qui, url))
        finally:
            model_admin.list_per_page = par_page
        total = model._default_manager.count()
        drapeau = ""
        if any(status != 200 for status, _ in comptes):
            drapeau = f"  HTTP {[s for s, _ in comptes]}"
        elif comptes[1][1] > comptes[0][1] and total > 5:
            drapeau = "  ← CROÎT AVEC LES LIGNES"
        elif total <= 5:
            drapeau = "  (trop peu de lignes : non mesurée)"
        if qui is superutilisateur:
            drapeau += "  (superutilisateur)"
        if "HTTP" in drapeau or "CROÎT" in drapeau:
            signalees.append(f"admin {model._meta.label}{drapeau}")
        print(
            f"{model._meta.label:<48}{total:>8}"
            + "".join(f"{q:>6}" for _, q in comptes[:2])
            + f"{comptes[2][1]:>10}{drapeau}"
        )

    types = representants_types()
    print(f"\n{'page du portail':<22}" + "".join(f"{k:>14}" for k in types))
    comptes = defaultdict(list)
    for _, donnees in types.items():
        client = Client()
        client.force_login(donnees["user"])
        for page, url in donnees["urls"]:
            comptes[page].append(compter(client, url))
    for page, valeurs in comptes.items():
        drapeau = ""
        if any(status != 200 for status, _ in valeurs):
            drapeau = f"  HTTP {[s for s, _ in valeurs]}"
        elif valeurs[-1][1] > valeurs[0][1]:
            drapeau = "  ← CROÎT AVEC LES LIGNES"
        if drapeau:
            signalees.append(f"portail {page}{drapeau}")
        print(f"{page:<22}" + "".join(f"{q:>14}" for _, q in valeurs) + drapeau)
    return signalees, ouvertes


def charge(port: int, utilisateurs: list[dict], duree: float, pause: float) -> tuple[list, float]:
    """bench_portal's simulated users (log in, then loop over their pages with pauses) for `duree` seconds."""
    resultats: list = []
    pret = threading.Barrier(len(utilisateurs) + 1)
    stop = threading.Event()
    fils = [
        threading.Thread(target=bench_portal.run_user, args=(u, port, pause, pret, stop, resultats), daemon=True)
        for u in utilisateurs
    ]
    for fil in fils:
        fil.start()
    pret.wait(timeout=120)
    debut = time.perf_counter()
    time.sleep(duree)
    fin = time.perf_counter()
    stop.set()
    for fil in fils:
        fil.join(timeout=30)
    return [(kind, latency, ok) for kind, latency, ok, at in resultats if at <= fin], fin - debut


def rechauffer(port: int, utilisateurs: list[dict], connexions: int) -> None:
    """Each page asked once on each of `connexions` new connections at once, untimed: the first request a gunicorn
    process serves of a page imports its modules and compiles its templates, which a server running for a while has
    long done (measured cold, the admin's p95 was the start of its processes: 12 s)."""
    pages = {}
    for utilisateur in utilisateurs:
        for kind, path in utilisateur["urls"]:
            pages.setdefault(kind, (utilisateur["session"], path))

    def parcourir():
        for (nom, valeur), path in pages.values():
            client = bench_portal.Representant(port)
            client.cookies[nom] = valeur
            client.request("GET", path)
            client.connection.close()

    fils = [threading.Thread(target=parcourir, daemon=True) for _ in range(connexions)]
    for fil in fils:
        fil.start()
    for fil in fils:
        fil.join(timeout=120)


def session(user) -> tuple[str, str]:
    """A session cookie of `user`, opened as the test client's force_login does."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value


def phase_latence(args, env: dict, listes: list[tuple[str, str]]) -> dict:
    from django.urls import reverse

    from collectivites.models import User
    from conventions.models import Convention

    national = User.objects.get(email="national@education.example.fr")
    agents = [
        {
            "email": national.email,
            "session": session(national),
            "urls": listes[i % len(listes) :] + listes[: i % len(listes)],
        }
        for i in range(args.agents)
    ]
    courantes = list(
        Convention.objects.filter(annee__libelle=ANNEES[-1])
        .select_related("collectivite")
        .order_by("?")[: args.representants]
    )
    emails = dict(
        User.objects.filter(collectivite__in=[c.collectivite_id for c in courantes]).values_list(
            "collectivite_id", "email"
        )
    )
    comptes = {u.email: u for u in User.objects.filter(email__in=emails.values())}
    representants = [
        {
            "email": emails[c.collectivite_id],
            "session": session(comptes[emails[c.collectivite_id]]),
            "urls": pages_portail(reverse, c),
        }
        for c in courantes
    ]

    port = bench_portal.free_port()
    processus, fils = args.processus_web, args.fils_web
    gunicorn = bench_portal.start_gunicorn(env, port, workers=processus, threads=fils)
    resultats = {}
    try:
        rechauffer(port, agents + representants, 2 * processus * fils)
        titre(
            f"4b. Latence de l'administration : {args.agents} agents nationaux, pause {args.pause:g} s, "
            f"{args.duree:g} s"
        )
        mesures, duree = charge(port, agents, args.duree, args.pause)
        # ~8 clicks per list in 30 s: a list's own p95 is its slowest click; the target is on all the lists' clicks.
        resultats["admin"] = bench_portal.report(
            mesures, duree, limit_ms=OBJECTIFS["admin_ms"], kinds=("toutes les requêtes",)
        )
        titre(f"4c. Latence du portail : {args.representants} représentants, pause {args.pause:g} s, {args.duree:g} s")
        mesures, duree = charge(port, representants, args.duree, args.pause)
        resultats["portail"] = bench_portal.report(mesures, duree, limit_ms=OBJECTIFS["portail_ms"], kinds=())
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
    return resultats


# --- 2. The campaign ---------------------------------------------------------------------------------------------


def echantillons(nombre: int, rng: random.Random) -> tuple[list[int], list[int], dict[str, list[int]]]:
    """Two samples of the prepared drafts with the same spread of sizes (sorted by size, dealt in turn), and, for
    warming up each worker, other drafts of the same académies: CHAUFFE per académie and per process."""
    from django.db.models import Count

    from conventions.models import Convention

    brouillons = list(
        Convention.objects.filter(annee__libelle=NOUVELLE_ANNEE, etat=Convention.Etat.BROUILLON)
        .annotate(n=Count("inscriptions"))
        .filter(n__gt=0)
        .values_list("pk", "n", "annee__academie_id")
    )
    if len(brouillons) < 4 * nombre:
        # Each run sends its samples and warm-ups (~250 drafts with the defaults), and its scale-out phase more.
        sys.exit(
            f"Il reste {len(brouillons)} brouillons de {NOUVELLE_ANNEE} avec des écoles, trop peu pour deux "
            f"échantillons de {nombre} et la chauffe des workers : relancer sans --reprendre."
        )
    # Most drafts are small: the sample keeps the national spread, plus the largest few so that long annexes count.
    rng.shuffle(brouillons)
    choisis = set(brouillons[: 2 * nombre - 4]) | set(sorted(brouillons, key=lambda b: (b[1], b[0]))[-4:])
    # Each académie prints its own text: a worker in service has drawn it already, as the renderer's caches keep it.
    chauffe = {"un": [], "deux": []}
    for academie in sorted({academie for _, _, academie in choisis}):
        autres = [pk for pk, n, a in brouillons if a == academie and (pk, n, a) not in choisis]
        chauffe["un"] += autres[:CHAUFFE]
        chauffe["deux"] += autres[CHAUFFE : 3 * CHAUFFE]
    choisis = sorted(choisis, key=lambda b: (b[1], b[0]))
    # Dealt A, B, B, A, A, B…: dealt A, B, A, B, B would get the larger of every pair (7 % more rendering).
    a = [pk for i, (pk, _, _) in enumerate(choisis) if i % 4 in (0, 3)]
    b = [pk for i, (pk, _, _) in enumerate(choisis) if i % 4 in (1, 2)]
    return a, b, chauffe


def en_manches(pks: list[int], nombre: int) -> list[list[int]]:
    """`pks` (sorted by size) dealt into `nombre` rounds back and forth (1, 2, …, n, n, …, 2, 1, 1, 2…), so that the
    rounds hold the same spread of sizes."""
    manches = [[] for _ in range(nombre)]
    for i, pk in enumerate(pks):
        tour, rang = divmod(i, nombre)
        manches[rang if tour % 2 == 0 else nombre - 1 - rang].append(pk)
    return manches


def pdf_final(convention) -> None:
    """What the campaign renders for a draft: its final PDF, with a verification code (set here, not saved), not the
    « PROJET » preview that a download of a draft gets."""
    from conventions.documents import document_fige
    from documents.verification import nouveau_code

    convention.code_verification = nouveau_code()
    document_fige(convention)


def chauffer(pks: list[int]):
    """This process made like a worker's before it is measured: these PDFs rendered (fonts loaded, the renderer's
    caches filled), what they leave alive frozen after each as a worker does (documents/gel.py); its Gel."""
    from conventions.documents import conventions_for_documents
    from conventions.models import Convention
    from documents.gel import Gel

    gel = Gel()
    for convention in conventions_for_documents(Convention.objects.filter(pk__in=pks)):
        pdf_final(convention)
        gel.apres_document()
    return gel


def _cpu_par_convention(chauffe: list[int], pks: list[int]) -> dict[int, float]:
    """In a new forked process warmed up on the same drafts as a worker: the CPU seconds of rendering each of these
    conventions' PDF once (the worker's freezing after each included)."""
    from conventions.documents import conventions_for_documents
    from conventions.models import Convention

    gel = chauffer(chauffe)
    cpu = {}
    for convention in conventions_for_documents(Convention.objects.filter(pk__in=pks)):
        debut = time.process_time()
        pdf_final(convention)
        gel.apres_document()
        cpu[convention.pk] = time.process_time() - debut
    return cpu


def cpu_rendus(pks: list[int], chauffe: list[int]) -> dict[int, float]:
    """The CPU of rendering alone each convention's PDF, in one process in the state of a worker's: new, warmed up on
    drafts of the same académies (the renderer's caches hold each académie's text). It weighs the rounds' work: a
    machine whose speed drifts moves every weight alike, so that their ratios hold."""
    from django.db import connections

    connections.close_all()  # the forked process opens its own
    with multiprocessing.get_context("fork").Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(_cpu_par_convention, (chauffe, pks))


def _rendre(pks: list[int]) -> float:
    """In a forked process: renders these conventions' PDFs twice; returns the seconds the second time took. The
    first pass, untimed, copies the pages the process writes to (shared with the script until then, copy on write)."""
    from conventions.documents import conventions_for_documents
    from conventions.models import Convention

    conventions = list(conventions_for_documents(Convention.objects.filter(pk__in=pks)))
    for convention in conventions:
        pdf_final(convention)
    debut = time.monotonic()
    for convention in conventions:
        pdf_final(convention)
    return time.monotonic() - debut


def rendu_contre_weasyprint(pks: list[int]) -> float:
    """`bench_rendu.py`'s (a) ÷ (b) on these conventions: median CPU of WeasyPrint called plainly on the final HTML
    over that of the project's renderer on the same document, taking turns (the first only warms up)."""
    from conventions.documents import conventions_for_documents
    from conventions.models import Convention

    temps = bench_rendu.mesurer(list(conventions_for_documents(Convention.objects.filter(pk__in=pks))))
    plain, rendu = statistics.median(temps["plain"]), statistics.median(temps["rendu"])
    print(
        f"Moteur de rendu face à WeasyPrint seul, sur {len(temps['rendu'])} conventions de l'échantillon A (CPU "
        f"médian) : {plain * 1000:.0f} ms contre {rendu * 1000:.0f} ms, {plain / rendu:.2f} × plus rapide "
        f"(objectif ≥ {OBJECTIFS['moteur']})"
    )
    return plain / rendu


def acceleration_rendu(a: list[int], b: list[int]) -> float:
    """The plain reference of the campaign's speed-up: the same PDFs rendered by one process, then by two processes
    at once, without Celery, database writes or e-mail. What this machine's two cores give to the rendering alone
    (shared caches, memory bandwidth) bounds what the workers can reach."""
    from django.db import connections

    connections.close_all()  # each forked process opens its own
    with multiprocessing.get_context("fork").Pool(2) as pool:
        seul = pool.apply(_rendre, (a,))
        ensemble = pool.map(_rendre, [a, b])
    return (len(a) + len(b)) / max(ensemble) / (len(a) / seul)


# Tasks queued by this script go to the queue named here (none: the default queue).
FILE_COURANTE = {"nom": ""}


def route(name, args, kwargs, options, task=None, **kw):
    """Celery's task router: every task queued now goes to the queue of the worker being fed."""
    return {"queue": FILE_COURANTE["nom"]} if FILE_COURANTE["nom"] else None


@contextlib.contextmanager
def vers_la_file(nom: str):
    """The tasks this block queues go to queue `nom`; a worker started with BENCH_FILE=`nom` queues there too what
    its tasks queue (scripts/bench_worker.py), so that a campaign's e-mails are sent by the worker that sent it."""
    from celery import current_app

    if current_app.conf.task_routes != (route,):
        current_app.conf.task_routes = (route,)
        current_app.amqp.flush_routes()
        current_app.amqp.__dict__.pop("router", None)  # a cached_property built with the routes of its first use
    FILE_COURANTE["nom"] = nom
    try:
        yield
    finally:
        FILE_COURANTE["nom"] = ""


@dataclasses.dataclass
class Worker:
    """A benchmark worker of `processus` processes on a queue of its own; its renders noted in `rendus`."""

    nom: str
    processus: int
    process: subprocess.Popen
    sampler: bench_campaign.MemorySampler
    rendus: Path

    @classmethod
    def demarrer(cls, env: dict, workdir: Path, nom: str, processus: int) -> "Worker":
        rendus = workdir / f"rendus-{nom}"
        rendus.mkdir()
        env = {**env, "BENCH_RENDUS_DIR": str(rendus), "BENCH_FILE": f"bench-{nom}"}
        process = bench_campaign.start_worker(
            env, processus, workdir / f"{nom}.log", name=nom, queues=f"bench-{nom}", app="scripts.bench_worker"
        )
        sampler = bench_campaign.MemorySampler(process.pid)
        sampler.start()
        return cls(nom, processus, process, sampler, rendus)

    def arreter(self) -> None:
        self.sampler.stopped.set()
        self.process.terminate()
        self.process.wait(60)

    def envoyer(self, pks: list[int], limite: float) -> dict:
        """Sends these drafts through the campaign's batches on this worker's queue and waits for them: what was
        done, the worker's CPU and that of its renders meanwhile, and when each item was finished."""
        from django.utils import timezone

        from conventions.campagne import lancer_envoi
        from conventions.models import Convention, ElementTraitement, Traitement
        from jobs.models import compteurs

        cpu, rendus = self.sampler.cpu_seconds(), bench_worker.cpu_des_rendus(self.rendus)
        debut = timezone.now()
        with vers_la_file(f"bench-{self.nom}"):
            lots = lancer_envoi(Convention.objects.filter(pk__in=pks))  # one batch per académie's year
        # One light query every half second: the script shares the machine with the worker it measures, and the
        # timings come from the items' own timestamps.
        en_cours = Traitement.objects.filter(pk__in=[lot.pk for lot in lots], termine_le=None)
        while en_cours.exists() and (timezone.now() - debut).total_seconds() < limite:
            time.sleep(0.5)
        elements = ElementTraitement.objects.filter(traitement__in=lots)
        apres, fait = bench_worker.cpu_des_rendus(self.rendus), compteurs(elements)
        for element in elements.filter(etat=ElementTraitement.Etat.ECHEC).select_related("convention")[:5]:
            print(f"  échec {element.convention.reference} : {element.message}")
        fins = sorted(elements.filter(etat=ElementTraitement.Etat.FAIT).values_list("maj_le", "convention_id"))
        return {
            "faits": fait["faits"],
            "echecs": fait["echecs"] + fait["restants"],
            "cpu": self.sampler.cpu_seconds() - cpu,
            "rendus": apres[0] - rendus[0],
            "cpu_rendus": apres[1] - rendus[1],
            "fins": fins,
            # From the launch to the last item finished: the wait for the first task and the tail included.
            "duree_totale": (fins[-1][0] - debut).total_seconds() if fins else 0.0,
        }

    def pics(self) -> list[int]:
        """Peak resident memory of each pool process, in MB."""
        return [self.sampler.peaks[pid] // 1024 for pid in sorted(self.sampler.peaks)]


def regime(fins: list, processus: int, poids: dict[int, float]) -> tuple[float, float]:
    """A round's steady state: (seconds, rendering work done) between its `processus`-th finished item and its
    `processus`-th before last, while every process was busy: the wait for the first task and the tail, where
    processes run out of work one by one, left out. The work is the conventions finished in between, each weighed
    by the CPU of rendering it alone."""
    dedans = fins[processus - 1 : len(fins) - processus]
    return (dedans[-1][0] - dedans[0][0]).total_seconds(), sum(poids[pk] for _, pk in dedans[1:])


def phase_campagne(args, env: dict, workdir: Path, rng: random.Random) -> dict:
    titre(
        f"2. Campagne sur deux échantillons de {args.echantillon} conventions (rendu, gel, e-mail), en "
        f"{len(MANCHES)} manches alternées"
    )
    a, b, chauffe = echantillons(args.echantillon, rng)
    poids = cpu_rendus(a + b, chauffe["un"])
    rendu_a, rendu_b = (statistics.fmean(poids[pk] for pk in pks) for pks in (a, b))
    print(
        f"Rendu seul du PDF (CPU), dans un processus neuf chauffé comme celui d'un worker : {rendu_a:.3f} s "
        f"(échantillon A), {rendu_b:.3f} s (B) par convention"
    )
    moteur = rendu_contre_weasyprint(a[::3])
    reference = acceleration_rendu(a, b)
    print(f"Rendu seul, par 1 puis par 2 processus à la fois (hors Celery) : accélération {reference:.2f} ×")
    workers = {}
    try:
        for nom, processus in (("un", 1), ("deux", 2)):
            workers[nom] = Worker.demarrer(env, workdir, nom, processus)
        limite = args.duree * 10
        # Workers that have run for a while: their processes have imported, connected and filled the renderer's
        # caches (fonts, lines, glyphs), as the process that weighed the renders has.
        for nom, worker in workers.items():
            worker.envoyer(chauffe[nom], limite)
        # Both workers stay up and take turns, on rounds of each sample in the order of MANCHES: a machine whose
        # speed drifts from one minute to the next (10 to 25 % here) slows both alike.
        manches = {"un": en_manches(a, len(MANCHES) // 2), "deux": en_manches(b, len(MANCHES) // 2)}
        mesures = {nom: [] for nom in workers}
        for nom in MANCHES:
            mesure = workers[nom].envoyer(manches[nom].pop(), limite)
            mesure["duree"], mesure["travail"] = regime(mesure["fins"], workers[nom].processus, poids)
            mesures[nom].append(mesure)
            print(
                f"  manche à {workers[nom].processus} processus : {mesure['faits']} envoyées, régime établi sur "
                f"{mesure['duree']:.2f} s, {mesure['travail'] / mesure['duree']:.2f} s de rendu seul par seconde"
            )
    finally:
        for worker in workers.values():
            worker.arreter()
    total = {
        nom: {cle: sum(m[cle] for m in liste) for cle in CUMULS} | {"pics": workers[nom].pics()}
        for nom, liste in mesures.items()
    }
    return bilan_campagne(total["un"], total["deux"], rendu_a, rendu_b, reference, moteur)


CUMULS = ("faits", "echecs", "cpu", "rendus", "cpu_rendus", "duree", "travail", "duree_totale")


def bilan_campagne(un: dict, deux: dict, rendu_a: float, rendu_b: float, reference: float, moteur: float) -> dict:
    """The campaign's figures from the rounds of each worker added up, printed; the ratios the issue sets."""
    mesures = {
        # Rendering work done per second in the steady state, 2 processes over 1: the samples are different
        # conventions, so that each is weighed by its rendering alone rather than counted.
        "acceleration": (deux["travail"] / deux["duree"]) / (un["travail"] / un["duree"]),
        # Conventions per second from launch to last item, the start and the tail of each round included.
        "acceleration_brute": (deux["faits"] / deux["duree_totale"]) / (un["faits"] / un["duree_totale"]),
        # The same rounds whole, in CPU seconds of PDF rendered per second in the same tasks: a machine running 10 %
        # slower (here, from one minute to the next) takes 10 % more CPU per PDF, so that this product does not move;
        # what lowers it is a process waiting (locks, the database, the worker's main process) or more work around
        # each PDF. It leaves out only what the two processes cost each other's rendering (shared caches).
        "acceleration_vitesse_egale": (deux["cpu_rendus"] / deux["duree_totale"])
        / (un["cpu_rendus"] / un["duree_totale"]),
        "acceleration_rendu": reference,
        # What 2 processes would give with a whole core each: twice the throughput, less what each convention
        # costs more in CPU when two run side by side (the shared machine gives neither a whole core).
        "acceleration_cpu": 2 * (un["cpu"] / max(un["faits"], 1)) / (deux["cpu"] / max(deux["faits"], 1)),
        "debit_deux": deux["faits"] / deux["duree_totale"],
        # The work around each PDF: the worker's CPU over that of the PDFs rendered in the same tasks.
        "cpu_un": un["cpu"] / un["cpu_rendus"],
        "cpu_deux": deux["cpu"] / deux["cpu_rendus"],
        # The same against the rendering alone in a process of its own, measured a minute earlier.
        "cpu_un_a_part": un["cpu"] / max(un["faits"], 1) / rendu_a,
        "cpu_deux_a_part": deux["cpu"] / max(deux["faits"], 1) / rendu_b,
        "memoire": max(un["pics"] + deux["pics"]),
        "moteur": moteur,
    }
    for nom, mesure, rendu in (("1 processus (A)", un, rendu_a), ("2 processus (B)", deux, rendu_b)):
        par_convention = mesure["cpu"] / max(mesure["faits"], 1)
        print(
            f"{nom} : {mesure['faits']} envoyées, {mesure['echecs']} échecs en {mesure['duree_totale']:.1f} s, "
            f"soit {mesure['faits'] / mesure['duree_totale']:.2f} conventions/s ; en régime établi, "
            f"{mesure['travail'] / mesure['duree']:.2f} s de rendu seul par seconde ; CPU du worker "
            f"{par_convention:.3f} s par convention = {mesure['cpu'] / mesure['cpu_rendus']:.2f} × celui de ses "
            f"{mesure['rendus']} PDF ({mesure['cpu_rendus'] / max(mesure['rendus'], 1):.3f} s chacun), "
            f"{par_convention / rendu:.2f} × le rendu seul à part ; pics de mémoire "
            f"{' / '.join(map(str, mesure['pics']))} Mo ; part d'un cœur obtenue par processus : "
            f"{mesure['cpu'] / mesure['duree_totale'] / len(mesure['pics']):.0%}"
        )
    print(
        f"Accélération de 1 à 2 processus, à travail de rendu égal : {mesures['acceleration']:.2f} × (objectif ≥ "
        f"{OBJECTIFS['acceleration']}), en conventions/s, manches entières : {mesures['acceleration_brute']:.2f} × ; "
        f"à vitesse de machine égale (CPU de PDF rendu par seconde, manches entières) : "
        f"{mesures['acceleration_vitesse_egale']:.2f} × ; "
        f"{mesures['acceleration_cpu']:.2f} × à CPU égal, {mesures['acceleration'] / reference:.2f} × celle du rendu "
        "seul ; "
        f"CPU du worker / ses rendus de PDF : {mesures['cpu_un']:.2f} et {mesures['cpu_deux']:.2f} "
        f"(objectif ≤ {OBJECTIFS['cpu']}), / le rendu seul à part : {mesures['cpu_un_a_part']:.2f} et "
        f"{mesures['cpu_deux_a_part']:.2f} ; mémoire de pointe {mesures['memoire']} Mo (objectif < "
        f"{OBJECTIFS['memoire_mo']} Mo)"
    )
    return mesures


# --- 3. Scale-out ------------------------------------------------------------------------------------------------


def phase_repartition(args, env: dict, workdir: Path, debit_deux: float) -> None:
    from django.db.models import Count

    from conventions.campagne import lancer_envoi
    from conventions.models import Convention
    from facturation.campagne import lancer_emission

    titre("3. Deux groupes de workers sur deux files (une académie chacun) : envoi et titres à la fois")
    # The two académies with the most conventions left to send.
    codes = list(
        Convention.objects.filter(annee__libelle=NOUVELLE_ANNEE, etat=Convention.Etat.BROUILLON)
        .values("annee__academie__code")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("annee__academie__code", flat=True)[:2]
    )
    groupes, lots = {}, []
    try:
        for code in codes:
            groupes[code] = Worker.demarrer(env, workdir, f"academie-{code}", 1)
        debut = time.monotonic()
        for code in codes:
            envoi = (
                Convention.objects.filter(
                    annee__libelle=NOUVELLE_ANNEE, annee__academie__code=code, etat=Convention.Etat.BROUILLON
                )
                .annotate(n=Count("inscriptions"))
                .filter(n__gt=0)
                .order_by("pk")[: args.echantillon // 2]
            )
            titres = Convention.objects.signees().filter(
                annee__libelle=ANNEES[-1], annee__academie__code=code, titres__isnull=True
            )[: args.echantillon // 2]
            with vers_la_file(f"bench-{groupes[code].nom}"):
                lots += lancer_envoi(Convention.objects.filter(pk__in=list(envoi.values_list("pk", flat=True))))
                lots += lancer_emission(Convention.objects.filter(pk__in=list(titres.values_list("pk", flat=True))))
        faits = defaultdict(int)
        for lot in lots:
            _, compteurs = bench_campaign.wait_for(lot, f"{lot.libelle_type} ({lot.annee})", timeout=args.duree * 10)
            faits[lot.libelle_type] += compteurs["faits"]
        duree = time.monotonic() - debut
    finally:
        for worker in groupes.values():
            worker.arreter()
    detail = ", ".join(f"{n} × {libelle.lower()}" for libelle, n in faits.items())
    print(
        f"Deux groupes d'un processus, académies {' et '.join(codes)} : {detail} en {duree:.1f} s, soit "
        f"{sum(faits.values()) / duree:.2f} éléments/s (un groupe de 2 processus, phase 2 : {debit_deux:.2f} envois/s)"
    )


def resume_sql(sql: str) -> str:
    """ "SELECT conventions_convention FOR UPDATE", "INSERT facturation_titredeperception"…"""
    verbe = sql.split(None, 1)[0].upper()
    motif = {"SELECT": r'FROM "([^"]+)"', "UPDATE": r'UPDATE "([^"]+)"', "INSERT": r'INTO "([^"]+)"'}.get(
        verbe, r'"([^"]+)"'
    )
    table = re.search(motif, sql)
    verrou = SQL_VERROU.search(sql)
    return f"{verbe} {table.group(1) if table else '?'}" + (f" {verrou.group(0)}" if verrou else "")


def resume_plan(plan: list[str]) -> str:
    """The plan's scans and lock nodes, without their costs."""
    noeuds = [
        re.sub(r"\s+\(cost=[^)]*\)", "", ligne).strip(" ->") for ligne in plan if "Scan" in ligne or "LockRows" in ligne
    ]
    return " | ".join(noeuds[:3]) or re.sub(r"\s+\(cost=[^)]*\)", "", plan[0])


def plans_elements() -> None:
    """Each kind of campaign item run once in this process, its statements captured, each explained."""
    from celery import current_app
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from conventions.campagne import lancer_envoi
    from conventions.models import Convention
    from facturation.campagne import lancer_emission

    titre("3b. Requêtes, verrous et plans de chaque élément de campagne (EXPLAIN)")
    current_app.conf.task_always_eager = True
    brouillon = (
        Convention.objects.filter(annee__libelle=NOUVELLE_ANNEE, etat=Convention.Etat.BROUILLON)
        .exclude(inscriptions=None)
        .first()
    )
    signee = Convention.objects.signees().filter(annee__libelle=ANNEES[-1], titres__isnull=True).first()
    elements = {
        "envoi": lambda: lancer_envoi(Convention.objects.filter(pk=brouillon.pk)),
        "titre": lambda: lancer_emission(Convention.objects.filter(pk=signee.pk)),
    }
    try:
        for nom, lancer in elements.items():
            with CaptureQueriesContext(connection) as requetes:
                lancer()
            sqls = [q["sql"] for q in requetes.captured_queries]
            # The batch's creation comes first; the item starts with its claim (SELECT … FOR UPDATE SKIP LOCKED).
            debut = next((i for i, sql in enumerate(sqls) if "SKIP LOCKED" in sql), 0)
            print(f"\n-- {nom} : {len(sqls) - debut} requêtes pour l'élément ({debut} pour créer le lot)")
            vus = set()
            for sql in sqls[debut:]:
                forme = re.sub(r"\d+|'[^']*'", "?", sql)
                if forme in vus or not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT", "DELETE")):
                    continue
                vus.add(forme)
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN " + sql)
                    plan = [ligne for (ligne,) in cursor.fetchall()]
                print(f"  {resume_sql(sql):<70} {resume_plan(plan)}")
    finally:
        current_app.conf.task_always_eager = False


def compteurs_independants() -> None:
    """Two transactions lock the titre counters of two académies at once; a third waits for the first's."""
    import psycopg2
    from django.conf import settings

    from facturation.models import CompteurTitres

    titre("3c. Le compteur de titres est un verrou de ligne par académie et par exercice")
    base = settings.DATABASES["default"]
    connecter = lambda: psycopg2.connect(  # noqa: E731
        dbname=base["NAME"], user=base["USER"], password=base["PASSWORD"], host=base["HOST"], port=base["PORT"]
    )
    table = CompteurTitres._meta.db_table
    [c1, c2] = CompteurTitres.objects.filter(annee_budgetaire=2022).order_by("academie__code")[:2]
    sql = f"SELECT dernier_numero FROM {table} WHERE academie_id = %s AND annee_budgetaire = 2022 FOR UPDATE"
    premiere, seconde = connecter(), connecter()
    try:
        with premiere.cursor() as a, seconde.cursor() as b:
            a.execute(sql, [c1.academie_id])
            b.execute("SET lock_timeout = '500ms'")
            debut = time.perf_counter()
            b.execute(sql, [c2.academie_id])
            print(
                f"Académie {c2.academie_id} verrouillée pendant que {c1.academie_id} l'est : "
                f"{(time.perf_counter() - debut) * 1000:.1f} ms, sans attente"
            )
            seconde.rollback()
            b.execute("SET lock_timeout = '500ms'")
            try:
                b.execute(sql, [c1.academie_id])
                print("Même académie : obtenu sans attendre (inattendu)")
            except psycopg2.errors.LockNotAvailable:
                print(
                    f"Même académie {c1.academie_id} : attend la première transaction (lock_timeout de 500 ms atteint)"
                )
    finally:
        premiere.close()
        seconde.close()


def main():
    args = parse_args()
    # Stopped by a signal: the finally clauses stop the workers and the server this script started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("Arrêté (SIGTERM)."))
    if args.mesurer:
        mesure_enfant(args)
        return
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="ent-national-"))
    (workdir / "mails").mkdir()
    if args.reprendre:
        database_url = urllib.parse.urlsplit(os.environ.get("DATABASE_URL", bench_campaign.DEFAULT_DATABASE_URL))
        database_url = database_url._replace(path=f"/{args.database}").geturl()
    else:
        database_url = bench_campaign.recreate_database(args.database)
    env = bench_campaign.configure_environment(database_url, workdir, BROKER_URL)
    env = {**bench_portal.environment(database_url), **env, "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver"}
    os.environ.update(env)

    import django

    django.setup()
    import redis
    from django.core.management import call_command

    # A worker left by a run stopped with kill -9 would take part of the work and skew every figure, silently. Asked
    # to Redis, not by Celery's ping: its pooled connection would hang the processes this script forks.
    courtier = redis.Redis.from_url(BROKER_URL)
    base = courtier.connection_pool.connection_kwargs.get("db", 0)
    if consommateurs := [c for c in courtier.client_list() if c["cmd"] == "brpop" and int(c["db"]) == base]:
        sys.exit(
            f"{len(consommateurs)} workers attendent déjà des tâches sur {BROKER_URL} : les arrêter "
            "(pkill -f 'celery -A') avant de mesurer."
        )
    courtier.flushdb()
    debut = time.monotonic()
    call_command("migrate", verbosity=0)  # a kept database too: the code may have gained migrations since
    print(f"Base {args.database} migrée en {time.monotonic() - debut:.1f} s ; travail dans {workdir}")
    if not args.reprendre:
        phase_donnees(args, rng, workdir)
    campagne_ = phase_campagne(args, env, workdir, rng)
    if args.campagne_seule:
        return
    phase_repartition(args, env, workdir, campagne_["debit_deux"])
    plans_elements()
    compteurs_independants()
    # After the campaign, so that its batches, items and e-mails are rows of their admin lists too.
    signalees, listes = phase_requetes()
    latence = phase_latence(args, env, listes)
    redis.Redis.from_url(BROKER_URL).flushdb()

    titre("Bilan")
    print("Pages dont le nombre de requêtes croît avec les lignes :", "; ".join(signalees) or "aucune")
    print(f"Administration p95 < {OBJECTIFS['admin_ms']} ms sans erreur :", "oui" if latence["admin"] else "NON")
    print(f"Portail p95 < {OBJECTIFS['portail_ms']} ms sans erreur :", "oui" if latence["portail"] else "NON")
    print(
        f"Moteur / WeasyPrint seul {campagne_['moteur']:.2f} × ; "
        f"Accélération à travail égal {campagne_['acceleration']:.2f} ×, à vitesse égale "
        f"{campagne_['acceleration_vitesse_egale']:.2f} × "
        f"(rendu seul : {campagne_['acceleration_rendu']:.2f} ×) ; "
        f"CPU du worker / ses rendus {campagne_['cpu_un']:.2f} et "
        f"{campagne_['cpu_deux']:.2f} ; pic {campagne_['memoire']} Mo ; charge {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
