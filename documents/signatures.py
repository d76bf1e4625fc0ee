"""Electronic signatures: the académie signs (PAdES, pyHanko), and the signed conventions that come back are checked.

Signing. The académie's certificate is a PKCS#12 file named by the environment (settings.SIGNATURE_PKCS12_PATH and
SIGNATURE_PKCS12_PASSPHRASE). Without it, documents are issued unsigned (`certificat_configure()` is False and the
admin says so). A signature is always an incremental update: the bytes signed before stay byte for byte, so an
earlier signature (the collectivité's) stays valid and the PDF/A identification in the XMP metadata stays. The
visible appearance is a small page laid out by WeasyPrint with the embedded fonts of static/fonts/: pyHanko's own text
stamps use a non-embedded Courier (or need uharfbuzz), which PDF/A forbids.

Checking. A convention returned digitally signed must start with exactly the bytes that were sent (the frozen PDF,
compared by SHA-256), every later revision may only add signatures or fill form fields (pyHanko's difference
analysis from the sent revision on), and every signature must be intact and cryptographically valid. The
collectivités' certificates come from many CAs (ChamberSign, Certinomis, the State's RGS CAs...): their chain is not
checked against a trust list here (it would need the list and the CRLs/OCSP on the network); the rectorat sees the
signer's name and can open the file in a PDF reader for the full chain. A PDF without any signature is a scan: it is
accepted and marked for the rectorat to check by eye.
"""

import datetime
import hashlib
import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.utils import timezone
from pyhanko.pdf_utils import content, layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    FormUpdatingRule,
    GenericFieldModificationRule,
    ModificationLevel,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
    SuspiciousModification,
)
from pyhanko.sign.diff_analysis.form_rules_api import ACROFORM_EXEMPT_STRICT_COMPARISON
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import ValidationError as CheminInvalide

from .formats import date_longue

logger = logging.getLogger(__name__)


class CertificatInvalide(Exception):
    """The configured PKCS#12 file cannot be used. The message is for the administrator."""


class ExemplaireRefuse(Exception):
    """The uploaded signed convention is not the document sent, or its signature is broken. For users."""


# --- Signing with the académie's certificate ------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _load_signer(path: str, passphrase: str, _mtime: float) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load_pkcs12(path, passphrase=passphrase.encode() or None)
    if signer is None:
        # pyHanko logs the cause and returns None for a wrong passphrase or a file that is not PKCS#12.
        raise CertificatInvalide(
            f"Le certificat de signature {path} (SIGNATURE_PKCS12_PATH) est illisible : fichier PKCS#12 invalide ou "
            "phrase de passe (SIGNATURE_PKCS12_PASSPHRASE) incorrecte."
        )
    return signer


def signataire() -> signers.SimpleSigner | None:
    """The académie's signer, or None when no certificate is configured (documents are then issued unsigned)."""
    path = settings.SIGNATURE_PKCS12_PATH
    if not path:
        return None
    try:
        mtime = Path(path).stat().st_mtime
    except OSError as exc:
        raise CertificatInvalide(
            f"Le certificat de signature {path} (SIGNATURE_PKCS12_PATH) est introuvable ou illisible."
        ) from exc
    # Keyed by the file's modification time: a renewed certificate is picked up without a restart.
    return _load_signer(path, settings.SIGNATURE_PKCS12_PASSPHRASE, mtime)


def certificat_configure() -> bool:
    return bool(settings.SIGNATURE_PKCS12_PATH)


def _long_terme(signer: signers.SimpleSigner) -> dict:
    """With a timestamp authority configured, what makes a signature PAdES B-LT: the timestamper and a validation
    context whose certificates and revocation answers (OCSP, CRL, fetched from the addresses the certificates give)
    pyHanko embeds in the document security store. The roots trusted are the self-signed ones of the PKCS#12 chain.
    Revocation data that cannot be fetched stops the signature (hard-fail) rather than giving a B-LT in name only."""
    if not settings.SIGNATURE_TSA_URL:
        return {}
    chain = list(signer.cert_registry)
    roots = [cert for cert in chain if cert.self_signed]
    context = ValidationContext(trust_roots=roots, other_certs=chain, allow_fetching=True, revocation_mode="hard-fail")
    return {"timestamper": HTTPTimeStamper(settings.SIGNATURE_TSA_URL), "validation_context": context}


def nom_du_certificat(cert: asn1_x509.Certificate) -> str:
    """The signer's common name ("Sophie Béjean"), or the whole subject when it has none."""
    subject = cert.subject.native
    return subject.get("common_name") or cert.subject.human_friendly


class _PdfBytesPage(content.PdfContent):
    """The first page of a PDF given as bytes, imported as a form XObject (ImportedPdfPage wants a file name)."""

    def __init__(self, pdf: bytes):
        super().__init__()
        self.pdf = pdf

    def render(self) -> bytes:
        xobj = self._ensure_writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self.pdf)), page_ix=0)
        self.resources.xobject["/Apparence"] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return b"/Apparence Do"


def _apparence(nom: str, quand: datetime.datetime, box: tuple[float, float, float, float]) -> StaticStampStyle:
    """What the signature field shows: "Signé électroniquement par …, le …", in the documents' own fonts."""
    from .pdf import PdfDocument, render  # pdf imports the heavy renderer; only signing needs it here

    width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
    quand = timezone.localtime(quand)
    document = PdfDocument(
        template_name="pdf/signature_apparence.html",
        context={"nom": nom, "date": date_longue(quand.date()), "heure": quand, "w": width, "h": height},
        filename="apparence.pdf",
        title="Signature électronique",
        subject="",
        author="",
    )
    return StaticStampStyle(background=_PdfBytesPage(render(document)[2]), border_width=0)


def _field_box(pdf: bytes, field_name: str) -> tuple[float, float, float, float]:
    for name, _value, ref in fields.enumerate_sig_fields(PdfFileReader(io.BytesIO(pdf))):
        if name == field_name:
            annot = ref.get_object()
            widget = annot["/Kids"][0].get_object() if "/Kids" in annot else annot
            return tuple(float(v) for v in widget["/Rect"])
    raise CertificatInvalide(f"Le champ de signature « {field_name} » est absent du document.")


def signer_pdf(
    pdf: bytes,
    field_name: str,
    reason: str,
    location: str,
    new_field: fields.SigFieldSpec | None = None,
    signer: signers.SimpleSigner | None = None,
    champs: dict[str, str] | None = None,
) -> bytes:
    """`pdf` with the académie's PAdES signature in the field `field_name` (created from `new_field` if given),
    added as an incremental update, with the text fields of `champs` filled in the same signed revision. The caller
    checks that a certificate is configured."""
    signer = signer or signataire()
    if signer is None:
        raise CertificatInvalide("Aucun certificat de signature n'est configuré (SIGNATURE_PKCS12_PATH).")
    box = new_field.box if new_field is not None else _field_box(pdf, field_name)
    nom = nom_du_certificat(signer.signing_cert)
    long_terme = _long_terme(signer)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=nom,
        embed_validation_info=bool(long_terme),
        validation_context=long_terme.get("validation_context"),
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=signer,
        timestamper=long_terme.get("timestamper"),
        stamp_style=_apparence(nom, timezone.now(), box),
        new_field_spec=new_field,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    if champs:
        from .pdf import remplir_champs_dans

        remplir_champs_dans(writer, champs)
    output = io.BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=output)
    except (OSError, PdfError, ValueError, CheminInvalide) as exc:
        if not long_terme:
            raise
        # The timestamp authority or a revocation service did not answer (pyHanko's errors derive from these).
        raise CertificatInvalide(
            f"Signature PAdES B-LT impossible : l'autorité d'horodatage ({settings.SIGNATURE_TSA_URL}, "
            f"SIGNATURE_TSA_URL) ou un service de révocation (OCSP, CRL) n'a pas répondu : {exc}"
        ) from exc
    return output.getvalue()


# --- The level of a signature ------------------------------------------------------------------------------------

# PAdES baseline levels (ETSI EN 319 142-1), and what each means for whoever checks the document later.
NIVEAUX_PADES = {
    "B-B": "vérifiable tant que le certificat de l'académie est valide",
    "B-T": "horodatée par une autorité de confiance",
    "B-LT": "horodatée, avec les certificats et les données de révocation : vérifiable après l'expiration du "
    "certificat",
    "B-LTA": "horodatée, avec les données de validation, elles-mêmes horodatées",
}


def niveau_pades(pdf: bytes) -> str:
    """The PAdES level of the last signature of a PDF: "B-B" (signed), "B-T" (and a timestamp of the signature),
    "B-LT" (and the certificates and revocation data in the document security store), "B-LTA" (and a document
    timestamp over them); "" when the PDF has no signature."""
    reader = PdfFileReader(io.BytesIO(pdf))
    signatures = reader.embedded_regular_signatures
    if not signatures:
        return ""
    unsigned = signatures[-1].signer_info["unsigned_attrs"].native or []
    if not any(attr["type"] == "signature_time_stamp_token" for attr in unsigned):
        return "B-B"
    try:
        DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return "B-T"
    return "B-LTA" if reader.embedded_timestamp_signatures else "B-LT"


def niveau_affiche(pdf: bytes) -> str:
    """ "PAdES B-LT (horodatée, …)" for the admin, or "" when the PDF has no signature."""
    niveau = niveau_pades(pdf)
    return f"PAdES {niveau} ({NIVEAUX_PADES[niveau]})" if niveau else ""


# --- Checking a signed copy that comes back -------------------------------------------------------------------------


@dataclass(frozen=True)
class ControleExemplaire:
    """The result of the check of an uploaded convention: signed and conform, or a scan for the rectorat's eyes."""

    signe_numeriquement: bool
    signataire: str = ""
    date_signature: datetime.datetime | None = None


# pyHanko's default policy, reviewing from the sent revision rather than from a signed one: there, the first signature
# turns /SigFlags from 1 (empty signature fields) to 3 (signed, append only), as every signing tool does.
POLITIQUE_RETOUR = StandardDiffPolicy(
    global_rules=DEFAULT_DIFF_POLICY.global_rules,
    form_rule=FormUpdatingRule(
        field_rules=[SigFieldCreationRule(), SigFieldModificationRule(), GenericFieldModificationRule()],
        ignored_acroform_keys=ACROFORM_EXEMPT_STRICT_COMPARISON | {"/SigFlags"},
    ),
)


def _lire(contenu: bytes) -> PdfFileReader | None:
    try:
        return PdfFileReader(io.BytesIO(contenu), strict=False)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        logger.info("PDF illisible pour pyHanko : %s", exc)
        return None


SIGNATURE_ILLISIBLE = (
    "Le fichier contient une signature illisible (endommagée, ou d'un format inconnu) : déposez le fichier tel que "
    "votre logiciel de signature l'a produit, ou la convention signée à la main puis numérisée."
)


def _signatures(reader: PdfFileReader | None) -> list:
    if reader is None:
        return []
    return sorted(reader.embedded_regular_signatures, key=lambda sig: sig.signed_revision)


def _valeurs_de_signature(contenu: bytes) -> int:
    """How many signature values (/V of the /Sig fields) the file declares, each checked for its shape: pyHanko skips
    a value it cannot use (no /SubFilter, an empty dictionary…), which would make a damaged signature pass for a scan.
    Raises ExemplaireRefuse on a malformed one."""
    try:
        pdf = pikepdf.open(io.BytesIO(contenu))
    except pikepdf.PdfError:
        return 0
    with pdf:
        champs = list(pdf.Root.get("/AcroForm", {}).get("/Fields", []))
        vus, valeurs = set(), 0
        while champs:
            champ = champs.pop()
            if not isinstance(champ, pikepdf.Dictionary) or (champ.is_indirect and champ.objgen in vus):
                continue
            if champ.is_indirect:
                vus.add(champ.objgen)
            champs.extend(champ.get("/Kids", []))
            valeur = champ.get("/V")
            if champ.get("/FT") != pikepdf.Name.Sig or valeur is None:
                continue
            if not _valeur_lisible(valeur, len(contenu)):
                raise ExemplaireRefuse(SIGNATURE_ILLISIBLE)
            valeurs += 1
    return valeurs


def _valeur_lisible(valeur, taille: int) -> bool:
    if not isinstance(valeur, pikepdf.Dictionary) or not isinstance(valeur.get("/Contents"), pikepdf.String):
        return False
    plages = valeur.get("/ByteRange")
    if not isinstance(plages, pikepdf.Array) or len(plages) != 4 or not all(isinstance(n, int) for n in plages):
        return False
    debut, longueur, suite, fin = (int(n) for n in plages)
    return min(debut, longueur, suite, fin) >= 0 and debut + longueur <= suite and suite + fin <= taille


def _revisions(pdf: bytes) -> int:
    return PdfFileReader(io.BytesIO(pdf)).xrefs.total_revisions


def controler_exemplaire(contenu: bytes, envoye: bytes, reference: str) -> ControleExemplaire:
    """Checks an uploaded signed convention against the PDF that was sent (`envoye`, the frozen bytes).

    Raises ExemplaireRefuse with the reason when the file is not the document sent or a signature is broken."""
    try:
        return _controler_exemplaire(contenu, envoye, reference)
    except ExemplaireRefuse:
        raise
    except Exception as exc:
        # The file is the uploader's: on a malformed signature dictionary (/V an array, /ByteRange past the end,
        # /Contents that is not CMS...) pyHanko raises whatever the damage leads to, AttributeError or IndexError as
        # well as its own errors. Each is a refusal with its reason, never a server error.
        logger.warning("Signature illisible dans un exemplaire de la convention %s : %r", reference, exc)
        raise ExemplaireRefuse(SIGNATURE_ILLISIBLE) from exc


def _controler_exemplaire(contenu: bytes, envoye: bytes, reference: str) -> ControleExemplaire:
    declarees = _valeurs_de_signature(contenu)
    reader = _lire(contenu)
    signatures = _signatures(reader)
    if declarees != (len(reader.embedded_signatures) if reader is not None else 0):
        raise ExemplaireRefuse(SIGNATURE_ILLISIBLE)
    if not signatures:
        if hashlib.sha256(contenu).digest() == hashlib.sha256(envoye).digest():
            raise ExemplaireRefuse(
                f"Ce fichier est la convention {reference} telle qu'elle a été envoyée, sans aucune signature : "
                "signez-la (signature électronique, ou signature manuscrite puis numérisation) avant de la déposer."
            )
        return ControleExemplaire(signe_numeriquement=False)
    if contenu[: len(envoye)] != envoye:
        raise ExemplaireRefuse(
            f"Le fichier signé n'est pas la convention {reference} envoyée par le rectorat : son contenu a été modifié "
            "ou réenregistré avant la signature. Signez le fichier téléchargé depuis l'espace, sans le modifier."
        )
    base_revision = _revisions(envoye) - 1
    # Everything added after the sent revision: only signatures and form filling are allowed.
    diff = POLITIQUE_RETOUR.review_file(signatures[0].reader, base_revision)
    if isinstance(diff, SuspiciousModification) or diff.modification_level > ModificationLevel.FORM_FILLING:
        raise ExemplaireRefuse(
            f"Le fichier signé contient, après la convention {reference} envoyée, des modifications autres que des "
            "signatures (texte, annotations ou pages) : il est refusé. Signez le fichier téléchargé sans le modifier."
        )
    # No trust list (see the module docstring): an empty one, never the operating system's.
    context = ValidationContext(trust_roots=[], allow_fetching=False)
    for signature in signatures:
        if signature.signed_revision <= base_revision:
            raise ExemplaireRefuse(f"Le fichier contient une signature antérieure à la convention {reference} envoyée.")
        status = validate_pdf_signature(signature, signer_validation_context=context, skip_diff=True)
        if not (status.intact and status.valid):
            raise ExemplaireRefuse(
                f"La signature électronique « {signature.field_name} » du fichier est invalide : le document a été "
                "modifié après la signature, ou la signature est endommagée."
            )
    first = signatures[0]
    return ControleExemplaire(
        signe_numeriquement=True,
        signataire=nom_du_certificat(first.signer_cert),
        date_signature=first.self_reported_timestamp,
    )
