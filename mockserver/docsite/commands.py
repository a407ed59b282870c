"""The commands page and the changelog page, from the checkout's own files: pyproject.toml's
console scripts (each asked for its ``--help``), ``./dev``'s header comment, and CHANGELOG.md."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Script:
    """One console script: its name, the ``python -m`` command it is, and its help's first line."""

    name: str
    target: str  # module:function, as [project.scripts] says
    module_form: str  # python -m mockserver
    summary: str


def console_scripts(root: Path) -> list[Script]:
    """Every entry of pyproject.toml's [project.scripts], in its order, each run once with --help."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [_script(name, target, root) for name, target in project.get("scripts", {}).items()]


def _script(name: str, target: str, root: Path) -> Script:
    module, _, function = target.partition(":")
    # argv[0] "-c": the usage line names the `python -m` form (contracts.version.program).
    code = (f"import sys; sys.argv = ['-c', '--help']; from {module} import {function} as main; "
            "sys.exit(main())")
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"{name} --help failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    paragraphs = [p.strip() for p in done.stdout.split("\n\n") if p.strip()]
    usage = re.match(r"usage:\s+(python -m [\w.]+(?: [a-z][\w-]*)?)", paragraphs[0]) if paragraphs else None
    fallback = "python -m " + module.removesuffix(".__main__")
    # The description: the first paragraph after the usage that is not a list of options.
    described = next((" ".join(p.split()) for p in paragraphs[1:] if ":\n" not in p and not p.endswith(":")), "")
    summary = re.split(r"(?<=\.)\s", described, maxsplit=1)[0]
    return Script(name, target, usage.group(1).strip() if usage else fallback, summary)


@dataclass(frozen=True)
class DevCommand:
    """One command of ``./dev``, as its header comment shows it."""

    usage: str  # ./dev serve [--port 5000 ...]
    summary: str


def dev_commands(root: Path) -> list[DevCommand]:
    """The ``./dev`` lines of the comment block at the top of ``./dev`` (what ``./dev help`` prints)."""
    found = []
    for line in (root / "dev").read_text(encoding="utf-8").splitlines()[1:]:
        if not line.startswith("#"):
            break
        # The description is the text after the last wide gap (the column the comment lines up).
        match = re.match(r"#\s+(\./dev\s.*\S)\s{2,}(\S(?:(?!\s{2}).)*)$", line)
        if match:
            found.append(DevCommand(" ".join(match.group(1).split()), match.group(2).strip()))
    return found


def commands(root: Path) -> str:
    """Two Markdown tables: the console scripts (after ``pip install``), and the ``./dev`` commands."""
    rows = ["| console script | the same as | what it does |", "| --- | --- | --- |"]
    rows += [f"| `{s.name}` | `{s.module_form}` | {_cell(s.summary)} |" for s in console_scripts(root)]
    rows += ["", "| in a clone | what it does |", "| --- | --- |"]
    rows += [f"| `{c.usage}` | {_cell(c.summary)} |" for c in dev_commands(root)]
    return "\n".join(rows)


def changelog(root: Path) -> str:
    """CHANGELOG.md without its title (the page has its own), its links into docs/ made the site's."""
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    text = re.sub(r"\A\s*# [^\n]*\n", "", text)
    return re.sub(r"\]\(docs/", "](", text).strip()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
