from ces.accounts import panels
from ces.reports import registry


def test_clinics_reports_are_discovered_at_start_up():
    keys = {r.key for r in registry.reports()}
    assert {"pasante-roster", "staff-directory"} <= keys


def test_reports_for_lists_only_what_the_person_may_run(coordinator, supervisor, pasante_b, outsider, applicant):
    def keys(user):
        return {r.key for r in registry.reports_for(user)}

    assert {"pasante-roster", "staff-directory"} <= keys(coordinator)
    assert {"pasante-roster", "staff-directory"} <= keys(supervisor)
    assert "pasante-roster" not in keys(pasante_b) and "staff-directory" in keys(pasante_b)
    assert keys(outsider) == set() and keys(applicant) == set()


def test_the_coverage_chart_is_a_coordinator_home_panel(coordinator, rf):
    request = rf.get("/")
    request.user = coordinator
    found = [(p, ctx) for p, ctx in panels.panels_for("coordinator", request) if p.key == "reports-pasante-roster"]
    assert found and found[0][1]["chart"]["data"].labels
    assert not [p for p, _ in panels.panels_for("pasante", request) if p.key == "reports-pasante-roster"]


def _imports(module: str) -> set[str]:
    """Every module named by an import anywhere in ``module`` (top level or inside a function)."""
    import ast
    import importlib.util

    with open(importlib.util.find_spec(module).origin) as source:
        tree = ast.parse(source.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
            if not node.module:  # from . import services
                found.update("." * node.level + alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_charts_and_services_import_nothing_that_imports_them_back():
    # registry -> charts and tasks -> services, never the other way: no import circle inside ces.reports.
    assert not {".registry", "ces.reports.registry"} & _imports("ces.reports.charts")
    assert not {".tasks", "ces.reports.tasks"} & _imports("ces.reports.services")
    assert ".charts" in _imports("ces.reports.registry") and ".services" in _imports("ces.reports.tasks")
