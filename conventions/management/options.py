"""The school-year option shared by the commands: a campaign is (académie, school year)."""

from django.core.management.base import CommandError

from conventions.models import AnneeScolaire


def ajouter_option_annee(parser, required: bool = True) -> None:
    parser.add_argument("--annee", required=required, help="année scolaire, par exemple 2021-2022")
    parser.add_argument(
        "--academie", default="", help="code de l'académie (11 pour Montpellier), si l'année existe dans plusieurs"
    )


def annee_des_options(libelle: str, academie: str = "") -> AnneeScolaire:
    """The campaign the options name, or a CommandError that says why not."""
    try:
        return AnneeScolaire.objects.par_libelle(libelle, academie)
    except (AnneeScolaire.DoesNotExist, AnneeScolaire.MultipleObjectsReturned) as exc:
        raise CommandError(str(exc)) from None
