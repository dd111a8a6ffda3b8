"""python -m tinyfit.course check LESSONS | release LESSONS --to DIR"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tinyfit.course",
        description="The lessons as a course: validate their nbgrader markers, or write the student versions.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate every lesson's nbgrader markers")
    check.add_argument("lessons", type=Path, help="the folder of lesson notebooks (the teacher's source)")
    release = commands.add_parser("release", help="write the student versions of the lessons")
    release.add_argument("lessons", type=Path, help="the folder of lesson notebooks (the teacher's source)")
    release.add_argument("--to", type=Path, required=True, help="the folder to write the student versions into")
    args = parser.parse_args(argv)

    try:
        from tinyfit.course import release as course
    except ImportError as error:  # pragma: no cover - nbformat comes with every Jupyter install
        print(f"error: {error}; install the teaching tools with: pip install \"tinyfit[teach]\"", file=sys.stderr)
        return 2
    try:
        if args.command == "check":
            paths = course.check(args.lessons)
            print(f"{len(paths)} lessons, every exercise has a solution region and a graded check")
        else:
            written = course.release(args.lessons, args.to)
            print(f"wrote {len(written)} student notebooks to {args.to}")
    except course.CourseError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        if args.command == "release":
            print("nothing was written", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
