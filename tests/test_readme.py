"""The README cannot rot: its configuration reference is the settings table, and its
first two commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

from mockserver.config import reference_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_configuration_reference_is_the_settings_table() -> None:
    assert reference_table() in README


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split("#")[0].strip() for line in first_block] == ["./dev serve", "./dev test"]


def test_ci_runs_the_readme_test_command() -> None:
    assert "./dev test" in (ROOT / ".ci" / "run").read_text()
