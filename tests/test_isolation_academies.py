"""Two agents of two académies: every admin URL, action and autocomplete shows and changes nothing of the other.

The same shape as the portal's isolation test: a table of every admin URL name, a case for each, and a test that
fails when a URL is added to the admin without its case here.
"""

import datetime
import html

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, reverse

from collectivites.models import Collectivite, Contact, ImportFichier, Invitation, User
from conventions.models import (
    AnneeScolaire,
    Convention,
    ElementTraitement,
    Notification,
    TexteConvention,
    Traitement,
)
from conventions.texte import texte_de_campagne
from ecoles.importers import IMPORT_ECOLES
from ecoles.models import Ecole
from facturation.models import CompteurTitres, Paiement, Relance, TitreDePerception
from facturation.services import emettre_titre
from jobs.tabular import RapportImport
from tests.factories import (
    AcademieFactory,
    AnneeScolaireFactory,
    CollectiviteFactory,
    CommuneFactory,
    ContactFactory,
    EcoleFactory,
    InvitationFactory,
    UserFactory,
    valid_uai,
)
from tests.facturation.factories import PaiementFactory, RelanceFactory, convention_a_facturer

MONDES = {
    "11": {"nom": "Montpellier", "departement": "11", "insee": "11069", "uai": "011"},
    "16": {"nom": "Toulouse", "departement": "09", "insee": "09122", "uai": "009"},
}
# Not académie data: reached only by a superuser or the operators, and tested in their own files.
HORS_ACADEMIE = {
    "auth.Group": "the rights themselves, granted by a superuser only (tests/collectivites/test_comptes_staff.py)",
    "exploitation.ControleIntegrite": "the deployment's integrity check, the same for every académie",
    "exploitation.DemandeDroits": "the DPO's register of requests, national (tests/exploitation)",
    "dsfr.DsfrConfig": "the portal's look, one per deployment",
    "axes.AccessAttempt": "login attempts of the deployment, for its operators",
    "axes.AccessLog": "login attempts of the deployment, for its operators",
    "axes.AccessFailureLog": "login attempts of the deployment, for its operators",
}


def _monde(code: str, agent: User) -> dict:
    """An académie with one of everything an agent reaches in the admin."""
    m = MONDES[code]
    academie = AcademieFactory(code=code, nom=f"Académie de {m['nom']}", ville_signature=m["nom"])
    annee = AnneeScolaireFactory(academie=academie, libelle="2022-2023")
    commune = CommuneFactory(code_insee=m["insee"], nom=f"Village de {m['nom']}")
    collectivite = CollectiviteFactory(
        nom=f"Mairie témoin de {m['nom']}", departement=m["departement"], commune=commune
    )
    ecole = EcoleFactory(uai=valid_uai(7, m["uai"]), commune=commune)
    convention = convention_a_facturer(annee=annee, collectivite=collectivite, nb_ecoles=[ecole])
    titre = emettre_titre(convention, date_emission=datetime.date(2022, 10, 3))
    traitement = Traitement.objects.create(
        type=Traitement.Type.ENVOI, annee=annee, tache="conventions.tasks.envoyer_convention", lance_par=agent
    )
    ElementTraitement.objects.create(traitement=traitement, convention=convention)
    objets = {
        Collectivite: collectivite,
        Ecole: ecole,
        Convention: convention,
        TitreDePerception: titre,
        Paiement: PaiementFactory(titre=titre, montant=10),
        Relance: RelanceFactory(titre=titre),
        Traitement: traitement,
        Notification: Notification.objects.create(
            convention=convention, type=Notification.Type.CONVENTION_PRETE, destinataires="a@b.fr", sujet="s"
        ),
        Contact: ContactFactory(collectivite=collectivite),
        Invitation: InvitationFactory(collectivite=collectivite, invitee_par=agent),
        User: UserFactory(collectivite=collectivite, role=User.Role.REPRESENTANT),
        ImportFichier: ImportFichier.objects.create(
            type=IMPORT_ECOLES.type, fichier="imports/x.csv", nom_fichier="x.csv", lance_par=agent, academie=code
        ),
        AnneeScolaire: annee,
        TexteConvention: texte_de_campagne(annee),
        type(academie): academie,
        type(commune): commune,
        type(academie.parametres_facturation): academie.parametres_facturation,
    }
    return objets


@pytest.fixture
def agents(db):
    """An agent of Montpellier and one of Toulouse, holding every permission of the project (not superusers)."""
    permissions = Permission.objects.exclude(content_type__app_label__in=["auth", "axes", "dsfr", "admin"])
    agents = {}
    for code, m in MONDES.items():
        agent = UserFactory(email=f"agent@ac-{m['nom'].lower()}.fr", is_staff=True, academies=[code])
        agent.user_permissions.set(permissions)
        agents[code] = agent
    return agents


@pytest.fixture
def mondes(agents):
    return {code: _monde(code, agents[code]) for code in MONDES}


def _url(model, suffix, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{suffix}", args=args)


def _admins_par_academie():
    return [
        pytest.param(model, id=model._meta.label)
        for model in admin.site._registry
        if model._meta.label not in HORS_ACADEMIE
    ]


def test_every_registered_admin_is_scoped_or_says_why_not():
    """A new admin either applies the académie rule (AcademieScopedAdmin) or is listed here with the reason."""
    from collectivites.scoping import AcademieScopedAdmin

    non_scopes = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AcademieScopedAdmin) and model._meta.label not in HORS_ACADEMIE
    ]
    assert non_scopes == []


def _etat(mondes, code):
    """What must not change in the other académie: each of its rows as stored, and how many rows each table has."""
    lignes = {model._meta.label: model_to_dict(model.objects.get(pk=obj.pk)) for model, obj in mondes[code].items()}
    comptes = {
        model._meta.label: model.objects.count()
        for model in (TitreDePerception, Paiement, Relance, Notification, Traitement, CompteurTitres, Convention)
    }
    return lignes, comptes


@pytest.mark.parametrize("model", _admins_par_academie())
def test_other_academie_is_invisible_and_untouchable(client, agents, mondes, model):
    """Toulouse's agent: Montpellier's row is not in the list, its pages are not found, and no action of the list
    posted with its id changes anything."""
    client.force_login(agents["16"])
    autre, sien = mondes["11"][model], mondes["16"][model]
    avant = _etat(mondes, "11")

    liste = client.get(_url(model, "changelist"))
    assert liste.status_code == 200
    contenu = liste.content.decode()
    assert _url(model, "change", autre.pk) not in contenu
    assert _url(model, "change", sien.pk) in contenu, "the agent's own row is listed"

    for suffix in ("change", "history", "delete"):
        response = client.get(_url(model, suffix, autre.pk))
        assert response.status_code in (302, 403, 404), f"{suffix}: {response.status_code}"
        if response.status_code == 302:
            assert response.url == reverse("admin:index")
    client.post(_url(model, "delete", autre.pk), {"post": "yes"})

    model_admin = admin.site._registry[model]
    requete = liste.wsgi_request
    for action in model_admin.get_actions(requete):
        response = client.post(
            _url(model, "changelist"), {"action": action, "_selected_action": [autre.pk], "confirmer": "oui"}
        )
        assert response.status_code < 500, action
    assert _etat(mondes, "11") == avant


@pytest.mark.parametrize(
    "model,champ",
    [
        pytest.param(model, champ, id=f"{model._meta.label}.{champ}")
        for model, model_admin in admin.site._registry.items()
        for champ in model_admin.autocomplete_fields
    ],
)
def test_autocomplete_offers_nothing_of_the_other_academie(client, agents, mondes, model, champ):
    client.force_login(agents["16"])
    cible = model._meta.get_field(champ).related_model
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": champ, "term": ""},
    )
    assert response.status_code == 200
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert mondes["11"][cible].pk not in ids


def _par_objet(model, suffix, methode="get"):
    """A URL of one object of Montpellier's, asked by Toulouse's agent: not found, or refused."""

    def verifier(client, mondes):
        url = reverse(f"admin:{suffix}", args=[mondes["11"][model].pk])
        response = getattr(client, methode)(url)
        assert response.status_code in (403, 404), f"{url}: {response.status_code}"

    return verifier


def _page_sans_autre(url_name, **params):
    """A page of figures: Toulouse's agent sees his own collectivité, never Montpellier's."""

    def verifier(client, mondes):
        autre = mondes["11"]
        params_autre = {key: value(autre) for key, value in params.items()}
        response = client.get(reverse(url_name), params_autre)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Montpellier" not in page
        assert autre[Collectivite].nom not in page

    return verifier


def _sans_verification(client, mondes):
    """A page that shows no académie data: the login, logout and password pages, the app lists, JavaScript."""


# Every admin URL name, beyond each model's changelist, add, change, history and delete (tested above).
CAS = {
    "index": _page_sans_autre("admin:index"),
    "login": _sans_verification,
    "logout": _sans_verification,
    "password_change": _sans_verification,
    "password_change_done": _sans_verification,
    "jsi18n": _sans_verification,
    "app_list": _sans_verification,
    "autocomplete": _sans_verification,  # test_autocomplete_offers_nothing_of_the_other_academie
    "view_on_site": _sans_verification,  # no model of the project has a public page (get_absolute_url)
    "collectivites_importfichier_confirmer": _par_objet(ImportFichier, "collectivites_importfichier_confirmer", "post"),
    "collectivites_commune_importer": _sans_verification,  # test_agent_import_stays_within_his_academies
    "ecoles_ecole_importer": _sans_verification,  # test_agent_import_stays_within_his_academies
    "conventions_traitement_suivi": _page_sans_autre(
        "admin:conventions_traitement_suivi", annee=lambda m: m[AnneeScolaire].pk
    ),
    "conventions_traitement_reessayer": _par_objet(Traitement, "conventions_traitement_reessayer", "post"),
    "conventions_convention_exemplaire_signe": _par_objet(Convention, "conventions_convention_exemplaire_signe"),
    "conventions_convention_pdf": _par_objet(Convention, "conventions_convention_pdf"),
    "conventions_convention_pdf_telecharger": _par_objet(Convention, "conventions_convention_pdf_telecharger"),
    "facturation_synthese": _page_sans_autre("admin:facturation_synthese", annee=lambda m: m[AnneeScolaire].libelle),
    "conventions_texteconvention_apercu": _par_objet(TexteConvention, "conventions_texteconvention_apercu"),
    "conventions_texteconvention_nouvelle_version": _par_objet(
        TexteConvention, "conventions_texteconvention_nouvelle_version", "post"
    ),
    "facturation_titredeperception_pdf": _par_objet(TitreDePerception, "facturation_titredeperception_pdf"),
    "facturation_titredeperception_annuler": _par_objet(TitreDePerception, "facturation_titredeperception_annuler"),
}
STANDARD = ("_changelist", "_add", "_change", "_history", "_delete")


def _noms_des_urls(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _noms_des_urls(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name


def test_table_covers_every_admin_url():
    """Adding an admin URL without its case here fails."""
    noms = set(_noms_des_urls(admin.site.get_urls()))
    sans_cas = sorted(n for n in noms if n not in CAS and not n.endswith(STANDARD) and "_history_" not in n)
    assert sans_cas == []


@pytest.mark.parametrize("nom", sorted(CAS))
def test_admin_url_shows_nothing_of_the_other_academie(client, agents, mondes, nom):
    client.force_login(agents["16"])
    CAS[nom](client, mondes)


def test_agent_import_stays_within_his_academies(client, agents):
    """Toulouse's agent may import Ariège's schools, not Aude's nor Montpellier's; with no limit given, his import
    is limited to his académie; a national import is not his to confirm."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(agents["16"])
    cas = [({"departement": "11"}, True), ({"academie": "11"}, True), ({}, False), ({"departement": "09"}, False)]
    for options, refuse in cas:
        fichier = SimpleUploadedFile("ecoles.csv", b"uai;nom\n", content_type="text/csv")
        response = client.post(_url(Ecole, "importer"), {"fichier": fichier, **options})
        refus = response.status_code == 200 and "Limitez l'import" in html.unescape(response.content.decode())
        assert refus is refuse, options
    assert list(ImportFichier.objects.values_list("academie", flat=True)) == ["16", "16"]
    rapport = RapportImport("n.csv", "écoles", creees=3)
    national = ImportFichier.objects.create(
        type=IMPORT_ECOLES.type,
        fichier="imports/n.csv",
        nom_fichier="n.csv",
        simulation=True,
        etat=ImportFichier.Etat.TERMINE,
        rapport=rapport.vers_json(),
    )
    page = client.get(reverse("admin:collectivites_importfichier_change", args=[national.pk])).content.decode()
    assert "n.csv" in page and "Confirmer l'import" not in page
    response = client.post(reverse("admin:collectivites_importfichier_confirmer", args=[national.pk]), follow=True)
    assert "seul un agent du niveau national peut le confirmer" in html.unescape(response.content.decode())
    assert ImportFichier.objects.count() == 3


def test_national_role_sees_both_academies(client, agents, mondes):
    """A member of the « National » group sees every académie, with the académie filter of the lists."""
    from django.contrib.auth.models import Group

    from collectivites.models import GROUPE_NATIONAL

    agents["16"].groups.add(Group.objects.get_or_create(name=GROUPE_NATIONAL)[0])
    client.force_login(agents["16"])
    page = client.get(_url(Convention, "changelist")).content.decode()
    for code in MONDES:
        assert _url(Convention, "change", mondes[code][Convention].pk) in page
    montpellier = mondes["11"][type(mondes["11"][AnneeScolaire].academie)]
    filtree = client.get(_url(Convention, "changelist"), {"annee__academie__id__exact": montpellier.pk})
    assert _url(Convention, "change", mondes["11"][Convention].pk) in filtree.content.decode()
    assert _url(Convention, "change", mondes["16"][Convention].pk) not in filtree.content.decode()


def test_superuser_attaches_an_agent_to_his_academies(admin_client, agents):
    """The account's « académies » are checkboxes of the national table; what is checked is what the agent sees."""
    agent = agents["16"]
    formulaire = admin_client.get(_url(User, "change", agent.pk)).context["adminform"].form
    assert formulaire["academies"].value() == ["16"]
    assert dict(formulaire.fields["academies"].choices)["16"] == "Toulouse"
    donnees = {
        "email": agent.email,
        "first_name": "Jeanne",
        "last_name": "Agent",
        "is_active": "on",
        "is_staff": "on",
        "academies": ["16", "11"],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "02/12/2026",
        "date_joined_1": "10:00:00",
    }
    response = admin_client.post(_url(User, "change", agent.pk), donnees)
    assert response.status_code == 302, response.context["adminform"].form.errors
    agent.refresh_from_db()
    assert sorted(agent.academies) == ["11", "16"]


def test_a_convention_binds_a_collectivite_to_a_campaign_of_its_own_academie(db):
    """Ariège's commune cannot get a convention of Montpellier's campaign: refused, naming both académies; a
    département outside every académie is refused on the collectivité itself."""
    from django.core.exceptions import ValidationError

    from conventions.services import creer_convention

    montpellier = AnneeScolaireFactory(libelle="2022-2023")
    ariege = CollectiviteFactory(departement="09", commune=CommuneFactory(code_insee="09122"))
    assert ariege.academie == "16"
    with pytest.raises(ValidationError, match="relève de l'académie Toulouse"):
        creer_convention(montpellier, ariege)
    assert not Convention.objects.filter(collectivite=ariege).exists()
    with pytest.raises(ValidationError, match="ne relève d'aucune académie"):
        CollectiviteFactory.build(departement="99").clean()
