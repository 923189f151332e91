"""The command line explains itself: `--help` on every command and option, `--version`."""

from __future__ import annotations

import argparse

import pytest

from app.cli import build_parser


def test_every_command_and_option_says_what_it_does() -> None:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    described = {c.dest: c.help for c in commands._choices_actions}
    missing = [name for name in commands.choices if not described.get(name)]
    for name, command in commands.choices.items():
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []
    assert {"serve", "migrate", "eod", "worker", "scheduler", "demo", "export"} <= set(
        commands.choices
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("bangfu ")
