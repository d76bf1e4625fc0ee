"""With a timestamp authority configured, the académie's signatures are PAdES B-LT: timestamped, with the
certificates and the revocation answers embedded, so that they can be checked after the certificate expires.
The CA's services (TSA, OCSP, CRL) run on the loopback for these tests (tests/trust/services.py)."""

import io

import pytest
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore

from conventions.services import TransitionInterdite, enregistrer_signature
from documents.signatures import niveau_pades
from facturation.services import emettre_titre
from facturation.signatures import etat_signature
from tests.facturation.factories import convention_du_seed

from .pki import PASSPHRASE
from .services import ServicesDeConfiance


@pytest.fixture
def services():
    with ServicesDeConfiance() as started:
        yield started


@pytest.fixture
def certificat_et_horodatage(settings, tmp_path, services):
    """The académie's PKCS#12, issued by a CA whose certificates name its OCSP and CRL, and the TSA's address."""
    path = services.autorite.pkcs12(tmp_path / "academie.p12", "Sophie Béjean", "Académie de Montpellier")
    settings.SIGNATURE_PKCS12_PATH = str(path)
    settings.SIGNATURE_PKCS12_PASSPHRASE = PASSPHRASE.decode()
    settings.SIGNATURE_TSA_URL = services.tsa_url
    return services


def validation_lt(pdf: bytes, services) -> str:
    """pyHanko's validation of the last signature and of its timestamp with only what the file embeds (its
    document security store: certificates, OCSP answers, CRLs), nothing fetched, revocation data required: it
    passes only for a B-LT signature. Returns pyHanko's report."""
    reader = PdfFileReader(io.BytesIO(pdf))
    offline = {"trust_roots": [services.autorite.racine], "allow_fetching": False, "revocation_mode": "require"}
    context = DocumentSecurityStore.read_dss(reader).as_validation_context(offline)
    status = validate_pdf_signature(
        reader.embedded_regular_signatures[-1], signer_validation_context=context, ts_validation_context=context
    )
    assert status.bottom_line, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.valid
    assert status.timestamp_validity.trusted
    return status.pretty_print_details()


def test_a_titre_is_signed_pades_b_lt(db, certificat_et_horodatage):
    """The titre's signature carries a timestamp from the TSA and, in the document security store, what validates
    it offline: pyHanko's long-term validation passes with nothing fetched, and the level read back is B-LT."""
    services = certificat_et_horodatage
    titre = emettre_titre(convention_du_seed())
    with titre.pdf.open("rb") as stored:
        pdf = stored.read()
    assert niveau_pades(pdf) == "B-LT"
    assert "/tsa" in services.requetes and {"/ocsp", "/crl"} & set(services.requetes)
    report = validation_lt(pdf, services)
    assert "Sophie Béjean" in report
    assert etat_signature(titre).endswith(
        ": PAdES B-LT (horodatée, avec les certificats et les données de révocation "
        ": vérifiable après l'expiration du certificat)"
    )


def test_the_countersignature_is_b_lt_and_the_admin_says_so(db, client, certificat_et_horodatage, envoyee):
    """The convention countersigned by the académie is B-LT, dated, and its admin page names the level."""
    from tests.factories import UserFactory

    convention = enregistrer_signature(envoyee, envoyee.date_envoi.date(), "Montpellier")
    with convention.document_signe.open("rb") as stored:
        pdf = stored.read()
    assert niveau_pades(pdf) == "B-LT"
    validation_lt(pdf, certificat_et_horodatage)
    client.force_login(UserFactory(email="agent@ac-montpellier.fr", is_staff=True, groups=["Gestion ENT"]))
    page = client.get(reverse("admin:conventions_convention_change", args=[convention.pk])).content.decode()
    assert "PAdES B-LT (horodatée, avec les certificats et les données de révocation" in page


def test_a_silent_timestamp_authority_stops_the_signature(envoyee, certificat_et_horodatage, settings):
    """A TSA that does not answer: the signature is refused with the reason, rather than a weaker one issued."""
    settings.SIGNATURE_TSA_URL = certificat_et_horodatage.url + "/absente"
    with pytest.raises(TransitionInterdite, match="SIGNATURE_TSA_URL"):
        enregistrer_signature(envoyee, envoyee.date_envoi.date(), "Montpellier")
    envoyee.refresh_from_db()
    assert envoyee.etat == "envoyee" and not envoyee.document_signe
