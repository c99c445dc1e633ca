"""README.md's promises: every command it shows runs as written after the set-up command, its layout is the
checkout's, and the lab it opens does not write the notebooks back."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SETUP = ("pip install", "conda env create")  # the set-up commands: CI runs the test command itself


def shown_commands() -> list[str]:
    """Every line of README.md's ```bash blocks but the set-up commands."""
    blocks = re.findall(r"```bash\n(.*?)```", README, re.DOTALL)
    lines = [line.split(" #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not any(setup in line for setup in SETUP)]


def test_the_readme_shows_commands_besides_the_set_up():
    assert len(shown_commands()) >= 5, shown_commands()


@pytest.mark.parametrize("command", shown_commands())
def test_each_command_s_help_runs_as_written_and_knows_its_options(command):
    """The dry form: the command up to its first option, with ``--help``; each ``--option`` it uses is in the help."""
    words = shlex.split(command)
    env = dict(os.environ)
    while re.fullmatch(r"[A-Z_]+=.*", words[0]):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    assert words[0].startswith(".venv/bin/"), f"{command!r} does not run the course's venv (.venv/bin/...)"
    program = Path(sys.executable).parent / words[0].removeprefix(".venv/bin/")
    head = []  # the program's words up to its first option: module, subcommand, positionals
    for word in words[1:]:
        if word.startswith("-") and word != "-m":
            break
        head.append(word)
    done = subprocess.run([str(program), *head, "--help"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"{command!r}: {done.stderr.strip()[-500:]}"
    unknown = [w.split("=")[0] for w in words if w.startswith("--") and w.split("=")[0] not in done.stdout]
    assert not unknown, f"{command!r} uses {unknown}, which its --help does not list"


def test_the_test_command_follows_its_marker_as_ci_reads_it():
    command = re.search(r"<!-- test-command -->\n```bash\n(.*?)\n```", README).group(1)
    assert command.endswith("&& .venv/bin/pytest") and '.venv/bin/pip install -e ".[test]"' in command


def test_the_cpu_only_install_asks_for_the_torch_versions_the_course_pins():
    import tomllib

    pins = [d for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
            if d.startswith(("torch>", "torch<", "torchvision"))]
    line = next(line for line in README.splitlines() if "download.pytorch.org/whl/cpu" in line)
    assert len(pins) == 2 and all(f'"{pin}"' in line for pin in pins), (pins, line)


def test_the_readme_stays_short():
    assert len(README.split()) <= 1500


def test_every_folder_of_the_layout_tree_is_in_the_checkout():
    tree = re.search(r"## Layout\n\n```text\n(.*?)```", README, re.DOTALL).group(1)
    parent, missing = ROOT, []
    for line in tree.splitlines():
        nested = line.startswith(("├", "└", "│"))
        name = line.lstrip("├└│─ ").split()[0]
        path = (parent if nested else ROOT) / name
        parent = parent if nested else path
        missing += [] if path.is_dir() else [str(path.relative_to(ROOT))]
    assert not missing, f"README.md's layout names folders the checkout lacks: {missing}"


def test_the_course_s_lab_settings_turn_autosave_off_as_jupyterlab_reads_them():
    """Running a notebook must leave the clone clean: the lab opened with JUPYTER_CONFIG_PATH=.jupyter (README's
    command) gets autosave off from .jupyter/labconfig, under a setting the installed JupyterLab knows."""
    read = "from jupyter_server.services.config.manager import ConfigManager; import json; " \
           "print(json.dumps(ConfigManager(config_dir_name='labconfig').get('default_setting_overrides')))"
    done = subprocess.run([sys.executable, "-c", read], env={**os.environ, "JUPYTER_CONFIG_PATH": ".jupyter"},
                          cwd=ROOT, capture_output=True, text=True, check=True)
    plugin = "@jupyterlab/docmanager-extension:plugin"
    assert json.loads(done.stdout)[plugin]["autosave"] is False
    schema = Path(sys.prefix) / "share/jupyter/lab/schemas/@jupyterlab/docmanager-extension/plugin.json"
    assert "autosave" in json.loads(schema.read_text())["properties"]
