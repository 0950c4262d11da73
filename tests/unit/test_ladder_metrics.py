"""The ladder's metrics as EMF records: one record per dimension set, value lists of at most 100."""

from __future__ import annotations

import json

from ladderline.ladder.context import Metric
from ladderline.observability.worker import ladder_records


def test_values_are_grouped_by_dimensions_and_split_at_100():
    metrics = (
        Metric("QueueingPlayers", (3,), dimensions=(("side", "bw"),)),
        Metric("QueueingPlayers", (5,), dimensions=(("side", "sc2"),)),
        Metric("MatchWait", tuple(float(i) for i in range(150)), "Seconds"),
        Metric("WavePairs", (75,)),
        Metric("MatchMmrGap", (), "None"),  # no new match: nothing to emit
    )
    records = [r.to_dict() for r in ladder_records(metrics, "Ladderline", "worker")]
    json.dumps(records)  # what write_emf prints
    by_side = {r.get("side"): r for r in records if "QueueingPlayers" in r}
    assert by_side["bw"]["QueueingPlayers"] == [3.0] and by_side["sc2"]["QueueingPlayers"] == [5.0]
    assert by_side["bw"]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "side"]]
    waits = [r["MatchWait"] for r in records if "MatchWait" in r]
    assert [len(w) for w in waits] == [100, 50] and [v for w in waits for v in w] == [float(i) for i in range(150)]
    assert [r["WavePairs"] for r in records if "WavePairs" in r] == [[75.0]]
    assert not any("MatchMmrGap" in r for r in records)
    assert all(r["service"] == "worker" for r in records)
