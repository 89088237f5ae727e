"""``review-desk package make|open|return|import`` and ``review-desk key show|enrol``:
the offline exchange with the experts, headless."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from review_desk.cli.common import CommandError, open_project, print_json, say_busy
from review_desk.i18n import _, tr


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    parser = commands.add_parser("package", help=_("work packages out, signed score returns back"))
    actions = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    make = actions.add_parser("make", help=_("write an expert's work package (agency)"))
    make.add_argument("project", help=_("project file"))
    make.add_argument("--expert", type=int, required=True, help=_("expert id"))
    make.add_argument("--out", required=True, help=_("the package file to write"))
    make.set_defaults(handler=run_make)
    opened = actions.add_parser("open", help=_("open a work package into the expert's own project"))
    opened.add_argument("work_file", help=_("the work package"))
    opened.add_argument("expert_project", help=_("the expert's project file (made if new)"))
    opened.set_defaults(handler=run_open)
    ret = actions.add_parser("return", help=_("write the expert's signed return package"))
    ret.add_argument("expert_project", help=_("the expert's project file"))
    ret.add_argument("--out", required=True, help=_("the package file to write"))
    ret.set_defaults(handler=run_return)
    imp = actions.add_parser("import", help=_("import return packages (agency)"))
    imp.add_argument("project", help=_("project file"))
    imp.add_argument("files", nargs="+", help=_("return packages"))
    imp.add_argument("--json", action="store_true", help=_("print JSON"))
    imp.set_defaults(handler=run_import)

    key = commands.add_parser("key", help=_("the experts' signing keys"))
    key_actions = key.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    show = key_actions.add_parser(
        "show", help=_("print the expert's key fingerprint and public key")
    )
    show.add_argument("expert_project", help=_("the expert's project file"))
    show.add_argument("--export", help=_("also write the public key to this file"))
    show.set_defaults(handler=run_key_show)
    enrol = key_actions.add_parser("enrol", help=_("enrol an expert's public key (agency)"))
    enrol.add_argument("project", help=_("project file"))
    enrol.add_argument("--expert", type=int, required=True, help=_("expert id"))
    enrol.add_argument("--public-key", required=True, help=_("the expert's public key file (PEM)"))
    enrol.set_defaults(handler=run_key_enrol)


def run_make(args: argparse.Namespace) -> int:
    """Write a work package."""
    from review_desk.exchange.work_package import PackageError, make_work_package

    with open_project(args.project) as project:
        try:
            summary = make_work_package(project, args.expert, Path(args.out))
        except PackageError as error:
            raise CommandError(str(error)) from error
    print(
        tr(
            "Wrote {path}: {dossiers} dossiers, {files} files, {mb:.1f} MB.",
            path=args.out,
            dossiers=summary.dossiers,
            files=summary.files,
            mb=summary.bytes / 1024 / 1024,
        )
    )
    return 0


def run_open(args: argparse.Namespace) -> int:
    """Open a work package on the expert's side. Whatever is wrong with the package is a
    PackageError with the reason (exit 2); it leaves no new project behind and an
    existing one unchanged."""
    from review_desk.exchange.keys import fingerprint, load_or_create_key
    from review_desk.exchange.work_package import PackageError
    from review_desk.exchange.work_package_open import open_work_package
    from review_desk.storage.database import ProjectOpenError

    target = Path(args.expert_project)
    try:
        project = open_work_package(Path(args.work_file), target)
    except (PackageError, ProjectOpenError) as error:
        raise CommandError(str(error)) from error
    try:
        summary = project.summary()
    finally:
        project.close()
    fp = fingerprint(load_or_create_key(target))  # its errors are reported by main()
    print(
        tr(
            "Opened into {path}: {dossiers} dossiers. Your key fingerprint: {fp}",
            path=target,
            dossiers=summary.dossiers,
            fp=fp,
        )
    )
    return 0


def run_return(args: argparse.Namespace) -> int:
    """Write the signed return package."""
    from review_desk.exchange.return_package import ReturnError, make_return
    from review_desk.storage.database import ProjectOpenError

    try:
        made = make_return(Path(args.expert_project), Path(args.out))
    except (ReturnError, ProjectOpenError) as error:
        raise CommandError(str(error)) from error
    print(tr("Wrote {path} (return number {sequence}).", path=args.out, sequence=made.sequence))
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Import return packages; exit 1 when any was refused."""
    from review_desk.exchange.return_package import REFUSED, import_return

    outcomes = []
    with open_project(args.project) as project:
        for file in args.files:
            path = Path(file)
            files = sorted(path.glob("*.rdreturn")) if path.is_dir() else [path]
            if not files:
                raise CommandError(
                    tr("{folder} holds no return packages (*.rdreturn).", folder=path)
                )
            outcomes += [import_return(project, f, on_busy=say_busy) for f in files]
    if args.json:
        print_json([o.as_dict() for o in outcomes])
    else:
        labels = {
            "accepted": _("accepted"),
            "duplicate": _("already imported"),
            "refused": _("refused"),
        }
        for o in outcomes:
            print(f"{o.file}: {labels[o.status]}" + (f" — {o.reason}" if o.reason else ""))
            for detail in o.details:
                print(f"    - {detail}")
    return 1 if any(o.status == REFUSED for o in outcomes) else 0


def run_key_show(args: argparse.Namespace) -> int:
    """Print (and optionally export) the expert's public key and fingerprint."""
    from review_desk.exchange.keys import fingerprint, key_for_project, public_pem

    key = key_for_project(Path(args.expert_project))
    pem = public_pem(key)
    if args.export:
        Path(args.export).write_text(pem, encoding="ascii")
    print(tr("Fingerprint: {fp}", fp=fingerprint(key)))
    print(pem, end="")
    return 0


def run_key_enrol(args: argparse.Namespace) -> int:
    """Enrol an expert's public key."""
    from review_desk.exchange.return_package import enrol_key

    with open_project(args.project) as project:
        # A missing or unreadable file is named by main() (file not found, no permission).
        try:
            pem = Path(args.public_key).read_text(encoding="ascii")
        except UnicodeDecodeError as error:
            raise CommandError(
                tr("{path} is not a public key file (PEM).", path=args.public_key)
            ) from error
        fp = enrol_key(project, args.expert, pem)
    print(
        tr(
            "Enrolled key {fp} for expert {id}. Read the fingerprint back to the expert.",
            fp=fp,
            id=args.expert,
        )
    )
    return 0
