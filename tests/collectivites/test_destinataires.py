"""The contact rule: every e-mail to a collectivité goes to its representatives' accounts, else to its contact
address, else it is refused before anything is sent; every e-mail names whom to answer (Reply-To)."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from collectivites.destinataires import SansDestinataire, destinataires
from collectivites.models import Invitation, User
from collectivites.services import inviter
from conventions.models import Convention, Notification
from conventions.notifications import notifier_convention_prete, notifier_relance
from facturation.models import Relance
from facturation.notifications import notifier_titre_emis
from facturation.services import RelanceImpossible, envoyer_relance
from tests.factories import AcademieFactory, CollectiviteFactory, ConventionFactory, UserFactory
from tests.facturation.factories import TitreDePerceptionFactory

pytestmark = pytest.mark.django_db

CONTACT = "mairie@exemple.fr"
REPRESENTANTS = ["maire@exemple.fr", "adjointe@exemple.fr"]
REPONDRE_A = "ent-ecole@ac-montpellier.fr"


def _collectivite(avec_comptes: bool, avec_contact: bool):
    collectivite = CollectiviteFactory(nom="Commune de Mouthoumet", email=CONTACT if avec_contact else "")
    if avec_comptes:
        for email in REPRESENTANTS:
            UserFactory(email=email, collectivite=collectivite, role=User.Role.REPRESENTANT)
        # Neither another role nor a deactivated representative is written to.
        UserFactory(email="contributeur@exemple.fr", collectivite=collectivite, role=User.Role.CONTRIBUTEUR)
        UserFactory(email="ancien@exemple.fr", collectivite=collectivite, role=User.Role.REPRESENTANT, is_active=False)
    return collectivite


def _convention(collectivite):
    AcademieFactory(correspondant_nom="Service ENT-école – DANE", correspondant_email=REPONDRE_A)
    return ConventionFactory(
        collectivite=collectivite,
        etat=Convention.Etat.ENVOYEE,
        document_sha256="a" * 64,
        date_envoi=timezone.now() - datetime.timedelta(days=30),
        ecoles=1,
    )


def _convention_prete(collectivite):
    notifier_convention_prete(_convention(collectivite))


def _relance_retour(collectivite):
    notifier_relance(_convention(collectivite))


def _titre_emis(collectivite):
    notifier_titre_emis(_convention(collectivite), numero="2022-000001", montant=Decimal("50.00"))


def _relance_titre(collectivite):
    convention = _convention(collectivite)
    envoyer_relance(TitreDePerceptionFactory(convention=convention), today=datetime.date(2022, 6, 1))


def _invitation(collectivite):
    _convention(collectivite)  # the académie whose correspondent signs the invitation
    agent = UserFactory(is_staff=True)
    inviter(Invitation(collectivite=collectivite, email="nouvelle@exemple.fr", prenom="Léa", nom="Martin",
                       role=User.Role.REFERENT), par=agent)  # fmt: skip


EMAILS = {
    "convention prête": _convention_prete,
    "relance du retour": _relance_retour,
    "titre émis": _titre_emis,
    "relance du titre": _relance_titre,
    "invitation": _invitation,
}

# (representative accounts, contact address) -> who receives the collectivité's e-mails; None = refused.
REGLE = {
    (True, True): REPRESENTANTS,
    (True, False): REPRESENTANTS,
    (False, True): [CONTACT],
    (False, False): None,
}


@pytest.mark.parametrize("email", EMAILS)
@pytest.mark.parametrize(("avec_comptes", "avec_contact"), REGLE)
def test_every_email_follows_the_contact_rule(email, avec_comptes, avec_contact):
    collectivite = _collectivite(avec_comptes, avec_contact)
    attendus = REGLE[(avec_comptes, avec_contact)]
    if email == "invitation":
        # An invitation opens the invited person's own account: it goes to that person, whatever the collectivité.
        attendus = ["nouvelle@exemple.fr"]
    if attendus is None:
        with pytest.raises(
            (SansDestinataire, RelanceImpossible),
            match=r"ni compte de représentant actif .* ni adresse e-mail de contact",
        ):
            EMAILS[email](collectivite)
        assert mail.outbox == []
        assert not Notification.objects.exists() and not Relance.objects.exists()
        return
    EMAILS[email](collectivite)
    [message] = mail.outbox
    assert sorted(message.to) == sorted(attendus)
    assert message.reply_to == [REPONDRE_A]
    assert f"il parviendra à Service ENT-école – DANE ({REPONDRE_A})" in message.body
    assert "ne pas y répondre" not in message.body
    recorded = Notification.objects.first() or Relance.objects.first()
    if recorded is not None:
        assert sorted(recorded.destinataires.split(", ")) == sorted(attendus)


def test_the_rule_reads_prefetched_accounts_without_a_query(django_assert_num_queries):
    """Lists (follow-up, confirmation pages) prefetch the accounts: one query for all, none per line."""
    from collectivites.destinataires import prefetch_representants
    from collectivites.models import Collectivite

    for n in range(3):
        _collectivite(avec_comptes=bool(n % 2), avec_contact=True)
    with django_assert_num_queries(2):
        listes = [destinataires(c) for c in Collectivite.objects.prefetch_related(prefetch_representants())]
    assert sorted(map(len, listes)) == [1, 1, 2]


def test_a_representative_inviting_a_colleague_is_the_one_answered():
    collectivite = _collectivite(avec_comptes=True, avec_contact=True)
    _convention(collectivite)
    maire = User.objects.get(email=REPRESENTANTS[0])
    maire.first_name, maire.last_name = "Anne", "Roux"
    inviter(Invitation(collectivite=collectivite, email="lea@exemple.fr", prenom="Léa", nom="Martin",
                       role=User.Role.CONTRIBUTEUR), par=maire)  # fmt: skip
    [message] = mail.outbox
    assert message.reply_to == [maire.email]
    assert "Anne Roux (Commune de Mouthoumet) vous invite" in message.body
