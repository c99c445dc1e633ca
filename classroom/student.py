"""The student edition of the course: solutions, answers and instructor material out, everything else kept.

For each instructor notebook:

- in code cells (the nbgrader convention), every region between a ``### BEGIN SOLUTION`` line and an
  ``### END SOLUTION`` line becomes ``raise NotImplementedError("<hint>")`` at the indentation of the BEGIN
  line; the hint is the text of a ``### HINT: ...`` line inside the region, else a generic one. Put regions
  inside function bodies, so that the cell still runs and the function raises when called (the checkers
  turn that into "not implemented yet: <name>"). Regions between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS`` (instructor-only asserts) are removed;
- cells tagged ``answer`` or ``instructor`` are removed, and so is every instructor note: a markdown
  paragraph that opens with ``*Instructors:*`` (or ``**Instructor:**``, any case); a cell left empty goes too;
- outputs, execution counts and saved widget state are cleared (the site keeps them: ``keep_outputs``).

Everything else (``predict`` prompts, questions, hints in ``<details>``, metadata) is left exactly as it is.

``python -m classroom student notebooks/ --out student/`` (:func:`main`) writes the folder a student is handed:
the student notebooks, the results tables they read (``results/`` beside them, copied into ``student/results/``),
the course's package as a wheel built from this checkout (the GAN and the lessons; not ``classroom/`` nor
``tools/``), and a README.md with the one install command. Files are written readable by all (0644).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from gan_course.outdir import OutDirError, check_out_dir, mark, write_atomic

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HINT = re.compile(r"^\s*### HINT:\s*(.*?)\s*$")
GENERIC_HINT = "your code here: replace this line with your solution"
REMOVED_TAGS = ("answer", "instructor")
INSTRUCTOR_NOTE = re.compile(r"^\s*(\*\*?|_)(for the )?instructors?\b", re.IGNORECASE)
CHECKOUT = Path(__file__).resolve().parents[1]  # the course's project: pyproject.toml, gan_course/
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


class StudentVersionError(ValueError):
    """The instructor notebook cannot be turned into a student version; the message says why."""


def _strip_cell(source: str, where: str) -> tuple[str, int]:
    """The cell's source with its regions replaced, and the number of solution regions."""
    out: list[str] = []
    open_marker: tuple[str, int, str] | None = None  # (marker, line number, indentation)
    hint: str | None = None
    n_solutions = 0
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker in (BEGIN, BEGIN_HIDDEN):
            if open_marker:
                raise StudentVersionError(f"{where}, line {number}: {marker!r} inside the region opened by "
                                          f"{open_marker[0]!r} at line {open_marker[1]}; close it first")
            open_marker, hint = (marker, number, line[: len(line) - len(line.lstrip())]), None
        elif marker in (END, END_HIDDEN):
            opener = BEGIN if marker == END else BEGIN_HIDDEN
            if not open_marker or open_marker[0] != opener:
                raise StudentVersionError(f"{where}, line {number}: {marker!r} without a matching {opener!r} before it")
            if open_marker[0] == BEGIN:
                message = (hint or GENERIC_HINT).replace("\\", "\\\\").replace('"', '\\"')
                out.append(f'{open_marker[2]}raise NotImplementedError("{message}")')
                n_solutions += 1
            open_marker = None
        elif open_marker:
            match = HINT.match(line)
            if match and open_marker[0] == BEGIN and match.group(1):
                hint = match.group(1)
        else:
            out.append(line)
    if open_marker:
        raise StudentVersionError(f"{where}, line {open_marker[1]}: {open_marker[0]!r} is never closed")
    return "\n".join(out), n_solutions


def solution_lines(nb: nbformat.NotebookNode) -> list[str]:
    """The code lines inside ``nb``'s solution regions (stripped; not the markers, not the hints): what no student
    copy, page or package may hold."""
    lines: list[str] = []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines() if cell.cell_type == "code" else []:
            if line.strip() in (BEGIN, END):
                inside = line.strip() == BEGIN
            elif inside and line.strip() and not HINT.match(line):
                lines.append(line.strip())
    return lines


def without_instructor_notes(markdown: str) -> str:
    """``markdown`` without the paragraphs that open with an instructor note (``*Instructors:* ...``)."""
    paragraphs = re.split(r"\n\s*\n", markdown)
    if not any(INSTRUCTOR_NOTE.match(p) for p in paragraphs):
        return markdown  # untouched, byte for byte
    return "\n\n".join(p for p in paragraphs if not INSTRUCTOR_NOTE.match(p)).strip("\n")


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook",
                     keep_outputs: bool = False) -> tuple[nbformat.NotebookNode, int]:
    """A student copy of ``nb`` (see the module's docstring); and the number of solution regions replaced.

    ``keep_outputs``: the outputs and widget state stay (the site's student pages show an executed notebook)."""
    nb = nbformat.from_dict(nb)  # a deep copy
    kept, total = [], 0
    for index, cell in enumerate(nb.cells, start=1):
        if set(cell.get("metadata", {}).get("tags", [])) & set(REMOVED_TAGS):
            continue
        if cell.cell_type == "code":
            cell.source, n = _strip_cell(cell.source, f"{name}, cell {index}")
            total += n
            if not keep_outputs:
                cell.outputs, cell.execution_count = [], None
        elif cell.cell_type == "markdown":
            cell.source = without_instructor_notes(cell.source)
        if cell.source.strip() or cell.cell_type == "code":
            kept.append(cell)
    nb.cells = kept
    if not keep_outputs:
        nb.metadata.pop("widgets", None)  # saved widget state belongs to the outputs
    return nb, total


def notebook_paths(paths: list[Path]) -> list[Path]:
    """The notebooks named: files as given, folders as their ``*.ipynb``; StudentVersionError names a bad path."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(path.glob("*.ipynb"))
            if not inside:
                raise StudentVersionError(f"no notebooks (*.ipynb) in {path}")
            found += [_regular(p) for p in inside]
        elif not path.exists():
            raise StudentVersionError(f"not found: {path}")
        elif path.suffix != ".ipynb":
            raise StudentVersionError(f"not a notebook: {path} (expected an .ipynb file or a folder of them)")
        else:
            found.append(_regular(path))
    names = [p.name for p in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise StudentVersionError(f"two notebooks named {twice[0]}: their student copies would overwrite each other")
    return found


def _regular(path: Path) -> Path:
    """``path``, or StudentVersionError when it is not a regular file (a FIFO would block the read for ever)."""
    if not stat.S_ISREG(path.stat().st_mode):
        raise StudentVersionError(f"not a regular file: {path} (a notebook is an .ipynb file)")
    return path


def _check_out(out_dir: Path, sources: list[Path]) -> None:
    """Refuse an ``--out`` that is a file, a source folder, or would overwrite an instructor notebook."""
    if out_dir.exists() and not out_dir.is_dir():
        raise StudentVersionError(f"--out {out_dir} is a file; give a folder for the student copies")
    for src in sources:
        if out_dir.resolve() == src.parent.resolve():
            raise StudentVersionError(f"--out {out_dir} is the folder of the instructor notebooks; the copies "
                                      "would replace them: pick another folder, e.g. student/")
        out = out_dir / src.name
        if out.resolve() == src.resolve() or (out.exists() and os.path.samefile(out, src)):  # a link to it
            raise StudentVersionError(f"--out {out_dir} would overwrite the instructor notebook {src}; "
                                      "pick another folder")
    try:
        check_out_dir(out_dir, "student")
    except OutDirError as err:
        raise StudentVersionError(str(err)) from None


def _student_copy(src: Path, out_dir: Path) -> tuple[nbformat.NotebookNode, Path]:
    """The student notebook for ``src`` and where it goes; StudentVersionError on bad input."""
    try:
        nb = nbformat.read(src, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 -- any unreadable file gets the same one line
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise StudentVersionError(f"not a notebook: {src} ({first})") from None
    student, _ = student_notebook(nb, src.name)
    return student, out_dir / src.name


def _mkdir(folder: Path) -> None:
    """Make ``folder`` and its missing parents, each readable by all (0755, whatever the umask)."""
    missing = [p for p in [folder, *folder.parents] if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    for made in missing:
        os.chmod(made, 0o755)


def _write_bytes(data: bytes, out: Path) -> None:
    """Write ``data`` to ``out`` in one step, readable by all (0644): an existing file (or a hard link to one) is
    replaced, never written through."""
    _mkdir(out.parent)
    write_atomic(out, data)


def _write(nb: nbformat.NotebookNode, out: Path) -> None:
    """Write notebook ``nb`` to ``out`` (see :func:`_write_bytes`)."""
    text = nbformat.writes(nb)
    _write_bytes((text if text.endswith("\n") else text + "\n").encode("utf-8"), out)


def results_files(sources: list[Path]) -> dict[Path, Path]:
    """What the notebooks read: every file under ``results/`` beside each notebook, keyed by its path inside the
    student's ``results/``; StudentVersionError names one that is not a regular file."""
    found: dict[Path, Path] = {}
    for folder in sorted({src.parent / "results" for src in sources}):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_dir() or "__pycache__" in path.parts:
                continue
            found[path.relative_to(folder)] = _regular(path)
    return found


def build_wheel(checkout: Path = CHECKOUT) -> tuple[str, bytes]:
    """The course's package as a wheel (file name, bytes), built offline from a copy of ``checkout`` (the checkout's
    own build/ folder is neither read nor written); StudentVersionError with pip's last line if it fails."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dist = Path(tmp) / "src", Path(tmp) / "dist"
        shutil.copytree(checkout / "gan_course", src / "gan_course", ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(checkout / name, src / name)
        pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
               "-w", str(dist), str(src)]
        done = subprocess.run(pip, check=False, capture_output=True, text=True)
        wheels = sorted(dist.glob("gan_course-*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            last = (done.stderr.strip() or done.stdout.strip() or "no wheel written").splitlines()[-1]
            raise StudentVersionError(f"cannot build the course's wheel from {checkout}: {last}")
        return wheels[0].name, wheels[0].read_bytes()


def cpu_torch_command(checkout: Path = CHECKOUT) -> str:
    """PyTorch's CPU-only build, as PyTorch's install instructions give it, at the versions the course pins (else the
    wheel's install that follows would replace them with the default CUDA build)."""
    import tomllib

    pins = [d for d in tomllib.loads((checkout / "pyproject.toml").read_text())["project"]["dependencies"]
            if re.match(r"torch(vision)?\s*[<>=]", d)]
    return "pip install " + " ".join(f'"{pin}"' for pin in pins) + f" --index-url {CPU_INDEX}"


def readme(wheel: str) -> str:
    """The student folder's README.md: the one install command, and how to open the notebooks."""
    return f"""# GANs: the course's notebooks

Install the course once, from this folder, with Python 3.10 or later. In a virtual environment:

```bash
python -m venv .venv && . .venv/bin/activate    # on Windows: .venv\\Scripts\\activate
pip install {wheel}
```

On a laptop without an NVIDIA GPU, install PyTorch's CPU-only build first (a few hundred MB instead of
several GB with CUDA, as PyTorch's own install instructions describe), then the line above:

```bash
{cpu_torch_command()}
```

Open the notebooks from this folder (they read the tables in `results/` beside them), starting with 01:

```bash
jupyter lab
```

In notebook 07 you write the code: each `raise NotImplementedError(...)` marks a place for it, and its
message is a hint. Next time, activate the environment (`. .venv/bin/activate`) and run `jupyter lab`.
"""


def make_student_version(src: Path, out_dir: Path) -> Path:
    """Write the student version of notebook ``src`` into ``out_dir`` (same file name); returns its path."""
    src, out_dir = Path(src), Path(out_dir)
    (src,) = notebook_paths([src])
    _check_out(out_dir, [src])
    student, out = _student_copy(src, out_dir)
    _write(student, out)
    mark(out_dir, "student")
    return out


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise StudentVersionError(message)


def main(argv: list[str] | None = None) -> int:
    """``student PATH... --out DIR`` (``argv`` without the subcommand); 0 on success, 2 on bad input."""
    parser = _Parser(prog="python -m classroom student", description="Write the student edition of notebooks.")
    parser.add_argument("notebooks", nargs="+", type=Path, help="notebooks, or folders of notebooks")
    parser.add_argument("--out", required=True, type=Path)
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        sources = notebook_paths(args.notebooks)
        _check_out(args.out, sources)
        copies = [_student_copy(src, args.out) for src in sources]  # check all before writing any
        results = results_files(sources)
        wheel, wheel_bytes = build_wheel()
    except StudentVersionError as err:
        print(f"python -m classroom student: error: {err}", file=sys.stderr)
        return 2
    files = [(out, lambda out=out, nb=student: _write(nb, out)) for student, out in copies]
    files += [(args.out / "results" / rel, lambda out=args.out / "results" / rel, src=src:
               _write_bytes(src.read_bytes(), out)) for rel, src in results.items()]
    files += [(args.out / wheel, lambda: _write_bytes(wheel_bytes, args.out / wheel)),
              (args.out / "README.md", lambda: _write_bytes(readme(wheel).encode(), args.out / "README.md"))]
    for out, write in files:
        try:
            write()
        except OSError as err:
            print(f"python -m classroom student: error: cannot write {out}: {err.strerror or err}", file=sys.stderr)
            return 2
        if out.suffix == ".ipynb":
            print(f"wrote {out}")
    for older in args.out.glob("gan_course-*.whl"):  # an earlier run's wheel: one install command, one wheel
        if older.name != wheel:
            older.unlink()
    mark(args.out, "student")
    print(f"wrote {len(results)} results file(s) in {args.out / 'results'}, {args.out / wheel} and "
          f"{args.out / 'README.md'}")
    return 0
