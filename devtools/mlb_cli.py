"""``mlb``: one command for every command of the pipeline and of the API double.

    mlb gaps --dry-run                     python -m mlb_pipeline.gaps --dry-run
    mlb backfill statsapi --seasons 2024   python -m mlb_pipeline.backfill statsapi --seasons 2024
    mlb model versions                     python -m mlb_pipeline.model versions
    mlb archive check 2024                 python -m mlb_pipeline.archive check 2024
    mlb summary                            python -m mlb_pipeline.summary
    mlb replay --simulate                  python -m mlb_replay --simulate

Each subcommand hands its arguments, untouched, to the module's own command, so both forms take
the same arguments, check them the same way (one line and exit code 2 for a bad one) and say the
same things; only the program named in their messages differs. A subcommand's module is imported
only when it runs (the model's pulls in pandas, the pipeline's Airflow). It lives in devtools/,
beside the double it also starts, since Composer gets plugins/ alone and runs none of these.
Installed into .venv by scripts/setup.sh (``[project.scripts]`` in pyproject.toml); it needs the
paths scripts/env.sh sets, as the ``python -m`` forms do.
"""

from __future__ import annotations

import importlib
import signal
import sys

import click

# name: (module whose main(argv, prog) runs it, what it does)
COMMANDS = {
    "backfill": ("mlb_pipeline.backfill", "load history in bulk: statsapi or retrosheet"),
    "gaps": ("mlb_pipeline.gaps", "what the warehouse is missing, and backfill it"),
    "model": ("mlb_pipeline.model", "the model's versions, rollback and backtest"),
    "archive": ("mlb_pipeline.archive", "check, or roll back, a season's archive"),
    "summary": ("mlb_pipeline.summary", "what the warehouse holds"),
    "replay": ("mlb_replay.__main__", "serve the MLB Stats API double; export a season"),
}


class Delegating(click.Group):
    """The subcommands of :data:`COMMANDS`, each loaded when asked for (click's lazy group)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, summary = COMMANDS[name]

        @click.command(
            name,
            help=f"{summary}. Its options: mlb {name} --help.",
            short_help=summary,
            add_help_option=False,  # --help goes to the module's own command
            context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
        )
        @click.argument("args", nargs=-1, type=click.UNPROCESSED)
        def delegate(args: tuple[str, ...]) -> int:
            return importlib.import_module(module).main(list(args), prog=f"mlb {name}") or 0

        return delegate


@click.group(cls=Delegating, context_settings={"help_option_names": ["-h", "--help"]})
def mlb() -> None:
    """The MLB pipeline's commands (each also runs as python -m MODULE, with the same arguments)."""


def main(argv: list[str] | None = None) -> int:
    """The ``mlb`` entry point: the subcommand's exit code; an unknown subcommand is one line, exit 2."""
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `mlb model versions | head` ends quietly
    argv = sys.argv[1:] if argv is None else argv
    try:
        return mlb.main(argv or ["--help"], prog_name="mlb", standalone_mode=False) or 0
    except click.UsageError as exc:
        print(f"mlb: error: {exc.format_message()} (choose from {', '.join(COMMANDS)})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
