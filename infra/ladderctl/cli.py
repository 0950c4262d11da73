"""`ladderctl`: the operator and developer command line (migrate, register, dev, simulate, demo, load).

Each subcommand lives in its own module with `add_arguments(parser)` and `run(args) -> int`;
modules are imported only when their subcommand runs, so `ladderctl migrate` never pays for moto.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "migrate": ("ladderctl.migrate", "apply the SQL migrations in infra/migrations"),
    "register": ("ladderctl.register", "bulk-overwrite the application's commands on Discord"),
    "dev": ("ladderctl.devstack", "run the whole bot locally (PostgreSQL, SQS, DynamoDB, Discord)"),
    "simulate": ("ladderctl.simulate", "send a signed interaction to the local endpoint"),
    "demo": ("ladderctl.demo", "walk a new player through the bot on the local stack"),
    "load": ("ladderctl.load", "a burst of signed interactions from many users against the local stack"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ladderctl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    argv = sys.argv[1:] if argv is None else argv
    chosen = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    modules = {}
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text)
        if name == chosen:
            modules[name] = importlib.import_module(module_name)
            modules[name].add_arguments(sub_parser)
    args = parser.parse_args(argv)
    try:
        return int(modules[args.command].run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
