"""The official EN 16931 business rules for CII (CEN/TC 434's schematron compiled to XSLT, version 1.3.16, copied
unmodified with its licence in data/en16931/), run with Saxon-HE (saxonche)."""

from pathlib import Path

from lxml import etree
from saxonche import PySaxonProcessor

XSLT = Path(__file__).parent / "data" / "en16931" / "EN16931-CII-validation.xslt"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


class ReglesEN16931:
    """The stylesheet compiled once (a few seconds); `fatal(xml)` lists the rules an invoice breaks."""

    def __init__(self):
        self.processor = PySaxonProcessor(license=False)
        self.executable = self.processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(XSLT))

    def fatal(self, xml: bytes) -> list[str]:
        """ "BR-CO-16: [BR-CO-16]-Amount due for payment (BT-115) = …" for each fatal rule the XML breaks."""
        document = self.processor.parse_xml(xml_text=xml.decode())
        report = etree.fromstring(self.executable.transform_to_string(xdm_node=document).encode())
        return [
            f"{failed.get('id')}: {' '.join(failed.xpath('string(svrl:text)', namespaces=SVRL).split())}"
            for failed in report.iterfind("svrl:failed-assert", SVRL)
            if failed.get("flag") == "fatal"
        ]
