"""Creates the data of the convention PDF benchmark (issue 3): 300 draft conventions of 1 to 20 schools each.

Run it on a database of its own, then time the rendering:

    export DATABASE_URL=postgres://ent:ent@127.0.0.1:5432/ent_pdf_bench DEBUG=True
    .venv/bin/python manage.py migrate
    .venv/bin/python scripts/bench_pdf_data.py            # --conventions 300 --max-ecoles 20 --annee 2030-2031
    .venv/bin/python manage.py render_conventions --annee 2030-2031 --output-dir /tmp/bench-pdf --jobs 2

Running it again replaces the benchmark's year (its conventions, schools, communes and collectivités).
The data is random but reproducible (fixed seed), with long names so that the layout is exercised too.
"""

import argparse
import os
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402

from collectivites.models import Collectivite, Commune  # noqa: E402
from conventions.models import Academie, AnneeScolaire, Convention, Inscription  # noqa: E402
from conventions.services import reference_for  # noqa: E402
from demo.loader import ACADEMIE_MONTPELLIER, SIGNATAIRE_2021  # noqa: E402
from ecoles.models import Ecole  # noqa: E402
from ecoles.validators import uai_check_letter  # noqa: E402

# INSEE codes 98xxx name no commune of France: the benchmark's data cannot collide with real data (département 980).
DEPARTEMENT = "980"
NOMS = ["Saint-Laurent-de-la-Cabrerisse", "Mouthoumet", "Lézignan-Corbières", "Fabrezan", "Ferrals-les-Corbières"]
PATRONYMES = ["", "JEAN MOULIN", "MARIE CURIE", "LES OLIVIERS", "JULES FERRY ET LUCIE AUBRAC", "CELINE PINAUD"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annee", default="2030-2031")
    parser.add_argument("--conventions", type=int, default=300)
    parser.add_argument("--max-ecoles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2021)
    return parser.parse_args()


def purge(libelle: str) -> None:
    Convention.objects.filter(annee__libelle=libelle).delete()
    AnneeScolaire.objects.filter(libelle=libelle).delete()
    # Communes 98100 and beyond belong to "département" 981, 982…: the benchmark's are found by their INSEE prefix.
    Ecole.objects.filter(commune__code_insee__startswith="98").delete()
    Collectivite.objects.filter(departement=DEPARTEMENT).delete()
    Commune.objects.filter(code_insee__startswith="98").delete()


@transaction.atomic
def create(libelle: str, count: int, max_ecoles: int, rng: random.Random) -> int:
    academie, _ = Academie.objects.get_or_create(code="11", defaults=ACADEMIE_MONTPELLIER)
    annee = AnneeScolaire.objects.create(
        academie=academie, libelle=libelle, tarif_par_ecole=Decimal("50.00"), **SIGNATAIRE_2021
    )
    numero_ecole = 0
    for index in range(count):
        nom = f"{rng.choice(NOMS)} {index}"
        commune = Commune.objects.create(code_insee=f"98{index:03d}", nom=nom, code_postal="98000")
        collectivite = Collectivite.objects.create(
            nom=f"Commune de {nom}",
            commune=commune,
            departement=DEPARTEMENT,
            adresse=f"{index} place de la Mairie et de la République",
            code_postal="98000",
            ville=nom,
            representant_civilite="Madame",
            representant_prenom="Marie-Hélène",
            representant_nom="Dupont-Etchegaray",
            representant_qualite="Maire",
        )
        convention = Convention.objects.create(
            annee=annee,
            collectivite=collectivite,
            reference=reference_for(annee, collectivite, None),
            representant_civilite="Madame",
            representant_prenom="Marie-Hélène",
            representant_nom="Dupont-Etchegaray",
            representant_qualite="Maire",
        )
        for _ in range(rng.randint(1, max_ecoles)):
            digits = f"098{numero_ecole:04d}"
            numero_ecole += 1
            ecole = Ecole.objects.create(
                uai=digits + uai_check_letter(digits),
                nom=f"ECOLE PRIMAIRE {rng.choice(PATRONYMES)}".strip(),
                nature=Ecole.Nature.PRIMAIRE,
                commune=commune,
            )
            Inscription(convention=convention, ecole=ecole).save()
    return numero_ecole


def main():
    args = parse_args()
    purge(args.annee)
    ecoles = create(args.annee, args.conventions, args.max_ecoles, random.Random(args.seed))
    print(f"{args.conventions} conventions en brouillon, {ecoles} écoles, année {args.annee}.")


if __name__ == "__main__":
    main()
