"""The timeline as data: what is served on a date follows the profiles' and endpoints' dates."""

from __future__ import annotations

import io

import pytest

from contracts import timeline, verify
from contracts.envelope import CURRENT, LEGACY
from contracts.models import EDITS, GENERATIONS, MODELS, VARIATIONS


def test_no_date_serves_everything_with_the_seed_defaults() -> None:
    assert all(timeline.model_known(p, None) and not timeline.model_retired(p, None) for p in MODELS.values())
    assert all(timeline.endpoint_served(e, None) for e in (GENERATIONS, EDITS, VARIATIONS))
    assert timeline.default_model(EDITS, "dall-e-2", None) == "dall-e-2"
    assert timeline.era(None, LEGACY) == LEGACY


@pytest.mark.parametrize(("as_of", "retired"), [
    ("2026-05-11", set()),
    ("2026-05-12", {"dall-e-2", "dall-e-3"}),
    ("2026-10-22", {"dall-e-2", "dall-e-3"}),
    ("2026-10-23", {"dall-e-2", "dall-e-3", "gpt-image-1"}),
])
def test_retirements_take_effect_on_their_day(as_of: str, retired: set[str]) -> None:
    assert {name for name, p in MODELS.items() if timeline.model_retired(p, as_of)} == retired
    assert timeline.endpoint_served(VARIATIONS, as_of) == (as_of < "2026-05-12")


def test_releases_and_the_edit_default_follow_the_date() -> None:
    assert {n for n, p in MODELS.items() if timeline.model_known(p, "2025-04-29")} == {"gpt-image-1", "dall-e-2",
                                                                                          "dall-e-3"}
    assert timeline.default_model(EDITS, "dall-e-2", "2026-05-12") == "dall-e-2"
    assert timeline.default_model(EDITS, "dall-e-2", MODELS["gpt-image-1.5"].lifecycle.released) == "gpt-image-1.5"
    assert timeline.default_model(GENERATIONS, "dall-e-2", "2026-11-29") == "dall-e-2"  # [spec] unchanged
    assert (timeline.era("2023-12-31", CURRENT), timeline.era("2024-01-01", LEGACY)) == (LEGACY, CURRENT)


def test_dates_parse_strictly() -> None:
    assert timeline.parse_date("2026-11-29") == "2026-11-29"
    assert len(timeline.parse_date("today")) == 10
    with pytest.raises(ValueError):
        timeline.parse_date("29/11/2026")


def test_verify_refuses_a_bad_date() -> None:
    with pytest.raises(SystemExit):
        verify.main(["--base-url", "http://127.0.0.1:9/v1", "--api-key", "sk-x", "--as-of", "soon"], out=io.StringIO())


@pytest.mark.parametrize(("today", "endpoint", "model", "named", "reason"), [
    # the dates are the SDK's (types/image_model.py), written here by hand
    ("2026-05-11", GENERATIONS, "dall-e-2", True, None),
    ("2026-05-12", GENERATIONS, "dall-e-2", True, "dall-e-2 was retired on 2026-05-12"),
    ("2026-05-12", EDITS, "dall-e-2", False,
     "no model named, answered by dall-e-2; dall-e-2 was retired on 2026-05-12"),
    ("2026-12-06", GENERATIONS, "dall-e-3", True, "dall-e-3 was retired on 2026-05-12"),
    ("2026-10-22", GENERATIONS, "gpt-image-1", True, None),
    ("2026-10-23", EDITS, "gpt-image-1", True, "gpt-image-1 was shut down on 2026-10-23"),
    ("2026-12-06", GENERATIONS, "gpt-image-1.5", True, None),
    ("2026-12-06", EDITS, "gpt-image-1.5", False, None),
    ("2026-12-06", VARIATIONS, "dall-e-2", False, "the variations endpoint was retired on 2026-05-12"),
    ("2026-05-11", VARIATIONS, "dall-e-2", False, None),
    ("2025-06-01", GENERATIONS, "gpt-image-2", True, "gpt-image-2 is not released on 2025-06-01"),
])
def test_would_fail_today_names_the_reason_and_its_date(today: str, endpoint: str, model: str, named: bool,
                                                        reason: str | None) -> None:
    assert timeline.would_fail_today(endpoint, model, model_named=named, today=today) == reason


def test_today_is_the_utc_date_and_every_date_setting_shares_its_resolver() -> None:
    import datetime

    before = datetime.datetime.now(datetime.UTC).date().isoformat()
    resolved = timeline.parse_date(timeline.TODAY)
    after = timeline.today()  # (a run across midnight sees one of the two days)
    assert resolved in (before, after) and after >= before
