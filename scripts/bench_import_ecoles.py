"""Benchmark of the schools import on a national-size file: seconds and peak memory.

    DATABASE_URL=postgres://ent:ent@127.0.0.1:5432/ent_bench .venv/bin/python scripts/bench_import_ecoles.py

Generates an "Annuaire de l'éducation" file (the real header, every column) of 32,000 premier-degré schools plus
collèges to skip, then, in a fresh process per size and on a throwaway database (`<name>_bench`, created and
dropped), times: the first import (everything created), the same file again (nothing changes), and a file where
5 % of the schools changed name or state. Peak RSS is read from the kernel (VmHWM). Running two sizes (default
8,000 and 32,000) shows whether memory grows with the file. Target: under 60 s for 32,000 schools.
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
HEADER_SOURCE = BASE_DIR / "tests" / "ecoles" / "data" / "ministere" / "annuaire-education-extrait.csv"
OBJECTIF_SECONDES = 60
# Départements as the UAI writes them (3 characters) and as INSEE does.
DEPARTEMENTS = (
    [(f"0{d:02d}", f"{d:02d}") for d in range(1, 96) if d != 20]
    + [("620", "2A"), ("720", "2B")]
    + [(d, d) for d in ("971", "972", "973", "974", "976")]
)
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


def generer(path: Path, nb_ecoles: int, variation: float = 0.0) -> None:
    """An annuaire file of nb_ecoles schools (and one collège per 10), `variation` of them renamed or closing."""
    with HEADER_SOURCE.open(encoding="utf-8") as source:
        header = next(csv.reader(source, delimiter=";"))
    per_departement = -(-nb_ecoles // len(DEPARTEMENTS))
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header, delimiter=";", restval="")
        writer.writeheader()
        n = 0
        for prefix, departement in DEPARTEMENTS:
            for i in range(per_departement):
                if n >= nb_ecoles:
                    return
                writer.writerow(_ligne(prefix, departement, i, n, variation))
                if i % 10 == 0:
                    writer.writerow(_college(prefix, departement, i))
                n += 1


def _uai(prefix: str, number: int) -> str:
    digits = f"{prefix}{number:04d}"
    return digits + UAI_LETTERS[int(digits) % 23]


def _commune(departement: str, i: int) -> str:
    # Three schools per commune; overseas INSEE codes have two digits left for the commune.
    return f"{departement}{i // 3 + 1:03d}" if len(departement) == 2 else f"{departement}{(i // 3) % 99 + 1:02d}"


def _ligne(prefix: str, departement: str, i: int, n: int, variation: float) -> dict:
    code_insee = _commune(departement, i)
    maternelle = i % 3 == 0
    change = variation and n % int(1 / variation) == 0
    return {
        "Identifiant_de_l_etablissement": _uai(prefix, i),
        "Nom_etablissement": f"Ecole {'maternelle' if maternelle else 'primaire'} n° {i}" + (" bis" if change else ""),
        "Type_etablissement": "Ecole",
        "Statut_public_prive": "Privé" if i % 7 == 0 else "Public",
        "Adresse_1": f"{i} rue de l'École",
        "Code_postal": f"{departement[:2].replace('A', '0').replace('B', '0')}{i % 1000:03d}",
        "Code_commune": code_insee,
        "Nom_commune": f"Commune {code_insee}",
        "Code_departement": prefix if not prefix.startswith(("6", "7")) else f"02{departement[1]}",
        "Code_academie": "11",
        "Ecole_maternelle": "1",
        "Ecole_elementaire": "0" if maternelle else "1",
        "SIREN_SIRET": siret_commune(code_insee),
        "date_ouverture": "1965-05-01",
        "date_maj_ligne": "2026-05-27",
        "etat": "A FERMER" if change and (n // 20) % 2 else "OUVERT",
        "code_nature": "101" if maternelle else "151",
        "libelle_nature": "ECOLE MATERNELLE" if maternelle else "ECOLE DE NIVEAU ELEMENTAIRE",
    }


def _college(prefix: str, departement: str, i: int) -> dict:
    return {
        "Identifiant_de_l_etablissement": _uai(prefix, 9000 + i // 10),
        "Nom_etablissement": f"Collège n° {i}",
        "Type_etablissement": "Collège",
        "Statut_public_prive": "Public",
        "Code_commune": _commune(departement, i),
        "code_nature": "340",
        "libelle_nature": "COLLEGE",
    }


def memoire_ko(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process, in kB, from the kernel."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def mesurer(fichiers: list[str]) -> dict:
    """In a fresh process: Django, a throwaway database, then the imports, timed."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # Production settings: with DEBUG on, Django would keep every query in memory and skew the figures.
    os.environ["DEBUG"] = "False"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from ecoles.importers import importer_ecoles

    if connection.vendor != "postgresql":
        print("Attention : mesure sur SQLite ; donnez DATABASE_URL=postgres://… pour la cible.", file=sys.stderr)
    settings.DATABASES["default"]["TEST"]["NAME"] = f"{settings.DATABASES['default']['NAME']}_bench"
    old_name = settings.DATABASES["default"]["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        resultats = {"rss_depart_mo": memoire_ko("VmRSS") // 1024, "etapes": []}
        for etape, fichier in zip(("premier import", "même fichier", "5 % modifiées"), fichiers, strict=True):
            start = time.perf_counter()
            rapport = importer_ecoles(fichier)
            resultats["etapes"].append(
                {
                    "etape": etape,
                    "secondes": round(time.perf_counter() - start, 1),
                    "pic_rss_mo": memoire_ko("VmHWM") // 1024,
                    "lues": rapport.lues,
                    "creees": rapport.creees,
                    "modifiees": rapport.modifiees,
                    "inchangees": rapport.inchangees,
                    "ignorees": rapport.nb_ignorees,
                    "rejetees": rapport.lignes_rejetees,
                }
            )
        return resultats
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tailles", default="8000,32000", help="Nombres d'écoles, séparés par des virgules.")
    parser.add_argument("--mesurer", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mesurer:
        print(json.dumps(mesurer(args.mesurer)))
        return 0

    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for taille in (int(t) for t in args.tailles.split(",")):
            fichiers = [Path(tmp) / f"annuaire-{taille}.csv", Path(tmp) / f"annuaire-{taille}-modifie.csv"]
            generer(fichiers[0], taille)
            generer(fichiers[1], taille, variation=0.05)
            size_mo = fichiers[0].stat().st_size / 1e6
            child = subprocess.run(
                [sys.executable, __file__, "--mesurer", str(fichiers[0]), str(fichiers[0]), str(fichiers[1])],
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode:
                print(child.stderr, file=sys.stderr)
                return child.returncode
            resultats = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"\n{taille} écoles ({size_mo:.1f} Mo) — RSS au départ : {resultats['rss_depart_mo']} Mo")
            for etape in resultats["etapes"]:
                print(
                    f"  {etape['etape']:<15} {etape['secondes']:>6.1f} s   pic RSS {etape['pic_rss_mo']:>4} Mo   "
                    f"lues {etape['lues']}, créées {etape['creees']}, modifiées {etape['modifiees']}, "
                    f"inchangées {etape['inchangees']}, ignorées {etape['ignorees']}, rejetées {etape['rejetees']}"
                )
                ok = ok and etape["rejetees"] == 0 and (taille < 32000 or etape["secondes"] < OBJECTIF_SECONDES)
    print("\nObjectif atteint." if ok else f"\nObjectif NON atteint ({OBJECTIF_SECONDES} s, aucune ligne rejetée).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
