"""Who may do what to accounts in the admin, role by role, including what each must not be able to do.

Only a superuser creates or changes staff accounts, grants groups or permissions, or sets a password. « Gestion ENT »
manages the collectivités' portal accounts and nothing else. Every forbidden path is tried by a direct POST carrying
what a superuser's form would send (is_superuser, every group and permission), and its effect is checked in the
database, not only the status code.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.forms import MultiWidget
from django.urls import reverse

from collectivites.models import User
from tests.factories import CollectiviteFactory, UserFactory

NOUVEAU = "un-tout-nouveau-mot-de-passe-42"


@pytest.fixture(autouse=True)
def hachage_rapide(settings):
    """Rights do not depend on how a password is hashed; seven accounts per test at PBKDF2's cost would be slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def comptes(db):
    """The administrator to take over, another agent, a portal account, and one actor per role."""
    return {
        "administrateur": UserFactory(email="admin@ac-montpellier.fr", is_staff=True, is_superuser=True),
        "autre_agent": UserFactory(email="autre@ac-montpellier.fr", is_staff=True, groups=["Finances"]),
        "compte_portail": UserFactory(
            email="maire@commune.fr", collectivite=CollectiviteFactory(), role=User.Role.REPRESENTANT
        ),
        "superutilisateur": UserFactory(email="chef@ac-montpellier.fr", is_staff=True, is_superuser=True),
        "gestion": UserFactory(email="gestion@ac-montpellier.fr", is_staff=True, groups=["Gestion ENT"]),
        "finances": UserFactory(email="finances@ac-montpellier.fr", is_staff=True, groups=["Finances"]),
        "representant": UserFactory(
            email="elu@commune.fr", collectivite=CollectiviteFactory(), role=User.Role.REPRESENTANT
        ),
    }


def _change_url(user):
    return reverse("admin:collectivites_user_change", args=[user.pk])


def _password_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def _formulaire_superutilisateur(client, comptes, cible, tous_les_droits=True) -> dict:
    """What the superuser's change form of `cible` posts, with every right ticked: a forger's best request."""
    client.force_login(comptes["superutilisateur"])
    form = client.get(_change_url(cible)).context["adminform"].form
    client.logout()
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):
            for suffix, part in zip(field.widget.widgets_names, field.widget.decompress(value), strict=True):
                data[f"{name}{suffix}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = str(value)
    if tous_les_droits:
        data.update(
            is_staff="on",
            is_superuser="on",
            is_active="on",
            groups=[str(pk) for pk in Group.objects.values_list("pk", flat=True)],
            user_permissions=[str(pk) for pk in Permission.objects.values_list("pk", flat=True)],
        )
    return data


def _voir_liste_des_agents(client, comptes, acteur):
    response = client.get(reverse("admin:collectivites_user_changelist"))
    return response.status_code == 200 and comptes["administrateur"].email in response.content.decode()


def _ouvrir_fiche_administrateur(client, comptes, acteur):
    return client.get(_change_url(comptes["administrateur"])).status_code == 200


def _se_rendre_superutilisateur(client, comptes, acteur):
    data = _formulaire_superutilisateur(client, comptes, acteur)
    client.force_login(acteur)
    client.post(_change_url(acteur), data)
    acteur.refresh_from_db()
    return acteur.is_superuser and acteur.groups.count() == Group.objects.count()


def _promouvoir_un_agent(client, comptes, acteur):
    cible = comptes["autre_agent"]
    data = _formulaire_superutilisateur(client, comptes, cible)
    client.force_login(acteur)
    client.post(_change_url(cible), data)
    cible.refresh_from_db()
    return cible.is_superuser


def _faire_un_agent_d_un_compte_portail(client, comptes, acteur):
    """A portal account may not be staff (a database constraint): the forger unlinks it from its collectivité."""
    cible = comptes["compte_portail"]
    data = _formulaire_superutilisateur(client, comptes, cible)
    data.update(collectivite="", role="")
    client.force_login(acteur)
    client.post(_change_url(cible), data)
    cible.refresh_from_db()
    return cible.is_staff


def _changer_mot_de_passe(cible_nom):
    def action(client, comptes, acteur):
        cible = comptes[cible_nom]
        client.post(_password_url(cible), {"password1": NOUVEAU, "password2": NOUVEAU, "usable_password": "true"})
        cible.refresh_from_db()
        return cible.check_password(NOUVEAU)

    return action


def _creer_un_compte(client, comptes, acteur):
    client.post(
        reverse("admin:collectivites_user_add"),
        {"email": "nouveau@ac-montpellier.fr", "password1": NOUVEAU, "password2": NOUVEAU, "usable_password": "true"},
    )
    return User.objects.filter(email="nouveau@ac-montpellier.fr").exists()


def _donner_des_permissions_a_un_groupe(client, comptes, acteur):
    groupe = Group.objects.get(name="Gestion ENT")
    avant = groupe.permissions.count()
    client.post(
        reverse("admin:auth_group_change", args=[groupe.pk]),
        {"name": groupe.name, "permissions": [str(pk) for pk in Permission.objects.values_list("pk", flat=True)]},
    )
    return groupe.permissions.count() > avant


def _modifier_un_compte_portail(client, comptes, acteur):
    cible = comptes["compte_portail"]
    if acteur.is_superuser:
        data = _formulaire_superutilisateur(client, comptes, cible, tous_les_droits=False)
    else:
        # The portal account's form, plus a superuser's fields that must be ignored.
        data = {"email": cible.email, "first_name": cible.first_name, "collectivite": str(cible.collectivite_id)}
        data.update(is_active="on", is_staff="on", is_superuser="on")
    data.update(last_name="Nouveau-Nom", role=User.Role.REFERENT)
    client.force_login(acteur)
    client.post(_change_url(cible), data)
    cible.refresh_from_db()
    assert not cible.is_staff and not cible.is_superuser
    return cible.last_name == "Nouveau-Nom" and cible.role == User.Role.REFERENT


ACTIONS = {
    "voir les agents du rectorat dans la liste des comptes": _voir_liste_des_agents,
    "ouvrir la fiche de l'administrateur": _ouvrir_fiche_administrateur,
    "se rendre superutilisateur avec tous les groupes": _se_rendre_superutilisateur,
    "rendre un autre agent superutilisateur": _promouvoir_un_agent,
    "faire d'un compte du portail un agent": _faire_un_agent_d_un_compte_portail,
    "changer le mot de passe de l'administrateur": _changer_mot_de_passe("administrateur"),
    "changer le mot de passe d'un agent": _changer_mot_de_passe("autre_agent"),
    "changer le mot de passe d'un compte du portail": _changer_mot_de_passe("compte_portail"),
    "créer un compte": _creer_un_compte,
    "donner des permissions à un groupe": _donner_des_permissions_a_un_groupe,
    "modifier un compte du portail (nom, rôle)": _modifier_un_compte_portail,
}

PERMIS = {
    "superutilisateur": set(ACTIONS),
    "gestion": {"modifier un compte du portail (nom, rôle)"},
    "finances": set(),
    "representant": set(),
}


@pytest.mark.parametrize("role", PERMIS)
@pytest.mark.parametrize("action", ACTIONS)
def test_droits_sur_les_comptes(client, comptes, role, action):
    """Each role does exactly what its row of PERMIS allows, in the admin pages and by a forged POST."""
    acteur = comptes[role]
    client.force_login(acteur)
    assert ACTIONS[action](client, comptes, acteur) is (action in PERMIS[role])


def test_gestion_ent_ne_voit_ni_droits_ni_mot_de_passe(client, comptes):
    """On a portal account's page, « Gestion ENT » sees no rights, groups, permissions nor password link."""
    client.force_login(comptes["gestion"])
    response = client.get(_change_url(comptes["compte_portail"]))
    assert response.status_code == 200
    fields = set(response.context["adminform"].form.fields)
    assert fields == {"email", "first_name", "last_name", "collectivite", "role", "is_active"}
    assert _password_url(comptes["compte_portail"]) not in response.content.decode()
    assert client.get(_password_url(comptes["compte_portail"])).status_code == 403
    assert client.get(reverse("admin:collectivites_user_add")).status_code == 403
