"""The ingress's route table (generated, no handler imports) says what the registry says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ladderline
import pytest
from ladderline.discord.constants import InteractionType
from ladderline.ladder.ingress_routes import IngressRoutes, ingress_routes, render, table_from
from ladderline.ladder.ingress_table import TABLE
from ladderline.ladder.registry import registry


def test_the_generated_table_is_up_to_date():
    assert TABLE == table_from(registry()), (
        "regenerate: python -m ladderline.ladder.ingress_routes > layers/code/ladderline/ladder/ingress_table.py")


def test_every_route_answers_as_the_registry_would():
    routes = ingress_routes()
    routes.preload()
    for route in registry().routes():
        found = routes.find(route.kind, route.key)
        assert found is not None
        assert (found.key, found.ack, found.ephemeral, found.ephemeral_in_dm) == (
            route.key, route.ack, route.ephemeral, route.ephemeral_in_dm)
        for ours, theirs in ((found.modal, route.modal), (found.autocomplete, route.autocomplete)):
            assert (ours is None) == (theirs is None)
            if ours is not None:
                assert ours.load() is theirs  # type: ignore[union-attr]
    assert routes.find(InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE, "leaderboard").autocomplete is not None
    assert routes.find(InteractionType.APPLICATION_COMMAND, "no-such-command") is None


def test_importing_the_table_imports_no_command_module():
    code = ("import sys; from ladderline.ladder.ingress_routes import ingress_routes; ingress_routes(); "
            "print(sorted(m for m in sys.modules if m.startswith('ladderline.ladder.commands')))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout

    assert out.strip() == "[]"


def test_the_ingress_imports_neither_typing_nor_dataclasses():
    # Each costs milliseconds of the cold start (python -X importtime: typing ~4 ms); the ingress and
    # everything it imports (its texts in the players' languages too) keep to TYPE_CHECKING imports.
    code = ("import sys; import ladderline.pipeline.ingress; "
            "print(sorted(m for m in ('typing', 'dataclasses') if m in sys.modules))")
    # -S, as Lambda runs it: no site hooks (the editable install's finder), the code on the path.
    code_dir = str(Path(ladderline.__file__).parent.parent)
    out = subprocess.run([sys.executable, "-S", "-c", code], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join([code_dir, *sys.path])}).stdout

    assert out.strip() == "[]"


def test_a_rendered_table_reads_back_the_same():
    table = table_from(registry())
    namespace: dict = {}
    exec(render(table), namespace)  # noqa: S102 - our own generated source

    assert namespace["TABLE"] == table


def test_a_lambda_cannot_be_referenced():
    bad = IngressRoutes({(2, "x"): (9, True, "ladderline.ladder.commands.setup:open_modal", None, True)})
    assert bad.find(2, "x") is not None
    from ladderline.ladder.ingress_routes import _reference

    with pytest.raises(ValueError):
        _reference(lambda interaction: {})
