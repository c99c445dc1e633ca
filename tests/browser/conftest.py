"""Fixtures for the real-browser notebook tests (see test_notebooks_in_browser.py).

* ``notebook_name`` is parametrized at collection time over the sorted
  ``*.ipynb`` files of the notebooks directory (``<repo>/notebooks`` or the
  directory named by ``GAN_COURSE_BROWSER_NOTEBOOKS``).  With no notebook the
  single generated test is *skipped* with a reason, it never passes silently.
* ``jupyter_lab`` (session scope) copies that directory to a temp dir, starts
  JupyterLab on a free 127.0.0.1 port with a random token, waits for it, and
  always shuts its kernels and the server down at the end of the session.
* ``browser_page`` (function scope) launches Debian's /usr/bin/chromium through
  Playwright with a fresh user-data-dir and closes it after the test.

Environment knobs (all optional):
  GAN_COURSE_BROWSER_NOTEBOOKS   directory of notebooks to test instead of <repo>/notebooks
  GAN_COURSE_BROWSER_CHROMIUM    browser executable (default /usr/bin/chromium)
  GAN_COURSE_BROWSER_ARTIFACTS   where failure screenshots go (default tests/browser/artifacts)
  GAN_COURSE_BROWSER_REQUIRED=1  fail instead of skip when chromium/playwright is missing
  GAN_COURSE_BROWSER_RUN_TIMEOUT, GAN_COURSE_BROWSER_CHANGE_TIMEOUT   seconds (600, 60)
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]

CHROMIUM = os.environ.get("GAN_COURSE_BROWSER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 1000}

# JupyterLab user settings written to a private JUPYTERLAB_SETTINGS_DIR.
LAB_SETTINGS = {
    # Render every cell: no virtualised/windowed notebook.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # No news or update checks: the course's own settings (.jupyter/, as the README's command uses them)
    # must keep the "get notified about Jupyter news?" toast away; the test checks that they do.
    # Nothing should write the (temp) notebooks behind our back.
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


def notebooks_source_dir() -> Path:
    override = os.environ.get("GAN_COURSE_BROWSER_NOTEBOOKS")
    return Path(override).resolve() if override else REPO_ROOT / "notebooks"


def discover_notebooks() -> list[str]:
    src = notebooks_source_dir()
    if not src.is_dir():
        return []
    return sorted(p.name for p in src.glob("*.ipynb") if p.is_file())


def env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def pytest_configure(config):
    # The lead declares the marker in pyproject too; declaring it twice is harmless.
    config.addinivalue_line("markers", "browser: real-browser (Chromium + JupyterLab) tests")


def pytest_generate_tests(metafunc):
    if "notebook_name" not in metafunc.fixturenames:
        return
    names = discover_notebooks()
    if names:
        metafunc.parametrize("notebook_name", names, ids=names)
    else:
        reason = f"no notebooks (*.ipynb) found in {notebooks_source_dir()}"
        metafunc.parametrize(
            "notebook_name",
            [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-notebooks")],
        )


def _missing(reason: str):
    if os.environ.get("GAN_COURSE_BROWSER_REQUIRED") == "1":
        pytest.fail(reason + " (GAN_COURSE_BROWSER_REQUIRED=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_prerequisites():
    """Skip (or fail, when required) if Playwright or Chromium is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the playwright python package is not installed")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _missing(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    return CHROMIUM


# --------------------------------------------------------------------------- JupyterLab


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_root(tmp: Path) -> Path:
    """tmp/repo/notebooks = copy of the notebooks dir; the repo's other top-level
    entries are symlinked beside it so '../gan_course'-style paths still work."""
    repo = tmp / "repo"
    repo.mkdir()
    for entry in REPO_ROOT.iterdir():
        if entry.name in {"notebooks", ".git"}:
            continue
        (repo / entry.name).symlink_to(entry)
    dest = repo / "notebooks"
    src = notebooks_source_dir()
    if src.is_dir():
        shutil.copytree(
            src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        )
    else:
        dest.mkdir()
    return dest


class JupyterLab:
    def __init__(self, url: str, token: str, root: Path, log_path: Path, proc):
        self.url = url
        self.token = token
        self.root = root
        self.log_path = log_path
        self.proc = proc

    def api(self, method: str, path: str, timeout: float = 10):
        req = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def lab_url(self, notebook: str, workspace: str) -> str:
        # A fresh workspace (+ ?reset) so no tab of an earlier test is restored.
        return f"{self.url}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"

    def shutdown_sessions(self, notebook: str | None = None) -> None:
        """Shut down the kernels of `notebook` (or of every session)."""
        try:
            for s in self.api("GET", "/api/sessions"):
                if notebook is None or s.get("path", "").split("/")[-1] == notebook:
                    self.api("DELETE", f"/api/sessions/{s['id']}", timeout=30)
            if notebook is None:
                for k in self.api("GET", "/api/kernels"):
                    self.api("DELETE", f"/api/kernels/{k['id']}", timeout=30)
        except (urllib.error.URLError, OSError, ValueError):
            pass

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


@pytest.fixture(scope="session")
def jupyter_lab(browser_prerequisites, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = _make_root(tmp)
    settings_dir = tmp / "lab-settings"
    for rel, value in LAB_SETTINGS.items():
        f = settings_dir / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))
    for d in ("workspaces", "jupyter-config", "jupyter-data", "jupyter-runtime"):
        (tmp / d).mkdir()

    # The kernels run as a user's would: no thread pinning and no MKL setting from the test process, so the
    # notebooks choose their threads (2 on an idle 2-core machine) and rely on gan_course's own MKL_CBWR.
    env = {k: v for k, v in os.environ.items() if k not in ("GAN_COURSE_THREADS", "MKL_CBWR", "OMP_NUM_THREADS")}
    env.update(
        GAN_COURSE_OFFLINE="1",  # kernels inherit it: no notebook touches the network
        JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        PYTHONPATH=os.pathsep.join(
            [str(REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        ),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        JUPYTER_CONFIG_PATH=str(REPO_ROOT / ".jupyter"),  # as the README's command: the course's lab settings
    )
    port = _free_port()
    token = secrets.token_hex(24)
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_root=True",
        "--LabApp.extension_manager=readonly",
        # Lets the test read kernel state / cell models via window.jupyterapp.
        "--LabApp.expose_app_in_browser=True",
        # Safety nets should pytest itself be killed: idle kernels get culled and
        # the server exits once nothing has happened for a while.
        "--MappingKernelManager.cull_idle_timeout=900",
        "--MappingKernelManager.cull_interval=60",
        "--ServerApp.shutdown_no_activity_timeout=1200",
    ]
    log_path = tmp / "jupyterlab.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    lab = JupyterLab(f"http://127.0.0.1:{port}", token, root, log_path, proc)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with {proc.returncode}; log {log_path}:\n{lab.log_tail()}"
                )
            try:
                lab.api("GET", "/api/status", timeout=5)
                urllib.request.urlopen(f"{lab.url}/lab?token={token}", timeout=10).read()
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not answer within 120 s; log {log_path}:\n{lab.log_tail()}"
                    )
                time.sleep(0.5)
        yield lab
    finally:
        if proc.poll() is None:
            lab.shutdown_sessions()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


# --------------------------------------------------------------------------- Chromium


@pytest.fixture(scope="session")
def playwright_instance(browser_prerequisites):
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        yield pw
    finally:
        pw.stop()


@pytest.fixture
def browser_page(playwright_instance, browser_prerequisites, tmp_path):
    """A page in a freshly launched headless Chromium with its own user-data-dir."""
    context = playwright_instance.chromium.launch_persistent_context(
        user_data_dir=str(tmp_path / "chromium-profile"),
        executable_path=browser_prerequisites,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=VIEWPORT,
    )
    # Only 127.0.0.1 may be contacted: anything else is aborted and remembered.
    blocked: list[str] = []

    def _block(route):
        blocked.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(https?|wss?)://(?!(127\.0\.0\.1|localhost)[:/])"), _block)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.gan_course_blocked_requests = blocked
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    d = Path(os.environ.get("GAN_COURSE_BROWSER_ARTIFACTS", HERE / "artifacts"))
    d.mkdir(parents=True, exist_ok=True)
    return d


# --------------------------------------------------------------------------- timings

_TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="session")
def browser_timings() -> dict[str, float]:
    return _TIMINGS


def pytest_terminal_summary(terminalreporter):
    if _TIMINGS:
        terminalreporter.section("notebooks in the browser: wall time")
        for name, secs in _TIMINGS.items():
            terminalreporter.write_line(f"{secs:7.1f} s  {name}")
