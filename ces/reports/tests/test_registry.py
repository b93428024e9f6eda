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
