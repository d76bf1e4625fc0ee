"""The titre PDF: every mention of the issue's point 3, its Factur-X XML valid against the XSD, frozen bytes."""

import datetime
import hashlib
import io
from decimal import Decimal

import pikepdf
import pytest
from facturx import xml_check_xsd
from lxml import etree
from pypdf import PdfReader

from facturation.pdf import PdfTitreAltere, pdf_stocke
from facturation.services import annuler_titre, emettre_titre
from tests.conventions.pdf_support import metadata_disagreements

from .factories import convention_a_facturer, valid_siret

pytestmark = pytest.mark.django_db

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def _bytes(titre) -> bytes:
    with titre.pdf.open("rb") as stored:
        return stored.read()


def _texte(content: bytes) -> str:
    """The text of every page, whitespace (non-breaking spaces, line ends) folded to single spaces."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _xml(content: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(content)) as pdf:
        return pdf.attachments["factur-x.xml"].get_file().read_bytes()


def _un(xml: bytes, xpath: str) -> str:
    return etree.fromstring(xml).xpath(xpath, namespaces=NS)[0].text


MENTIONS = [
    "TITRE DE PERCEPTION",
    "2022-000001",
    "Date d'émission 10 janvier 2022",
    "Exercice 2022",
    "Date d'échéance 9 février 2022",
    # the issuer
    "Académie de Montpellier",
    "L'ordonnateur, Sophie Béjean Rectrice de la région académique Occitanie",
    # the debtor
    "Communauté de Communes Région Lézignanaise Corbières et Minervois",
    "Commune : Mouthoumet",
    "48 avenue Charles Cros 11200 Lézignan-Corbières",
    # object and bases of liquidation
    "ENT-11-2021-2022-",
    "signée le 13 septembre 2021",
    "année scolaire 2021-2022",
    "0110422Z ECOLE PRIMAIRE 50,00 €",
    "1 école × 50,00 € = 50,00 €",
    # the amount
    "Montant à payer : 50,00 €",
    "cinquante euros",
    # the comptable and how to pay
    "Direction régionale des finances publiques d'Occitanie",
    "IBAN : FR76 3000 1007 9412 3456 7890 185",
    "BIC : BDFEFRPPCCT",
    "Référence à rappeler 2022-000001",
    # recourse, articles 117 to 119 of décret n° 2012-1246 (since 2019) and L. 281 of the LPF
    "Titre exécutoire émis en application de l'article L. 252 A du livre des procédures fiscales",
    "articles 117 à 119 du décret n° 2012-1246 du 7 novembre 2012",
    "vous devez, avant de saisir la juridiction compétente, adresser une réclamation",
    "à l'ordonnateur qui a émis le titre (Académie de Montpellier, à l'adresse ci-dessus)",
    "sous peine de nullité dans un délai de deux mois à compter de la notification du présent titre",
    "L'ordonnateur statue sur votre réclamation dans un délai de six mois",
    "À défaut de décision notifiée dans ce délai, la réclamation est considérée comme rejetée",
    "Vous pouvez ensuite saisir la juridiction compétente dans un délai de deux mois",
    "au comptable chargé du recouvrement désigné ci-dessus dans un délai de deux mois à compter de la notification de "
    "cet acte",
    # not subject to VAT: no « TTC »
    "1 école × 50,00 € = 50,00 € (participation de 50,00 € par école inscrite et par an). Non soumis à la TVA",
    "Page 1 / 1",
]


def test_seed_pdf_states_every_mention(titre_seed):
    """The seed titre's extracted text holds each mention that point 3 of the issue lists."""
    texte = _texte(_bytes(titre_seed))
    assert [mention for mention in MENTIONS if mention not in texte] == []


def test_seed_pdf_never_says_ttc_beside_not_subject_to_vat(titre_seed):
    """The participation is not subject to VAT: the titre never speaks of an amount « TTC »."""
    assert "TTC" not in _texte(_bytes(titre_seed))


def test_seed_pdf_names_the_debtor_identifiers(titre_seed):
    """The debtor's SIREN is printed; the convention reference in full."""
    texte = _texte(_bytes(titre_seed))
    assert f"SIREN : {titre_seed.debiteur_siren}" in texte
    assert titre_seed.convention_reference in texte


def _titre_chorus():
    """A titre to a collectivité known to Chorus Pro: SIRET, service code and engagement number."""
    convention = convention_a_facturer(nb_ecoles=2)
    collectivite = convention.collectivite
    collectivite.siret = valid_siret(collectivite.siren)
    collectivite.code_service_chorus = "SERVICE-FIN"
    collectivite.numero_engagement = "EJ-2022-42"
    collectivite.save()
    return emettre_titre(convention)


TITRES = {
    "normal": lambda titre_seed: titre_seed,
    "annulation": lambda titre_seed: annuler_titre(titre_seed, "Erreur sur le débiteur"),
    "chorus": lambda titre_seed: _titre_chorus(),
}


@pytest.mark.parametrize("kind", TITRES)
def test_every_kind_of_titre_passes_the_en16931_rules(titre_seed, en16931, kind):
    """The Factur-X XML of a normal titre, of a cancelling titre (credit note 381) and of a titre with the Chorus Pro
    fields validates against the Factur-X XSD and breaks none of the fatal rules of EN 16931 (CEN's schematron)."""
    xml = _xml(_bytes(TITRES[kind](titre_seed)))
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert en16931.fatal(xml) == []


def test_the_en16931_rules_catch_a_broken_invoice(titre_seed, en16931):
    """The validator is not silent: an amount due that is not the total breaks BR-CO-16."""
    xml = _xml(_bytes(titre_seed)).replace(
        b"<ram:DuePayableAmount>50.00</ram:DuePayableAmount>", b"<ram:DuePayableAmount>0.00</ram:DuePayableAmount>"
    )
    assert [rule.split(":")[0] for rule in en16931.fatal(xml)] == ["BR-CO-16"]


def test_embedded_xml_validates_and_totals_the_titre(titre_seed):
    """The factur-x.xml attachment validates against the EN 16931 XSD; its totals equal the titre's 50,00 €."""
    xml = _xml(_bytes(titre_seed))
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert Decimal(_un(xml, f"{summation}/ram:GrandTotalAmount")) == titre_seed.montant
    assert Decimal(_un(xml, f"{summation}/ram:DuePayableAmount")) == titre_seed.montant
    assert _un(xml, "//rsm:ExchangedDocument/ram:ID") == "2022-000001"
    assert _un(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert _un(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == titre_seed.debiteur_siren
    assert _un(xml, "//ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedTradeProduct/ram:SellerAssignedID") == (
        "0110422Z"
    )
    assert _un(xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == titre_seed.iban


def test_pdf_is_pdfa3_with_factur_x_metadata(titre_seed):
    """PDF/A-3 (the form Factur-X requires) declaring the EN 16931 profile in its XMP metadata."""
    with pikepdf.open(io.BytesIO(_bytes(titre_seed))) as pdf, pdf.open_metadata() as meta:
        assert meta["pdfaid:part"] == "3"
        assert meta["{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}ConformanceLevel"] == "EN 16931"


def test_document_information_and_xmp_agree(titre_seed):
    """Producer, keywords, title and dates read the same in the document information and the XMP (PDF/A), and the
    keywords name the titre."""
    pdf = _bytes(titre_seed)
    assert metadata_disagreements(pdf) == {}
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert titre_seed.numero in str(document.docinfo["/Keywords"])
        assert document.open_metadata()["pdf:Producer"].startswith("pyHanko")


def test_chorus_fields_reach_the_xml():
    """With SIRET, service code and engagement number, the XML identifies the buyer as Chorus Pro expects."""
    titre = _titre_chorus()
    xml = _xml(_bytes(titre))
    assert _un(xml, "//ram:BuyerReference") == "SERVICE-FIN"
    assert _un(xml, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == "EJ-2022-42"
    assert _un(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == titre.debiteur_siret
    assert Decimal(_un(xml, "//ram:GrandTotalAmount")) == Decimal("100.00")
    texte = _texte(_bytes(titre))
    assert "Code service Chorus Pro : SERVICE-FIN" in texte
    assert "Numéro d'engagement : EJ-2022-42" in texte


def test_stored_bytes_match_their_fingerprint_and_downloads_return_them(titre_seed):
    """The SHA-256 recorded at issue is the stored file's; a download returns exactly those bytes."""
    content = _bytes(titre_seed)
    assert hashlib.sha256(content).hexdigest() == titre_seed.pdf_sha256
    assert pdf_stocke(titre_seed) == ("titre-2022-000001.pdf", "application/pdf", content)


def test_an_altered_file_is_detected(titre_seed):
    """If the stored file were changed, downloading it is refused rather than serving altered bytes."""
    path = titre_seed.pdf.path
    with open(path, "ab") as stored:
        stored.write(b"%tampered")
    with pytest.raises(PdfTitreAltere, match="2022-000001"):
        pdf_stocke(titre_seed)


def test_cancelling_titre_pdf_and_credit_note_xml(titre_seed):
    """The cancelling titre says what it cancels and why; its XML is a credit note (381) for the same 50,00 €."""
    annulation = annuler_titre(titre_seed, "Erreur sur le débiteur", date_emission=datetime.date(2022, 2, 1))
    content = _bytes(annulation)
    texte = _texte(content)
    assert "TITRE D'ANNULATION" in texte
    assert "annule le titre de perception n° 2022-000001 émis le 10 janvier 2022" in texte
    assert "Motif de l'annulation : Erreur sur le débiteur" in texte
    assert "Montant annulé : -50,00 €" in texte
    xml = _xml(content)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert _un(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert Decimal(_un(xml, "//ram:GrandTotalAmount")) == -annulation.montant
    assert _un(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "2022-000001"


def test_many_schools_run_over_pages_with_the_number_on_each():
    """Forty schools: every UAI is listed, each page carries the titre's number and « Page X / Y »."""
    titre = emettre_titre(convention_a_facturer(nb_ecoles=40), date_emission=datetime.date(2022, 3, 1))
    content = _bytes(titre)
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 2
    for number, page in enumerate(reader.pages, start=1):
        texte = " ".join(page.extract_text().split())
        assert "Titre de perception n° 2022-000001" in texte
        assert f"Page {number} / {len(reader.pages)}" in texte
    texte = _texte(content)
    assert all(ecole["uai"] in texte for ecole in titre.ecoles)
    assert "40 écoles × 50,00 € = 2 000,00 €" in texte
    assert "deux mille euros" in texte
