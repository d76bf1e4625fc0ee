"""What WeasyPrint's tagging leaves out of the structure tree, put right on pydyf's objects before the PDF is written.

A tagged PDF (PDF/A-3a; PDF/UA asks the same) has every piece of content either in the structure tree, where a
screen reader finds it in reading order, or marked as an artifact that it skips. WeasyPrint 70 leaves two things
between the two:

- the page margins (the footer: the reference, "Page X / Y", the verification code and its QR code): their content
  is marked with identifiers that no element of the tree reaches. They repeat on every page, so they become
  pagination artifacts, except the verification block of the last page, which joins the tree at the end of the
  document: a reader hears once how to check the document, the QR code with its alternative text;
- the form fields (the signature fields, the date of signature): WeasyPrint tags the widget of a box that holds one
  (`box.widget_annotation`) as a /Form element in place, so the fields are made here rather than added afterwards.
  The /Form element is made while the tree is built, before the widget has its object number: `finish_fields`
  names it once it has one.
"""

from dataclasses import dataclass

import pydyf

# /F of a widget: printed (bit 3); a signature field is also locked (bit 8), as pyHanko makes them.
PRINT = 1 << 2
LOCKED = 1 << 7
# /Ff of a text field: read-only (bit 1). The date of signature is the rectorat's record, typed by no one.
READ_ONLY = 1
SIGNATURE_FLAGS_SIGNATURES_EXIST = 1
PAGINATION = pydyf.Dictionary({"Type": "/Pagination", "Subtype": "/Footer"})


@dataclass
class Widget:
    """A form field over a box of the layout: its dictionary, the page it lies on and its size in points."""

    dictionary: pydyf.Dictionary
    page_index: int
    width: float
    height: float


def widget(box, *, name: str, label: str, signature: bool, rect, page_index: int) -> Widget:
    """The field `name` over `box` (rect in PDF points), tagged in place by WeasyPrint as a /Form element."""
    dictionary = pydyf.Dictionary(
        {
            "Type": "/Annot",
            "Subtype": "/Widget",
            "FT": "/Sig" if signature else "/Tx",
            "T": pydyf.String(name),
            "TU": pydyf.String(label or name),
            "F": PRINT | LOCKED if signature else PRINT,
            "Rect": pydyf.Array(rect),
        }
    )
    if not signature:
        dictionary["Ff"] = READ_ONLY
    box.widget_annotation = dictionary
    return Widget(dictionary, page_index, abs(rect[2] - rect[0]), abs(rect[3] - rect[1]))


def _object(pdf: pydyf.PDF, reference) -> pydyf.Object:
    return pdf.objects[int(reference.split()[0])]


def _parent_tree(pdf: pydyf.PDF) -> pydyf.Array | None:
    if "StructTreeRoot" not in pdf.catalog:
        return None
    return _object(pdf, _object(pdf, pdf.catalog["StructTreeRoot"])["ParentTree"])["Nums"]


def finish_fields(pdf: pydyf.PDF, widgets: list[Widget]) -> None:
    """The widgets written into the PDF: each with an empty appearance (PDF/A wants one; the page draws the box or
    the line under it), on its page, in the form, and named by the /OBJR of its /Form element."""
    if not widgets:
        return
    nums = _parent_tree(pdf)
    tree_keys = {nums[index]: nums[index + 1] for index in range(0, len(nums), 2)} if nums else {}
    form = pydyf.Dictionary({"Fields": pydyf.Array()})
    for field in widgets:
        appearance = pydyf.Stream(
            [],
            pydyf.Dictionary(
                {
                    "Type": "/XObject",
                    "Subtype": "/Form",
                    "BBox": pydyf.Array((0, 0, field.width, field.height)),
                    "Resources": pydyf.Dictionary(),
                }
            ),
        )
        pdf.add_object(appearance)
        dictionary = field.dictionary
        page_reference = pdf.page_references[field.page_index]
        dictionary["P"] = page_reference
        dictionary["AP"] = pydyf.Dictionary({"N": appearance.reference})
        pdf.add_object(dictionary)
        page = _object(pdf, page_reference)
        if "Annots" not in page:
            page["Annots"] = pydyf.Array()
        page["Annots"].append(dictionary.reference)
        form["Fields"].append(dictionary.reference)
        if dictionary["FT"] == "/Sig":
            form["SigFlags"] = SIGNATURE_FLAGS_SIGNATURES_EXIST
        if "StructParent" in dictionary:
            form_element = _object(pdf, tree_keys[dictionary["StructParent"]])
            object_reference = form_element["K"][0]
            _object(pdf, object_reference)["Obj"] = dictionary.reference
            # Its only kid, not in an array: pyHanko's review of a later signature accepts the field's update through
            # the structure tree only by the path …/K/Obj (pyhanko.sign.diff_analysis.form_rules_api).
            form_element["K"] = object_reference
    pdf.add_object(form)
    pdf.catalog["AcroForm"] = form.reference


def _kids(element) -> list:
    kids = element.get("K", ())
    return list(kids) if isinstance(kids, pydyf.Array) else [kids]


def _reachable(pdf: pydyf.PDF, document) -> set[int]:
    """The object numbers of the structure elements that the tree reaches from its /Document element."""
    seen, stack = {document.number}, [document]
    while stack:
        for kid in _kids(stack.pop()):
            if isinstance(kid, bytes):
                element = _object(pdf, kid)
                if element.get("Type") == "/StructElem" and element.number not in seen:
                    seen.add(element.number)
                    stack.append(element)
    return seen


def _holds_figure(pdf: pydyf.PDF, element) -> bool:
    if element.get("S") == "/Figure":
        return True
    return any(_holds_figure(pdf, _object(pdf, kid)) for kid in _kids(element) if isinstance(kid, bytes))


def _top(pdf: pydyf.PDF, element, document_reference: bytes):
    """The element of the margin that holds `element`: its ancestor whose parent is the /Document element."""
    while element["P"] != document_reference:
        element = _object(pdf, element["P"])
    return element


def tag_page_furniture(pdf: pydyf.PDF) -> None:
    """The margins' content as pagination artifacts, except the last page's verification block (the one holding
    the QR code), added to the end of the tree."""
    nums = _parent_tree(pdf)
    if nums is None:
        return
    root = _object(pdf, pdf.catalog["StructTreeRoot"])
    document_reference = root["K"][0]
    document = _object(pdf, document_reference)
    reachable = _reachable(pdf, document)
    page_count = len(pdf.page_references)
    for index in range(0, len(nums), 2):
        page_index, mcids = nums[index], nums[index + 1]
        if not isinstance(mcids, pydyf.Array) or page_index >= page_count:
            continue
        orphans = {mcid: _object(pdf, ref) for mcid, ref in enumerate(mcids) if int(ref.split()[0]) not in reachable}
        if not orphans:
            continue
        if page_index == page_count - 1:
            tops = {element.number: _top(pdf, element, document_reference) for element in orphans.values()}
            for top in tops.values():
                if _holds_figure(pdf, top):
                    document["K"].append(top.reference)
                    kept = _reachable(pdf, top)
                    orphans = {mcid: element for mcid, element in orphans.items() if element.number not in kept}
                    break
        for mcid in orphans:
            mcids[mcid] = "null"
        _mark_artifacts(_object(pdf, _object(pdf, pdf.page_references[page_index])["Contents"]), set(orphans))


def _mark_artifacts(stream: pydyf.Stream, mcids: set[int]) -> None:
    """`/Span <</MCID 3>> BDC` → `/Artifact <</Type /Pagination /Subtype /Footer>> BDC` for each of `mcids`."""
    content = stream.stream
    for position, item in enumerate(content):
        if isinstance(item, pydyf.Dictionary) and item.get("MCID") in mcids:
            content[position - 1] = "/Artifact"
            content[position] = PAGINATION
