"""Benchmark of the schools import on a file the size and shape of the national one: seconds and peak memory.

    .venv/bin/python scripts/bench_import_ecoles.py                      # SQLite, the embedded default
    DATABASE_URL=postgres://ent:ent@127.0.0.1:5432/ent .venv/bin/python scripts/bench_import_ecoles.py
    .venv/bin/python scripts/bench_import_ecoles.py --formats ips --repetitions 2 \\
        --comparer postgres://ent:ent@127.0.0.1:5432/ent        # both, in turn: PostgreSQL ÷ SQLite

Generates, in both real headers ("IPS des écoles" 2021-2022 and "Annuaire de l'éducation"), a file of 32,091
premier-degré schools in 17,730 distinct communes, as many as the Ministry's 2021-2022 IPS file has: every
territory of the table of académies, Corsica's 620/720 UAIs and Saint-Martin's and Saint-Barthélemy's 971 UAIs
included; the annuaire file also holds collèges, to be skipped. Then, in a fresh process per file and on a
throwaway database (`<name>_bench`, created and dropped), times: the first import (everything created, communes
included), the same file again (nothing changes) and, for the annuaire, a file where 5 % of the schools changed
name or state. Peak RSS is read from the kernel (VmHWM). The CPU time of the importing process is printed too: on
SQLite it is the whole work, and it hardly moves with the load of a shared machine, unlike wall-clock time. A plain
reference is timed in the same process: reading the file with Python's csv module and nothing else.
Targets on SQLite: first import under 10 s, same file again under 3 s, peak RSS under 250 MB.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from collectivites.academies import TERRITOIRES  # noqa: E402 (plain data, no Django setup needed)

MINISTERE = BASE_DIR / "tests" / "ecoles" / "data" / "ministere"
ENTETES = {
    "ips": MINISTERE / "ips-ecoles-aude-2021-2022.csv",
    "annuaire": MINISTERE / "annuaire-education-extrait.csv",
}
NB_ECOLES = 32_091  # the 2021-2022 IPS file
NB_COMMUNES = 17_730  # its distinct INSEE codes
OBJECTIFS = {"premier import": 10.0, "même fichier": 3.0}
OBJECTIF_RSS_MO = 250
# Communes per overseas territory (INSEE codes leave them two digits); the metropolitan départements share the rest.
COMMUNES_OUTRE_MER = {"971": 32, "972": 34, "973": 22, "974": 24, "975": 2, "976": 17, "977": 1, "978": 1}
UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def luhn_digit(body: str) -> str:
    total = 0
    for i, char in enumerate(reversed(body)):
        n = int(char) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def siret_commune(code_insee: str) -> str:
    body = "21" + code_insee.replace("A", "0").replace("B", "0")[-5:] + "0"
    siren = body + luhn_digit(body)
    etablissement = siren + "0001"
    return etablissement + luhn_digit(etablissement)


def communes() -> list[tuple[str, object]]:
    """NB_COMMUNES (INSEE code, territory) spread over every territory of the table of académies."""
    metropole = [t for code, t in TERRITOIRES.items() if code not in COMMUNES_OUTRE_MER]
    reste = NB_COMMUNES - sum(COMMUNES_OUTRE_MER.values())
    liste = []
    for index, territoire in enumerate(metropole):
        nombre = reste // len(metropole) + (1 if index < reste % len(metropole) else 0)
        liste += [(f"{territoire.code}{n:03d}", territoire) for n in range(1, nombre + 1)]
    for code, nombre in COMMUNES_OUTRE_MER.items():
        liste += [(f"{code}{n:02d}", TERRITOIRES[code]) for n in range(1, nombre + 1)]
    assert len(liste) == NB_COMMUNES
    return liste


def ecoles(variation: float = 0.0):
    """NB_ECOLES schools: one in each commune, then the others spread over the communes; each a dict of values."""
    numeros: dict[str, int] = {}
    liste_communes = communes()
    for n in range(NB_ECOLES):
        code_insee, territoire = liste_communes[n % NB_COMMUNES]
        numero = numeros[territoire.prefixe_uai] = numeros.get(territoire.prefixe_uai, 0) + 1
        digits = f"{territoire.prefixe_uai}{numero:04d}"
        maternelle = n % 3 == 0
        change = bool(variation) and n % int(1 / variation) == 0
        yield {
            "uai": _uai(digits),
            "nom": f"ECOLE {'MATERNELLE' if maternelle else 'PRIMAIRE'} N {numero}" + (" BIS" if change else ""),
            "maternelle": maternelle,
            "prive": n % 7 == 0,
            "fermee": change and (n // 20) % 2 == 1,
            "code_insee": code_insee,
            "commune": f"COMMUNE {code_insee}",
            "departement": territoire.prefixe_uai if territoire.code not in ("2A", "2B") else f"0{territoire.code}",
            "academie": territoire.academie,
            "numero": numero,
        }


def _uai(digits: str) -> str:
    return digits + UAI_LETTERS[int(digits) % 23]


def generer(path: Path, format_: str, variation: float = 0.0) -> None:
    with ENTETES[format_].open(encoding="utf-8") as source:
        header = next(csv.reader(source, delimiter=";"))
    ligne = _ligne_ips if format_ == "ips" else _ligne_annuaire
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header, delimiter=";", restval="")
        writer.writeheader()
        for ecole in ecoles(variation):
            writer.writerow(ligne(ecole))
            if format_ == "annuaire" and ecole["numero"] % 10 == 0:
                writer.writerow(_college(ecole))


def _ligne_ips(ecole: dict) -> dict:
    return {
        "Rentrée scolaire": "2021-2022",
        "Académie": ecole["academie"].nom.upper(),
        "Code du département": ecole["departement"],
        "Département": "DEPARTEMENT",
        "UAI": ecole["uai"],
        "Nom de l'établissment": ecole["nom"],
        "Code INSEE de la commune": ecole["code_insee"],
        "Nom de la commune": ecole["commune"],
        "Secteur": "privé sous contrat" if ecole["prive"] else "public",
        "IPS": "101.3",
    }


def _ligne_annuaire(ecole: dict) -> dict:
    code_insee, maternelle = ecole["code_insee"], ecole["maternelle"]
    return {
        "Identifiant_de_l_etablissement": ecole["uai"],
        "Nom_etablissement": ecole["nom"].capitalize(),
        "Type_etablissement": "Ecole",
        "Statut_public_prive": "Privé" if ecole["prive"] else "Public",
        "Adresse_1": f"{ecole['numero']} rue de l'École",
        "Code_postal": f"{code_insee[:2].replace('A', '0').replace('B', '0')}{ecole['numero'] % 1000:03d}",
        "Code_commune": code_insee,
        "Nom_commune": ecole["commune"].title(),
        "Code_departement": ecole["departement"],
        "Code_academie": ecole["academie"].code,
        "Libelle_academie": ecole["academie"].nom,
        "Ecole_maternelle": "1",
        "Ecole_elementaire": "0" if maternelle else "1",
        "SIREN_SIRET": siret_commune(code_insee),
        "date_ouverture": "1965-05-01",
        "date_maj_ligne": "2026-05-27",
        "etat": "A FERMER" if ecole["fermee"] else "OUVERT",
        "code_nature": "101" if maternelle else "151",
        "libelle_nature": "ECOLE MATERNELLE" if maternelle else "ECOLE DE NIVEAU ELEMENTAIRE",
    }


def _college(ecole: dict) -> dict:
    return {
        "Identifiant_de_l_etablissement": _uai(ecole["uai"][:3] + "9" + ecole["uai"][4:7]),
        "Nom_etablissement": f"Collège n° {ecole['numero']}",
        "Type_etablissement": "Collège",
        "Statut_public_prive": "Public",
        "Code_commune": ecole["code_insee"],
        "code_nature": "340",
        "libelle_nature": "COLLEGE",
    }


def memoire_ko(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process, in kB, from the kernel."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def cpu_serveur(connection) -> float:
    """CPU seconds of the PostgreSQL backend serving this connection, when it runs on this machine (else 0)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        champs = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(champs[11]) + int(champs[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def reference(fichier: str) -> float:
    """The plain reference: reading the file with the csv module, each row as a dict, and nothing else."""
    start = time.perf_counter()
    with open(fichier, encoding="utf-8", newline="") as source:
        for _ in csv.DictReader(source, delimiter=";"):
            pass
    return time.perf_counter() - start


def mesurer(fichiers: list[str]) -> dict:
    """In a fresh process: Django, a throwaway database, then the imports, timed."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # Production settings: with DEBUG on, Django would keep every query in memory and skew the figures.
    os.environ["DEBUG"] = "False"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from ecoles.importers import importer_ecoles

    settings.DATABASES["default"]["TEST"]["NAME"] = f"{settings.DATABASES['default']['NAME']}_bench"
    old_name = settings.DATABASES["default"]["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        resultats = {"base": connection.vendor, "rss_depart_mo": memoire_ko("VmRSS") // 1024, "etapes": []}
        etapes = ("premier import", "même fichier", "5 % modifiées")
        for etape, fichier in zip(etapes, fichiers, strict=False):
            lecture = reference(fichier)
            start, cpu, serveur = time.perf_counter(), time.process_time(), cpu_serveur(connection)
            rapport = importer_ecoles(fichier)
            secondes, cpu = time.perf_counter() - start, time.process_time() - cpu
            serveur = cpu_serveur(connection) - serveur
            resultats["etapes"].append(
                {
                    "etape": etape,
                    "secondes": round(secondes, 2),
                    "cpu": round(cpu, 2),
                    "cpu_serveur": round(serveur, 2),
                    "ratio": round(secondes / lecture, 1),
                    "reference": round(lecture, 2),
                    "pic_rss_mo": memoire_ko("VmHWM") // 1024,
                    "lues": rapport.lues,
                    "creees": rapport.creees,
                    "communes": rapport.communes_creees,
                    "modifiees": rapport.modifiees,
                    "inchangees": rapport.inchangees,
                    "ignorees": rapport.nb_ignorees,
                    "rejetees": rapport.lignes_rejetees,
                    "premier_rejet": str(rapport.rejets[0]) if rapport.rejets else "",
                }
            )
        return resultats
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default="ips,annuaire", help="ips, annuaire ou les deux, séparés par une virgule")
    parser.add_argument(
        "--comparer",
        metavar="URL_POSTGRESQL",
        help="mesure aussi PostgreSQL (cette base), en alternance avec SQLite, et imprime le rapport des durées",
    )
    parser.add_argument("--repetitions", type=int, default=1, help="mesures de chaque base, en alternance")
    parser.add_argument("--mesurer", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mesurer:
        print(json.dumps(mesurer(args.mesurer)))
        return 0

    ok = True
    print(f"Charge de la machine (uptime) : {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    bases = {"SQLite": None, "PostgreSQL": args.comparer} if args.comparer else {"": os.environ.get("DATABASE_URL")}
    with tempfile.TemporaryDirectory() as tmp:
        for format_ in args.formats.split(","):
            fichiers = _fichiers(Path(tmp), format_)
            mesures: dict[str, list[dict]] = {base: [] for base in bases}
            for _ in range(args.repetitions):
                for base, url in bases.items():
                    resultats = _mesurer_a_part(fichiers, url)
                    if resultats is None:
                        return 1
                    mesures[base].append(resultats)
                    ok = _imprimer(format_, fichiers[0], resultats) and ok
            if args.comparer:
                _comparer(mesures)
    cibles = ", ".join(f"{etape} < {s:g} s" for etape, s in OBJECTIFS.items())
    print(
        f"\nObjectif atteint ({cibles}, pic < {OBJECTIF_RSS_MO} Mo)." if ok else f"\nObjectif NON atteint ({cibles})."
    )
    return 0 if ok else 1


def _fichiers(dossier: Path, format_: str) -> list[Path]:
    fichier = dossier / f"{format_}.csv"
    generer(fichier, format_)
    fichiers = [fichier, fichier]
    if format_ == "annuaire":
        fichiers.append(dossier / f"{format_}-modifie.csv")
        generer(fichiers[-1], format_, variation=0.05)
    return fichiers


def _mesurer_a_part(fichiers: list[Path], url: str | None) -> dict | None:
    """The measure in a fresh process, on SQLite (url None) or on the database of `url`."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if url:
        env["DATABASE_URL"] = url
    child = subprocess.run(
        [sys.executable, __file__, "--mesurer", *map(str, fichiers)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if child.returncode:
        print(child.stderr, file=sys.stderr)
        return None
    return json.loads(child.stdout.strip().splitlines()[-1])


def _imprimer(format_: str, fichier: Path, resultats: dict) -> bool:
    """Prints one measure; whether it meets the targets."""
    ok = True
    print(
        f"\n{format_} : {NB_ECOLES} écoles, {NB_COMMUNES} communes ({fichier.stat().st_size / 1e6:.1f} Mo), "
        f"base {resultats['base']} — RSS au départ : {resultats['rss_depart_mo']} Mo"
    )
    for etape in resultats["etapes"]:
        print(
            f"  {etape['etape']:<15} {etape['secondes']:>6.2f} s (CPU de ce processus {etape['cpu']:>5.2f} s"
            + (f", du serveur {etape['cpu_serveur']:>5.2f} s" if etape["cpu_serveur"] else "")
            + ", "
            f"{etape['ratio']:>5.1f} × la lecture csv "
            f"seule, {etape['reference']:.2f} s)  pic RSS {etape['pic_rss_mo']:>4} Mo   lues {etape['lues']}, "
            f"créées {etape['creees']} (communes {etape['communes']}), modifiées {etape['modifiees']}, "
            f"inchangées {etape['inchangees']}, ignorées {etape['ignorees']}, rejetées {etape['rejetees']}"
        )
        if etape["premier_rejet"]:
            print(f"    {etape['premier_rejet']}")
        objectif = OBJECTIFS.get(etape["etape"], float("inf"))
        ok = ok and etape["rejetees"] == 0 and etape["secondes"] < objectif
        ok = ok and etape["pic_rss_mo"] < OBJECTIF_RSS_MO
    return ok


def _comparer(mesures: dict[str, list[dict]]) -> None:
    """PostgreSQL against SQLite, step by step: the ratio of their best times in this run (1.00 = as fast)."""
    print("\n  PostgreSQL ÷ SQLite (meilleure durée de chacune, mesurées en alternance) :")
    sqlite, postgresql = mesures["SQLite"], mesures["PostgreSQL"]
    for index, etape in enumerate(sqlite[0]["etapes"]):
        meilleure_s = min(m["etapes"][index]["secondes"] for m in sqlite)
        meilleure_p = min(m["etapes"][index]["secondes"] for m in postgresql)
        rapport = meilleure_p / meilleure_s
        print(f"    {etape['etape']:<15} {meilleure_p:>6.2f} s ÷ {meilleure_s:>6.2f} s = {rapport:.2f}")


if __name__ == "__main__":
    sys.exit(main())
