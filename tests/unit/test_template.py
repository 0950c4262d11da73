"""template.yaml and samconfig.toml against what the code needs (ladderline.settings).

cfn-lint (`make sam-check`) validates the CloudFormation itself but not the wiring: which
environment variables each function reads, least-privilege IAM, and the SQS timings that
depend on each other (it does not check the visibility timeout on SAM templates at all).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from ladderctl.cfn_yaml import load_template
from ladderline import settings

ROOT = Path(__file__).resolve().parents[2]

# Discord's interaction token is valid for 15 minutes: every retry must fit inside it.
INTERACTION_TOKEN_SECONDS = 15 * 60
# What the SQS event source polls with (it uses the function's execution role).
SQS_POLLER_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# Lambda manages a VPC function's network interfaces with its execution role; AWS requires
# Resource "*" for these (the only statements allowed to use it).
ENI_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}
SETTINGS_ENV_NAMES = {
    value
    for name, value in vars(settings).items()
    if name.isupper() and isinstance(value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]*", value)
}


# --- loading -------------------------------------------------------------------------------
@cache
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


@cache
def samconfig() -> dict[str, Any]:
    return tomllib.loads((ROOT / "samconfig.toml").read_text())


def resource(name: str) -> dict[str, Any]:
    return template()["Resources"][name]


def parameter(name: str) -> dict[str, Any]:
    return template()["Parameters"][name]


def _merge(global_value: Any, local_value: Any) -> Any:
    # SAM Globals: maps merge (the resource wins), lists are the global entries plus the local ones.
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = _merge(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


def function(name: str) -> dict[str, Any]:
    """A function's properties with the template's Globals applied."""
    res = resource(name)
    assert res["Type"] == "AWS::Serverless::Function"
    return _merge(template().get("Globals", {}).get("Function", {}), res["Properties"])


def functions() -> dict[str, dict[str, Any]]:
    return {
        name: function(name)
        for name, res in template()["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function"
    }


def env(name: str) -> dict[str, Any]:
    return function(name).get("Environment", {}).get("Variables", {})


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def arn_of(name: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [name, "Arn"]}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def is_no_value(value: Any) -> bool:
    return value == ref("AWS::NoValue")


def role_of(function_name: str) -> dict[str, Any]:
    role = function(function_name).get("Role")
    assert isinstance(role, dict) and "Fn::GetAtt" in role, f"{function_name} needs an explicit Role"
    logical_id, attribute = role["Fn::GetAtt"]
    assert attribute == "Arn"
    res = resource(logical_id)
    assert res["Type"] == "AWS::IAM::Role"
    return res


def statements(role: dict[str, Any]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """(condition or None, statement) for every statement of a role's inline policies."""
    for policy in role["Properties"].get("Policies", []):
        for stmt in as_list(policy["PolicyDocument"]["Statement"]):
            if isinstance(stmt, dict) and "Fn::If" in stmt:
                condition, when_true, when_false = stmt["Fn::If"]
                if not is_no_value(when_true):
                    yield condition, when_true
                if not is_no_value(when_false):
                    yield f"not {condition}", when_false
            else:
                yield None, stmt


def grants(role: dict[str, Any]) -> dict[str, list[tuple[str | None, Any]]]:
    """action -> [(condition, resource), ...]"""
    result: dict[str, list[tuple[str | None, Any]]] = {}
    for condition, stmt in statements(role):
        assert stmt["Effect"] == "Allow"
        assert "NotAction" not in stmt and "NotResource" not in stmt
        for action in as_list(stmt["Action"]):
            for res in as_list(stmt["Resource"]):
                result.setdefault(action, []).append((condition, res))
    return result


def condition_requires(condition: str, parameter_name: str, value: str) -> bool:
    """True if `condition` can only hold when the parameter equals `value`."""

    def walk(node: Any) -> bool:
        if isinstance(node, dict) and "Condition" in node:
            return walk(template()["Conditions"][node["Condition"]])
        if isinstance(node, dict) and "Fn::Equals" in node:
            return sorted(node["Fn::Equals"], key=str) == sorted([ref(parameter_name), value], key=str)
        if isinstance(node, dict) and "Fn::And" in node:
            return any(walk(child) for child in node["Fn::And"])
        return False

    return condition in template()["Conditions"] and walk({"Condition": condition})


# --- environment ---------------------------------------------------------------------------
def test_ingress_gets_every_variable_it_reads():
    variables = env("IngressFunction")
    missing = [name for name in settings.INGRESS_ENV if name not in variables]
    assert not missing, f"IngressFunction does not set {missing}"
    assert all(variables[name] not in ("", None) for name in settings.INGRESS_ENV)


def test_worker_gets_every_variable_it_reads():
    variables = env("WorkerFunction")
    missing = [name for name in settings.WORKER_ENV if name not in variables]
    assert not missing, f"WorkerFunction does not set {missing}"
    assert all(variables[name] not in ("", None) for name in settings.WORKER_ENV)


def test_every_variable_set_is_a_name_settings_defines():
    for name in functions():
        unknown = set(env(name)) - SETTINGS_ENV_NAMES
        assert not unknown, f"{name} sets {unknown}, which ladderline.settings never reads"


def test_environment_values_are_wired_to_the_resources():
    ingress, worker = env("IngressFunction"), env("WorkerFunction")
    assert ingress[settings.QUEUE_URL] == ref("JobsQueue")
    assert ingress[settings.DISCORD_PUBLIC_KEY] == ref("DiscordPublicKey")
    assert ingress[settings.REPLAY_WINDOW_SECONDS] == str(settings.DEFAULT_REPLAY_WINDOW_SECONDS)
    assert ingress[settings.MAX_BODY_BYTES] == str(settings.DEFAULT_MAX_BODY_BYTES)
    assert worker[settings.IDEMPOTENCY_TABLE] == ref("IdempotencyTable")
    assert worker[settings.DISCORD_API_BASE] == settings.DEFAULT_DISCORD_API_BASE
    assert worker[settings.DB_AUTH] == ref("DatabaseAuth")
    assert set(parameter("DatabaseAuth")["AllowedValues"]) == {"iam", "secret"}
    # RDS Proxy IAM auth needs TLS; settings refuses iam without it.
    assert worker[settings.DB_TLS] == "true"
    for variables in (ingress, worker):
        assert variables[settings.DISCORD_APPLICATION_ID] == ref("DiscordApplicationId")
        assert variables[settings.METRICS_NAMESPACE] == ref("MetricsNamespace")
    assert parameter("MetricsNamespace")["Default"] == settings.DEFAULT_METRICS_NAMESPACE


def test_no_secret_is_a_parameter():
    for name in template()["Parameters"]:
        if re.search(r"token|password|passwd|credential|private", name, re.IGNORECASE):
            raise AssertionError(f"parameter {name} looks like a secret: use IAM or Secrets Manager")
        if re.search(r"secret", name, re.IGNORECASE):
            assert name.endswith("Arn"), f"parameter {name} looks like a secret value"
    assert re.fullmatch(parameter("DiscordPublicKey")["AllowedPattern"], "ab" * 32)
    assert not re.fullmatch(parameter("DiscordPublicKey")["AllowedPattern"], "ab" * 31)


# --- IAM -----------------------------------------------------------------------------------
def test_functions_use_explicit_roles_without_sam_policies_or_managed_policies():
    for name, props in functions().items():
        # SAM's Policies (and its generated role) attach broad managed policies, e.g. the SQS
        # event source's AWSLambdaSQSQueueExecutionRole on Resource "*".
        assert "Policies" not in props, f"{name} uses SAM Policies"
        role = role_of(name)
        assert "ManagedPolicyArns" not in role["Properties"], f"{name}'s role attaches managed policies"
        assert "PermissionsBoundary" not in props


def test_no_wildcard_actions_and_star_resources_only_for_network_interfaces():
    for name in functions():
        for action, granted in grants(role_of(name)).items():
            assert "*" not in action, f"{name} grants wildcard action {action}"
            for _, res in granted:
                if res == "*" or (isinstance(res, str) and res.endswith(":*")):
                    assert action in ENI_ACTIONS, f"{name} grants {action} on {res}"


def test_logs_go_to_each_functions_own_log_group():
    for name in functions():
        props = function(name)
        log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
        log_group = resource(log_group_id)
        assert log_group["Type"] == "AWS::Logs::LogGroup"
        assert log_group["Properties"]["RetentionInDays"] == ref("LogRetentionDays")
        # Lambda's conventional name, built from the same expression as the function name.
        function_name = props["FunctionName"]["Fn::Sub"]
        assert log_group["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{function_name}"}
        log_grants = {a: g for a, g in grants(role_of(name)).items() if a.startswith("logs:")}
        assert set(log_grants) == LOG_ACTIONS
        assert all(g == [(None, arn_of(log_group_id))] for g in log_grants.values())


def test_ingress_role_grants_exactly_what_the_ingress_calls():
    granted = {a: g for a, g in grants(role_of("IngressFunction")).items() if not a.startswith("logs:")}
    assert set(granted) == set(settings.INGRESS_AWS_ACTIONS)
    for action in settings.INGRESS_AWS_ACTIONS:
        assert granted[action] == [(None, arn_of("JobsQueue"))]


def test_worker_role_grants_exactly_what_the_worker_and_its_event_source_need():
    granted = {a: g for a, g in grants(role_of("WorkerFunction")).items() if not a.startswith("logs:")}
    expected = (
        set(settings.WORKER_AWS_ACTIONS)
        | set(settings.WORKER_QUEUE_ACTIONS)
        | SQS_POLLER_ACTIONS
        | ENI_ACTIONS
        | set(settings.WORKER_DB_IAM_ACTIONS)
        | set(settings.WORKER_DB_SECRET_ACTIONS)
        | set(settings.WORKER_BOT_TOKEN_ACTIONS)
    )
    assert set(granted) == expected, f"extra: {set(granted) - expected}, missing: {expected - set(granted)}"
    for action in settings.WORKER_AWS_ACTIONS:
        assert granted[action] == [(None, arn_of("IdempotencyTable"))]
    for action in SQS_POLLER_ACTIONS | set(settings.WORKER_QUEUE_ACTIONS):
        assert granted[action] == [(None, arn_of("JobsQueue"))]
    for action in ENI_ACTIONS:
        assert granted[action] == [(None, "*")]

    for action in settings.WORKER_DB_IAM_ACTIONS:
        [(condition, res)] = granted[action]
        assert condition is not None and condition_requires(condition, "DatabaseAuth", "iam")
        arn = res["Fn::Sub"]
        assert arn.startswith("arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:")
        assert arn.endswith(":dbuser:${DatabaseProxyResourceId}/${DatabaseUser}")
    for action in settings.WORKER_DB_SECRET_ACTIONS:
        [(condition, res)] = [g for g in granted[action] if g[1] != ref("DiscordBotSecretArn")]
        assert condition is not None and condition_requires(condition, "DatabaseAuth", "secret")
        assert res == ref("DatabaseSecretArn")
    # The bot token's secret, always, and no other secret without a condition.
    for action in settings.WORKER_BOT_TOKEN_ACTIONS:
        assert (None, ref("DiscordBotSecretArn")) in granted[action]
        assert [g for g in granted[action] if g[0] is None] == [(None, ref("DiscordBotSecretArn"))]
    assert env("WorkerFunction")[settings.DISCORD_BOT_TOKEN_SECRET_ARN] == ref("DiscordBotSecretArn")
    assert settings.DISCORD_BOT_TOKEN not in env("WorkerFunction")
    assert env("WorkerFunction")[settings.DB_USER] == ref("DatabaseUser")
    assert env("WorkerFunction")[settings.DB_SECRET_ARN] == ref("DatabaseSecretArn")


# --- SQS and the worker's event source -----------------------------------------------------
def test_ticks_come_from_a_schedule_whose_role_may_only_send_to_the_jobs_queue():
    schedule = resource("TickSchedule")
    assert schedule["Type"] == "AWS::Scheduler::Schedule"
    props = schedule["Properties"]
    assert props["Target"]["Arn"] == arn_of("JobsQueue")
    assert props["ScheduleExpression"]["Fn::If"][0] == "TickEveryMinute"
    assert parameter("TickIntervalMinutes")["Default"] == 1
    import json

    from ladderline.job import Job

    tick = json.loads(props["Target"]["Input"].replace("<aws.scheduler.scheduled-time>", "2026-12-01T11:30:00Z"))
    job = Job.from_dict(tick)
    assert (job.kind, job.payload["tick_id"]) == ("tick", "2026-12-01T11:30:00Z")
    assert job.payload["scheduled_at_ms"] == 1796124600000
    role = resource("TickSchedulerRole")["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    [policy] = role["Policies"]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert (statement["Action"], statement["Resource"]) == (["sqs:SendMessage"], arn_of("JobsQueue"))


def test_visibility_timeout_is_at_least_six_times_the_worker_timeout():
    visibility = resource("JobsQueue")["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * function("WorkerFunction")["Timeout"]


def test_every_attempt_fits_in_the_interaction_token_life():
    visibility = resource("JobsQueue")["Properties"]["VisibilityTimeout"]
    max_receive = parameter("MaxReceiveCount")
    assert max_receive["Default"] == settings.DEFAULT_MAX_RECEIVE_COUNT
    assert max_receive["Default"] * visibility <= INTERACTION_TOKEN_SECONDS
    # No allowed value may break it either.
    allowed = max_receive.get("AllowedValues") or [max_receive["MaxValue"]]
    assert max(allowed) * visibility <= INTERACTION_TOKEN_SECONDS


def test_redrive_and_the_worker_share_one_max_receive_count():
    redrive = resource("JobsQueue")["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == ref("MaxReceiveCount")
    assert env("WorkerFunction")[settings.MAX_RECEIVE_COUNT] == ref("MaxReceiveCount")
    assert redrive["deadLetterTargetArn"] == arn_of("JobsDeadLetterQueue")


def test_queues_are_encrypted_and_the_dead_letter_queue_outlives_the_queue():
    queue, dlq = resource("JobsQueue")["Properties"], resource("JobsDeadLetterQueue")["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and dlq["SqsManagedSseEnabled"] is True
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dlq["MessageRetentionPeriod"] > queue.get("MessageRetentionPeriod", 4 * 24 * 3600)


def test_worker_event_source_reports_partial_failures_and_caps_concurrency():
    events = function("WorkerFunction")["Events"]
    [sqs] = [event["Properties"] for event in events.values() if event["Type"] == "SQS"]
    assert sqs["Queue"] == arn_of("JobsQueue")
    assert sqs["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "MaximumBatchingWindowInSeconds" in sqs
    assert 1 <= sqs["BatchSize"] <= 10
    concurrency = sqs["ScalingConfig"]["MaximumConcurrency"]
    assert concurrency == ref("WorkerMaxConcurrency")
    assert parameter("WorkerMaxConcurrency")["MinValue"] >= 2  # the smallest SQS accepts
    assert parameter("WorkerMaxConcurrency")["Default"] >= 2


def test_worker_runs_in_the_vpc_from_parameters():
    vpc = function("WorkerFunction")["VpcConfig"]
    assert vpc["SubnetIds"] == ref("SubnetIds")
    assert vpc["SecurityGroupIds"] == ref("WorkerSecurityGroupIds")
    assert parameter("SubnetIds")["Type"] == "List<AWS::EC2::Subnet::Id>"
    assert parameter("WorkerSecurityGroupIds")["Type"] == "List<AWS::EC2::SecurityGroup::Id>"
    assert "VpcConfig" not in function("IngressFunction")


def test_idempotency_table_matches_powertools_defaults():
    table = resource("IdempotencyTable")["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"


# --- ingress -------------------------------------------------------------------------------
def test_ingress_is_routed_from_post_interactions_on_the_http_api():
    events = function("IngressFunction")["Events"]
    [api] = [event["Properties"] for event in events.values() if event["Type"] == "HttpApi"]
    assert (api["Method"], api["Path"]) == ("POST", "/interactions")
    assert resource(api["ApiId"]["Ref"])["Type"] == "AWS::Serverless::HttpApi"
    url = template()["Outputs"]["InteractionsUrl"]["Value"]["Fn::Sub"]
    api_id = api["ApiId"]["Ref"]
    assert url == f"https://${{{api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/interactions"


def test_ingress_snapstart_applies_to_the_alias_the_api_invokes():
    props = function("IngressFunction")
    # With AutoPublishAlias, SAM points the HTTP API integration at the alias (a published
    # version), which is the only thing SnapStart applies to.
    assert props["AutoPublishAlias"]
    apply_on = props["SnapStart"]["ApplyOn"]
    condition, when_on, when_off = apply_on["Fn::If"]
    assert condition_requires(condition, "IngressSnapStart", "true")
    assert (when_on, when_off) == ("PublishedVersions", "None")
    assert parameter("IngressSnapStart")["Default"] == "true"


# --- runtime, layers, build ----------------------------------------------------------------
def _runtime_version(runtime: str) -> tuple[int, int]:
    match = re.fullmatch(r"python(\d+)\.(\d+)", runtime)
    assert match, runtime
    return int(match[1]), int(match[2])


def test_functions_run_python_312_or_later_on_arm64_with_both_layers():
    for name, props in functions().items():
        assert _runtime_version(props["Runtime"]) >= (3, 12), name
        assert props["Architectures"] == ["arm64"], name
        assert ref("DependenciesLayer") in props["Layers"] and ref("CodeLayer") in props["Layers"], name


def test_layers_are_built_by_their_makefiles_for_the_functions_runtime():
    runtimes = {props["Runtime"] for props in functions().values()}
    assert len(runtimes) == 1
    [runtime] = runtimes
    for name in ("DependenciesLayer", "CodeLayer"):
        layer = resource(name)
        assert layer["Type"] == "AWS::Serverless::LayerVersion"
        assert layer["Metadata"]["BuildMethod"] == "makefile"
        assert layer["Metadata"]["BuildArchitecture"] == "arm64"
        assert runtime in layer["Properties"]["CompatibleRuntimes"]
        makefile = (ROOT / layer["Properties"]["ContentUri"] / "Makefile").read_text()
        assert re.search(rf"^build-{name}:", makefile, re.MULTILINE), f"no build-{name} target"
        # The .pyc and the wheels must be for the runtime's Python.
        [version] = re.findall(r"^RUNTIME_PYTHON\s*:?=\s*(\S+)", makefile, re.MULTILINE)
        assert _runtime_version(f"python{version}") == _runtime_version(runtime)
    deps = (ROOT / "layers/deps/Makefile").read_text()
    assert "--only-binary=:all:" in deps and "aarch64" in deps


def test_function_folders_have_no_requirements_txt():
    # Otherwise sam build needs Docker or a local Python matching the runtime.
    for name, props in functions().items():
        folder = ROOT / props["CodeUri"]
        assert folder.is_dir(), name
        assert not (folder / "requirements.txt").exists(), name


# --- samconfig.toml ------------------------------------------------------------------------
def _overrides(deploy: dict[str, Any]) -> dict[str, str]:
    raw = deploy.get("parameter_overrides", [])
    items = shlex.split(raw) if isinstance(raw, str) else list(raw)
    return dict(item.split("=", 1) for item in items)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def test_samconfig_has_default_and_prod_environments():
    config = samconfig()
    assert config["version"] == 0.1
    stacks = set()
    for env_name in ("default", "prod"):
        deploy = config[env_name]["deploy"]["parameters"]
        stacks.add(config[env_name]["global"]["parameters"]["stack_name"])
        assert deploy["confirm_changeset"] is True
        assert "CAPABILITY_IAM" in deploy["capabilities"]
        assert deploy["resolve_s3"] is True
        assert set(_overrides(deploy)) <= set(template()["Parameters"]), "unknown parameter override"
    assert len(stacks) == 2
    assert config["default"]["validate"]["parameters"]["lint"] is True


def test_samconfig_holds_no_secrets():
    secret_key = re.compile(r"token|password|passwd|secret|credential|private|api_?key", re.IGNORECASE)
    placeholder = re.compile(r"^(|<[^<>]*>|arn:[^:]+:secretsmanager:.*)$")
    config = samconfig()
    for env_name, commands in config.items():
        if not isinstance(commands, dict):
            continue
        for command in commands.values():
            params = command.get("parameters", {})
            pairs = dict(params)
            pairs.update(_overrides(params))
            for key, value in pairs.items():
                if secret_key.search(key):
                    assert isinstance(value, str) and placeholder.match(value), (
                        f"[{env_name}] {key} looks like a secret value"
                    )
    for value in _strings(config):
        # A Discord bot token: three base64url segments separated by dots.
        assert not re.search(r"[\w-]{23,}\.[\w-]{6,}\.[\w-]{27,}", value), "bot token in samconfig.toml"
        assert not re.search(r"(password|passwd|token)\s*=", value, re.IGNORECASE)
