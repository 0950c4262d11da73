from __future__ import annotations

import json

from tests.support.interactions import make_interaction
from tests.support.postgres import pg_connect


def test_ping_travels_the_whole_path(pipeline):
    interaction = make_interaction(2, data={"id": "1", "name": "ping", "type": 1})

    response = pipeline.send(interaction)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"type": 5, "data": {"flags": 64}}
    result = pipeline.run_worker()
    assert result == {"batchItemFailures": []}
    message = pipeline.discord.message(interaction["token"])
    assert message["content"].startswith("Pong!")
    rows = pg_connect(pipeline.database_url).run("SELECT interaction_id, command, outcome FROM command_calls")
    assert rows == [[int(interaction["id"]), "ping", "ok"]]
