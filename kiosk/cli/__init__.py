"""``isoloir``: the one command line. Each subcommand group lives in its own module."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from kiosk import __version__
from kiosk.cli.admin import register as register_admin
from kiosk.cli.common import CliError
from kiosk.cli.demo import register as register_demo
from kiosk.cli.election import register as register_election
from kiosk.cli.kiosk import register as register_kiosk
from kiosk.cli.server import register as register_server
from kiosk.cli.tally import register as register_tally
from kiosk.cli.trustee import register as register_trustee
from kiosk.cli.verify import register as register_verify
from kiosk.config import ConfigError
from kiosk.log import configure


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="isoloir",
        description="Isoloir: kiosk voting for professional elections.",
    )
    root.add_argument("--version", action="version", version=f"isoloir {__version__}")
    root.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default=os.environ.get("ISOLOIR_LOG_LEVEL", "WARNING"),
        help="JSON log lines on stderr from this level (default: WARNING, or ISOLOIR_LOG_LEVEL)",
    )
    groups = root.add_subparsers(dest="group", required=True, metavar="COMMAND")
    register_election(groups)
    register_trustee(groups)
    register_tally(groups)
    register_verify(groups)
    register_admin(groups)
    register_server(groups)
    register_demo(groups)
    register_kiosk(groups)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure(args.log_level)
    try:
        result: int = args.run(args)
    except (CliError, ConfigError) as exc:
        print(f"isoloir: {exc}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, CliError) else 2
    except KeyboardInterrupt:
        print("isoloir: interrupted", file=sys.stderr)
        return 130
    return result
