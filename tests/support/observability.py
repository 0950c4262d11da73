"""What the dashboard and the alarms in template.yaml read, and what the functions emit as EMF.

A metric reference is (namespace, name, dimensions) for an explicit metric, or a SEARCH over a
schema {namespace, dimension names...} with exact-match filters. The template's !Sub variables
are resolved with the values a deployment named STACK would get; every variable must resolve.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.unit.test_template import env, function, resource, template

STACK = "ladderline-test"
REGION = "us-east-1"
NAMESPACE = "Ladderline"
# Physical names / values a deployment would give these references (the test only needs them
# to be consistent between the dashboard, the alarms and what the handlers are given).
REFS: dict[str, str] = {
    "AWS::Region": REGION,
    "AWS::StackName": STACK,
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "MetricsNamespace": NAMESPACE,
    "InteractionsApi": "abc123",
    "JobsQueue.QueueName": "ladderline-test-JobsQueue-ABC",
    "FanoutQueue.QueueName": "ladderline-test-FanoutQueue-JKL",
    "JobsDeadLetterQueue.QueueName": "ladderline-test-JobsDeadLetterQueue-DEF",
    "IdempotencyTable": "ladderline-test-IdempotencyTable-GHI",
    "WorkerMaxConcurrency": "5",
    "DatabaseProxyName": "ladderline-proxy",
    "AlarmTopic": "arn:aws:sns:us-east-1:123456789012:alarms",
}


def sub(text: str, variables: dict[str, str] | None = None) -> str:
    values = {**REFS, **(variables or {})}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise AssertionError(f"${{{name}}} is not resolvable")
        return values[name]

    return re.sub(r"\$\{([^}!]+)\}", replace, text)


def function_name(logical_id: str) -> str:
    return sub(function(logical_id)["FunctionName"]["Fn::Sub"])


REFS["IngressFunction"] = function_name("IngressFunction")
REFS["WorkerFunction"] = function_name("WorkerFunction")
REFS["RanksFunction"] = function_name("RanksFunction")


def service_name(logical_id: str) -> str:
    return env(logical_id)["POWERTOOLS_SERVICE_NAME"]


def resolve(value: Any) -> Any:
    """A template value with Ref / GetAtt / Sub / If resolved (If takes its true branch)."""
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return REFS[arg]
        if key == "Fn::GetAtt":
            return REFS[".".join(arg)]
        if key == "Fn::Sub":
            if isinstance(arg, list):
                text, variables = arg
                return sub(text, {k: resolve(v) for k, v in variables.items()})
            return sub(arg)
        if key == "Fn::If":
            return resolve(arg[1])
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v) for v in value]
    return value


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}{dict(sorted(self.dimensions))}"


@dataclass(frozen=True)
class Search:
    namespace: str
    name: str
    dimension_names: frozenset[str]
    filters: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def matches(self, metric: Metric) -> bool:
        dims = dict(metric.dimensions)
        return (metric.namespace == self.namespace and metric.name == self.name
                and set(dims) == set(self.dimension_names)
                and all(dims.get(k) == v for k, v in self.filters))


_SEARCH = re.compile(r"""SEARCH\('\{(?P<schema>[^}]*)\}\s*(?P<terms>[^']*)'""")
_TERM = re.compile(r'(\w+)="([^"]*)"')


def parse_search(expression: str) -> Search:
    match = _SEARCH.search(expression)
    assert match, f"not a SEARCH expression: {expression}"
    namespace, *dims = [part.strip() for part in match["schema"].split(",")]
    terms = dict(_TERM.findall(match["terms"]))
    name = terms.pop("MetricName")
    return Search(namespace, name, frozenset(dims), frozenset(terms.items()))


def dashboard() -> dict[str, Any]:
    body = resource("Dashboard")["Properties"]["DashboardBody"]
    return json.loads(resolve(body))


def dashboard_references(body: dict[str, Any] | None = None) -> list[Metric | Search]:
    refs: list[Metric | Search] = []
    for widget in (body or dashboard())["widgets"]:
        for entry in widget.get("properties", {}).get("metrics", []):
            parts = [p for p in entry if not isinstance(p, dict)]
            options = [p for p in entry if isinstance(p, dict)]
            if not parts:
                refs.extend(parse_search(o["expression"]) for o in options if "expression" in o)
                continue
            namespace, name, *dims = parts
            assert "." not in parts, "write metrics out in full (no '.' shorthand)"
            assert len(dims) % 2 == 0, entry
            refs.append(Metric(namespace, name, frozenset(zip(dims[::2], dims[1::2]))))
    return refs


def alarms() -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template()["Resources"].items() if res["Type"] == "AWS::CloudWatch::Alarm"}


def alarm_references() -> list[Metric]:
    refs = []
    for res in alarms().values():
        props = res["Properties"]
        specs = [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]
        if "MetricName" in props:
            specs.append(props)
        for spec in specs:
            dims = frozenset((d["Name"], resolve(d["Value"])) for d in spec.get("Dimensions", []))
            refs.append(Metric(resolve(spec["Namespace"]), spec["MetricName"], dims))
    return refs


def parse_emf(output: str) -> tuple[set[Metric], list[dict[str, Any]]]:
    """Every (namespace, metric, dimension set) in the EMF records among `output`'s lines."""
    metrics: set[Metric] = set()
    records = []
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        record = json.loads(line)
        records.append(record)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dims = frozenset((name, record[name]) for name in dimension_set)
                for metric in directive["Metrics"]:
                    assert metric["Name"] in record, f"{metric['Name']} has no value in {line}"
                    metrics.add(Metric(directive["Namespace"], metric["Name"], dims))
    return metrics, records


def custom(refs: Iterable[Metric | Search]) -> list[Metric | Search]:
    return [r for r in refs if r.namespace == NAMESPACE]
