"""French only and written right: every portal page, every admin page and every e-mail template, with a browser
that asks for English, free of English, of the typos users reported and of an article glued before a vowel; and
every date shown is the local date (a moment at 23:30 UTC is already the next day in Montpellier)."""

import datetime
import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from collectivites.models import Collectivite, User
from conventions.models import Convention
from documents.verification import affiche
from tests.factories import ConventionFactory, UserFactory

from .conftest import Monde
from .test_isolation import PORTAIL, PUBLIC, _url

pytestmark = pytest.mark.django_db

OUR_APPS = {"collectivites", "conventions", "ecoles", "facturation", "auth"}

ANGLAIS = [
    "This field is required",
    "Log in",
    "Log out",
    "Password",
    "Save and",
    "Search",
    "Filter",
    "Home",
    "Welcome",
    "Add another",
    "Select ",
]
COQUILLES = [
    "estun",  # « Ce fichier estun document »
    "Ajout de ",  # « Ajout de invitation »
    "un objet",  # « Ajouter un objet École inscrite supplémentaire »
    "par votre représentant",  # the representative is the one reading
    "ne pas y répondre",  # every e-mail names whom to answer
]
# "de invitation", "le école", "que il": French elides before a vowel (l', d', qu'); "h" is left out (aspirated).
ELISION_MANQUEE = re.compile(r"(?<![\w-])(de|le|que|ne|je|se) [aeiouyéèêàâîôûAEIOUYÉÈÊÀÂÎÔÛ]", re.UNICODE)


def _texte(content: bytes) -> str:
    """What a person reads: the page without its tags, scripts and styles, entities decoded."""
    page = content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _fautes(texte: str, elision: bool = False) -> list[str]:
    """English, the reported typos and, in our own text (templates; pages hold Faker's random names, « Commune de
    Orléans »), an article left unelided."""
    fautes = [mot for mot in ANGLAIS + COQUILLES if mot in texte]
    if elision:
        fautes += [m.group(0) for m in ELISION_MANQUEE.finditer(texte)]
    return fautes


@pytest.fixture
def anglophone(client):
    """A browser set to English: the site answers in French regardless."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    return client


def test_portal_pages_are_french_and_free_of_typos(anglophone, monde: Monde):
    """Every portal page (the table of test_isolation), as its owner or anonymous, and a refused form."""
    fautes = {}
    for name, entry in PORTAIL.items():
        if entry.kind != PUBLIC:
            anglophone.force_login(monde.representant)
        response = anglophone.get(_url(name, monde))
        if response.streaming:
            b"".join(response.streaming_content)  # read, so that the test client closes the file
        elif response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            fautes[name] = _fautes(_texte(response.content))
        anglophone.logout()
    anglophone.force_login(monde.representant)
    refus = anglophone.post(reverse("collectivites:contact_ajouter"), {"prenom": "Léa"})
    assert "Ce champ est obligatoire." in refus.content.decode()
    assert 'value="" ' not in refus.content.decode().split('name="role"')[1][:40]  # no « --------- » radio
    fautes["contact refusé"] = _fautes(_texte(refus.content))
    assert {page: f for page, f in fautes.items() if f} == {}


def test_admin_pages_are_french_and_free_of_typos(anglophone):
    """The login page, then each model's list and add page and one change page, for a superuser."""
    login = anglophone.get(reverse("admin:login"))
    assert "Connexion" in login.content.decode()
    fautes = {"login": _fautes(_texte(login.content))}
    superuser = UserFactory(is_staff=True, is_superuser=True)
    convention = ConventionFactory(ecoles=1)
    anglophone.force_login(superuser)
    urls = [reverse("admin:index"), reverse("admin:conventions_convention_change", args=[convention.pk])]
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        urls.append(reverse("admin:{}_{}_add".format(*info)))
    for url in urls:
        response = anglophone.get(url)
        if response.status_code == 200:
            fautes[url] = _fautes(_texte(response.content))
    assert {url: f for url, f in fautes.items() if f} == {}


def test_templates_are_free_of_typos():
    """Every page and e-mail template, as written (the e-mails themselves are rendered by test_destinataires)."""
    racine = Path(settings.BASE_DIR) / "templates"
    gabarits = [p for p in racine.rglob("*") if p.is_file() and p.suffix in (".html", ".txt")]
    assert len([p for p in gabarits if "email" in str(p)]) >= 10
    fautes = {str(p.relative_to(racine)): _fautes(_texte(p.read_bytes()), elision=True) for p in gabarits}
    assert {p: f for p, f in fautes.items() if f} == {}


def test_convention_ready_email_names_the_collectivite_with_its_article(mailoutbox):
    """« entre l'Académie de Montpellier et la collectivité « Communauté de communes… » », not « et Communauté »."""
    from conventions.notifications import notifier_convention_prete

    convention = ConventionFactory(
        collectivite=Collectivite.objects.create(
            nom="Communauté de Communes Région Lézignanaise",
            type=Collectivite.Type.COMMUNAUTE_COMMUNES,
            departement="11",
            adresse="48 avenue Charles Cros",
            code_postal="11200",
            ville="Lézignan-Corbières",
            representant_prenom="André",
            representant_nom="Hernandez",
            representant_qualite="Président",
            email="cc@example.fr",
        ),
        etat=Convention.Etat.ENVOYEE,
        document_sha256="d" * 64,
        date_envoi=timezone.now(),
    )
    notifier_convention_prete(convention)
    texte = " ".join(mailoutbox[0].body.split())
    assert "entre l'Académie de Montpellier et la collectivité « Communauté de Communes Région Lézignanaise »" in texte


# 1 December 2021 at 23:30 UTC is 2 December at 00:30 in Montpellier: the date a user expects is the 2nd.
MINUIT_PASSE = datetime.datetime(2021, 12, 1, 23, 30, tzinfo=datetime.UTC)


def test_dates_are_local_dates_at_2330_utc(client, representant_a, collectivite_a):
    """/verifier/, the portal and the admin's follow-up all say 2 décembre for a moment of 1 December 23:30 UTC."""
    convention = ConventionFactory(
        collectivite=collectivite_a,
        envoyee=True,
        ecoles=1,
        date_envoi=MINUIT_PASSE,
        code_verification="0123456789AB",
    )
    verifier = client.post(reverse("verification"), {"code": affiche(convention.code_verification)})
    client.force_login(representant_a)
    portail = client.get(reverse("conventions:detail", args=[convention.pk]))
    agent = UserFactory(is_staff=True, is_superuser=True, collectivite=None, role="")
    client.force_login(agent)
    suivi = client.get(reverse("admin:conventions_traitement_suivi"), {"annee": convention.annee_id})
    for page in (verifier, portail, suivi):
        texte = " ".join(_texte(page.content).split())
        assert "2 décembre 2021" in texte
        assert "1er décembre 2021" not in texte
    assert User.objects.filter(pk=agent.pk).exists()
