"""``review-desk bundle|verify``: the verification bundle (核验包) of the finalised list,
and its verification from the bundle alone (exit 0 when it gives the published hash,
1 when it does not, naming what differs, 2 when it cannot be read)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from review_desk.cli.common import CommandError, open_project, print_json
from review_desk.errors import os_error_reason
from review_desk.i18n import _, tr

# How many differences ``verify`` prints (``--json`` gives them all).
_SHOWN = 20


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    bundle = commands.add_parser(
        "bundle", help=_("write the verification bundle of the finalised list (.zip)")
    )
    bundle.add_argument("project", help=_("project file"))
    bundle.add_argument("--out", required=True, help=_("the bundle to write (.zip)"))
    bundle.add_argument("--json", action="store_true", help=_("print JSON"))
    bundle.set_defaults(handler=run_bundle)

    verify = commands.add_parser(
        "verify",
        help=_("compute the list again from a verification bundle and compare its hash"),
    )
    verify.add_argument("bundle", help=_("the verification bundle (.zip)"))
    verify.add_argument(
        "--hash", help=_("the content hash printed on the published list (default: the bundle's)")
    )
    verify.add_argument("--json", action="store_true", help=_("print JSON"))
    verify.set_defaults(handler=run_verify)


def run_bundle(args: argparse.Namespace) -> int:
    """Write the bundle; print what it holds and the list's hash."""
    from review_desk.verification_bundle import write_bundle

    target = Path(args.out)
    if target.suffix.lower() != ".zip":
        raise CommandError(_("The verification bundle must be a .zip file."))
    with open_project(args.project, write=False) as project:
        try:
            summary = write_bundle(project, target)
        except OSError as error:
            raise CommandError(
                tr("Cannot write {path}: {reason}", path=target, reason=os_error_reason(error))
            ) from error
    if args.json:
        print_json(summary.as_dict())
        return 0
    print(tr("Wrote {path}", path=summary.path))
    print(
        tr(
            "  {dossiers} dossiers, {sheets} score sheets, {scores} criterion scores, "
            "{experts} experts (pseudonymised)",
            dossiers=summary.dossiers,
            sheets=summary.sheets,
            scores=summary.scores,
            experts=summary.experts,
        )
    )
    print(tr("Finalised list hash: {hash}", hash=summary.content_hash))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Verify a bundle: exit 0 when it gives the published hash, 1 naming what differs."""
    from review_desk.verification_check import verify
    from review_desk.verification_read import read_bundle

    result = verify(read_bundle(Path(args.bundle)), args.hash)
    if args.json:
        print_json(result.as_dict())
        return 0 if result.matches else 1
    head = result.audit_head
    if result.matches:
        print(
            tr(
                "Verified: the list computed again from the bundle gives the published hash "
                "{hash}.",
                hash=result.published_hash,
            )
        )
    else:
        print(
            tr(
                "NOT verified: the list computed again from the bundle does not give the "
                "published hash {hash} (computed: {recomputed}).",
                hash=result.published_hash,
                recomputed=result.recomputed_hash,
            )
        )
        for difference in result.differences[:_SHOWN]:
            print(f"  - {difference}")
        if len(result.differences) > _SHOWN:
            print(
                "  - "
                + tr(
                    "and {count} more (--json lists them all)",
                    count=len(result.differences) - _SHOWN,
                )
            )
    print(
        tr(
            "  {dossiers} dossiers, {sheets} score sheets, {scores} criterion scores; audit "
            "chain head: entry {id}, {hash}",
            dossiers=result.dossiers,
            sheets=result.sheets,
            scores=result.scores,
            id=head.get("last_id"),
            hash=head.get("last_hash"),
        )
    )
    return 0 if result.matches else 1
