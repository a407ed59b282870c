"""``python -m contracts verify``: full agreement with the fake (exit 0), and a wrong fake's
disagreement reported with its first differing request, expected and got (exit 1)."""

from __future__ import annotations

import json
import subprocess
import sys

from flask import Flask, Response

from contracts.errors import CATALOGUE
from contracts.models import DALL_E_2, GPT_DEFAULT_MODEL, MODELS
from contracts.spec import ENDPOINTS
from contracts.strategies import RULES, rules_of
from contracts.verify import N_PROPERTY, NOT_ONE_REQUEST
from mockserver import create_app
from mockserver.http.server import LiveServer
from tests.support import ROOT

ENDPOINT_PROPERTIES = set(ENDPOINTS)
VALID_PROPERTIES = ENDPOINT_PROPERTIES | {N_PROPERTY}


def verify(base_url: str, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "contracts", "verify", "--base-url", base_url, "--api-key", "sk-test", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT, check=False)


def verdicts(stdout: str) -> dict[str, str]:
    """property -> agree / DISAGREE / skip / error, from the report's lines."""
    found = {}
    for line in stdout.splitlines():
        verdict, name = ([*line.split(), "", ""])[:2]
        if verdict in ("agree", "DISAGREE", "skip", "error") and not line.startswith(" "):
            found[name] = verdict
    return found


def test_every_catalogue_entry_is_checked_or_explained() -> None:
    assert set(CATALOGUE) == set(RULES) | set(NOT_ONE_REQUEST)
    assert not set(RULES) & set(NOT_ONE_REQUEST)


def test_the_fake_agrees_with_the_contract() -> None:
    with LiveServer(create_app(rate_limits="off")) as server:
        result = verify(server.base_url, "--budget", "5", "--model", DALL_E_2.name)
    assert result.returncode == 0, result.stdout + result.stderr
    found = verdicts(result.stdout)
    assert set(found) == VALID_PROPERTIES | set(CATALOGUE)
    assert {name for name, verdict in found.items() if verdict == "agree"} == VALID_PROPERTIES | set(
        rules_of(DALL_E_2))
    assert {name for name, verdict in found.items() if verdict == "skip"} == set(NOT_ONE_REQUEST) | (
        set(RULES) - set(rules_of(DALL_E_2)))
    assert "Rerun with --seed" in result.stdout.splitlines()[-1]


def test_the_fake_agrees_on_every_rule_of_todays_default_model() -> None:
    profile = MODELS[GPT_DEFAULT_MODEL]
    with LiveServer(create_app(rate_limits="off")) as server:
        result = verify(server.base_url, "--budget", "3", "--model", profile.name)
    assert result.returncode == 0, result.stdout + result.stderr
    found = verdicts(result.stdout)
    assert result.stdout.startswith(f"Images API contract ({profile.name})")
    assert {name for name, verdict in found.items() if verdict == "agree"} == set(rules_of(profile)) | {
        "generations", "edits", N_PROPERTY}
    assert found["variations"] == "skip"  # today's models do not serve it


def wrong_fake() -> Flask:
    """A fake that forgets which field an ``n`` above the maximum was (param null)."""
    app = create_app(rate_limits="off")

    @app.after_request
    def forget_param(response: Response) -> Response:
        body = response.get_json(silent=True)
        if isinstance(body, dict) and body.get("error", {}).get("code") == "integer_above_max_value":
            body["error"]["param"] = None
            response.set_data(json.dumps(body))
        return response

    return app


def test_a_wrong_fake_is_reported() -> None:
    with LiveServer(wrong_fake()) as server:
        result = verify(server.base_url, "--budget", "5", "--seed", "7")
    assert result.returncode == 1, result.stdout + result.stderr
    found = verdicts(result.stdout)
    assert {name for name, verdict in found.items() if verdict == "DISAGREE"} == {"integer_above_max_value"}
    report = result.stdout.split("DISAGREE  integer_above_max_value", 1)[1].split("\n", 1)[1]
    request, expected, got, why = (line.strip() for line in report.splitlines()[:4])
    assert request.startswith("request:  POST /v1/images/")
    assert expected.startswith("expected: 400 ") and '"param": "n"' in expected
    assert got.startswith("got:      400 ") and '"param": null' in got
    assert why == "why:      error.param is None, expected 'n'"
    assert "0 errors" in result.stdout and "1 disagree" in result.stdout


def test_usage_errors_exit_2() -> None:
    assert subprocess.run([sys.executable, "-m", "contracts"], capture_output=True, cwd=ROOT,
                          check=False).returncode == 2
    result = verify("http://127.0.0.1:9/v1", "--skip", "no_such_property")
    assert result.returncode == 2 and "is not a property" in result.stderr
