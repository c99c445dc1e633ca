"""``python -m tools site --out site/``: the course as a static website, built offline with Jupyter Book.

Two editions. The default, ``--edition student``, is the one to publish: each page is the executed notebook as the
student edition has it (``classroom.student``: solution code replaced by ``raise NotImplementedError``, hidden
tests, ``answer`` and ``instructor`` cells and instructor notes removed), and each page's download button gives the
student notebook. ``--edition instructor`` keeps everything, with every ``answer`` and ``instructor`` cell folded,
and its download buttons give the instructor's notebooks. Both link the student folder (notebooks, results, the
package's wheel, a README) as a zip on the landing page.

Every notebook is executed once, in a fresh kernel, offline, and kept in the site's own cache, keyed by everything
its outputs depend on (the notebook's cells, the package's code, the results files, torch): an unchanged notebook
is not run again. The executed notebooks are prepared for reading (widgets drawn as static HTML, the opening
cell's code hidden) and rendered by Jupyter Book 1.x, whose Sphinx build needs no network. The math is written as
MathML at build time (see ``tools/mathml.py``), so the pages need no MathJax and render offline too. A notebook
that fails stops the build with its name and cell.
"""

from __future__ import annotations

import glob
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import nbformat

from classroom.student import student_notebook
from gan_course.outdir import OutDirError, check_out_dir, mark, swap_in, write_atomic, marker
from tools.nbtime import NOTEBOOKS_DIR, time_notebook
from tools.widget_html import static_widget_outputs

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "gan_course"
CACHE_DIR = Path(os.environ.get("GAN_COURSE_SITE_CACHE", Path.home() / ".cache" / "gan_course" / "site"))
INSTRUCTOR, ANSWER, THUMBNAIL = "instructor", "answer", "thumbnail"
EDITIONS = ("student", "instructor")
# seconds: a notebook still running after this has stalled (see nbtime.time_notebook). Each runs in about a minute
# on its own, and the whole build without a stall took 181 s in CI beside the other worker; on a 2-core machine
# shared by several test runs (load 7), notebook 03 alone took more than 150 s without stalling.
STALLED_AFTER = 360
CSS = """\
math { font-size: 1.15em; }
.math-block { text-align: center; margin: 0.8em 0; overflow-x: auto; }
.gc-widget { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 10px; margin: 6px 0; }
.gc-widget-control { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; margin: 2px 0; }
.gc-widget-label { font-size: 0.85em; color: #333; min-width: 7em; }
.gc-option { border: 1px solid #bbb; border-radius: 4px; padding: 1px 8px; font-size: 0.85em; }
.gc-option.gc-chosen { background: #2a7ae2; border-color: #2a7ae2; color: #fff; }
.gc-widget-value { font-family: monospace; font-size: 0.85em; }
.gc-widget-button { font-size: 0.85em; padding: 2px 10px; }
.gc-widget-output img { max-width: 100%; }
.gc-widget-note { font-size: 0.8em; font-style: italic; color: #666; margin: 6px 0 0; }
"""

# The lecture's outline, in the order of the slides, and the notebook that teaches each part.
OUTLINE = [
    ("Controlling gradient flow in PyTorch: `b.detach()`", "01_detach_and_gradient_flow"),
    ("Generative Adversarial Networks: G, D, $f_{acc}$, the min-max game, training with k and l steps",
     "02_vanilla_gan"),
    ("Difficulty in training: mode collapse", "04_mode_collapse"),
    ("Difficulty in training: neuron co-adaptation and input dropout", "05_coadaptation_and_input_dropout"),
    ("A closer look at $f_{acc}$: the saturating and the modified generator loss",
     "03_saturating_vs_non_saturating"),
    ("Conditional GANs", "06_conditional_gan"),
    ("Exercise: the original vs the modified loss", "07_exercise_original_vs_modified_loss"),
]


class SiteError(RuntimeError):
    """The site cannot be built; the message says which notebook, which cell, or what is missing."""


def _fingerprint(path: Path) -> str:
    """A key for a notebook's executed copy: its cells, the package's code, the results folder (its tables and the
    pictures beside them), torch's version."""
    digest = hashlib.sha256()
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        digest.update(cell.cell_type.encode() + b"\0" + cell.source.encode() + b"\0")
    for source in sorted(PACKAGE_DIR.rglob("*.py")) + sorted(p for p in (path.parent / "results").rglob("*") if p.is_file()):
        digest.update(source.read_bytes())
    digest.update(importlib.util.find_spec("torch").origin.encode())
    return digest.hexdigest()[:20]


def cache_path(path: Path, cache_dir: Path = CACHE_DIR) -> Path:
    """Where the executed copy of the notebook at ``path``, as it is now, is kept."""
    return Path(cache_dir) / f"{Path(path).stem}-{_fingerprint(Path(path))}.ipynb"


def store_executed(nb: nbformat.NotebookNode, cached: Path) -> None:
    """Keep an executed notebook (every cell run in one fresh kernel, without error, with its widgets' state) at
    ``cached`` (from :func:`cache_path`, taken before the run began). The file appears whole or not at all: two
    builds that store the same notebook at once, or a build that reads it meanwhile, never see half of it.

    Older copies of the same notebook (other keys) are removed: each test run after an edit stores seven, about
    6 MB, and the cache would grow without end."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(cached, nbformat.writes(nb))
    key = re.fullmatch(r"(.+)-[0-9a-f]{20}\.ipynb", cached.name)
    for older in cached.parent.glob(f"{glob.escape(key.group(1))}-*.ipynb") if key else []:
        if older != cached and re.fullmatch(re.escape(key.group(1)) + r"-[0-9a-f]{20}\.ipynb", older.name):
            older.unlink(missing_ok=True)


def execute(path: Path, cache_dir: Path = CACHE_DIR, timeout: float = 600,
            wall: float = STALLED_AFTER) -> tuple[nbformat.NotebookNode, str]:
    """The executed notebook (outputs and widget state) from the cache, or run now; and "cached" or its seconds.

    A run still going after ``wall`` seconds has stalled (every notebook runs in a minute on its own): it is stopped
    and run again, three runs at most, with a warning that says where it stood."""
    cached = cache_path(path, cache_dir)
    if cached.is_file():
        return nbformat.read(cached, as_version=4), "cached"
    with tempfile.TemporaryDirectory() as tmp:
        kept = Path(tmp) / path.name
        run = time_notebook(path, timeout, keep=kept, wall=wall, attempts=3)
        for where in run["stalls"]:
            warnings.warn(f"{path.name}: a run stalled: {where}")
        if run["error"]:
            raise SiteError(f"{path.name} failed: {run['error']}")
        executed = nbformat.read(kept, as_version=4)
    store_executed(executed, cached)
    stalled = (f" (after {len(run['stalls'])} run(s) that stalled and were stopped at {wall:g} s)"
               if run["stalls"] else "")
    return executed, f"{run['seconds']:.0f} s{stalled}"


def _fold_markdown(source: str) -> str:
    """Markdown inside a fold: headings become bold lines (a heading inside a toggle breaks the page's outline).

    Lines inside fenced code blocks stay as they are: there ``# ...`` is a shell comment, not a heading."""
    lines, fenced = [], False
    for line in source.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            line = re.sub(r"^#+\s+(.*)$", r"**\1**", line)
        lines.append(line)
    return "\n".join(lines)


def _fold(source: str, directive: str = "toggle", title: str = "") -> str:
    """``source`` inside a MyST ``toggle`` (or ``dropdown`` with ``title``), fenced with more backticks than any
    code block inside it has, so that the block's closing fence cannot close the fold."""
    longest = max((len(run) for run in re.findall(r"`{3,}", source)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{{{directive}}} {title}".rstrip() + f"\n{_fold_markdown(source)}\n{fence}\n"


def _fold_answer(source: str) -> str:
    """An answer cell as a dropdown titled as its ``<details><summary>`` was (raw HTML folds no Markdown inside)."""
    match = re.fullmatch(r"\s*<details>\s*<summary>(.*?)</summary>(.*?)</details>\s*", source, flags=re.DOTALL)
    if match:
        return _fold(match.group(2).strip(), "dropdown", re.sub(r"<[^>]+>", "", match.group(1)).strip())
    return _fold(source, "dropdown", "Answer")


def prepare(nb: nbformat.NotebookNode, edition: str = "student", name: str = "notebook") -> nbformat.NotebookNode:
    """The executed notebook ``name`` as the site's ``edition`` shows it.

    Widgets become static HTML; the opening code cell keeps its ``hide-input`` tag (its code folds away). The
    student edition is :func:`classroom.student.student_notebook` with the outputs kept. The instructor edition
    keeps every cell: the instructor's closing section keeps its heading and folds everything under it, every
    other ``instructor`` cell and every ``answer`` cell folds too.
    """
    if edition not in EDITIONS:
        raise SiteError(f"unknown edition {edition!r}: expected one of {', '.join(EDITIONS)}")
    nb, _ = static_widget_outputs(nb)
    if edition == "student":
        return student_notebook(nb, name, keep_outputs=True)[0]
    first = True
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        if ANSWER in tags and cell.cell_type == "markdown":
            cell.source = _fold_answer(cell.source)
            continue
        if INSTRUCTOR not in tags and ANSWER not in tags:
            continue
        if cell.cell_type == "markdown" and first:
            heading, _, rest = cell.source.partition("\n")
            cell.source = heading + ("\n\n" + _fold(rest.strip()) if rest.strip() else "")
        elif cell.cell_type == "markdown":
            cell.source = _fold(cell.source)
        elif "hide-cell" not in tags:
            cell.metadata["tags"] = tags + ["hide-cell"]
        first = first and INSTRUCTOR not in tags
    return nb


def _image(nb: nbformat.NotebookNode) -> bytes | None:
    """The notebook's picture for the landing page: the output of a cell tagged 'thumbnail', else its first figure."""
    import base64

    cells = [c for c in nb.cells if THUMBNAIL in c.metadata.get("tags", [])] or nb.cells
    for cell in cells:
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                return base64.b64decode(output["data"]["image/png"])
    return None


def _title(nb: nbformat.NotebookNode) -> str:
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    return first.splitlines()[0].lstrip("# ").strip() if first else "notebook"


def _landing_page(titles: dict[str, str], pictures: dict[str, str], student: str | None) -> str:
    lines = ["# GANs, one lecture in seven notebooks", "",
             "The lecture's parts, in the order of its slides, and the notebook that teaches each one. Every page",
             "shows a notebook executed on a CPU, with its figures and measurements. To run the notebooks and move",
             "the sliders, install the course and open it in JupyterLab (see the README).", ""]
    for part, stem in OUTLINE:
        if stem not in titles:
            continue
        lines += [f"## {part}", "", f"[{titles[stem]}]({stem}.ipynb)", ""]
        if stem in pictures:
            lines += [f"![{titles[stem]}]({pictures[stem]})", ""]
    if student:
        lines += ["## The student edition", "",
                  (f"The notebooks without solutions, answers and the instructor's notes, the tables they read, "
                   f"the course's package and a README with its install command: "
                   f"{{download}}`the student folder (zip) <{student}>`."), ""]
    return "\n".join(lines)


CONFIG = """\
title: "GANs: one lecture, seven notebooks"
only_build_toc_files: true
execute:
  execute_notebooks: "off"
html:
  use_repository_button: false
sphinx:
  config:
    extensions: {extensions}
    html_math_renderer: mathml
    html_show_copyright: false
    html_context:
      default_mode: light
    html_static_path: ["_static"]
    nb_render_markdown_format: myst
    suppress_warnings: ["mystnb.unknown_mime_type"]
"""


def _extensions() -> list[str]:
    """Jupyter Book's default Sphinx extensions without sphinx_thebe, plus the MathML renderer.

    Thebe's live-code button needs a server, which this offline site has not, and sphinx-thebe 0.3 writes its
    inline script twice ("Identifier 'THEBE_JS_URL' has already been declared" on every page). Jupyter Book's
    ``extra_extensions`` can only add to its defaults, so the site sets the whole list, derived from them.
    """
    from jupyter_book.config import get_default_sphinx_config

    return [e for e in get_default_sphinx_config()["extensions"] if e != "sphinx_thebe"] + ["tools.mathml"]


def build_site(out: Path, notebooks_dir: Path = NOTEBOOKS_DIR, cache_dir: Path = CACHE_DIR,
               edition: str = "student", timeout: float = 600) -> Path:
    """Execute (or take from the cache) every notebook, prepare it for ``edition``, and build the site's HTML into
    ``out``."""
    if edition not in EDITIONS:
        raise SiteError(f"unknown edition {edition!r}: expected one of {', '.join(EDITIONS)}")
    if importlib.util.find_spec("jupyter_book") is None:
        raise SiteError("the site needs its extra: pip install -e \".[site]\" (Jupyter Book 1.x is missing)")
    paths = sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise SiteError(f"no notebooks in {notebooks_dir}")
    out = Path(out)
    if out.resolve() == Path(notebooks_dir).resolve() or Path(notebooks_dir).resolve() in out.resolve().parents:
        raise SiteError(f"--out {out} is inside the notebooks folder; pick a folder of its own")
    try:
        check_out_dir(out, "site")  # before any work: never a folder the site did not make
    except OutDirError as err:
        raise SiteError(str(err)) from None
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book"
        (book / "_static" / "pictures").mkdir(parents=True)
        (book / "_static" / "gan_course.css").write_text(CSS)  # Jupyter Book adds every .css in _static
        titles, pictures = {}, {}
        for path in paths:
            executed, how = execute(path, cache_dir, timeout)
            print(f"{path.stem}: {'from the cache' if how == 'cached' else 'executed in ' + how}", flush=True)
            prepared = prepare(executed, edition, path.name)
            nbformat.write(prepared, book / path.name)
            titles[path.stem] = _title(prepared)
            picture = _image(prepared)  # the edition's: never a figure of a cell the edition leaves out
            if picture:
                (book / "_static" / "pictures" / f"{path.stem}.png").write_bytes(picture)
                pictures[path.stem] = f"_static/pictures/{path.stem}.png"
        student_zip = _student_zip(paths, book / "_static")
        (book / "index.md").write_text(_landing_page(titles, pictures, student_zip))  # index.html: the landing page
        order = [stem for _, stem in OUTLINE if stem in titles] + sorted(set(titles) - {s for _, s in OUTLINE})
        (book / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n" +
                                       "".join(f"- file: {stem}\n" for stem in order))
        (book / "_config.yml").write_text(CONFIG.format(extensions=json.dumps(_extensions())))
        build = "import sys; from jupyter_book.cli.main import main; sys.exit(main())"
        proc = subprocess.run([sys.executable, "-c", build, "build", str(book), "--warningiserror", "--keep-going"],
                              check=False, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise SiteError(f"Jupyter Book could not build the site:\n{tail}")
        _downloads(paths, book / "_build" / "html", edition)
        _replace_folder(book / "_build" / "html", out)
    return out


def _replace_folder(built: Path, out: Path) -> None:
    """Put the folder ``built`` at ``out``, marked as the site's; a previous site there is removed only once the new
    one is complete beside it."""
    out.absolute().parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.absolute().parent))
    shutil.copytree(built, new, dirs_exist_ok=True)
    mark(new, "site")
    os.chmod(new, 0o755)  # as any folder the build writes (a temporary folder starts private)
    swap_in(new, out, new.with_suffix(".old"))


def _downloads(paths: list[Path], html: Path, edition: str) -> None:
    """Each page's download button (``_sources/NAME.ipynb``) gives the notebook of the edition, without outputs:
    the student notebook, or the instructor's notebook as it is in the course; never the site's prepared copy."""
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if edition == "student":
            nb = student_notebook(nb, path.name)[0]
        target = html / "_sources" / path.name
        if not target.is_file():
            raise SiteError(f"Jupyter Book wrote no download for {path.name} (expected {target})")
        nbformat.write(nb, target)


def _student_zip(paths: list[Path], static: Path) -> str:
    """The student folder (notebooks, results, the package's wheel, its README), zipped for download."""
    from classroom.student import main as student_main

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "gan_course_student"
        if student_main([*map(str, paths), "--out", str(folder)]) != 0:
            raise SiteError("the student folder could not be written (the error above says why)")
        (folder / marker("student")).unlink(missing_ok=True)  # the marker is for the command, not the student
        shutil.make_archive(str(static / "gan_course_student"), "zip", tmp, "gan_course_student")
    return "_static/gan_course_student.zip"
