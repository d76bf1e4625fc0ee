"""Text that no document can carry is refused where it is typed (admin, portal, imports), naming the field, and
stripped where a document is rendered."""

import io

import openpyxl
import pytest
from django.apps import apps
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import models
from django.urls import reverse
from pypdf import PdfReader

from collectivites.importers import importer_communes
from collectivites.models import Collectivite, Commune, Contact
from conventions.models import Convention
from documents.texte import SansCaractereInterdit, message, nettoyer
from facturation.exports import export_xlsx
from facturation.models import TitreDePerception
from facturation.pdf import facturx_xml
from facturation.services import emettre_serie
from tests.factories import ConventionFactory
from tests.facturation.factories import convention_a_facturer

VT = "\x0b"  # the vertical tab of the issue: pasted from a word processor, it broke the XMP metadata of PDFs


@pytest.mark.parametrize(
    "valeur, interdit",
    [
        ("Commune\x0bde Bages", True),
        ("\x00", True),
        ("fin\x1f", True),
        ("non-caractère \ufffe", True),
        ("non-caractère \uffff", True),
        ("surrogat seul \ud800", True),
        ("surrogat seul \udfff", True),
        ("tabulation\tet\nretour\r\nà la ligne", False),
        ("Saint-Laurent-de-la-Cabrerisse — « école » 😀", False),
    ],
)
def test_caracteres_interdits(valeur, interdit):
    """C0 controls but tab and newlines, U+FFFE/U+FFFF and unpaired surrogates; everything else is text."""
    assert (message("nom", valeur) is not None) is interdit
    assert nettoyer(valeur) == valeur if not interdit else len(nettoyer(valeur)) == len(valeur) - 1


def test_chaque_champ_texte_de_chaque_modele_est_protege():
    """One validator, given to every CharField and TextField of every installed model (ours and Django's)."""
    sans = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField | models.TextField)
        and not any(isinstance(v, SansCaractereInterdit) for v in field.validators)
    ]
    assert sans == []
    validateur = next(v for v in Collectivite._meta.get_field("nom").validators if isinstance(v, SansCaractereInterdit))
    assert validateur.champ == "nom légal"


def test_l_admin_refuse_le_nom_d_une_collectivite_avec_un_caractere_de_controle(client, agent_gestion, db):
    """The row of the issue: a collectivité name holding \\x0b, saved through the admin, is refused on its field."""
    client.force_login(agent_gestion)
    response = client.post(
        reverse("admin:collectivites_collectivite_add"),
        {
            "nom": f"Commune{VT}de Bages",
            "type": "commune",
            "departement": "11",
            "adresse": "1 place de la Mairie",
            "code_postal": "11100",
            "ville": "Bages",
            "representant_civilite": "Madame",
            "representant_prenom": "Anne",
            "representant_nom": "Roux",
            "representant_qualite": "Maire",
            "communes_membres-TOTAL_FORMS": "0",
            "communes_membres-INITIAL_FORMS": "0",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "comptes-TOTAL_FORMS": "0",
            "comptes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    erreurs = response.context["adminform"].form.errors
    assert erreurs["nom"] == [
        "Le champ « nom légal » contient un caractère invisible interdit (U+000B, 8e caractère), souvent venu d'un "
        "copier-coller : retapez la valeur ou supprimez ce caractère."
    ]
    assert not Collectivite.objects.exists()


def test_le_portail_refuse_un_contact_avec_un_caractere_de_controle(client, representant_a):
    """The portal's contact form: the same refusal, on the field typed, named by the label the page shows."""
    client.force_login(representant_a)
    response = client.post(
        reverse("collectivites:contact_ajouter"),
        {"role": "contributeur", "prenom": "Paul", "nom": "Roux", "email": "p@commune-a.fr", "fonction": "DGS\x07"},
    )
    assert response.status_code == 200
    assert "Le champ « Fonction » contient un caractère invisible interdit (U+0007, 4e caractère)" in (
        response.content.decode().replace("&#x27;", "'")
    )
    assert not Contact.objects.exists()


def test_un_import_refuse_la_ligne_en_nommant_la_colonne(tmp_path, db):
    """An import reports the row and the column, and (being atomic) writes nothing."""
    fichier = tmp_path / "cog.csv"
    fichier.write_text(
        "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n"
        "COM,11024,76,11,11D,113,0,BAGES,Bages,Bages,1109,\n"
        f"COM,11069,76,11,11D,112,0,CARCASSONNE,Carcassonne,Carcas{VT}sonne,1199,\n"
        "COM,11203,76,11,11D,113,0,LEZIGNAN CORBIERES,Lézignan-Corbières,Lézignan-Corbières,1112,\n",
        encoding="utf-8",
    )
    rapport = importer_communes(fichier)
    assert rapport.lignes_rejetees == 1
    assert [(r.ligne, r.colonne, r.motif) for r in rapport.rejets] == [
        (3, "LIBELLE", "caractère invisible interdit (U+000B, 7e caractère)")
    ]
    assert not Commune.objects.exists()


# --- What still gets through is stripped where it is printed --------------------------------------------------------


def _stocker_sans_controle(collectivite, **valeurs):
    """What a record written before the validator (or by raw SQL) may hold: saved without any form."""
    Collectivite.objects.filter(pk=collectivite.pk).update(**valeurs)
    collectivite.refresh_from_db()


def test_le_pdf_d_une_collectivite_au_nom_abime_se_rend_sans_le_caractere(client, representant_a):
    """The issue's row: its draft PDF answered 500 (XMP error). It renders, the character stripped from the text
    and from the metadata."""
    convention = ConventionFactory(collectivite=representant_a.collectivite, ecoles=1)
    _stocker_sans_controle(convention.collectivite, nom=f"Commune{VT}de Bages")
    Convention.objects.filter(pk=convention.pk).update(representant_nom="Ro\x01ux")
    client.force_login(representant_a)
    response = client.get(reverse("conventions:pdf", args=[convention.pk]))
    assert response.status_code == 200
    lecteur = PdfReader(io.BytesIO(response.content))
    texte = " ".join(page.extract_text() for page in lecteur.pages)
    assert "Communede Bages" in texte and "ROUX" in texte
    assert VT not in texte and "\x01" not in texte
    assert VT.encode() not in lecteur.xmp_metadata.stream.get_data()


def test_une_emission_en_serie_ne_s_arrete_pas_a_une_collectivite_abimee(db):
    """The issue's row: a batch issue stopped at the collectivité holding \\x0b, and the conventions after it got no
    titre. Each gets its titre now; the Factur-X XML and the XLSX export carry the name stripped."""
    conventions = [convention_a_facturer() for _ in range(3)]
    _stocker_sans_controle(conventions[1].collectivite, nom=f"Commune{VT}de Bages")
    bilan = emettre_serie(Convention.objects.filter(pk__in=[c.pk for c in conventions]), notifier=False)
    assert bilan.refus == []
    assert sorted(titre.convention_id for titre in bilan.emis) == sorted(c.pk for c in conventions)
    titre = TitreDePerception.objects.get(convention=conventions[1])
    assert b"Communede Bages" in facturx_xml(titre)
    classeur = openpyxl.load_workbook(io.BytesIO(export_xlsx(TitreDePerception.objects.all())))
    assert "Communede Bages" in [cell.value for row in classeur.active.iter_rows() for cell in row]


def test_un_envoi_pour_signature_en_serie_ne_s_arrete_pas_a_une_collectivite_abimee(client, agent_gestion):
    """« Envoyer pour signature maintenant » on three drafts, the middle one's collectivité holding \\x0b: all three
    are sent, their PDF frozen."""
    conventions = sorted((ConventionFactory(ecoles=1) for _ in range(3)), key=lambda c: c.reference)
    _stocker_sans_controle(conventions[1].collectivite, nom=f"Commune{VT}de Bages")
    client.force_login(agent_gestion)
    response = client.post(
        reverse("admin:conventions_convention_changelist"),
        {
            "action": "envoyer_pour_signature_maintenant",
            ACTION_CHECKBOX_NAME: [c.pk for c in conventions],
            "confirmer": "1",  # the action's confirmation page (tests/campagne/test_confirmations.py)
        },
        follow=True,
    )
    assert any(str(m).startswith("3 conventions envoyées pour signature") for m in response.context["messages"])
    assert set(Convention.objects.values_list("etat", flat=True)) == {Convention.Etat.ENVOYEE}


# Every form's text field that no model field backs, with the label users read; a test fails when a form is added
# with such a field and without the protection (see test_aucun_formulaire_de_l_application_n_est_oublie).
FORMULAIRES = [
    ("conventions.admin_pdf.MotifForm", {"motif": "erreur"}, "motif", "Motif du retour en brouillon"),
    ("facturation.admin.AnnulationForm", {"motif": "erreur"}, "motif", "Motif de l'annulation"),
    (
        "conventions.admin_campagne.PreparationForm",
        {
            "libelle": "2022-2023",
            "tarif_par_ecole": "50",
            "signataire_prenom": "Sophie",
            "signataire_nom": "Béjean",
            "signataire_titre": "Rectrice",
        },
        "signataire_titre",
        "Titre du signataire",
    ),
    (
        "collectivites.forms.MotDePasseOublieForm",
        {"email": "a@example.org"},
        "email",
        "Adresse e-mail de votre compte",
    ),
    ("portail.views_verification.VerificationForm", {"code": "ABCD-EFGH"}, "code", None),
]


def _classe(chemin: str):
    module, nom = chemin.rsplit(".", 1)
    return getattr(__import__(module, fromlist=[nom]), nom)


@pytest.mark.parametrize(("chemin", "donnees", "champ", "libelle"), FORMULAIRES, ids=[f[0] for f in FORMULAIRES])
def test_les_champs_des_formulaires_sans_modele_sont_proteges(chemin, donnees, champ, libelle):
    """A motif or a signatory typed with \\x0b in an action's page is refused, the message naming the field."""
    classe = _classe(chemin)
    form = classe(data={**donnees, champ: f"{donnees[champ][:2]}{VT}{donnees[champ][2:]}"})
    assert not form.is_valid()
    libelle = libelle or str(form.fields[champ].label)
    assert f"Le champ « {libelle} » contient un caractère invisible interdit (U+000B, 3e caractère)" in " ".join(
        form.errors[champ]
    )


def test_aucun_formulaire_de_l_application_n_est_oublie():
    """Every form class of the project with a text field of its own is protected: instantiated, each CharField
    carries the validator."""
    from django import forms as django_forms

    projet = {"collectivites", "conventions", "ecoles", "facturation", "portail", "documents", "jobs", "demo"}

    def sous_classes(classe):
        for sous in classe.__subclasses__():
            yield sous
            yield from sous_classes(sous)

    oublies = []
    for classe in set(sous_classes(django_forms.BaseForm)):
        if classe.__module__.split(".")[0] not in projet or issubclass(classe, django_forms.BaseModelForm):
            continue
        try:
            form = classe()
        except TypeError:  # a form that needs its object (a set-password form needs the user): built in its view
            continue
        for nom, champ in form.fields.items():
            if isinstance(champ, django_forms.CharField) and not any(
                isinstance(v, SansCaractereInterdit) for v in champ.validators
            ):
                oublies.append(f"{classe.__module__}.{classe.__name__}.{nom}")
    assert oublies == []
