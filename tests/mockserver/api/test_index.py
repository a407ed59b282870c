"""``GET /`` and ``GET /v1`` say what the fake is and where its endpoints are."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from contracts.spec import ENDPOINTS


@pytest.mark.parametrize("path", ["/", "/v1"])
def test_the_index(client: FlaskClient, path: str) -> None:
    answer = client.get(path, headers={"Authorization": ""})  # no key needed
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    index = answer.get_json()
    assert index["base_url"] == "http://localhost/v1"
    assert [e["path"] for e in index["endpoints"]] == [e.url_path for e in ENDPOINTS.values()]
    control = {c["path"]: c["methods"] for c in index["control"]}
    assert control["/_mock/reset"] == ["POST"] and control["/_mock/config"] == ["GET", "PATCH"]
    assert index["version"].startswith("images-api-twin ")


def test_other_paths_are_still_the_apis_404(client: FlaskClient) -> None:
    answer = client.get("/v1/")
    assert answer.status_code == 404 and answer.get_json()["error"]["message"] == "Invalid URL (GET /v1/)"
