"""The plain classes that replaced dataclasses on the ingress's path print no secret: a repr can end
up in a log line or a traceback (the bot token, the interaction token and AWS credentials never may)."""

from __future__ import annotations

from ladderline.adapters.sigv4 import Credentials
from ladderline.discord.interaction import Interaction
from ladderline.settings import AwsRuntime

SECRET, SESSION, AUTHORIZATION, TOKEN = "wJalrXUtnFEMI-secret", "IQoJb3JpZ2luX2Vj-session", "auth-9f8e", "aW50ZXJhY3Rpb24"


def test_aws_runtime_shows_where_not_the_secrets():
    runtime = AwsRuntime.from_env({"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                                   "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": SESSION,
                                   "AWS_CONTAINER_AUTHORIZATION_TOKEN": AUTHORIZATION})

    shown = repr(runtime)

    assert "eu-west-1" in shown and "AKIDEXAMPLE" in shown
    assert SECRET not in shown and SESSION not in shown and AUTHORIZATION not in shown


def test_credentials_show_the_key_id_only():
    shown = repr(Credentials("AKIDEXAMPLE", SECRET, SESSION))

    assert "AKIDEXAMPLE" in shown and SECRET not in shown and SESSION not in shown


def test_an_interaction_never_shows_its_token():
    interaction = Interaction.parse({"id": "1", "application_id": "2", "type": 2, "token": TOKEN,
                                     "member": {"user": {"id": "3"}}, "data": {"name": "ping"}})

    assert TOKEN not in repr(interaction) and "ping" in repr(interaction)
