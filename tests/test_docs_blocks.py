"""The README and the docs cannot rot: every Python block in them runs (each by a test that
checks what it prints), the README's quickstart runs as its steps say, every shell line is a real
command (a `./dev` command that exists, a console script, or a tool such as pip) whose flags the
real argument parser accepts, and every relative link and anchor between the pages resolves. (The
generated tables the pages hold as `<!-- generated: NAME -->` markers are the site build's.)"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
import requests
from PIL import Image

from mockserver import FakeHandle, LiveServer, create_app
from tests.sdk.legacy_venv import ensure_legacy_venv, venv_python
from tests.support import ROOT
from tests.support.clones import fresh_clone, user_environment
from tests.support.ports import free_port
from tests.support.processes import FakeProcess
from tests.support.redisserver import RedisServer

DOCS = ROOT / "docs"
PAGES = {"README.md": (ROOT / "README.md").read_text(encoding="utf-8"),
         **{f"docs/{p.name}": p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))}}
README = PAGES["README.md"]
BLOCKS = [b for text in PAGES.values() for b in re.findall(r"```python\n(.*?)```", text, re.S)]

SAMPLES_COMMAND = "./dev client sample-images"


def page(name: str) -> str:
    return PAGES[f"docs/{name}"]


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def block(containing: str) -> str:
    [found] = [b for b in BLOCKS if containing in b]
    return found


def run_block(containing: str) -> None:
    """Run the docs' block as a user's script would, then close the clients it left open. A
    script's clients are closed when its process ends; here the process goes on, and a client left
    to the garbage collector may have its socket finalized before the client's own close runs
    (the order of finalizers in a cycle is arbitrary): an unclosed-socket warning, now and then."""
    names: dict[str, object] = {}
    exec(block(containing), names)
    for value in names.values():
        close = getattr(value, "close", None)
        if close is not None and not isinstance(value, type) and type(value).__module__.split(".")[0] in (
                "openai", "client"):
            close()


def test_ci_runs_the_readme_test_command() -> None:
    """The README names the test command, and it is the one CI runs."""
    commands = [line.split("#")[0].strip() for b in sh_blocks(README) for line in b.splitlines()]
    assert "./dev test" in commands
    assert re.search(r"^\./dev test\b", (ROOT / ".ci" / "run").read_text(), re.M)


def test_every_python_block_is_tested() -> None:
    tested = ("client = OpenAI()  #", 'model="gpt-image-1.5", prompt="a cat", quality="low", output_format',
              "openai.Image.create(", "def test_my_code_copes", "mockserver.intercept(rate_limits",
              "FakeHandle.in_process(app)", "stream=True, partial_images=2", 'intercept(as_of="2026-11-29")',
              "from client import CompletedEvent, ImagesClient")
    assert len(BLOCKS) == len(tested)
    for marker in tested:
        block(marker)


def test_sdk_quick_start_block(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with LiveServer(create_app()) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-anything")
        run_block("client = OpenAI()  #")
        assert capsys.readouterr().out.startswith(server.url + "/private/")


def test_pytest_block_runs_as_a_users_test_file(tmp_path: Path) -> None:
    path = tmp_path / "test_from_readme.py"
    path.write_text(block("def test_my_code_copes"))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout


def test_intercept_block() -> None:
    run_block("mockserver.intercept(rate_limits")


@pytest.mark.parametrize(("marker", "printed"), [
    ('model="gpt-image-1.5", prompt="a cat", quality="low", output_format', "272 1024x1024 jpeg\n"),
    ("stream=True, partial_images=2", "partial 0 True\npartial 1 True\nfinal 472\n"),
    ("from client import CompletedEvent, ImagesClient",
     "partial 0 1024x1024\npartial 1 1024x1024\nfinal 1024x1024 472\n"),
])
def test_block_against_a_served_fake_prints(marker: str, printed: str, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Today's models, the SDK's stream and the reference client's stream, each with the base URL set."""
    with LiveServer(create_app()) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-anything")
        run_block(marker)
        assert capsys.readouterr().out == printed


def test_as_of_block(capsys: pytest.CaptureFixture[str]) -> None:
    run_block('intercept(as_of="2026-11-29")')
    assert capsys.readouterr().out == "model_not_found\nTrue png\n"


def test_in_tests_block() -> None:
    run_block("FakeHandle.in_process(app)")


@pytest.mark.slow
def test_legacy_sdk_block(tmp_path: Path) -> None:
    """The guide's examples as docs/sdks.md shows them, on openai 0.28.1 in its own virtualenv."""
    ensure_legacy_venv()
    # The input files, made by the command the page gives for them.
    assert SAMPLES_COMMAND in page("sdks.md")
    made = subprocess.run([sys.executable, "-m", "client", "sample-images"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    code = block("openai.Image.create(") + "\nprint(response['data'][0]['url'])\n"
    with LiveServer(create_app()) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
        env.update(OPENAI_API_BASE=server.base_url, OPENAI_API_KEY="sk-anything")
        result = subprocess.run([str(venv_python()), "-c", code], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(server.url + "/private/")
        with FakeHandle.over_http(server.url) as fake:
            journal = fake.requests()
        assert [e["endpoint"] for e in journal] == ["generations", "edits", "variations"]


# --- docs/shared-state.md: its commands, run against the test's redis-server ------------------

PAGE_REDIS = "redis://127.0.0.1:6379/0"
SHARING_USERS_TEST = """
import requests


def test_spend(images_fake_url):
    answer = requests.post(images_fake_url + "/images/generations", json={"prompt": "cat", "size": "256x256"},
                           headers={"Authorization": "Bearer sk-x"}, timeout=30)
    assert answer.status_code == 200
"""


def sharing_commands() -> list[list[str]]:
    return [shlex.split(line, comments=True) for block in sh_blocks(page("shared-state.md"))
            for line in block.splitlines() if line.strip()]


def page_server(fake_process: Callable[..., FakeProcess], command: list[str], redis_url: str) -> FakeProcess:
    """A command of the page starting the fake, on a free port, on the test's Redis."""
    args = [redis_url if arg == PAGE_REDIS else arg for arg in command[2:]]
    return fake_process(*args, "--port", "0", "--quiet")


def test_shared_state_commands_run(tmp_path: Path, redis_server: RedisServer,
                                      fake_process: Callable[..., FakeProcess]) -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "pip install '<checkout>[redis]'" in page("shared-state.md") and "redis" in extras
    servers, [user_run] = sharing_commands()[:2], sharing_commands()[2:]
    assert [c[:3] for c in servers] == [["./dev", "serve", "--state"]] * 2
    assert all(PAGE_REDIS in c for c in [*servers, user_run])
    first, second = (page_server(fake_process, c, redis_server.url) for c in servers)
    answer = requests.post(first.base_url + "/images/generations", json={"prompt": "cat", "size": "256x256"},
                           headers={"Authorization": "Bearer sk-x"}, timeout=30)
    assert answer.status_code == 200
    with second.handle() as other:  # the second fake sees the first one's request
        assert [e["status"] for e in other.requests()] == [200]
    assert (first.stop(), second.stop()) == (0, 0)
    # The plugin's command, as shown, against the same Redis: the run resets it, then spends on it.
    (tmp_path / "test_users.py").write_text(SHARING_USERS_TEST)
    assert user_run[0] == "pytest"
    args = [redis_server.url if arg == PAGE_REDIS else arg for arg in user_run[1:]]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout[-3000:] + result.stderr[-2000:]
    app = create_app(state=redis_server.url)
    try:  # the run started from a reset state: only its own request is in the journal
        assert [e["params"]["prompt"] for e in FakeHandle.in_process(app).requests()] == ["cat"]
    finally:
        app.extensions["mockserver"].close()


# --- the README's quickstart, step by step ----------------------------------------------------

def quickstart() -> str:
    return README.split("## Quickstart\n", 1)[1].split("\n## ", 1)[0]


def heredoc(text: str) -> str:
    """The text a block's ``<<'EOF'`` feeds its command."""
    return text.split("<<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0] + "\n"


def test_readme_is_a_front_page() -> None:
    assert len(README) <= 12_000, len(README)


def test_quickstart_steps_are_the_shape_the_fresh_clone_test_follows() -> None:
    serve, sdk, first_test, verify = sh_blocks(quickstart())
    assert serve == "./dev serve\n"
    assert sdk.startswith(
        "OPENAI_BASE_URL=http://127.0.0.1:5000/v1 OPENAI_API_KEY=sk-anything ./dev python - <<'EOF'\n")
    assert first_test.startswith("cat > test_first.py <<'EOF'\n")
    assert first_test.rstrip("\n").endswith("EOF\n./dev pytest -q test_first.py")
    assert 3 <= len(heredoc(first_test).strip().splitlines()) <= 6
    assert verify.startswith("./dev verify --base-url http://127.0.0.1:5000/v1")
    assert "http://127.0.0.1:5000/_mock/ui" in quickstart() and "](docs/live-view.png)" in quickstart()
    # The quickstart page goes further, with the same commands.
    assert sh_blocks(page("quickstart.md")) == [serve, sdk, first_test, verify]


def test_quickstart_sdk_step(tmp_path: Path) -> None:
    step = sh_blocks(quickstart())[1]
    with LiveServer(create_app()) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
        env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-anything")
        result = subprocess.run([sys.executable, "-"], input=heredoc(step), cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "wrote first-image.png 1024x1024\n"
    assert "`wrote first-image.png 1024x1024`" in quickstart()
    with Image.open(tmp_path / "first-image.png") as picture:
        assert (picture.format, picture.size) == ("PNG", (1024, 1024))


def test_quickstart_pytest_step(tmp_path: Path) -> None:
    step = sh_blocks(quickstart())[2]
    (tmp_path / "test_first.py").write_text(heredoc(step))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_first.py"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr


def test_quickstart_verify_step() -> None:
    from contracts.verify.cli import main as verify

    [command] = sh_blocks(quickstart())[3].splitlines()
    args = shlex.split(command)[2:]
    with LiveServer(create_app()) as server:
        args[args.index("--base-url") + 1] = server.base_url
        report = io.StringIO()
        assert verify([*args, "--budget", "2"], out=report) == 0, report.getvalue()
    assert " 0 disagree, 0 errors" in report.getvalue()


WRITTEN_PORT = "127.0.0.1:5000"
FIRST_RUN = 1200.0  # seconds: the first ./dev makes .venv and installs the pins (about a minute, on a slow day more)


@pytest.mark.slow
def test_the_quickstart_runs_as_written_on_a_fresh_clone(tmp_path: Path) -> None:
    """The README's quickstart, followed on a fresh clone command by command, as written: each step's
    shell block in bash from the clone's root, in a user's environment (no venv on the ``PATH``, none
    of the test run's variables); ``./dev serve`` in the background, stopped by Ctrl+C as the README
    says; every other block to exit status 0. One thing differs from a user's terminal: the fake
    listens on a free port, given as ``MOCKSERVER_PORT`` (a setting the configuration lists), and
    ``127.0.0.1:5000`` in the other blocks says that port, so the test never meets another program
    on 5000. The first ``./dev`` makes the clone's ``.venv``, as a new user's does: slow."""
    clone = fresh_clone(tmp_path)
    port = free_port()
    here = f"127.0.0.1:{port}"
    env = user_environment()
    serve, *rest = sh_blocks(quickstart())
    shown: dict[str, str] = {}
    server = FakeProcess(command=["bash", "-c", serve], cwd=clone, env={**env, "MOCKSERVER_PORT": str(port)},
                         timeout=FIRST_RUN)
    try:
        assert server.url == f"http://{here}", server.lines
        for block in rest:
            done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.replace(WRITTEN_PORT, here)],
                                  cwd=clone, env=env, capture_output=True, text=True, timeout=600, check=False)
            said = f"{block}\nexit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            assert done.returncode == 0, said
            shown[block] = done.stdout
        page = requests.get(f"http://{here}/_mock/ui", timeout=30)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    finally:
        stopped = server.stop(signal.SIGINT)  # Ctrl+C, as the README says
    assert stopped == 0, server.err[-20:]
    outputs = "\n".join(shown.values())
    assert re.search(r"\b1 passed\b", outputs), outputs[-3000:]  # the pytest step's test ran, and passed
    verified = next(out for block, out in shown.items() if "./dev verify" in block)
    assert verified.strip(), "verify printed nothing"
    sdk = next(out for block, out in shown.items() if "from openai import OpenAI" in block)
    written = re.findall(r"[\w.-]+\.(?:png|jpeg|jpg|webp)\b", sdk)
    assert written, f"the SDK step names no image it wrote: {sdk!r}"
    for name in written:  # a real image, where the step says it put it
        with Image.open(clone / name) as image:
            image.verify()


# --- every shell line: a real command, with flags its parser accepts --------------------------

CONSOLE_SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
TOOLS = {"pip", "export", "curl", "cat", "cd", "git", "npm", "tox", "pytest", "apt-get"}
REDIRECTS = {">", ">>", "<", "<<"}
USERS_FILES = {"my_session.py"}  # a script of the reader's own, named by docs/record-replay.md
SCRIPT_OF = {"images-mockserver": "serve", "images-client": "client", "images-verify": "verify",
             "images-contracts": "contracts"}


def dev_commands() -> set[str]:
    """The case labels of ./dev: the commands it runs."""
    case = (ROOT / "dev").read_text().split('case "$cmd" in', 1)[1].split("esac", 1)[0]
    labels = re.findall(r"^\s*([\w|-]+)\)", case, re.M)
    return {name for label in labels for name in label.split("|")}


def shell_commands(text: str) -> Iterator[list[str]]:
    """Each simple command of a page's ``sh`` blocks (split at ``&&``, ``;`` and ``|``), without
    its leading variable assignments, its redirections and the text of its here-documents."""
    for found in sh_blocks(text):
        lines = iter(found.replace("\\\n", " ").splitlines())
        for line in lines:
            if "<<'EOF'" in line:
                for rest in lines:
                    if rest == "EOF":
                        break
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            command: list[str] = []
            for token in [*lexer, ";"]:
                if token in ("&&", "||", ";", "|", "&"):
                    while command and re.fullmatch(r"[A-Za-z_]\w*=.*", command[0]):
                        command.pop(0)
                    if command:
                        yield command
                    command = []
                else:
                    command.append(token)


def all_shell_commands() -> list[tuple[str, list[str]]]:
    return [(name, command) for name, text in PAGES.items() for command in shell_commands(text)]


def cut_redirects(command: list[str]) -> list[str]:
    for i, token in enumerate(command):
        if token in REDIRECTS:
            return command[:i]
    return command


class Parsed(Exception):
    """The command line was accepted: the command would run now."""


def parse_serve(args: list[str]) -> None:
    from mockserver.__main__ import build_parser, options
    from mockserver.settings.inputs import InputError

    try:
        options(build_parser().parse_args(args), {})
    except InputError as exc:
        raise AssertionError(f"the fake refuses {args}: {exc}") from exc


def parse_client(args: list[str]) -> None:
    from client.__main__ import build_parser

    build_parser().parse_args(args)


def parse_until_run(cli: ModuleType, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``cli.main(args)`` up to the moment it would send anything: its ``run`` raises Parsed."""

    def run(*_: object, **__: object) -> None:
        raise Parsed

    monkeypatch.setattr(cli, "run", run)
    with pytest.raises(Parsed):
        cli.main(args)


def parse_verify(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import contracts.verify.cli

    parse_until_run(contracts.verify.cli, args, monkeypatch)


def parse_contracts(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from contracts.__main__ import COMMANDS

    assert args and args[0] in COMMANDS, f"not a command of contracts: {args}"
    if args[0] == "verify":
        parse_verify(args[1:], monkeypatch)
    elif args[0] == "parity":
        import contracts.parity.cli

        parse_until_run(contracts.parity.cli, args[1:], monkeypatch)
    else:
        assert args[1:] in ([], ["--help"]), f"no check for the options of contracts {args[0]}: add one here"


def check_paths(args: list[str], written: set[str]) -> None:
    """The files and folders a command names are in the repository (or written by the page first)."""
    for arg in args:
        path = arg.split("::")[0]
        if not arg.startswith(("-", "/")) and ("/" in path or path.endswith(".py")) and "://" not in path:
            assert (ROOT / path).exists() or path in written or path in USERS_FILES, f"no such file: {arg}"


def check_command(name: str, command: list[str], written: set[str], monkeypatch: pytest.MonkeyPatch) -> None:
    program, args = command[0], cut_redirects(command[1:])
    if program in CONSOLE_SCRIPTS:
        program, args = "./dev", [SCRIPT_OF[program], *args]
    if program != "./dev":
        assert program in TOOLS, f"{name}: {command[0]!r} is neither ./dev, a console script nor a known tool"
        if program == "cat" and command[1:2] == [">"]:
            written.add(command[2])
        return
    assert args and args[0] in dev_commands(), f"{name}: ./dev has no command {args[:1]}"
    sub, rest = args[0], args[1:]
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:5000/v1")  # what the pages export first
    monkeypatch.setenv("OPENAI_API_KEY", "sk-anything")
    try:
        if sub == "serve":
            parse_serve(rest)
        elif sub == "client":
            parse_client(rest)
        elif sub == "verify":
            parse_verify(rest, monkeypatch)
        elif sub == "contracts":
            parse_contracts(rest, monkeypatch)
        elif sub == "run":
            assert rest and (rest[0] in CONSOLE_SCRIPTS or rest[0] in ("pytest", "mkdocs", "ruff", "mypy")), rest
        elif sub == "python" and rest[:1] == ["-m"]:
            # A module of the tests (the packages' own have ./dev commands: serve, client, verify, contracts).
            assert rest[1].startswith("tests.") and (ROOT / (rest[1].replace(".", "/") + ".py")).is_file(), rest
        else:
            check_paths(rest, written)
    except SystemExit as exc:  # argparse: 0 after --help, 2 on a refused command line
        assert exc.code == 0, f"{name}: {' '.join(command)} is refused by its argument parser"


def test_every_shell_line_is_a_real_command(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    commands = all_shell_commands()
    assert len(commands) > 20  # the pages' sh blocks were found
    for name in PAGES:
        written: set[str] = set()
        for page_name, command in commands:
            if page_name == name:
                check_command(name, command, written, monkeypatch)
    capsys.readouterr()  # the help texts printed on the way


def test_the_command_check_refuses_what_does_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    for wrong in (["python", "-m", "mockserver"], ["./dev", "serv"], ["./dev", "serve", "--prot", "5000"],
                  ["./dev", "serve", "--rate-limit", "fast"], ["./dev", "client", "generate"],
                  ["./dev", "verify", "--budgett", "3"], ["./dev", "contracts", "parity", "--base-url", "x"],
                  ["images-client", "nonsense"], ["./dev", "test", "tests/no_such_folder"]):
        with pytest.raises(AssertionError):
            check_command("a page", wrong, set(), monkeypatch)


def test_the_pages_show_no_bare_module_or_venv() -> None:
    """Commands go through ./dev (or a console script after pip install): a reader's shell has no
    activated venv, so `python -m client` alone fails (no module named PIL)."""
    for name, text in PAGES.items():
        assert ".venv/bin/" not in text and "source .venv" not in text, name
        for line in "".join(sh_blocks(text)).splitlines():
            assert not re.match(r"(\w+=\S+ )*python3? ", line), f"{name}: {line}"


# --- links between the pages ------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCED = re.compile(r"^```.*?^```", re.S | re.M)


def slug(heading: str) -> str:
    """A heading's anchor, as Python-Markdown's toc extension makes it (MkDocs' default)."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(text: str) -> set[str]:
    return {slug(h) for h in re.findall(r"^#{1,6} (.+?)\s*$", FENCED.sub("", text), re.M)}


def broken_links(name: str, text: str, base: Path) -> list[str]:
    broken = []
    for target in LINK.findall(FENCED.sub("", text)):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (base / file).resolve() if file else ROOT / name
        if not path.exists():
            broken.append(f"{name}: {target} (no such file)")
        elif anchor and anchor not in anchors(path.read_text(encoding="utf-8")):
            broken.append(f"{name}: {target} (no such heading)")
    return broken


def test_every_relative_link_and_anchor_resolves() -> None:
    broken = [b for name, text in PAGES.items() for b in broken_links(name, text, (ROOT / name).parent)]
    assert not broken, broken


def test_the_link_check_sees_a_broken_link_and_anchor() -> None:
    links = "[a](nowhere.md) [b](quickstart.md#nowhere) [c](quickstart.md#settings) [d](#the-pages)"
    assert broken_links("docs/index.md", links, DOCS) == [
        "docs/index.md: nowhere.md (no such file)", "docs/index.md: quickstart.md#nowhere (no such heading)"]
    assert slug("`intercept()`: code you do not control") == "intercept-code-you-do-not-control"
    assert slug("The guide's openai 0.28") == "the-guides-openai-028"


def test_curl_lines_run(tmp_path: Path) -> None:
    """Each page's curl commands, in order, against a fake of its own: every one answered 2xx with JSON."""
    if shutil.which("curl") is None:
        pytest.skip("needs curl on PATH")
    ran = 0
    for name, text in PAGES.items():
        commands = [c for c in shell_commands(text) if c[0] == "curl"]
        if not commands:
            continue
        with LiveServer(create_app()) as server:
            for command in commands:
                args = [arg.replace("http://127.0.0.1:5000", server.url) for arg in command]
                result = subprocess.run([*args, "--fail", "--max-time", "30"], capture_output=True, text=True,
                                        timeout=60, cwd=tmp_path)
                assert result.returncode == 0, f"{name}: {' '.join(command)}: {result.stderr}"
                assert isinstance(json.loads(result.stdout), dict), result.stdout
                ran += 1
    assert ran >= 4


def test_quickstart_page_shows_what_serve_prints(fake_process: Callable[..., FakeProcess]) -> None:
    shown = re.search(r"```text\n(mockserver: .*?)```", page("quickstart.md"), re.S)
    assert shown is not None
    fake = fake_process()
    printed = [line.replace(f":{fake.port}/", ":5000/") for line in fake.lines]
    assert printed == shown.group(1).splitlines()


def test_the_home_page_maps_every_page() -> None:
    linked = {target.partition("#")[0] for target in LINK.findall(page("index.md"))}
    pages = {p.name for p in DOCS.glob("*.md")}
    assert pages - {"index.md"} <= linked, sorted(pages - {"index.md"} - linked)
