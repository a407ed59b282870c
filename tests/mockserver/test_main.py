"""``python -m mockserver`` starts a fake with no set-up and says where it is."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
import requests

from mockserver.__main__ import announce, build_parser, options
from mockserver.settings.config import Config, ServerOptions, reference_table
from mockserver.settings.inputs import InputError, described
from mockserver.testing.handle import FakeHandle
from tests.support.processes import FakeProcess


def test_starts_on_a_free_port_and_serves(fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process()
    response = requests.post(f"{fake.base_url}/images/generations", json={"prompt": "cat", "size": "256x256"},
                             headers={"Authorization": "Bearer sk-anything"}, timeout=10)
    assert response.status_code == 200
    url = response.json()["data"][0]["url"]
    assert url.startswith(fake.url + "/private/")
    image = requests.get(url, timeout=10)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert "cheroot" in image.headers.get("Server", "") or "Microsoft" in image.headers.get("Server", "")


def test_api_key_option_restricts_keys(fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--api-key", "sk-one", "--api-key", "sk-two", "--url-ttl", "60")

    def status(key: str) -> int:
        return requests.post(f"{fake.base_url}/images/generations", json={"prompt": "cat", "size": "256x256"},
                             headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code

    assert (status("sk-one"), status("sk-two"), status("sk-three")) == (200, 200, 401)


def test_bad_option_value_exits_with_a_message() -> None:
    result = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", "--error-era", "medieval"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "error_era: must be one of ['current', 'legacy'], not 'medieval'" in result.stderr


def test_help_lists_every_setting() -> None:
    result = subprocess.run([sys.executable, "-m", "mockserver", "--help"], capture_output=True, text=True,
                            timeout=30)
    for flag in ("--host", "--port", "--api-key", "--url-ttl", "--public-base-url", "--error-era"):
        assert flag in result.stdout


# --- settings from the environment (issue 11 item 5) ---------------------------------------------


def parsed(argv: list[str], environ: dict[str, str]) -> tuple[ServerOptions, Config]:
    return options(build_parser().parse_args(argv), environ)


def test_every_setting_comes_from_its_environment_variable() -> None:
    environ = {
        "MOCKSERVER_RATE_LIMIT": "20/1m,50/5m", "MOCKSERVER_ADMIN_TOKEN": "t0ken", "MOCKSERVER_URL_TTL": "60",
        "MOCKSERVER_API_KEY": "sk-one, sk-two", "MOCKSERVER_PORT": "0", "MOCKSERVER_HOST": "::1",
        "MOCKSERVER_BLOCKED_TERM": "flamingo", "MOCKSERVER_ERROR_ERA": "legacy",
    }
    server, config = parsed([], environ)
    assert (server.host, server.port) == ("::1", 0)
    assert [str(w) for w in config.rate_limits] == ["20/1m", "50/5m"]
    assert config.admin_token == "t0ken" and config.url_ttl == 60 and config.error_era == "legacy"
    assert config.api_keys == ("sk-one", "sk-two")
    assert config.blocked_terms == (*Config().blocked_terms, "flamingo")  # adds, as the flag does


def test_flags_win_over_the_environment() -> None:
    environ = {"MOCKSERVER_RATE_LIMIT": "20/1m", "MOCKSERVER_API_KEY": "sk-env", "MOCKSERVER_THREADS": "4"}
    server, config = parsed(["--rate-limit", "off", "--api-key", "sk-flag", "--threads", "8"], environ)
    assert config.rate_limits == () and config.api_keys == ("sk-flag",) and server.threads == 8


def test_a_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(InputError, match=r"url_ttl: must be an integer from 1 to 315360000, not 'soon' "
                                         r"\(from MOCKSERVER_URL_TTL\)"):
        parsed([], {"MOCKSERVER_URL_TTL": "soon"})
    with pytest.raises(InputError, match=r"latency_ms: .* \(from --latency-ms\)"):
        parsed(["--latency-ms", "1000000000"], {})


def test_every_setting_has_a_flag_a_variable_and_a_row_in_the_reference() -> None:
    table = reference_table()
    help_text = build_parser().format_help()
    for cls in (ServerOptions, Config):
        for f, s in described(cls):
            assert s.flag and s.env == "MOCKSERVER_" + s.flag[2:].replace("-", "_").upper()
            assert f"| `{s.flag}` | `{s.env}` | `{f.name}` |" in table
            assert s.flag in help_text and s.env in help_text
    assert "Repeatable. Repeatable." not in help_text


def test_environment_reaches_a_started_server(fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process(env={"MOCKSERVER_RATE_LIMIT": "7/1m", "MOCKSERVER_ORGANIZATION": "org-fromenv"})
    with fake.handle() as control:
        config = control.config()
    assert config["rate_limits"] == ["7/1m"] and config["organization"] == "org-fromenv"


def test_wildcard_host_prints_a_reachable_loopback_url() -> None:
    lines = announce("0.0.0.0", "http://0.0.0.0:5123", "http://0.0.0.0:5123/v1")
    assert "mockserver: OPENAI_BASE_URL=http://127.0.0.1:5123/v1" in lines
    assert any("all interfaces" in line for line in lines) and not any("0.0.0.0:5123/v1" in line for line in lines)
    assert "mockserver: OPENAI_BASE_URL=http://[::1]:5123/v1" in announce("::", "http://[::]:5123", "http://[::]:5123/v1")
    assert announce("127.0.0.1", "http://127.0.0.1:5", "http://127.0.0.1:5/v1")[-1] == (
        "mockserver: OPENAI_BASE_URL=http://127.0.0.1:5/v1")


def test_wildcard_host_started_for_real(fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--host", "0.0.0.0")
    assert fake.lines[0] == f"mockserver: serving the Images API at http://127.0.0.1:{fake.port}/v1"
    with FakeHandle.over_http(fake.lines[0].rsplit(" ", 1)[1], timeout=10) as control:
        control.now()  # answered there (a ControlError or a timeout otherwise)


# --- --state and --workers (issue 13) -----------------------------------------------------------


def test_state_and_workers_come_from_flags_and_the_environment() -> None:
    server, _ = parsed(["--workers", "3"], {"MOCKSERVER_STATE": "redis://127.0.0.1:6390/2"})
    assert (server.state, server.workers) == ("redis://127.0.0.1:6390/2", 3)
    server, _ = parsed([], {"MOCKSERVER_WORKERS": "2", "MOCKSERVER_STATE": "rediss://:pw@cache.example:6380/0"})
    assert (server.state, server.workers) == ("rediss://:pw@cache.example:6380/0", 2)
    assert (ServerOptions().state, ServerOptions().workers) == (None, 1)  # in this process's memory


@pytest.mark.parametrize(("argv", "message"), [
    (["--workers", "2"], "workers: 2 workers need --state redis://HOST:PORT/DB to share one fake"),
    (["--workers", "0"], "workers: must be an integer from 1 to 256, not 0 (from --workers)"),
    (["--state", "http://127.0.0.1:6379/0"], "state: state must be a redis://HOST:PORT/DB URL (or rediss://, "
                                              "unix://), not 'http://127.0.0.1:6379/0' (from --state)"),
])
def test_a_bad_state_or_worker_count_is_refused_at_start(argv: list[str], message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", *argv],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result
    assert result.stderr.startswith(f"mockserver: {message}") and result.stderr.count("\n") == 1, result.stderr


def test_the_start_up_lines_name_the_workers_and_hide_the_state_password() -> None:
    lines = announce("127.0.0.1", "http://127.0.0.1:5", "http://127.0.0.1:5/v1", Config(),
                     state="redis://user:s3cret@cache:6379/1", pids=[11, 12])
    assert "mockserver: 2 workers on this port (pids 11, 12)" in lines
    shared = [line for line in lines if "Redis" in line]
    assert len(shared) == 1 and "redis://user:****@cache:6379/1" in shared[0] and "s3cret" not in shared[0]
    assert not any("workers" in line or "Redis" in line for line in announce("127.0.0.1", "http://127.0.0.1:5",
                                                                            "http://127.0.0.1:5/v1", Config()))


# --- the era served, and `--as-of today` (issue 19) ------------------------------------------------


def _generate(fake: FakeProcess, **body: str) -> requests.Response:
    return requests.post(f"{fake.base_url}/images/generations", json={"prompt": "cat", **body},
                         headers={"Authorization": "Bearer sk-anything"}, timeout=10)


def test_as_of_today_on_the_command_line_refuses_dall_e_2(fake_process: Callable[..., FakeProcess]) -> None:
    import datetime

    before = datetime.datetime.now(datetime.UTC).date().isoformat()
    fake = fake_process("--as-of", "today")
    served = [line for line in fake.lines if "serving today's service" in line]
    assert len(served) == 1 and served[0] >= f"mockserver: serving today's service (as of {before})", fake.lines
    for body in ({}, {"model": "dall-e-2"}, {"model": "gpt-image-1"}):
        refused = _generate(fake, **body)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "model_not_found", body
    answered = _generate(fake, model="gpt-image-1.5", quality="low")
    assert answered.status_code == 200 and "x-mock-would-fail-today" not in answered.headers
    with FakeHandle.over_http(fake.url, timeout=10) as control:
        assert control.config()["as_of"] >= before  # resolved to the date at start, never "today"


def test_as_of_today_in_the_environment(fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process(env={"MOCKSERVER_AS_OF": "today"})
    assert _generate(fake, model="dall-e-2").status_code == 404


def test_the_default_era_says_so_and_how_to_get_todays(fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process()
    era = [line for line in fake.lines if "guide's contract" in line]
    assert len(era) == 1 and "--as-of today" in era[0] and "x-mock-would-fail-today" in era[0], fake.lines
    answered = _generate(fake, size="256x256")
    assert answered.status_code == 200
    assert answered.headers["x-mock-would-fail-today"] == (
        "no model named, answered by dall-e-2; dall-e-2 was retired on 2026-05-12")


def test_a_dated_era_names_its_date() -> None:
    lines = announce("127.0.0.1", "http://127.0.0.1:5", "http://127.0.0.1:5/v1", Config(as_of="2026-06-01"))
    assert "mockserver: serving the service as of 2026-06-01; --as-of today serves today's" in lines
