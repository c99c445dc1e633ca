"""The student version of an instructor notebook: solutions out, everything else kept.

In code cells (the nbgrader convention):

- every region between a ``### BEGIN SOLUTION`` line and an ``### END SOLUTION`` line
  becomes ``raise NotImplementedError("<hint>")`` at the indentation of the BEGIN line; the
  hint is the text of a ``### HINT: ...`` line inside the region, else a generic one. Put
  regions inside function bodies, so that the cell still runs and the function raises
  when called (the checkers turn that into "not implemented yet: <name>");
- every region between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` is removed
  (instructor-only asserts, e.g. that the solutions pass their checkers).

Markdown cells are untouched; outputs and execution counts are cleared.
``python -m gan_course student NOTEBOOK... --out DIR`` calls :func:`main`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HINT = re.compile(r"^\s*### HINT:\s*(.*?)\s*$")
GENERIC_HINT = "your code here: replace this line with your solution"


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


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> tuple[nbformat.NotebookNode, int]:
    """A copy of ``nb`` with solutions replaced and hidden tests removed; and the number of solutions."""
    nb = nbformat.from_dict(nb)  # a deep copy
    total = 0
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        cell.source, n = _strip_cell(cell.source, f"{name}, cell {index}")
        total += n
        cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)  # saved widget state belongs to the outputs
    return nb, total


def _student_copy(src: Path, out_dir: Path) -> tuple[nbformat.NotebookNode, Path]:
    """The student notebook for ``src`` and where it goes; StudentVersionError on bad input."""
    if not src.is_file():
        raise StudentVersionError(f"notebook not found: {src}")
    try:
        nb = nbformat.read(src, as_version=4)
    except Exception as err:  # noqa: BLE001 -- any unreadable file gets the same one line
        raise StudentVersionError(f"cannot read {src} as a notebook: {str(err).splitlines()[0]}") from None
    student, n = student_notebook(nb, src.name)
    if n == 0:
        raise StudentVersionError(f"{src} has no solution regions ({BEGIN} ... {END} in a code cell)")
    out = out_dir / src.name
    if out.resolve() == src.resolve() or (out.exists() and os.path.samefile(out, src)):  # same file, or a link to it
        raise StudentVersionError(f"--out {out_dir} would overwrite the instructor notebook {src}; "
                                  "pick another directory")
    return student, out


def _write(nb: nbformat.NotebookNode, out: Path) -> None:
    """Write ``nb`` to a new file and rename it to ``out``: an existing file (or a hard link to one) is replaced,
    never written through."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def make_student_version(src: Path, out_dir: Path) -> Path:
    """Write the student version of notebook ``src`` into ``out_dir`` (same file name); returns its path."""
    student, out = _student_copy(Path(src), Path(out_dir))
    _write(student, out)
    return out


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise StudentVersionError(message)


def main(argv: list[str] | None = None) -> int:
    """``student NOTEBOOK... --out DIR`` (``argv`` without the subcommand); 0 on success, 2 on bad input."""
    parser = _Parser(prog="python -m gan_course student", description="Write student versions of notebooks.")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", required=True, type=Path)
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        copies = [_student_copy(src, args.out) for src in args.notebooks]  # check all before writing any
    except StudentVersionError as err:
        print(f"python -m gan_course student: error: {err}", file=sys.stderr)
        return 2
    for student, out in copies:
        try:
            _write(student, out)
        except OSError as err:
            print(f"python -m gan_course student: error: cannot write {out}: {err.strerror or err}", file=sys.stderr)
            return 2
        print(f"wrote {out}")
    return 0
