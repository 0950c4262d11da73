"""The dashboard and alarms in template.yaml, read as CloudFormation would build them.

Whether the functions really emit what these read is checked in
tests/integration/test_observability.py; this file checks shape, layout, units and wiring.
"""

from __future__ import annotations

import re

from ladderline.discord.rest import EditOutcome
from ladderline.ladder.registry import registry
from ladderline.observability.ingress import REJECTION_REASONS

from tests.support.observability import (
    NAMESPACE,
    Metric,
    Search,
    alarm_references,
    alarms,
    dashboard,
    dashboard_references,
    service_name,
)
from tests.unit.test_template import parameter, resource, template

COMMAND_METRICS = {"ProcessingTime", "DatabaseTime", "DatabaseRoundTrips", "JobsFailed"}


def metric_widgets():
    return [w for w in dashboard()["widgets"] if w["type"] == "metric"]


def test_the_body_is_json_with_every_substitution_resolved():
    body = dashboard()  # raises on an unknown ${...} or invalid JSON
    assert "${" not in str(body)
    assert body["widgets"]


def test_widgets_fit_the_grid_without_overlapping():
    taken = set()
    for widget in dashboard()["widgets"]:
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= 24, widget
        cells = {(x, y) for x in range(widget["x"], widget["x"] + widget["width"])
                 for y in range(widget["y"], widget["y"] + widget["height"])}
        assert not cells & taken, f"overlap at {widget}"
        taken |= cells


def test_every_graph_has_a_title_a_region_and_units_on_its_axes():
    for widget in metric_widgets():
        props = widget["properties"]
        assert props["title"] and props["region"] == "us-east-1"
        assert props["yAxis"]["left"]["label"], props["title"]
        uses_right = any(isinstance(o, dict) and o.get("yAxis") == "right" for m in props["metrics"] for o in m)
        assert not uses_right or props["yAxis"]["right"]["label"], props["title"]
        # Units also in the title, where they survive a screenshot or a small widget.
        assert re.search(r"\((ms|count|messages|seconds|instances|connections|average count|mmr points)\b", props["title"]), \
            props["title"]


def test_deliveries_are_charted_by_kind_and_outcome_from_one_search():
    [search] = [r for r in dashboard_references() if isinstance(r, Search) and r.name == "Deliveries"]
    assert search.dimension_names == {"delivery", "outcome", "service"}
    assert dict(search.filters) == {"service": service_name("WorkerFunction")}


def test_the_dashboard_is_grouped_under_section_headings():
    headings = [w["properties"]["markdown"] for w in dashboard()["widgets"] if w["type"] == "text"]
    assert len(headings) >= 6


def test_ack_latency_shows_p50_p99_and_discords_3_second_limit():
    [widget] = [w for w in metric_widgets() if w["properties"]["title"].startswith("Ack latency")]
    props = widget["properties"]
    stats = {o["stat"] for m in props["metrics"] if m[1] == "AckLatency" for o in m if isinstance(o, dict)}
    assert {"p50", "p99"} <= stats
    assert 3000 in [a["value"] for a in props["annotations"]["horizontal"]]


def test_per_command_graphs_search_so_every_registry_command_appears():
    searches = [r for r in dashboard_references()
                if isinstance(r, Search) and r.name not in ("Deliveries", "MatchTransitions")]
    assert {s.name for s in searches} == COMMAND_METRICS
    for search in searches:
        assert search.dimension_names == {"command", "service"}
        assert dict(search.filters) == {"service": service_name("WorkerFunction")}
    # Dimension values CloudWatch accepts: the registry keys are what the worker emits.
    for route in registry().routes():
        assert re.fullmatch(r"[a-z0-9_]{1,100}", route.key), route.key


def test_discord_outcomes_and_rejection_reasons_are_charted_one_line_each():
    explicit = [r for r in dashboard_references() if isinstance(r, Metric)]
    outcomes = {dict(r.dimensions)["outcome"] for r in explicit if r.name == "DiscordEdits"}
    assert outcomes == {o.value for o in EditOutcome}
    reasons = {dict(r.dimensions)["reason"] for r in explicit if r.name == "IngressRejections"}
    assert reasons == set(REJECTION_REASONS)


def test_custom_metrics_carry_the_emitting_functions_service_name():
    ingress, worker = service_name("IngressFunction"), service_name("WorkerFunction")
    ingress_metrics = {"AckLatency", "IngressRejections"}
    for ref in [*dashboard_references(), *alarm_references()]:
        if ref.namespace != NAMESPACE or isinstance(ref, Search):
            continue
        dims = dict(ref.dimensions)
        if ref.name == "ColdStart":
            assert dims["service"] in (ingress, worker)
        else:
            assert dims["service"] == (ingress if ref.name in ingress_metrics else worker), ref


def test_aws_metrics_name_the_stacks_own_resources():
    expected = {
        "AWS/SQS": "QueueName", "AWS/Lambda": "FunctionName", "AWS/RDS": "ProxyName",
        "AWS/DynamoDB": "TableName", "AWS/ApiGateway": "ApiId",
    }
    namespaces = set()
    for ref in [*dashboard_references(), *alarm_references()]:
        if ref.namespace == NAMESPACE:
            continue
        namespaces.add(ref.namespace)
        assert {name for name, _ in ref.dimensions} == {expected[ref.namespace]}, ref
    assert namespaces == set(expected)


def test_the_proxy_widget_has_a_placeholder_when_no_proxy_is_named():
    _, variables = resource("Dashboard")["Properties"]["DashboardBody"]["Fn::Sub"]
    condition, when_set, when_unset = variables["ProxyName"]["Fn::If"]
    assert when_set == {"Ref": "DatabaseProxyName"} and when_unset  # an empty dimension value is invalid
    assert template()["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "DatabaseProxyName"}, ""]}]}
    assert parameter("DatabaseProxyName")["Default"] == ""


def test_every_alarm_notifies_the_topic_and_chose_its_missing_data_treatment():
    found = alarms()
    assert set(found) == {"DeadLetterQueueNotEmptyAlarm", "OldestJobAgeAlarm", "OldestFanoutJobAgeAlarm",
                          "AckLatencyAlarm",
                          "WorkerErrorsAlarm", "TokenExpiredEditsAlarm", "ProxyPinnedSessionsAlarm",
                          "DeliveriesRefusedAlarm", "DiscordInvalidRequestsAlarm", "WavesStoppedAlarm",
                          "StrandedPlayersAlarm", "RanksRefreshFailingAlarm"}
    for name, res in found.items():
        props = res["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert props["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert props["TreatMissingData"] in ("notBreaching", "breaching", "missing", "ignore"), name
        assert "Runbook" in props["AlarmDescription"], name
    assert found["ProxyPinnedSessionsAlarm"]["Condition"] == "HasDatabaseProxyName"
    assert resource("AlarmTopic")["Type"] == "AWS::SNS::Topic"


def test_alarm_thresholds_match_the_issue():
    found = {name: res["Properties"] for name, res in alarms().items()}
    assert found["AckLatencyAlarm"]["ExtendedStatistic"] == "p99"
    assert found["AckLatencyAlarm"]["Threshold"] == 1000  # ms
    assert found["OldestJobAgeAlarm"]["Threshold"] == 60  # s
    # The fan-out lane backs up for minutes after a big wave by design: past the deferral cap only.
    assert found["OldestFanoutJobAgeAlarm"]["Threshold"] == 900  # s
    for name in ("DeadLetterQueueNotEmptyAlarm", "TokenExpiredEditsAlarm", "ProxyPinnedSessionsAlarm"):
        assert (found[name]["ComparisonOperator"], found[name]["Threshold"]) == ("GreaterThanThreshold", 0)
    waves = found["WavesStoppedAlarm"]
    assert (waves["MetricName"], waves["Statistic"], waves["Period"], waves["ComparisonOperator"],
            waves["Threshold"], waves["TreatMissingData"]) == (
        "WaveDuration", "SampleCount", 300, "LessThanThreshold", 1, "breaching")  # none in 5 minutes
    stranded = found["StrandedPlayersAlarm"]
    assert (stranded["MetricName"], stranded["Statistic"], stranded["ComparisonOperator"], stranded["Threshold"]) == (
        "StrandedPlayers", "Maximum", "GreaterThanThreshold", 0)  # expected 0: anyone stranded alarms
    token = found["TokenExpiredEditsAlarm"]["Dimensions"]
    assert {"Name": "outcome", "Value": EditOutcome.TOKEN_EXPIRED.value} in token


def test_the_alarm_email_subscription_exists_only_with_an_address():
    sub = resource("AlarmEmailSubscription")
    assert sub["Condition"] == "HasAlarmEmail"
    assert sub["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert template()["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    assert parameter("AlarmEmail")["Default"] == ""
    pattern = parameter("AlarmEmail")["AllowedPattern"]
    assert re.fullmatch(pattern, "") and re.fullmatch(pattern, "ops@example.com")
    assert not re.fullmatch(pattern, "not an address")


def test_the_ladder_widgets_chart_the_queue_waves_and_matches():
    explicit = {(r.name, r.dimensions) for r in dashboard_references() if isinstance(r, Metric)}
    worker = service_name("WorkerFunction")
    for side in ("bw", "sc2"):
        assert ("QueueingPlayers", frozenset({("service", worker), ("side", side)})) in {
            (n, frozenset(d)) for n, d in explicit}
    names = {n for n, _ in explicit}
    assert {"WaveDuration", "WavePairs", "MatchWait", "MatchMmrGap", "StrandedPlayers", "FanoutLag",
            "PairingTime"} <= names
    [search] = [r for r in dashboard_references() if isinstance(r, Search) and r.name == "MatchTransitions"]
    assert search.dimension_names == {"service", "transition"}
