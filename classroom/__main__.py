"""``python -m classroom {student,grade,slides}``: the instructors' commands, run from the course's checkout.

Bad input gets one clear line on stderr and exit code 2 (:mod:`gan_course.cli`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from classroom.grading import run_grade
from classroom.sandbox import Missing
from classroom.notebook_client import write_slides
from classroom.student import main as student_main
from gan_course.cli import OneLineParser, run_command


def _parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m classroom", description="The course's student edition, grading and slides.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    student = sub.add_parser("student", help="write the student edition: solutions, answers and instructor cells out")
    student.add_argument("notebooks", nargs="+", help="notebooks, or folders of notebooks (e.g. notebooks/)")
    student.add_argument("--out", required=True, help="the folder for the student copies (not the instructor's)")

    grade = sub.add_parser("grade", help="grade notebook 07 submissions, each in a sandbox: one notebook or a folder")
    grade.add_argument("notebook", type=Path, metavar="NOTEBOOK_OR_FOLDER")
    grade.add_argument("--csv", type=Path, metavar="FILE", help="write the gradebook (one row per submission) here")
    grade.add_argument("--feedback", type=Path, metavar="DIR",
                       help="write STUDENT.feedback.txt per submission here (default with --csv: feedback/ beside it)")
    grade.add_argument("--json", type=Path, metavar="FILE", help="also write the table(s) as JSON")
    grade.add_argument("--timeout", type=float, default=120.0,
                       help="seconds for the whole grading of one submission (default 120)")

    slides = sub.add_parser("slides", help="execute a notebook and write its reveal.js deck (NAME.slides.html beside it)")
    slides.add_argument("notebook", type=Path)
    slides.add_argument("--out", type=Path, help="the deck's .html file")
    slides.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per cell (default 600)")
    return parser


def _run(args) -> int:
    if args.command == "grade":
        return run_grade(args.notebook, args.json, args.timeout, args.csv, args.feedback)
    if args.command == "slides":
        print(f"wrote {write_slides(args.notebook, args.out, args.timeout)}")
        return 0
    return student_main([*args.notebooks, "--out", args.out])


def main(argv: list[str] | None = None) -> int:
    return run_command(_parser(), _run, argv, errors=(Missing,))


if __name__ == "__main__":
    sys.exit(main())
