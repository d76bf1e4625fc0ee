"""Preparing a school year from the previous one (`conventions.annees` and the `prepare_annee` command)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from conventions.annees import PreparationImpossible, creer_annee, preparer_annee
from conventions.models import AnneeScolaire, Convention, Inscription
from tests.factories import (
    AnneeScolaireFactory,
    CollectiviteFactory,
    CommuneFactory,
    ConventionFactory,
    EcoleFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def annee_2021():
    return AnneeScolaireFactory(libelle="2021-2022")


@pytest.fixture
def mouthoumet(annee_2021):
    """A grouping signing one convention for the commune of Mouthoumet: one school still open, one closed since,
    and an open public school of the commune that was never registered."""
    commune = CommuneFactory(code_insee="11260", nom="Mouthoumet")
    groupement = CollectiviteFactory(groupement=True, nom="CC Région Lézignanaise")
    ouverte = EcoleFactory(uai="0110422Z", commune=commune, nom="ECOLE PRIMAIRE PUBLIQUE")
    fermee = EcoleFactory(commune=commune, nom="ECOLE MATERNELLE FERMEE")
    convention = ConventionFactory(
        annee=annee_2021, collectivite=groupement, commune=commune, signee=True, ecoles=[ouverte, fermee]
    )
    fermee.etat = fermee.Etat.FERMEE
    fermee.save()
    nouvelle = EcoleFactory(commune=commune, nom="ECOLE ELEMENTAIRE NOUVELLE")
    EcoleFactory(commune=commune, privee=True)  # never proposed
    return {"convention": convention, "ouverte": ouverte, "fermee": fermee, "nouvelle": nouvelle}


def test_new_year_copies_rate_and_signatory_unless_given(annee_2021):
    """The new year takes last year's rate and signatory; a value given on the command line wins."""
    annee, creee = creer_annee("2022-2023", annee_2021, tarif_par_ecole=Decimal("55.00"))
    assert creee
    assert annee.tarif_par_ecole == Decimal("55.00")
    assert annee.signataire == annee_2021.signataire
    assert annee.signataire_titre == annee_2021.signataire_titre
    assert annee.academie == annee_2021.academie


def test_prepared_convention_keeps_open_schools_drops_closed_and_proposes_the_others(mouthoumet, annee_2021):
    """Same collectivité and commune, a draft, open schools kept, closed dropped, unregistered public proposed."""
    annee, _, [rapport] = preparer_annee("2022-2023", annee_2021)
    nouvelle = rapport.nouvelle
    assert nouvelle.annee == annee
    assert nouvelle.etat == Convention.Etat.BROUILLON
    assert nouvelle.collectivite == mouthoumet["convention"].collectivite
    assert nouvelle.commune == mouthoumet["convention"].commune
    assert list(nouvelle.inscriptions.values_list("ecole__uai", flat=True)) == ["0110422Z"]
    assert rapport.retirees == [(mouthoumet["fermee"], "fermée")]
    assert rapport.proposees == [mouthoumet["nouvelle"]]
    resume = rapport.resume()
    assert resume.startswith(f"{nouvelle.reference} créée : 1 école reconduite ; 1 école retirée (")
    assert f"{mouthoumet['fermee'].uai} fermée" in resume
    assert f"1 école à proposer ({mouthoumet['nouvelle'].uai} ECOLE ELEMENTAIRE NOUVELLE)" in resume


def test_only_signed_conventions_are_renewed(annee_2021):
    """A draft, a convention still waiting for signature or a terminated one of last year is not renewed."""
    ConventionFactory(annee=annee_2021, ecoles=1)
    ConventionFactory(annee=annee_2021, envoyee=True, ecoles=1)
    ConventionFactory(annee=annee_2021, etat=Convention.Etat.RESILIEE, ecoles=1)
    signee = ConventionFactory(annee=annee_2021, signee=True, ecoles=2)
    _, _, rapports = preparer_annee("2022-2023", annee_2021)
    assert [r.source for r in rapports] == [signee]
    assert rapports[0].nouvelle.nb_ecoles == 2


def test_running_twice_changes_nothing(mouthoumet, annee_2021):
    """A second preparation creates nothing and modifies nothing; its report says so."""
    preparer_annee("2022-2023", annee_2021)
    avant = list(Convention.objects.values_list("pk", "etat", "reference").order_by("pk"))
    inscriptions = list(Inscription.objects.values_list("pk", "ecole_id").order_by("pk"))
    _, creee, [rapport] = preparer_annee("2022-2023", annee_2021)
    assert not creee
    assert not rapport.creee
    assert rapport.resume() == f"{rapport.nouvelle.reference} existait déjà : inchangée."
    assert list(Convention.objects.values_list("pk", "etat", "reference").order_by("pk")) == avant
    assert list(Inscription.objects.values_list("pk", "ecole_id").order_by("pk")) == inscriptions


def test_school_already_registered_for_the_new_year_stays_where_it_is(annee_2021):
    """An agent who already put a school in another convention of the new year is not overruled."""
    convention = ConventionFactory(annee=annee_2021, signee=True, ecoles=2)
    prise, gardee = [i.ecole for i in convention.inscriptions.order_by("ecole__uai")]
    annee = AnneeScolaireFactory(libelle="2022-2023")
    autre = ConventionFactory(annee=annee, ecoles=[prise])
    _, _, [rapport] = preparer_annee("2022-2023", annee_2021)
    assert rapport.reconduites == [gardee]
    assert rapport.retirees == [(prise, f"déjà inscrite dans {autre.reference}")]


def test_existing_year_with_other_values_is_refused(annee_2021):
    """Asking for another rate than the existing year's is an error naming both values, not a silent change."""
    AnneeScolaireFactory(libelle="2022-2023", tarif_par_ecole=Decimal("50.00"))
    with pytest.raises(
        PreparationImpossible, match="participation par école 50,00\u00a0€ \\(demandé : 60,00\u00a0€\\)"
    ):
        creer_annee("2022-2023", annee_2021, tarif_par_ecole=Decimal("60"))


@pytest.mark.parametrize(
    ("libelle", "message"),
    [("2022-2024", "AAAA-AAAA"), ("2020-2021", "doit suivre"), ("2022", "AAAA-AAAA")],
)
def test_bad_year_is_refused_with_a_clear_message(annee_2021, libelle, message):
    """A malformed year, or one that does not follow the year it copies, is refused."""
    with pytest.raises(PreparationImpossible, match=message):
        creer_annee(libelle, annee_2021)
    assert not AnneeScolaire.objects.filter(libelle=libelle).exists()


def test_command_prints_the_report_and_is_idempotent(mouthoumet, annee_2021):
    """`prepare_annee 2022-2023 --from 2021-2022 --tarif 52,50` creates the year and prints what changed."""
    out = StringIO()
    call_command(
        "prepare_annee",
        "2022-2023",
        "--from",
        "2021-2022",
        "--tarif",
        "52,50",
        "--signataire-nom",
        "Dupont",
        stdout=out,
    )
    texte = out.getvalue()
    annee = AnneeScolaire.objects.get(libelle="2022-2023")
    assert annee.tarif_par_ecole == Decimal("52.50")
    assert annee.signataire_nom == "Dupont"
    assert annee.signataire_prenom == "Sophie"
    assert "Année 2022-2023 créée : participation de 52,50\u00a0€ par école" in texte
    assert "1 école retirée" in texte
    assert "1 convention préparée, 0 déjà présente ; 1 école retirée, 1 école à proposer." in texte

    out = StringIO()
    call_command("prepare_annee", "2022-2023", "--from", "2021-2022", stdout=out)
    assert "existait déjà (inchangée)" in out.getvalue()
    assert "0 convention préparée, 1 déjà présente" in out.getvalue()
    assert Convention.objects.filter(annee=annee).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2022-2023", "--from", "1999-2000"], "L'année scolaire 1999-2000 \\(--from\\) n'existe pas."),
        (["2022-2023", "--from", "2021-2022", "--tarif", "cinquante"], "--tarif invalide : « cinquante »"),
        (["2022-2023", "--from", "2021-2022", "--tarif", "-5"], "--tarif invalide : « -5 »"),
    ],
)
def test_command_errors_are_specific(annee_2021, args, message):
    """Bad arguments give a French error naming the option and the value."""
    with pytest.raises(CommandError, match=message):
        call_command("prepare_annee", *args, stdout=StringIO())


def test_one_failing_renewal_is_reported_and_the_others_are_prepared(annee_2021):
    """A batch never stops at one bad item: the renewal that fails is named with its reason, nothing of it is written,
    the conventions after it are prepared, and the command ends in error after the whole report."""
    bloquee, suivante = (ConventionFactory(annee=annee_2021, signee=True, ecoles=1) for _ in range(2))
    annee = AnneeScolaireFactory(libelle="2022-2023")
    # An agent gave another convention of the new year the reference this renewal needs: its INSERT is refused.
    ConventionFactory(annee=annee, ecoles=1, reference=f"ENT-11-2022-2023-{bloquee.collectivite.pk:04d}")
    avant = Convention.objects.count()
    out = StringIO()
    with pytest.raises(CommandError, match=rf"^1 convention non reconduite \({bloquee.reference}\)"):
        call_command("prepare_annee", "2022-2023", "--from", "2021-2022", stdout=out)
    rapport = out.getvalue()
    assert f"- {bloquee.reference} → échec, rien n'a été créé : Erreur inattendue (IntegrityError)" in rapport
    assert f"- {suivante.reference} → ENT-11-2022-2023-{suivante.collectivite.pk:04d} créée" in rapport
    assert "1 convention préparée, 0 déjà présente" in rapport
    assert Convention.objects.count() == avant + 1
    assert not Convention.objects.filter(annee=annee, collectivite=bloquee.collectivite).exists()
