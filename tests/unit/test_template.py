"""template.yaml and samconfig.toml against what the code needs (ladderline.settings).

cfn-lint (`make sam-check`) validates the CloudFormation itself but not the wiring: which
environment variables each function reads, least-privilege IAM, and the SQS timings that
depend on each other (it does not check the visibility timeout on SAM templates at all).
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from ladderctl.stack.cfn_yaml import load_template
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
        | set(settings.WORKER_REPLAY_ACTIONS)
    )
    assert set(granted) == expected, f"extra: {set(granted) - expected}, missing: {expected - set(granted)}"
    for action in settings.WORKER_AWS_ACTIONS:
        assert granted[action] == [(None, arn_of("IdempotencyTable"))]
    for action in SQS_POLLER_ACTIONS | set(settings.WORKER_QUEUE_ACTIONS):
        assert granted[action] == [(None, arn_of("JobsQueue")), (None, arn_of("FanoutQueue"))]
    for action in ENI_ACTIONS:
        assert granted[action] == [(None, "*")]
    for action in settings.WORKER_REPLAY_ACTIONS:  # the replay objects only: no listing, no deleting
        assert granted[action] == [(None, {"Fn::Sub": "${ReplayBucket.Arn}/replays/*"})]

    for action in settings.WORKER_DB_IAM_ACTIONS:
        # Two grants, one per database mode: an existing proxy (its resource id a parameter) with
        # DatabaseAuth=iam, or the proxy this stack builds; the worker's user only, either way.
        by_condition = dict(granted[action])
        assert set(by_condition) == {"ExistingProxyIamAuth", "CreateDatabase"}
        assert condition_requires("ExistingProxyIamAuth", "DatabaseAuth", "iam")
        assert condition_requires("ExistingProxyIamAuth", "DatabaseMode", "existing")
        existing = by_condition["ExistingProxyIamAuth"]["Fn::Sub"]
        assert existing.startswith("arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:")
        assert existing.endswith(":dbuser:${DatabaseProxyResourceId}/${DatabaseUser}")
        assert by_condition["CreateDatabase"] == created_proxy_dbuser_arn("${DatabaseUser}")
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

    # The scheduler fills in its time; CloudFormation the interval (here the 5-minute choice).
    body = props["Target"]["Input"]["Fn::Sub"]
    tick = json.loads(body.replace("<aws.scheduler.scheduled-time>", "2026-12-01T11:30:00Z")
                      .replace("${TickIntervalMinutes}", "5"))
    job = Job.from_dict(tick)
    assert (job.kind, job.payload["tick_id"]) == ("tick", "2026-12-01T11:30:00Z")
    assert job.payload["scheduled_at_ms"] == 1796124600000
    assert job.payload["interval_minutes"] == 5
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
    assert {name for name, event in events.items() if event["Type"] == "SQS"} == {"Jobs", "Fanout"}
    fanout = events["Fanout"]["Properties"]
    assert fanout["Queue"] == arn_of("FanoutQueue")
    assert fanout["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert fanout["ScalingConfig"]["MaximumConcurrency"] == ref("FanoutMaxConcurrency")
    assert parameter("FanoutMaxConcurrency")["MinValue"] >= 2
    assert env("WorkerFunction")[settings.FANOUT_QUEUE_URL] == ref("FanoutQueue")
    # The fan-out lane retries and dead-letters as the jobs queue does (the same DLQ and count).
    assert resource("FanoutQueue")["Properties"]["RedrivePolicy"] == resource("JobsQueue")["Properties"]["RedrivePolicy"]
    assert resource("FanoutQueue")["Properties"]["VisibilityTimeout"] == resource("JobsQueue")["Properties"][
        "VisibilityTimeout"]
    sqs = events["Jobs"]["Properties"]
    assert sqs["Queue"] == arn_of("JobsQueue")
    assert sqs["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "MaximumBatchingWindowInSeconds" in sqs
    assert 1 <= sqs["BatchSize"] <= 10
    concurrency = sqs["ScalingConfig"]["MaximumConcurrency"]
    assert concurrency == ref("WorkerMaxConcurrency")
    assert parameter("WorkerMaxConcurrency")["MinValue"] >= 2  # the smallest SQS accepts
    assert parameter("WorkerMaxConcurrency")["Default"] >= 2


def test_worker_runs_in_the_vpc_of_either_database_mode():
    vpc = function("WorkerFunction")["VpcConfig"]
    condition, created, existing = vpc["SubnetIds"]["Fn::If"]
    assert condition == "CreateDatabase"
    assert created == [ref("PrivateSubnetA"), ref("PrivateSubnetB")]
    assert existing == {"Fn::Split": [",", {"Fn::Join": [",", ref("SubnetIds")]}]}
    condition, created, existing = vpc["SecurityGroupIds"]["Fn::If"]
    assert (condition, created) == ("CreateDatabase", [ref("FunctionSecurityGroup")])
    assert existing == {"Fn::Split": [",", {"Fn::Join": [",", ref("WorkerSecurityGroupIds")]}]}
    # Outbound IPv6 only where the stack built the egress-only gateway.
    assert vpc["Ipv6AllowedForDualStack"] == {"Fn::If": ["CreateIpv6Egress", True, False]}
    assert "VpcConfig" not in function("IngressFunction")
    assert "VpcConfig" not in function("RegisterFunction")


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


# --- DatabaseMode: create (network, Aurora, proxy, secrets, custom resources) or existing -----
CREATE_ONLY_TYPES = {
    "AWS::EC2::VPC", "AWS::EC2::VPCCidrBlock", "AWS::EC2::Subnet", "AWS::EC2::RouteTable",
    "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::Route", "AWS::EC2::VPCEndpoint",
    "AWS::EC2::EgressOnlyInternetGateway", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::EIP", "AWS::EC2::NatGateway", "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::SecurityGroupIngress", "AWS::SecretsManager::Secret", "AWS::RDS::DBSubnetGroup",
    "AWS::RDS::DBCluster", "AWS::RDS::DBInstance", "AWS::RDS::DBProxy", "AWS::RDS::DBProxyTargetGroup",
    "Custom::Migrations",
}
OWNER = "ladderline_owner"


def created_proxy_dbuser_arn(user: str) -> dict[str, Any]:
    return {"Fn::Sub": [
        f"arn:${{AWS::Partition}}:rds-db:${{AWS::Region}}:${{AWS::AccountId}}:dbuser:${{ProxyId}}/{user}",
        {"ProxyId": {"Fn::Select": [6, {"Fn::Split": [":", {"Fn::GetAtt": ["DatabaseProxy", "DBProxyArn"]}]}]}},
    ]}


def rule(name: str) -> dict[str, Any]:
    return template()["Rules"][name]


def test_database_mode_defaults_to_create_and_gates_every_created_resource():
    assert parameter("DatabaseMode")["Default"] == "create"
    assert set(parameter("DatabaseMode")["AllowedValues"]) == {"create", "existing"}
    assert template()["Conditions"]["CreateDatabase"] == {"Fn::Equals": [ref("DatabaseMode"), "create"]}
    gated = {name: res for name, res in template()["Resources"].items() if res["Type"] in CREATE_ONLY_TYPES}
    assert {"Vpc", "DatabaseCluster", "DatabaseProxy", "MigrateSchema", "DynamoDbGatewayEndpoint"} <= set(gated)
    for name, res in gated.items():
        condition = res.get("Condition")
        assert condition and condition_requires(condition, "DatabaseMode", "create"), f"{name} is not gated"
    # The migrate function and its role and log group exist only with the database they migrate.
    for name in ("MigrateFunction", "MigrateRole", "MigrateLogGroup"):
        assert resource(name)["Condition"] == "CreateDatabase"


def test_existing_mode_keeps_todays_parameters_and_requires_them():
    for name in ("DatabaseProxyEndpoint", "SubnetIds", "WorkerSecurityGroupIds"):
        assert parameter(name)["Default"] == "", f"{name} must be optional for DatabaseMode=create"
    assert parameter("SubnetIds")["Type"] == "CommaDelimitedList"
    assert parameter("WorkerSecurityGroupIds")["Type"] == "CommaDelimitedList"
    existing = rule("ExistingModeNeedsItsDatabaseAndNetwork")
    assert existing["RuleCondition"] == {"Fn::Equals": [ref("DatabaseMode"), "existing"]}
    asserted = json.dumps(existing["Assertions"])
    for name in ("DatabaseProxyEndpoint", "SubnetIds", "WorkerSecurityGroupIds"):
        assert name in asserted
    # The proxy's resource id is only needed (and required) for an existing proxy with IAM auth.
    iam_rule = rule("IamAuthNeedsProxyResourceId")["RuleCondition"]["Fn::And"]
    assert {"Fn::Equals": [ref("DatabaseMode"), "existing"]} in iam_rule
    # The worker's host is the built proxy or the parameter.
    assert env("WorkerFunction")[settings.DB_HOST] == {
        "Fn::If": ["CreateDatabase", {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]}, ref("DatabaseProxyEndpoint")]}


def test_created_proxy_requires_iam_auth_and_tls_for_every_login():
    proxy = resource("DatabaseProxy")["Properties"]
    assert proxy["EngineFamily"] == "POSTGRESQL"
    assert proxy["RequireTLS"] is True
    assert {a["SecretArn"]["Ref"] for a in proxy["Auth"]} == {"DatabaseWorkerSecret", "DatabaseOwnerSecret"}
    assert all(a["IAMAuth"] == "REQUIRED" for a in proxy["Auth"])
    assert rule("CreateModeUsesIamAuth")["Assertions"][0]["Assert"] == {"Fn::Equals": [ref("DatabaseAuth"), "iam"]}
    assert env("WorkerFunction")[settings.DB_TLS] == "true"
    target = resource("DatabaseProxyTargetGroup")
    assert target["Properties"]["DBClusterIdentifiers"] == [ref("DatabaseCluster")]
    assert "DatabaseInstance" in as_list(target["DependsOn"])


def test_aurora_serverless_v2_capacity_comes_from_parameters_and_never_auto_pauses():
    cluster = resource("DatabaseCluster")
    props = cluster["Properties"]
    assert props["Engine"] == "aurora-postgresql"
    assert props["ServerlessV2ScalingConfiguration"] == {
        "MinCapacity": ref("DatabaseMinCapacity"), "MaxCapacity": ref("DatabaseMaxCapacity")}
    # 0 ACU (auto-pause) does not work with RDS Proxy holding connections (README, Deploying).
    assert parameter("DatabaseMinCapacity")["MinValue"] == 0.5
    assert props["StorageEncrypted"] is True
    assert resource("DatabaseInstance")["Properties"]["DBInstanceClass"] == "db.serverless"
    assert resource("DatabaseInstance")["Properties"]["PubliclyAccessible"] is False
    # `make destroy` keeps a final snapshot; so does a replacement.
    assert (cluster["DeletionPolicy"], cluster["UpdateReplacePolicy"]) == ("Snapshot", "Snapshot")


def test_database_logins_are_generated_secrets_with_consistent_user_names():
    for name in ("DatabaseOwnerSecret", "DatabaseWorkerSecret"):
        generate = resource(name)["Properties"]["GenerateSecretString"]
        assert generate["GenerateStringKey"] == "password" and generate["PasswordLength"] >= 32
        assert "SecretString" not in resource(name)["Properties"]
    owner = json.loads(resource("DatabaseOwnerSecret")["Properties"]["GenerateSecretString"]["SecretStringTemplate"])
    assert owner == {"username": OWNER}
    worker_template = resource("DatabaseWorkerSecret")["Properties"]["GenerateSecretString"]["SecretStringTemplate"]
    assert json.loads(worker_template["Fn::Sub"].replace("${DatabaseUser}", "U")) == {"username": "U"}
    props = resource("DatabaseCluster")["Properties"]
    assert props["MasterUsername"]["Fn::Sub"] == "{{resolve:secretsmanager:${DatabaseOwnerSecret}:SecretString:username}}"
    assert props["MasterUserPassword"]["Fn::Sub"] == "{{resolve:secretsmanager:${DatabaseOwnerSecret}:SecretString:password}}"
    # The migrate function connects as the owner, through the proxy, with an IAM token.
    migrate = env("MigrateFunction")
    assert (migrate[settings.DB_USER], migrate[settings.DB_AUTH], migrate[settings.DB_TLS]) == (OWNER, "iam", "true")
    assert migrate[settings.DB_HOST] == {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]}
    assert migrate[settings.DB_WORKER_SECRET_ARN] == ref("DatabaseWorkerSecret")


def test_network_egress_ipv6_by_default_nat_as_the_option_and_the_free_dynamodb_endpoint():
    assert parameter("NetworkEgress")["Default"] == "ipv6"
    assert set(parameter("NetworkEgress")["AllowedValues"]) == {"ipv6", "nat"}
    ipv6_route = resource("PrivateIpv6DefaultRoute")
    assert ipv6_route["Condition"] == "CreateIpv6Egress"
    assert condition_requires("CreateIpv6Egress", "NetworkEgress", "ipv6")
    assert ipv6_route["Properties"]["DestinationIpv6CidrBlock"] == "::/0"
    assert ipv6_route["Properties"]["EgressOnlyInternetGatewayId"] == ref("EgressOnlyGateway")
    nat_route = resource("PrivateNatDefaultRoute")
    assert nat_route["Condition"] == "CreateNatEgress" and condition_requires("CreateNatEgress", "NetworkEgress", "nat")
    assert nat_route["Properties"]["DestinationCidrBlock"] == "0.0.0.0/0"
    for name in ("NatGateway", "NatAddress", "InternetGateway", "PublicSubnet"):
        assert resource(name)["Condition"] == "CreateNatEgress"
    # Both private subnets are dual-stack, in two AZs, and use the private route table.
    azs = set()
    for subnet in ("PrivateSubnetA", "PrivateSubnetB"):
        props = resource(subnet)["Properties"]
        assert "Ipv6CidrBlock" in props and props["MapPublicIpOnLaunch"] is False
        azs.add(json.dumps(props["AvailabilityZone"]))
    assert len(azs) == 2
    endpoint = resource("DynamoDbGatewayEndpoint")["Properties"]
    assert endpoint["VpcEndpointType"] == "Gateway"
    assert endpoint["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.dynamodb"}
    assert endpoint["RouteTableIds"] == [ref("PrivateRouteTable")]
    [statement] = endpoint["PolicyDocument"]["Statement"]
    assert set(statement["Action"]) == set(settings.WORKER_AWS_ACTIONS)
    assert statement["Resource"] == arn_of("IdempotencyTable")


def test_security_groups_chain_functions_to_proxy_to_database_only():
    proxy_ingress = resource("ProxySecurityGroup")["Properties"]["SecurityGroupIngress"]
    assert [r["SourceSecurityGroupId"] for r in proxy_ingress] == [ref("FunctionSecurityGroup")]
    db = resource("DatabaseSecurityGroup")["Properties"]
    assert [r["SourceSecurityGroupId"] for r in db["SecurityGroupIngress"]] == [ref("ProxySecurityGroup")]
    assert [r["CidrIp"] for r in db["SecurityGroupEgress"]] == ["127.0.0.1/32"]
    function_egress = resource("FunctionSecurityGroup")["Properties"]["SecurityGroupEgress"]
    assert {(r["FromPort"], r["ToPort"]) for r in function_egress} == {(443, 443)}
    to_proxy = resource("FunctionToProxyEgress")["Properties"]
    assert (to_proxy["GroupId"], to_proxy["DestinationSecurityGroupId"]) == (
        ref("FunctionSecurityGroup"), ref("ProxySecurityGroup"))
    assert resource("ProxyToDatabaseEgress")["Properties"]["DestinationSecurityGroupId"] == ref("DatabaseSecurityGroup")


# --- the new functions: least privilege, environment, custom resources -----------------------
def test_migrate_role_grants_exactly_the_owner_login_the_worker_secret_and_its_enis():
    granted = {a: g for a, g in grants(role_of("MigrateFunction")).items() if not a.startswith("logs:")}
    expected = set(settings.MIGRATE_DB_IAM_ACTIONS) | set(settings.MIGRATE_AWS_ACTIONS) | ENI_ACTIONS
    assert set(granted) == expected, f"extra: {set(granted) - expected}, missing: {expected - set(granted)}"
    for action in settings.MIGRATE_DB_IAM_ACTIONS:
        assert granted[action] == [(None, created_proxy_dbuser_arn(OWNER))]
    for action in settings.MIGRATE_AWS_ACTIONS:
        assert granted[action] == [(None, ref("DatabaseWorkerSecret"))]
    for action in ENI_ACTIONS:
        assert granted[action] == [(None, "*")]


def test_register_role_reads_only_the_bot_token_secret():
    granted = {a: g for a, g in grants(role_of("RegisterFunction")).items() if not a.startswith("logs:")}
    assert set(granted) == set(settings.REGISTER_AWS_ACTIONS)
    for action in settings.REGISTER_AWS_ACTIONS:
        assert granted[action] == [(None, ref("DiscordBotSecretArn"))]


def test_each_role_reads_only_its_own_secrets():
    readers: dict[str, set[str]] = {}
    for name, res in template()["Resources"].items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        for _, res_arn in grants(res).get("secretsmanager:GetSecretValue", []):
            readers.setdefault(json.dumps(res_arn, sort_keys=True), set()).add(name)

    def key(name: str) -> str:
        return json.dumps(ref(name), sort_keys=True)

    assert readers.pop(key("DiscordBotSecretArn")) == {"WorkerRole", "RegisterRole"}
    assert readers.pop(key("DatabaseSecretArn")) == {"WorkerRole", "RanksRole"}  # the same database login
    assert readers.pop(key("DatabaseWorkerSecret")) == {"MigrateRole", "ProxyRole"}
    assert readers.pop(key("DatabaseOwnerSecret")) == {"ProxyRole"}
    assert readers == {}, f"unexpected secret readers: {readers}"
    # The proxy's role: assumed by RDS, reading those two logins and doing nothing else.
    proxy_role = resource("ProxyRole")
    principal = proxy_role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "rds.amazonaws.com"}
    assert set(grants(proxy_role)) == {"secretsmanager:GetSecretValue"}


def test_new_functions_get_every_variable_they_read():
    for name, needed in (("MigrateFunction", settings.MIGRATE_ENV), ("RegisterFunction", settings.REGISTER_ENV)):
        variables = env(name)
        missing = [variable for variable in needed if variable not in variables]
        assert not missing, f"{name} does not set {missing}"
    assert env("RegisterFunction")[settings.DISCORD_BOT_TOKEN_SECRET_ARN] == ref("DiscordBotSecretArn")
    assert env("RegisterFunction")[settings.DISCORD_API_BASE] == settings.DEFAULT_DISCORD_API_BASE
    assert settings.DISCORD_BOT_TOKEN not in env("RegisterFunction")


def test_custom_resources_rerun_when_the_code_or_the_migrations_change():
    migrate = resource("MigrateSchema")
    props = migrate["Properties"]
    assert props["ServiceToken"] == arn_of("MigrateFunction")
    # A new function version (code or SQL changed) or a new code layer means a new Update call.
    assert props["FunctionVersion"] == {"Ref": "MigrateFunction.Version"}
    assert props["CodeLayer"] == ref("CodeLayer")
    assert function("MigrateFunction")["AutoPublishAlias"]
    # Only once the proxy has its target and the functions have a way out.
    assert {"DatabaseProxyTargetGroup", "EgressReady"} <= set(as_list(migrate["DependsOn"]))
    register = resource("RegisterApplicationCommands")["Properties"]
    assert register["ServiceToken"] == arn_of("RegisterFunction")
    assert register["CodeLayer"] == ref("CodeLayer")
    # The SQL files ship with the migrate function (a link sam build follows).
    shipped = sorted(p.name for p in (ROOT / function("MigrateFunction")["CodeUri"] / "migrations").glob("*.sql"))
    assert shipped == sorted(p.name for p in (ROOT / "infra/migrations").glob("*.sql")) and shipped


def test_samconfig_dev_has_snapstart_off_and_prod_on():
    default = _overrides(samconfig()["default"]["deploy"]["parameters"])
    prod = _overrides(samconfig()["prod"]["deploy"]["parameters"])
    assert default["IngressSnapStart"] == "false"
    assert prod["IngressSnapStart"] == "true"
    assert prod["DatabaseDeletionProtection"] == "true"
    for overrides in (default, prod):
        assert overrides["DatabaseMode"] == "create"


def test_make_deploy_is_guided_until_samconfig_holds_the_required_answers():
    from ladderctl.ops.samconfig_ready import REQUIRED, ready

    config = samconfig()
    # As committed: placeholders, so the first `make deploy` of each environment is guided.
    assert not ready(config, "default") and not ready(config, "prod")
    assert not ready(config, "staging")
    filled = {"default": {
        "global": {"parameters": {"stack_name": "ladderline-dev"}},
        "deploy": {"parameters": {"parameter_overrides": [
            "DiscordApplicationId=123456789012345678", "DiscordPublicKey=" + "ab" * 32,
            "DiscordBotSecretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:bot-AbCdEf"]}},
    }}
    assert ready(filled, "default")
    # What `sam deploy --guided` saves: one string of overrides.
    filled["default"]["deploy"]["parameters"]["parameter_overrides"] = (
        'DiscordApplicationId="123456789012345678" DiscordPublicKey="' + "ab" * 32
        + '" DiscordBotSecretArn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:bot-AbCdEf"')
    assert ready(filled, "default")
    assert set(REQUIRED) == {name for name, p in template()["Parameters"].items() if "Default" not in p}


def test_no_tick_runs_before_the_schema_is_migrated():
    # The schedule starts with the stack; with DatabaseMode=create its first ticks would otherwise
    # meet no schema and no worker role and fail their way into the dead-letter queue.
    assert "SchemaReady" in as_list(resource("TickSchedule")["DependsOn"])
    gate = resource("SchemaReady")
    assert "Condition" not in gate
    condition, when_created, _ = gate["Metadata"]["Schema"]["Fn::If"]
    assert (condition, when_created) == ("CreateDatabase", ref("MigrateSchema"))


def test_samconfig_names_the_proxy_the_stack_builds_for_the_dashboard_and_alarm():
    assert resource("DatabaseProxy")["Properties"]["DBProxyName"] == {"Fn::Sub": "${AWS::StackName}-proxy"}
    for env_name in ("default", "prod"):
        stack = samconfig()[env_name]["global"]["parameters"]["stack_name"]
        overrides = _overrides(samconfig()[env_name]["deploy"]["parameters"])
        assert overrides["DatabaseProxyName"] == f"{stack}-proxy"
