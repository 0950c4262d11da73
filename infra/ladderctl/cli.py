"""`ladderctl`: the operator and developer command line (migrate, register, dev, simulate, demo, load).

Each subcommand lives in its own module with `add_arguments(parser)` and `run(args) -> int`;
modules are imported only when their subcommand runs, so `ladderctl migrate` never pays for moto.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

SUBCOMMANDS = {
    "migrate": ("ladderctl.ops.migrate", "apply the SQL migrations in infra/migrations"),
    "register": ("ladderctl.ops.register", "bulk-overwrite the application's commands on Discord"),
    "dev": ("ladderctl.dev", "run the whole bot locally (PostgreSQL, SQS, DynamoDB, Discord)"),
    "simulate": ("ladderctl.drive.simulate", "send a signed interaction to the local endpoint"),
    "demo": ("ladderctl.drive.demo", "walk a new player through the bot on the local stack"),
    "load": ("ladderctl.drive.load", "a burst of signed interactions from many users against the local stack"),
}


def _env_file_argument(argv: list[str]) -> Path | None:
    """--env-file PATH or --env-file=PATH before the subcommand, if given."""
    for index, word in enumerate(argv):
        if word in SUBCOMMANDS:
            return None
        if word.startswith("--env-file="):
            return Path(word.split("=", 1)[1])
        if word == "--env-file" and index + 1 < len(argv):
            return Path(argv[index + 1])
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # The env file first: subcommands read the environment for their defaults (register's application id).
    env_file = _env_file_argument(argv)
    if env_file is not None:
        from ladderctl.env_file import EnvFileError, load

        try:
            load(env_file)
        except (OSError, EnvFileError) as exc:
            print(f"ladderctl: --env-file: {exc}", file=sys.stderr)
            return 1
    parser = argparse.ArgumentParser(prog="ladderctl", description=__doc__.splitlines()[0])
    parser.add_argument("--env-file", type=Path, default=None,
                        help="read KEY=value settings from this file first (the environment wins); see .env.example")
    sub = parser.add_subparsers(dest="command", required=True)
    chosen = next((word for word in argv if word in SUBCOMMANDS), None)
    modules = {}
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text)
        if name == chosen:
            modules[name] = importlib.import_module(module_name)
            modules[name].add_arguments(sub_parser)
    # A module with ACCEPTS_EXTRA takes loose tokens (simulate's option:value pairs, anywhere) as args.extra.
    args, extra = parser.parse_known_args(argv)
    if extra:
        if not getattr(modules.get(args.command), "ACCEPTS_EXTRA", False):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.extra = extra
    try:
        return int(modules[args.command].run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
