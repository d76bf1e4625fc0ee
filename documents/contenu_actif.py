"""Active content in a PDF that someone else made: what a deposited file may not carry.

A signed convention deposited by a collectivité is opened by the rectorat's agents. Such a file holds pages, images,
form fields and signatures; it never needs to run code, start a program, open at another place than a page, carry
other files or an XFA form. Every object of the file is looked at, wherever it hangs (document, page, annotation,
form field, outline), since a reader runs an action from any of them.
"""

import pikepdf

# The action types (/S) that run something or send something, and why each is refused, as the user reads it.
ACTIONS_REFUSEES = {
    "/JavaScript": "du JavaScript",
    "/Launch": "une action qui lance un programme ou un fichier (/Launch)",
    "/ImportData": "une action qui importe des données (/ImportData)",
    "/SubmitForm": "une action qui envoie des données sur le réseau (/SubmitForm)",
    "/GoToE": "une action qui ouvre un fichier joint (/GoToE)",
    "/RichMediaExecute": "un contenu multimédia actif (/RichMediaExecute)",
}
FICHIERS_JOINTS = "des fichiers joints"
XFA = "un formulaire XFA"


def _ouverture(action) -> str | None:
    """/OpenAction may only show a page (a destination, or a /GoTo action)."""
    if isinstance(action, pikepdf.Array):
        return None
    if isinstance(action, pikepdf.Dictionary) and action.get("/S") == pikepdf.Name.GoTo:
        return None
    return "une action exécutée à l'ouverture du document (/OpenAction)"


def _raisons_objet(obj, raisons: set[str]) -> None:
    """The reasons found in one object and its direct children (indirect ones are visited on their own)."""
    pile = [obj]
    while pile:
        courant = pile.pop()
        if isinstance(courant, pikepdf.Stream):
            courant = courant.stream_dict
        if isinstance(courant, pikepdf.Dictionary):
            action = courant.get("/S")
            if isinstance(action, pikepdf.Name) and str(action) in ACTIONS_REFUSEES:
                raisons.add(ACTIONS_REFUSEES[str(action)])
            if "/JS" in courant or "/JavaScript" in courant:
                # A script, or the document's name tree of scripts (/Names << /JavaScript … >>).
                raisons.add(ACTIONS_REFUSEES["/JavaScript"])
            if "/EF" in courant or courant.get("/Type") == pikepdf.Name.EmbeddedFile or "/EmbeddedFiles" in courant:
                raisons.add(FICHIERS_JOINTS)
            if "/XFA" in courant:
                raisons.add(XFA)
            enfants = courant.values()
        elif isinstance(courant, pikepdf.Array):
            enfants = list(courant)
        else:
            continue
        pile.extend(enfant for enfant in enfants if isinstance(enfant, pikepdf.Object) and not enfant.is_indirect)


def contenu_actif(pdf: pikepdf.Pdf) -> list[str]:
    """What the file carries that a deposited document may not, in French ("du JavaScript", ...); empty when none."""
    raisons: set[str] = set()
    for obj in pdf.objects:
        _raisons_objet(obj, raisons)
    _raisons_objet(pdf.trailer, raisons)
    if "/OpenAction" in pdf.Root:
        ouverture = _ouverture(pdf.Root.OpenAction)
        if ouverture:
            raisons.add(ouverture)
    return sorted(raisons)
