"""One factory per model, with traits for the common shapes, French data."""

import datetime
import hashlib
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory
from stdnum import luhn

from collectivites.models import Collectivite, Commune, Contact, Invitation, User
from conventions.models import Academie, AnneeScolaire, Convention, Inscription
from conventions.services import reference_for
from ecoles.models import Ecole
from ecoles.validators import uai_check_letter

factory.Faker._DEFAULT_LOCALE = "fr_FR"


def valid_siren(n: int) -> str:
    body = f"2{n:07d}"[-8:]
    return body + luhn.calc_check_digit(body)


def valid_uai(n: int, departement: str = "011") -> str:
    digits = f"{departement}{n:04d}"
    return digits + uai_check_letter(digits)


class CommuneFactory(DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ["code_insee"]

    code_insee = factory.Sequence(lambda n: f"11{500 + n % 500:03d}")
    nom = factory.Faker("city")
    code_postal = "11000"


class CollectiviteFactory(DjangoModelFactory):
    class Meta:
        model = Collectivite

    nom = factory.LazyAttribute(lambda o: f"Commune de {o.commune.nom}" if o.commune else "Communauté de communes")
    type = Collectivite.Type.COMMUNE
    commune = factory.SubFactory(CommuneFactory)
    departement = "11"
    siren = factory.Sequence(valid_siren)
    adresse = factory.Faker("street_address")
    code_postal = "11000"
    ville = factory.Faker("city")
    representant_civilite = "Madame"
    representant_prenom = factory.Faker("first_name_female")
    representant_nom = factory.Faker("last_name")
    representant_qualite = "Maire"
    email = factory.Sequence(lambda n: f"mairie{n}@example.fr")

    class Params:
        groupement = factory.Trait(
            type=Collectivite.Type.COMMUNAUTE_COMMUNES,
            commune=None,
            nom=factory.Sequence(lambda n: f"Communauté de communes n° {n}"),
            representant_civilite="Monsieur",
            representant_qualite="Président",
        )


class EcoleFactory(DjangoModelFactory):
    class Meta:
        model = Ecole
        django_get_or_create = ["uai"]

    uai = factory.Sequence(lambda n: valid_uai(n))
    nom = factory.Sequence(lambda n: f"ECOLE PRIMAIRE N° {n}")
    nature = Ecole.Nature.PRIMAIRE
    secteur = Ecole.Secteur.PUBLIC
    etat = Ecole.Etat.OUVERTE
    commune = factory.SubFactory(CommuneFactory)

    class Params:
        privee = factory.Trait(secteur=Ecole.Secteur.PRIVE)
        fermee = factory.Trait(etat=Ecole.Etat.FERMEE)


class AcademieFactory(DjangoModelFactory):
    class Meta:
        model = Academie
        django_get_or_create = ["code"]

    nom = "Académie de Montpellier"
    code = "11"
    adresse = "31, rue de l'Université"
    code_postal = "34 064"
    ville = "MONTPELLIER Cedex 2"
    ville_signature = "Montpellier"


class AnneeScolaireFactory(DjangoModelFactory):
    class Meta:
        model = AnneeScolaire
        django_get_or_create = ["academie", "libelle"]

    academie = factory.SubFactory(AcademieFactory)
    libelle = "2021-2022"
    tarif_par_ecole = Decimal("50.00")
    signataire_prenom = "Sophie"
    signataire_nom = "Béjean"
    signataire_titre = (
        "Rectrice de la région académique Occitanie, rectrice de l'académie de Montpellier, chancelière des universités"
    )


class ConventionFactory(DjangoModelFactory):
    """ConventionFactory(ecoles=3) registers three new schools of the collectivité's commune."""

    class Meta:
        model = Convention
        skip_postgeneration_save = True

    annee = factory.SubFactory(AnneeScolaireFactory)
    collectivite = factory.SubFactory(CollectiviteFactory)
    commune = None
    reference = factory.LazyAttribute(lambda o: reference_for(o.annee, o.collectivite, o.commune))
    representant_civilite = factory.SelfAttribute("collectivite.representant_civilite")
    representant_prenom = factory.SelfAttribute("collectivite.representant_prenom")
    representant_nom = factory.SelfAttribute("collectivite.representant_nom")
    representant_qualite = factory.SelfAttribute("collectivite.representant_qualite")

    class Params:
        envoyee = factory.Trait(etat=Convention.Etat.ENVOYEE)
        signee = factory.Trait(
            etat=Convention.Etat.SIGNEE,
            date_signature=factory.Faker("date_between", start_date="-1y", end_date="today"),
            lieu_signature="Montpellier",
        )

    @factory.post_generation
    def ecoles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        commune = self.commune or self.collectivite.commune or CommuneFactory()
        schools = extracted if not isinstance(extracted, int) else EcoleFactory.create_batch(extracted, commune=commune)
        for ecole in schools:
            Inscription(convention=self, ecole=ecole).save()

    @factory.post_generation
    def montants(self, create, extracted, **kwargs):
        """A convention past draft states Article 7's figures, frozen as envoyer_pour_signature does."""
        if create and self.etat != Convention.Etat.BROUILLON:
            self.figer_montants()
            Convention.objects.filter(pk=self.pk).update(
                tarif_fige=self.tarif_fige, participation_figee=self.participation_figee
            )


class InscriptionFactory(DjangoModelFactory):
    class Meta:
        model = Inscription

    convention = factory.SubFactory(ConventionFactory)
    ecole = factory.SubFactory(EcoleFactory)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@example.fr")
    is_staff = False
    # A rectorat agent works for Montpellier (AcademieFactory's 11) unless told otherwise.
    academies = factory.LazyAttribute(lambda user: ["11"] if user.is_staff and not user.collectivite else [])
    collectivite = None
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "mot-de-passe-de-test-solide")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            from django.contrib.auth.models import Group

            self.groups.set(Group.objects.filter(name__in=extracted))
        if create:
            self.save()


class InvitationFactory(DjangoModelFactory):
    """A pending invitation; its link's token is the sequence number (only its SHA-256 is stored)."""

    class Meta:
        model = Invitation

    collectivite = factory.SubFactory(CollectiviteFactory)
    email = factory.Sequence(lambda n: f"invite{n}@example.fr")
    prenom = factory.Faker("first_name")
    nom = factory.Faker("last_name")
    role = User.Role.REFERENT
    token_sha256 = factory.Sequence(lambda n: hashlib.sha256(f"jeton-{n}".encode()).hexdigest())
    expire_le = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    collectivite = factory.SubFactory(CollectiviteFactory)
    role = Contact.Role.CONTRIBUTEUR
    prenom = factory.Faker("first_name")
    nom = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@example.fr")
