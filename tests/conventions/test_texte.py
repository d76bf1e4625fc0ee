"""The convention text as data (issue 17 item 5): edited in the admin, checked, printed safely, frozen by the first
sending of its campaign, carried over to the next year."""

import datetime
import hashlib
import importlib
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from conventions.admin_texte import ArticleForm, TexteConventionForm
from conventions.annees import preparer_annee
from conventions.documents import convention_document, convention_pdf
from conventions.models import ArticleConvention, Convention, TexteConvention
from conventions.services import envoyer_pour_signature
from conventions.texte import nouvelle_version, texte_de_campagne, version_reference
from documents.pdf import render
from tests.factories import AnneeScolaireFactory, ConventionFactory, EcoleFactory

from .pdf_support import frozen_bytes, loaded, one_line, pages_text, seed_convention

# The migration that made the texts (its number changes if it is renumbered after a merge).
MIGRATION_TEXTE = "0009_texte_convention"


def pdf_text(convention) -> str:
    return one_line("\n".join(pages_text(render(convention_document(loaded(convention)))[2])))


def admin_data(version: TexteConvention, **articles_corps) -> dict:
    """The change form of `version` as the admin posts it, with some articles' text replaced (by number)."""
    articles = list(version.articles.order_by("ordre"))
    data = {
        "academie": version.academie_id,
        "annee": version.annee_id or "",
        "titre": version.titre,
        "clause_nb": version.clause_nb,
        "titre_preambule": version.titre_preambule,
        "preambule": version.preambule,
        "titre_annexe": version.titre_annexe,
        "articles-TOTAL_FORMS": len(articles),
        "articles-INITIAL_FORMS": len(articles),
        "articles-MIN_NUM_FORMS": 0,
        "articles-MAX_NUM_FORMS": 1000,
    }
    for index, article in enumerate(articles):
        corps = articles_corps.get(f"article_{article.numero.replace('.', '_')}", article.corps)
        data |= {
            f"articles-{index}-id": article.pk,
            f"articles-{index}-texte": version.pk,
            f"articles-{index}-ordre": article.ordre,
            f"articles-{index}-numero": article.numero,
            f"articles-{index}-titre": article.titre,
            f"articles-{index}-corps": corps,
        }
    return data


@pytest.fixture
def brouillon(db):
    return seed_convention(signee=False, date_signature=None, lieu_signature="")


@pytest.fixture
def version(brouillon):
    return texte_de_campagne(brouillon.annee)


@pytest.fixture
def agent(client, agent_gestion):
    client.force_login(agent_gestion)
    return client


def change_url(version) -> str:
    return reverse("admin:conventions_texteconvention_change", args=[version.pk])


def test_campaign_version_starts_as_the_2021_text(version):
    """A campaign's first version is the 2021-2022 text: eight articles and seven sub-articles, placeholders in."""
    numeros = [article.numero for article in version.articles.all()]
    assert numeros == ["1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "3", "4", "5", "6", "7", "8"]
    assert "{{ ecoles_inscrites }}" in version.articles.get(numero="7").corps
    assert version.version == 1 and not version.est_fige


def test_placeholder_typo_refused_with_its_name(version):
    """An unknown placeholder is refused when the text is saved, named, with the article it is in."""
    form = ArticleForm(data={"ordre": 10, "numero": "3", "titre": "Durée", "corps": "Pour {{ nb_ecole }} écoles."})
    assert not form.is_valid()
    assert form.errors["corps"] == [
        "Champ inconnu {{ nb_ecole }} dans l'article 3 : les champs possibles sont listés en tête de page."
    ]
    data = {**admin_data(version), "preambule": "Entre {{ colectivite }} et {{collectivite}}."}
    form = TexteConventionForm(data=data, instance=version)
    assert not form.is_valid()
    assert "Champ inconnu {{ colectivite }} dans le préambule" in form.errors["preambule"][0]


def test_placeholder_typo_refused_by_the_admin(agent, version):
    """The admin's change page answers the error in French, and nothing is saved."""
    response = agent.post(change_url(version), admin_data(version, article_3="Jusqu'au {{ date_fn }}."))
    assert response.status_code == 200
    assert "Champ inconnu {{ date_fn }} dans l&#x27;article 3" in response.content.decode()
    assert "{{ date_fin }}" in version.articles.get(numero="3").corps


def test_edited_article_is_printed(agent, version, brouillon):
    """An article changed in the admin is what the PDF says, its placeholders filled in."""
    nouveau = "La présente convention prend effet le jour de sa signature et court jusqu'au {{ date_fin }} inclus."
    response = agent.post(change_url(version), admin_data(version, article_3=nouveau))
    assert response.status_code == 302, response.content.decode()[:2000]
    text = pdf_text(brouillon)
    assert "prend effet le jour de sa signature et court jusqu'au 01 septembre 2022 inclus." in text
    assert "prend effet à la date de signature" not in text


def test_who_changed_the_wording_is_in_the_history(agent, agent_gestion, version):
    """The article's history keeps the former wording and names the agent who changed it, shown from the text."""
    article = version.articles.get(numero="3")
    ancien = article.corps
    agent.post(change_url(version), admin_data(version, article_3="Nouveau texte de l'article 3."))
    avant, apres = article.history.order_by("history_date")[:2]
    assert (avant.corps, apres.corps) == (ancien, "Nouveau texte de l'article 3.")
    assert (apres.history_type, apres.history_user) == ("~", agent_gestion)
    page = agent.get(reverse("admin:conventions_texteconvention_history", args=[version.pk]))
    assert page.status_code == 200


def test_html_and_template_code_typed_in_the_admin_are_printed_as_typed(agent, version, brouillon):
    """HTML and template code typed by an agent reach the PDF as text, escaped: nothing of it is interpreted."""
    saisi = "Voir <b>ceci</b> {% if 1 %}oui{% endif %} {{ montant }} {{ ''.__class__ }} &amp; <script>x</script>"
    response = agent.post(change_url(version), admin_data(version, article_4=saisi))
    # « {{ ''.__class__ }} » is not a placeholder name: refused with its name, like a typo.
    assert "Champ inconnu {{ &#x27;&#x27;.__class__ }}" in response.content.decode()
    saisi = saisi.replace(" {{ ''.__class__ }}", "")
    response = agent.post(change_url(version), admin_data(version, article_4=saisi))
    assert response.status_code == 302
    text = pdf_text(brouillon)
    assert "Voir <b>ceci</b> {% if 1 %}oui{% endif %} 50\u00a0€ &amp; <script>x</script>" in text


def test_version_frozen_once_a_convention_of_the_campaign_is_sent(agent, version, brouillon):
    """The first sending freezes the campaign's version: the admin shows it read-only and offers a new version;
    PostgreSQL refuses any change of it or of its articles."""
    envoyer_pour_signature(brouillon)
    version.refresh_from_db()
    assert version.est_fige

    page = agent.get(change_url(version)).content.decode()
    assert "Cette version est figée" in page
    assert "Créer une nouvelle version" in page
    assert 'name="_save"' not in page
    assert agent.post(change_url(version), admin_data(version, article_3="Autre texte.")).status_code == 403
    assert "{{ date_fin }}" in version.articles.get(numero="3").corps

    with pytest.raises(IntegrityError, match="figée"), transaction.atomic():
        TexteConvention.objects.filter(pk=version.pk).update(preambule="Réécrit.")
    with pytest.raises(IntegrityError, match="figé"), transaction.atomic():
        ArticleConvention.objects.filter(texte=version).update(corps="Réécrit.")
    with pytest.raises(IntegrityError, match="figé"), transaction.atomic():
        ArticleConvention.objects.create(texte=version, ordre=99, numero="9", titre="Ajout", corps="Ajouté.")

    response = agent.post(reverse("admin:conventions_texteconvention_nouvelle_version", args=[version.pk]))
    suivante = TexteConvention.objects.get(academie=version.academie, version=2)
    assert response.status_code == 302 and response["Location"] == change_url(suivante)
    assert suivante.annee is None and not suivante.est_fige
    copies = list(suivante.articles.values_list("numero", "corps"))
    assert copies == list(version.articles.values_list("numero", "corps"))


def test_sent_pdf_byte_identical_after_the_text_changed(agent, version, brouillon):
    """Once sent, a convention's PDF is the stored one, byte for byte, after its text got a new, edited version;
    a draft of the same campaign still prints the frozen version, never the new one."""
    autre = ConventionFactory(annee=brouillon.annee, ecoles=[EcoleFactory()])
    envoyer_pour_signature(brouillon)
    envoyee = Convention.objects.get(pk=brouillon.pk)
    sent = frozen_bytes(envoyee)

    suivante = nouvelle_version(version)
    reponse = agent.post(change_url(suivante), admin_data(suivante, article_5="Participation de {{ tarif }} révisée."))
    assert reponse.status_code == 302
    assert "révisée" in suivante.articles.get(numero="5").corps

    downloaded = convention_pdf(Convention.objects.get(pk=envoyee.pk))[2]
    assert downloaded == sent
    assert hashlib.sha256(downloaded).hexdigest() == envoyee.document_sha256
    draft = pdf_text(autre)
    assert "révisée" not in draft
    assert "fixé à 50\u00a0euros TTC par école et par an." in draft


def test_prepare_annee_copies_the_previous_version(version, brouillon):
    """The next year starts from a copy of the previous year's version (its edits included), which it may change
    without touching the previous one."""
    article = version.articles.get(numero="2.2")
    article.corps = "L'académie accompagne la diffusion de contenus pédagogiques choisis."
    article.save()
    precedente = brouillon.annee
    annee, creee, _ = preparer_annee("2022-2023", precedente)
    assert creee
    copie = TexteConvention.objects.get(annee=annee)
    assert (copie.academie, copie.version, copie.est_fige) == (version.academie, 2, False)
    assert copie.preambule == version.preambule
    assert copie.articles.get(numero="2.2").corps.endswith("pédagogiques choisis.")
    assert copie.articles.count() == version.articles.count()
    ArticleConvention.objects.filter(texte=copie, numero="2.2").update(corps="Changé en 2022.")
    assert version.articles.get(numero="2.2").corps.endswith("pédagogiques choisis.")


def test_prepare_annee_takes_the_version_prepared_for_it(version, brouillon):
    """A version made in the admin for the next campaign (after a frozen one) is the one the new year takes."""
    envoyer_pour_signature(brouillon)
    suivante = nouvelle_version(version)
    ArticleConvention.objects.filter(texte=suivante, numero="5").update(corps="Nouveau tarif : {{ tarif }}.")
    annee, _, _ = preparer_annee("2022-2023", brouillon.annee, tarif_par_ecole=Decimal("60"))
    suivante.refresh_from_db()
    assert suivante.annee == annee
    nouvelle = ConventionFactory(annee=annee, ecoles=1)
    assert "Nouveau tarif\u00a0: 60\u00a0€." in pdf_text(nouvelle)


def test_admin_preview_answers_a_pdf(agent, version, brouillon):
    """The preview is a PDF marked PROJET, on the campaign's first convention or, without one, on an example."""
    response = agent.get(reverse("admin:conventions_texteconvention_apercu", args=[version.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = one_line("\n".join(pages_text(response.content)))
    assert "PROJET" in text and brouillon.collectivite.nom in text

    prochaine = nouvelle_version(version)
    ArticleConvention.objects.filter(texte=prochaine, numero="8").update(corps="Litiges : {{ collectivite }}.")
    response = agent.get(reverse("admin:conventions_texteconvention_apercu", args=[prochaine.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert "Litiges\u00a0: Commune exemple." in one_line("\n".join(pages_text(response.content)))


def test_admin_changelist_and_add_page(agent, version, brouillon):
    """The list names each version and its state; the add page creates a campaign's version from the text it
    would print today."""
    assert "Modifiable" in agent.get(reverse("admin:conventions_texteconvention_changelist")).content.decode()
    annee, _, _ = preparer_annee("2022-2023", brouillon.annee)
    TexteConvention.objects.filter(annee=annee).delete()
    response = agent.post(reverse("admin:conventions_texteconvention_add"), {"annee": annee.pk})
    creee = TexteConvention.objects.get(annee=annee)
    assert response.status_code == 302 and response["Location"] == change_url(creee)
    assert creee.articles.count() == 15


def test_migration_gives_each_campaign_the_2021_text(db):
    """The data migration gives each existing campaign of an académie a version of the 2021-2022 text, oldest first,
    frozen at its first sending when a convention of it was sent: a deployment keeps printing what it printed."""
    from django.apps import apps

    migration = importlib.import_module(f"conventions.migrations.{MIGRATION_TEXTE}")
    envoyee = ConventionFactory(envoyee=True, date_envoi=timezone.now() - datetime.timedelta(days=3), ecoles=1)
    suivante = AnneeScolaireFactory(academie=envoyee.annee.academie, libelle="2022-2023")
    migration.premiere_version(apps, None)

    premiere, deuxieme = TexteConvention.objects.get(annee=envoyee.annee), TexteConvention.objects.get(annee=suivante)
    assert (premiere.version, premiere.fige_le) == (1, envoyee.date_envoi)
    assert (deuxieme.version, deuxieme.fige_le) == (2, None)
    reference, articles = version_reference(envoyee.annee.academie)
    assert (premiere.titre, premiere.preambule, premiere.clause_nb) == (
        reference.titre,
        reference.preambule,
        reference.clause_nb,
    )
    assert list(premiere.articles.values_list("numero", "titre", "corps")) == [
        (a.numero, a.titre, a.corps) for a in articles
    ]
