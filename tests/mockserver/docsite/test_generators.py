"""The docs site's generators, one by one: what each reads (the checkout's files, the app's routes) and
what it makes of it. The built pages themselves are tested in tests/docs/."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver import create_app
from mockserver.docsite.commands import changelog, commands, console_scripts, dev_commands
from mockserver.docsite.routes import control_routes, routes

DEV_HEADER = """#!/usr/bin/env bash
# The project's one entry point.
#
#   ./dev serve [--port 5000 ...]   start the fake (python -m mockserver)
#   ./dev test  [pytest args]       run the whole test suite
#   ./dev lint | types | check      ruff; mypy; lint + types + tests
set -euo pipefail
#   ./dev never  [after the header]   not a command of the header
"""


def _project(tmp_path: Path, scripts: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\n\n[project.scripts]\n{scripts}\n')
    (tmp_path / "dev").write_text(DEV_HEADER)
    return tmp_path


def test_the_console_scripts_are_read_from_pyproject_and_asked_for_their_help(tmp_path: Path) -> None:
    root = _project(tmp_path, 'my-fake = "mockserver.__main__:main"\nmy-contracts = "contracts.__main__:main"')
    scripts = console_scripts(root)
    assert [(s.name, s.module_form) for s in scripts] == [
        ("my-fake", "python -m mockserver"), ("my-contracts", "python -m contracts")]
    assert scripts[1].summary == "The OpenAI Images API contract as data, and the tools that use it."
    table = commands(root)
    assert "| `my-fake` | `python -m mockserver` | An offline twin of the OpenAI Images API. |" in table


def test_a_console_script_whose_help_fails_stops_the_build_naming_it(tmp_path: Path) -> None:
    root = _project(tmp_path, 'broken = "mockserver.no_such_module:main"')
    with pytest.raises(RuntimeError, match="broken --help failed"):
        console_scripts(root)


def test_the_dev_commands_are_the_header_comment_of_dev(tmp_path: Path) -> None:
    found = dev_commands(_project(tmp_path, ""))
    assert [(c.usage, c.summary) for c in found] == [
        ("./dev serve [--port 5000 ...]", "start the fake (python -m mockserver)"),
        ("./dev test [pytest args]", "run the whole test suite"),
        ("./dev lint | types | check", "ruff; mypy; lint + types + tests"),
    ]


def test_the_changelog_loses_its_title_and_links_into_docs_become_the_sites(tmp_path: Path) -> None:
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## [0.2.0]\n\n- See [errors](docs/errors.md).\n")
    assert changelog(tmp_path) == "## [0.2.0]\n\n- See [errors](errors.md)."


def test_every_control_rule_is_a_route_with_what_it_does() -> None:
    shown = {(method, path) for r in control_routes() for path in r.paths for method in r.methods}
    for rule in create_app().url_map.iter_rules():
        if rule.rule.startswith("/_mock"):
            path = rule.rule.replace("<path:", "<")
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                assert (method, path) in shown, (method, rule.rule)
    for route in control_routes():
        assert route.doc and ":meth:" not in route.doc and "``" not in route.doc, route
    text = routes()
    assert "### `POST /_mock/clock`" in text and "`real_time`, `freeze`, `set`, `advance`" in text
    assert "### `GET /_mock/ui`, `GET /_mock/ui/`" in text
