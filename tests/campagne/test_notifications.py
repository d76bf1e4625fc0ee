"""The campaign's e-mails: French, plain text and HTML, a link to the portal, each sent once per subject."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from conventions.models import Convention, Notification
from conventions.notifications import (
    lien_portail,
    notifier_convention_prete,
    notifier_relance,
)
from facturation.notifications import notifier_titre_emis
from tests.factories import CollectiviteFactory, ConventionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def envoyee():
    collectivite = CollectiviteFactory(
        nom="Commune de Mouthoumet",
        email="mairie@mouthoumet.fr",
        representant_civilite="Madame",
        representant_qualite="Maire",
    )
    return ConventionFactory(
        collectivite=collectivite,
        etat=Convention.Etat.ENVOYEE,
        document_sha256="a" * 64,
        date_envoi=timezone.make_aware(datetime.datetime(2022, 5, 3, 10, 0)),
        ecoles=3,
    )


def test_convention_ready_mail_is_french_with_text_html_and_portal_link(envoyee):
    """One e-mail to the collectivité: subject, greeting, schools, amount and the portal link, in text and HTML."""
    notification = notifier_convention_prete(envoyee)
    [message] = mail.outbox
    assert message.to == ["mairie@mouthoumet.fr"]
    assert message.subject == f"ENT-école 2021-2022 : votre convention {envoyee.reference} est prête à signer"
    assert message.body.startswith("Madame la Maire,\n")
    assert "3 écoles inscrites (annexe 1)" in message.body
    assert "Participation : 150,00\u00a0€ TTC" in message.body
    lien = lien_portail(envoyee)
    assert lien.startswith(settings.SITE_URL + "/espace/")
    assert lien in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'<a href="{lien}">' in html
    assert '<html lang="fr">' in html
    assert notification.destinataires == "mairie@mouthoumet.fr"
    assert notification.cle == "a" * 64


def test_same_mail_is_never_sent_twice(envoyee):
    """A second call sends nothing and records nothing."""
    assert notifier_convention_prete(envoyee) is not None
    assert notifier_convention_prete(envoyee) is None
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(convention=envoyee).count() == 1


def test_convention_sent_again_after_correction_is_announced_again(envoyee):
    """Once corrected and frozen again (another PDF), the convention is announced again: once."""
    notifier_convention_prete(envoyee)
    envoyee.document_sha256 = "b" * 64
    notifier_convention_prete(envoyee)
    notifier_convention_prete(envoyee)
    assert len(mail.outbox) == 2


def test_reminder_names_the_sending_date(envoyee):
    """The reminder says when the convention was sent, and is sent once."""
    notifier_relance(envoyee)
    notifier_relance(envoyee)
    [message] = mail.outbox
    assert message.subject.startswith("Relance : convention ENT-école 2021-2022 à nous retourner signée")
    assert "Nous vous avons adressé le 3 mai 2022 la convention" in message.body


def test_reminder_reads_the_schools_once(envoyee):
    """The number of schools and the amount come from one read of Annexe 1, not two counts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    convention = Convention.objects.get(pk=envoyee.pk)
    with CaptureQueriesContext(connection) as queries:
        notifier_relance(convention)
    sql = [q["sql"] for q in queries.captured_queries]
    assert len([s for s in sql if 'FROM "conventions_inscription"' in s]) == 1
    assert not [s for s in sql if "COUNT(" in s]
    assert "3 écoles inscrites" in mail.outbox[0].body


def test_titre_mail_gives_number_amount_and_due_date(envoyee):
    """The titre e-mail states the number, the amount and the due date; once per titre."""
    for _ in range(2):
        notifier_titre_emis(
            envoyee, numero="2022-000012", montant=Decimal("150.00"), date_echeance=datetime.date(2022, 11, 2)
        )
    notifier_titre_emis(envoyee, numero="2022-000013", montant=Decimal("100.00"))
    assert [m.subject for m in mail.outbox] == [
        "ENT-école 2021-2022 : titre de perception n° 2022-000012 (150,00\u00a0€)",
        "ENT-école 2021-2022 : titre de perception n° 2022-000013 (100,00\u00a0€)",
    ]
    assert "pour un montant de 150,00\u00a0€, à régler au plus tard le 2 novembre 2022." in mail.outbox[0].body


def test_president_is_greeted_as_such():
    """A grouping's president: "Monsieur le Président,"."""
    convention = ConventionFactory(
        collectivite=CollectiviteFactory(groupement=True), etat=Convention.Etat.ENVOYEE, document_sha256="c" * 64
    )
    notifier_convention_prete(convention)
    assert mail.outbox[0].body.startswith("Monsieur le Président,\n")
