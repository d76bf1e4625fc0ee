"""The dependency rule (docs/architecture.md): apps depend one way, by imports *and* by names.

A lower app never imports a higher one, nor names it in a string (a model label, a task path, a URL name, a
permission, a template) in its code or its templates; two apps of the same layer ignore each other; the modules of
the project import each other without cycles. What a lower app needs of a higher one is registered from above.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# From the bottom up; apps of one layer know nothing of each other.
LAYERS = [
    ("documents",),
    ("jobs",),
    ("collectivites",),
    ("ecoles",),
    ("conventions",),
    ("facturation",),
    ("portail", "demo", "exploitation"),
]
LEVEL = {app: level for level, apps in enumerate(LAYERS) for app in apps}
APPS = "|".join(LEVEL)

# A string that names an app: "facturation.tasks.x", "facturation.emettre_titre", "facturation:titres",
# "admin:facturation_titredeperception_change", "facturation/emails/x.txt", "admin/facturation/synthese.html".
NAME = re.compile(rf"^(?:admin:(?P<admin_url>{APPS})_|admin/(?P<admin_template>{APPS})/|(?P<app>{APPS})(?:$|[.:/]))")
# In templates: the quoted arguments of {% url %}, {% extends %}, {% include %} and the like (not {% static %}:
# static/ is the project's).
TEMPLATE_STRING = re.compile(r"""\{%\s*(?!\s|static\b)[^%]*?['"]([^'"]+)['"][^%]*%\}""")


def named_app(text: str) -> str | None:
    match = NAME.match(text)
    return match and next(group for group in match.groups() if group)


def reverse_lookups() -> dict[str, dict[str, str]]:
    """Per app, the reverse relations that higher apps' models add to its models ({"titres": "facturation"} for
    conventions): a lookup such as "titres__paiements__montant" in conventions names facturation's models."""
    from django.apps import apps

    lookups = {app: {} for app in LEVEL}
    for model in apps.get_models():
        source = model._meta.app_label
        for field in model._meta.get_fields():
            target = field.related_model._meta.app_label if field.is_relation and field.related_model else None
            if field.concrete and target in LEVEL and source in LEVEL and forbidden(target, source):
                name = (
                    field.remote_field.get_accessor_name() if hasattr(field.remote_field, "get_accessor_name") else ""
                )
                query_name = field.related_query_name()
                for lookup in {name, query_name} - {"", "+"}:
                    if not lookup.endswith("+"):
                        lookups[target][lookup] = source
    return lookups


def app_of(path: Path) -> str | None:
    relative = path.relative_to(ROOT)
    if relative.parts[0] == "templates":
        # templates/<app>/... and templates/admin/<app>/...
        parts = relative.parts[2:] if relative.parts[1] == "admin" else relative.parts[1:]
        return parts[0] if len(parts) > 1 and parts[0] in LEVEL else None
    return relative.parts[0] if relative.parts[0] in LEVEL else None


def sources():
    for app in LEVEL:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def templates():
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.is_file() and app_of(path):
            yield path
    for app in LEVEL:
        yield from sorted(p for p in (ROOT / app).glob("templates/**/*") if p.is_file())


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, tree: ast.AST) -> list[tuple[int, str]]:
    """(line, absolute module) of every import, those inside functions included."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base_package = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base_package}.{base}".rstrip(".")
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def forbidden(source_app: str, target_app: str) -> bool:
    """Upwards, or sideways within a layer."""
    return target_app != source_app and LEVEL[target_app] >= LEVEL[source_app]


def violations_in_code(path: Path, lookups: dict[str, str] | None = None) -> list[str]:
    app = app_of(path)
    lookups = lookups or {}
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found, seen = [], set()
    for line, module in imported_modules(path, tree):
        target = module.split(".")[0]
        if target in LEVEL and forbidden(app, target) and (line, target) not in seen:
            seen.add((line, target))
            found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            target = named_app(node.value) or lookups.get(node.value.split("__")[0])
            if target and forbidden(app, target):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} names {node.value!r}")
    return found


def violations_in_template(path: Path) -> list[str]:
    app = app_of(path) or path.relative_to(ROOT).parts[0]
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for name in TEMPLATE_STRING.findall(line):
            target = named_app(name)
            if target and forbidden(app, target):
                found.append(f"{path.relative_to(ROOT)}:{number} names {name!r}")
    return found


def test_every_app_has_a_layer():
    """A new app must be placed in LAYERS (and in docs/architecture.md) before it can be checked."""
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps - set(LEVEL) == set()


def test_no_app_imports_or_names_a_higher_or_sibling_app():
    lookups = reverse_lookups()
    found = [v for path in sources() for v in violations_in_code(path, lookups[app_of(path)])]
    assert found == []


def test_no_app_template_names_a_higher_or_sibling_app():
    found = [v for path in templates() for v in violations_in_template(path)]
    assert found == []


def test_no_import_cycle_between_modules():
    """Deferred imports (inside a function) count too: a cycle hidden in a function is still a cycle."""
    graph = {}
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module_name(path)] = {m for _, m in imported_modules(path, tree)}
    # Keep the edges to project modules ("a.b.name" imports the module a.b when name is not a module).
    edges = {
        m: {t if t in graph else t.rpartition(".")[0] for t in targets} & set(graph) - {m}
        for m, targets in graph.items()
    }
    cycles = []
    state = {}

    def visit(module, stack):
        state[module] = "open"
        stack.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == "open":
                cycles.append(" → ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [])
    assert cycles == []


@pytest.mark.parametrize(
    ("app", "code", "expected"),
    [
        ("conventions", "from facturation.models import TitreDePerception", "imports facturation.models"),
        ("conventions", "def f():\n    from facturation import tasks", "imports facturation"),
        ("conventions", "TACHE = 'facturation.tasks.emettre_titre_element'", "names 'facturation.tasks"),
        ("conventions", "user.has_perm('facturation.emettre_titre')", "names 'facturation.emettre_titre'"),
        ("collectivites", "redirect('portail:tableau_de_bord')", "names 'portail:tableau_de_bord'"),
        ("ecoles", "reverse('admin:conventions_convention_change')", "names 'admin:conventions_convention"),
        ("documents", "from ecoles.models import Ecole", "imports ecoles.models"),
        ("documents", "render(request, 'jobs/x.html')", "names 'jobs/x.html'"),
        ("conventions", "qs.annotate(s=Sum('titres__paiements__montant'))", "names 'titres__paiements__montant'"),
    ],
)
def test_the_rule_catches_each_kind_of_reference(tmp_path, monkeypatch, app, code, expected):
    """The checks above can fail: each kind of reference to a higher or sibling app is reported."""
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    path = tmp_path / app / "module.py"
    path.parent.mkdir()
    path.write_text(code)
    [violation] = violations_in_code(path, reverse_lookups()[app])
    assert expected in violation


def test_the_rule_catches_a_template_link(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    path = tmp_path / "templates" / "conventions" / "detail.html"
    path.parent.mkdir(parents=True)
    path.write_text("<a href=\"{% url 'facturation:titres' %}\">Titres</a>\n{% include 'conventions/_etat.html' %}")
    assert violations_in_template(path) == ["templates/conventions/detail.html:1 names 'facturation:titres'"]


def test_the_rule_allows_downward_references(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    path = tmp_path / "facturation" / "module.py"
    path.parent.mkdir()
    path.write_text("from conventions.models import Convention\nURL = 'conventions:detail'\nfrom . import models")
    assert violations_in_code(path) == []
