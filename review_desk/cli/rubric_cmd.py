"""``review-desk rubric validate|use|export``: check a rubric file, make it a project's
rubric, or write a project's rubric out."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from review_desk.cli.common import CommandError, open_project, print_json
from review_desk.errors import IOFailure
from review_desk.i18n import _, tr


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    parser = commands.add_parser("rubric", help=_("check or set the guideline rubric (指导标准)"))
    actions = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    validate = actions.add_parser("validate", help=_("check a rubric file; exit 1 on any problem"))
    validate.add_argument("file", help=_("the rubric (.toml)"))
    validate.add_argument("--json", action="store_true", help=_("print JSON"))
    validate.set_defaults(handler=run_validate)
    use = actions.add_parser("use", help=_("make a rubric file the project's rubric"))
    use.add_argument("project", help=_("project file"))
    use.add_argument("file", help=_("the rubric (.toml)"))
    use.set_defaults(handler=run_use)
    export = actions.add_parser("export", help=_("write the project's rubric to a file"))
    export.add_argument("project", help=_("project file"))
    export.add_argument("file", help=_("the .toml file to write"))
    export.set_defaults(handler=run_export)


def run_validate(args: argparse.Namespace) -> int:
    """Validate a rubric file and report every problem."""
    from review_desk.rubrics import load_rubric_file, problem_text
    from scoring_models.rubric import RubricError

    path = Path(args.file)
    if not path.is_file():  # nothing to validate: the command fails, exit 2
        raise CommandError(
            tr("{path} is a folder, not a file.", path=path)
            if path.is_dir()
            else tr("File not found: {path}", path=path)
        )
    try:
        rubric = load_rubric_file(path)
    except RubricError as error:
        if args.json:
            print_json(
                {
                    "file": str(path),
                    "valid": False,
                    "problems": [
                        {**p.as_dict(), "message": problem_text(p)} for p in error.problems
                    ],
                }
            )
        else:
            for problem in error.problems:
                print(problem_text(problem))
            print(tr("{count} problems found.", count=len(error.problems)))
        return 1
    summary = {
        "file": str(path),
        "valid": True,
        "name": rubric.name,
        "version": rubric.version,
        "criteria": len(rubric.criteria),
        "content_hash": rubric.content_hash,
        "stages": {
            s.key: {"weight": s.weight, "max": rubric.stage_max(s.key)} for s in rubric.stages
        },
    }
    if args.json:
        print_json(summary)
    else:
        print(
            tr(
                "{name} {version}: valid, {count} criteria, content hash {hash}.",
                name=rubric.name,
                version=rubric.version,
                count=len(rubric.criteria),
                hash=rubric.content_hash[:16],
            )
        )
    return 0


def run_use(args: argparse.Namespace) -> int:
    """Make a rubric file the project's active rubric."""
    from review_desk.rubrics import problem_text, use_rubric
    from scoring_models.rubric import RubricError

    path = Path(args.file)
    with open_project(args.project) as project:
        try:
            rubric = use_rubric(project, path.read_text(encoding="utf-8-sig"), file=path.name)
        except RubricError as error:
            raise CommandError("\n".join(problem_text(p) for p in error.problems)) from error
        except OSError as error:
            raise IOFailure(error) from error
        except UnicodeDecodeError as error:
            raise CommandError(tr("{path} is not a UTF-8 text file.", path=path)) from error
    print(tr("The project now uses {name} {version}.", name=rubric.name, version=rubric.version))
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write the project's active rubric to a file."""
    from review_desk.rubrics import active_rubric, rubric_text

    with open_project(args.project) as project:
        rubric = active_rubric(project)
        with project.reading() as session:
            text = rubric_text(session, rubric.content_hash)
    assert text is not None
    Path(args.file).write_text(text, encoding="utf-8")
    print(tr("Wrote {path}", path=args.file))
    return 0
