"""The titre de perception document: the shared renderer's PDF/A-3 with the Factur-X XML (EN 16931) embedded.

Everything printed or put in the XML is read from the titre's frozen copies, never from the convention or the
collectivité as they are today: rendering a titre again gives the same statements.
The XML follows Factur-X EN 16931 so that the file can be deposited on Chorus Pro: the seller is the rectorat
(identified by its SIRET), the buyer the collectivité (SIRET if known, else SIREN), the buyer reference its Chorus
service code, the order reference its engagement number; one line per school of Annexe 1. A cancelling titre is a
credit note (type 381) whose amounts are positive, as EN 16931 wants, and which refers to the cancelled titre.
"""

import datetime
from decimal import Decimal

from django.template.loader import render_to_string
from facturx import generate_xml
from lxml import etree

from documents.formats import date_longue, euros, pluriel
from documents.logos import logo_data_uri
from documents.pdf import CONTENT_TYPE, PdfDocument, PieceJointe, SignatureField, render
from documents.signatures import certificat_configure, signer_pdf
from documents.texte import nettoyer_tout
from documents.verification import contexte_pdf

# PdfTitreAltere lives with the model (DocumentEmis.erreur_alteration); its callers import it from here.
from .models import PdfTitreAltere as PdfTitreAltere
from .models import TitreDePerception

FACTURX_LEVEL = "en16931"
FACTURX_FILENAME = "factur-x.xml"
FACTURX_URN = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
FACTURX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)
# Process-wide, as lxml wants it: pyHanko writes the XMP again when it signs, and would name a namespace it does not
# know "ns0" where Factur-X readers look for "fx" (it registers the PDF/A extension schema's namespaces itself).
etree.register_namespace("fx", FACTURX_URN)
TYPE_FACTURE = "380"
TYPE_AVOIR = "381"
# Scheme identifiers (ISO 6523 ICD): 0009 = SIRET, 0002 = SIREN.
SCHEME_SIRET = "0009"
SCHEME_SIREN = "0002"
# The participation is not subject to VAT: a public body's administrative activity (article 256 B of the CGI).
TVA_CATEGORIE = "O"
TVA_MOTIF = "Non soumis à la TVA (article 256 B du code général des impôts)"
TVA_MOTIF_CODE = "VATEX-EU-O"
VIREMENT = "30"
# The ordonnateur's electronic signature, over the empty area under the signature block of templates/pdf/titre.html.
SIGNATURE_ORDONNATEUR = SignatureField("Signature ordonnateur", "signature-ordonnateur")


def _montant(value: Decimal) -> str:
    return f"{abs(value):.2f}"


def liquidation(titre: TitreDePerception) -> str:
    """ "1 école × 50,00 € = 50,00 €": the bases of liquidation, as the PDF and the admin state them."""
    return f"{pluriel(titre.nb_ecoles, 'école')} × {euros(titre.tarif_par_ecole)} = {euros(abs(titre.montant))}"


def titre_context(titre: TitreDePerception) -> dict:
    return {
        "titre": titre,
        "annule": titre.annule,
        "ecoles": titre.ecoles,
        "montant": euros(titre.montant),
        "montant_absolu": euros(abs(titre.montant)),
        "tarif": euros(titre.tarif_par_ecole),
        "liquidation": liquidation(titre),
        "date_emission": date_longue(titre.date_emission),
        "date_echeance": date_longue(titre.date_echeance) if titre.date_echeance else "",
        "date_signature": (
            date_longue(titre.convention_date_signature) if titre.convention_date_signature else "non renseignée"
        ),
        "annule_date": date_longue(titre.annule.date_emission) if titre.annule_id else "",
        "tva_motif": TVA_MOTIF,
        "comptable_adresse": ", ".join(line.strip() for line in titre.comptable_adresse.splitlines() if line.strip()),
        "zone_signature": SIGNATURE_ORDONNATEUR.element_id,
        "logo": logo_data_uri(titre.emetteur_logo),
        "logo_alt": f"Logo de l'{titre.emetteur_nom[:1].lower()}{titre.emetteur_nom[1:]}",
        **contexte_pdf(titre.code_verification),
    }


def facturx_xmp() -> str:
    context = {"urn": FACTURX_URN, "proprietes": FACTURX_PROPERTIES, "nom_fichier": FACTURX_FILENAME}
    return render_to_string("pdf/facturx.xmp", {**context, "niveau": "EN 16931"})


def titre_document(titre: TitreDePerception) -> PdfDocument:
    """The printed titre, with its Factur-X XML embedded as the invoice's data (PDF/A-3, /AFRelationship Data)."""
    nature = titre.nature_libelle
    return PdfDocument(
        template_name="pdf/titre.html",
        context=titre_context(titre),
        filename=titre.nom_fichier,
        title=f"{nature} n° {titre.numero} – {titre.debiteur_nom}",
        subject=f"{nature} n° {titre.numero} : {titre.objet} (convention {titre.convention_reference})",
        author=titre.emetteur_nom,
        footer_reference=f"{nature} n° {titre.numero}",
        keywords=("ENT-école", "titre de perception", titre.numero, "Factur-X"),
        created=titre.emis_le,
        signature_fields=(SIGNATURE_ORDONNATEUR,),
        attachments=(PieceJointe(FACTURX_FILENAME, facturx_xml(titre), "Factur-X (EN 16931)", "Data"),),
        xmp=facturx_xmp(),
    )


def _vendeur(titre: TitreDePerception) -> dict:
    return {
        "name": titre.emetteur_nom,
        "legal_identifier": titre.emetteur_siret,
        "legal_identifier_schemeid": SCHEME_SIRET,
        "addr_l1": titre.emetteur_adresse,
        "postcode": titre.emetteur_code_postal.replace(" ", ""),
        "city": titre.emetteur_ville,
        "country_code": "FR",
    }


def _acheteur(titre: TitreDePerception) -> dict:
    identifiant, scheme = (
        (titre.debiteur_siret, SCHEME_SIRET) if titre.debiteur_siret else (titre.debiteur_siren, SCHEME_SIREN)
    )
    return {
        "name": titre.debiteur_nom,
        "legal_identifier": identifiant,
        "legal_identifier_schemeid": scheme,
        "addr_l1": titre.debiteur_adresse,
        "postcode": titre.debiteur_code_postal,
        "city": titre.debiteur_ville,
        "country_code": "FR",
    }


def _lignes(titre: TitreDePerception) -> list[dict]:
    return [
        {
            "BT-126": str(index),
            "BT-129": "1",
            "BT-130": "C62",  # one unit
            "BT-131": _montant(titre.tarif_par_ecole),
            "BT-146": _montant(titre.tarif_par_ecole),
            "BT-151": TVA_CATEGORIE,
            "BT-153": f"Participation ENT-école {titre.annee_scolaire}",
            "BT-154": f"École {ecole['uai']} – {ecole['nom']}",
            "BT-155": ecole["uai"],
        }
        for index, ecole in enumerate(titre.ecoles, start=1)
    ]


def facturx_data(titre: TitreDePerception) -> dict:
    """The EN 16931 data of the titre, keyed by business term (BT/BG) as the factur-x library expects."""
    total = _montant(titre.montant)
    data = {
        "BT-1": titre.numero,
        "BT-2": titre.date_emission,
        "BT-3": TYPE_AVOIR if titre.est_annulation else TYPE_FACTURE,
        "BT-5": "EUR",
        "BT-12": titre.convention_reference,
        "BG-1": [{"BT-21": "AAI", "BT-22": titre.objet}],
        "BG-4": _vendeur(titre),
        "BG-7": _acheteur(titre),
        # The service starts at signature (the delivery date) and runs to 1 September (Article 3).
        "BT-72": titre.convention_date_signature or titre.date_emission,
        "BG-23": [
            {
                "BT-116": total,
                "BT-117": "0.00",
                "BT-118": TVA_CATEGORIE,
                "BT-120": TVA_MOTIF,
                "BT-121": TVA_MOTIF_CODE,
            }
        ],
        "BG-25": _lignes(titre),
        "BT-106": total,
        "BT-109": total,
        "BT-110": "0.00",
        "BT-112": total,
        # A credit note's amounts are all positive, its amount due too (BR-CO-16: total - paid + rounding): the
        # amount credited to the debtor, which the payment terms (BT-20) explain.
        "BT-115": total,
    }
    debut, fin = data["BT-72"], datetime.date(int(titre.annee_scolaire[5:]), 9, 1)
    if debut <= fin:  # a convention signed after its end date has no period to state
        data.update({"BT-73": debut, "BT-74": fin})
    if titre.debiteur_code_service_chorus:
        data["BT-10"] = titre.debiteur_code_service_chorus
    if titre.debiteur_numero_engagement:
        data["BT-13"] = titre.debiteur_numero_engagement
    if titre.est_annulation:
        data["BG-1"].append({"BT-21": "AAI", "BT-22": f"Annulation : {titre.motif_annulation}"})
        data["BG-3"] = [{"BT-25": titre.annule.numero, "BT-26": titre.annule.date_emission}]
        data["BT-20"] = (
            f"Annule le titre n° {titre.annule.numero} : le montant de ce titre n'est plus dû, aucune somme n'est à "
            "payer au titre du présent document."
        )
    else:
        data.update(
            {
                "BT-9": titre.date_echeance,
                "BT-20": f"À payer avant le {date_longue(titre.date_echeance)} au comptable assignataire : "
                f"{titre.comptable_nom}.",
                "BT-81": VIREMENT,
                "BT-83": titre.numero,
                "BT-84": titre.iban,
                "BT-85": titre.titulaire_compte,
                "BT-86": titre.bic,
            }
        )
    return data


def facturx_xml(titre: TitreDePerception) -> bytes:
    """The CII XML, checked against the Factur-X EN 16931 XSD by the library (the schematron needs a Saxon server)."""
    # XML cannot carry a control character that an old record may hold: stripped rather than failing the titre.
    data = nettoyer_tout(facturx_data(titre))
    return generate_xml(data, flavor="factur-x", level=FACTURX_LEVEL, check_schematron=False)


def pdf_titre(titre: TitreDePerception) -> bytes:
    """The titre as issued: the printed document with its Factur-X XML attached (PDF/A-3), signed by the académie
    when a certificate is configured (last, as an incremental update: the signature covers the XML too)."""
    _, _, pdf = render(titre_document(titre))
    if not certificat_configure():
        return pdf
    nature = titre.nature_libelle
    return signer_pdf(
        pdf,
        SIGNATURE_ORDONNATEUR.name,
        reason=f"{nature} n° {titre.numero} émis par l'ordonnateur",
        location=titre.lieu_emission,
    )


def pdf_stocke(titre: TitreDePerception) -> tuple[str, str, bytes]:
    """What a download returns: the bytes stored at issue, after checking they still match their SHA-256
    (PdfTitreAltere otherwise)."""
    return titre.nom_fichier, CONTENT_TYPE, titre.lire_fichier()
