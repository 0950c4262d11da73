"""The ingress core: from an API Gateway HTTP API (payload 2.0) event to Discord's answer.

Order matters: size (413) before anything else, the signature (401) on the raw bytes before any
JSON parsing, then the payload (400). The job is published before "deferred" is answered, so
nothing is acknowledged that is not queued. No input produces an exception or a 5xx.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time

from ladderline.discord import responses
from ladderline.discord.constants import CallbackType, InteractionType
from ladderline.discord.interaction import Interaction, MalformedInteraction
from ladderline.discord.verify import SignatureError, SignatureVerifier
from ladderline.job import Job
from ladderline.ladder.acks import Ack
from ladderline.ladder.i18n import N_, text_for

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the ingress's cold start)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol

    class Publisher(Protocol):
        def publish(self, job: Job) -> None: ...

    class IngressRoute(Protocol):
        """What the ingress reads of a route (ladder/routes.py Route, or ladder/ingress_routes.py's)."""

        @property
        def key(self) -> str: ...
        @property
        def ack(self) -> Ack: ...
        @property
        def ephemeral(self) -> bool: ...
        @property
        def modal(self) -> Callable[[Interaction], dict[str, Any]] | None: ...
        @property
        def autocomplete(self) -> Callable[[Interaction], list[dict[str, Any]]] | None: ...
        def ephemeral_for(self, guild_id: str | None) -> bool: ...

    class RouteTable(Protocol):
        def find(self, kind: InteractionType | int, key: str) -> IngressRoute | None: ...


logger = logging.getLogger("ladderline.ingress")

UNKNOWN_ROUTE_TEXT = N_("Sorry, I don't know that command or button. It may have been removed; try `/` again.")
UNAVAILABLE_TEXT = N_("The bot is temporarily unavailable, please try again in a moment.")


class IngressResult:
    """The HTTP answer plus what observability needs (never the token or the body)."""

    __slots__ = ("callback_type", "guild_id", "interaction_id", "interaction_type", "outcome", "response", "route")

    def __init__(self, response: dict[str, Any], outcome: str, interaction_id: str | None = None,
                 route: str | None = None, guild_id: str | None = None, interaction_type: int | None = None,
                 callback_type: int | None = None) -> None:
        self.response = response
        # pong, deferred, update, modal, autocomplete, unknown_route, or a rejection reason
        self.outcome = outcome
        self.interaction_id = interaction_id
        self.route = route
        self.guild_id = guild_id
        self.interaction_type = interaction_type
        self.callback_type = callback_type  # what Discord was answered with (200 answers only)

    @property
    def rejected(self) -> bool:
        return self.response["statusCode"] >= 400 or self.outcome == "publish_failed"


def http_json(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"},
            "body": json.dumps(body, separators=(",", ":"), ensure_ascii=False)}


class Ingress:
    def __init__(self, verifier: SignatureVerifier, publisher: Publisher, registry: RouteTable, *,
                 max_body_bytes: int, clock: Callable[[], float] = time.time) -> None:
        self._verifier = verifier
        self._publisher = publisher
        self._registry = registry
        self._max_body_bytes = max_body_bytes
        self._clock = clock

    def handle(self, event: Any) -> IngressResult:
        received_at_ms = int(self._clock() * 1000)
        if not isinstance(event, dict):
            return IngressResult(http_json(400, {"error": "malformed request"}), "malformed")
        raw = self._raw_body(event)
        if isinstance(raw, IngressResult):
            return raw
        headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
        try:
            self._verifier.verify(headers.get("x-signature-ed25519"), headers.get("x-signature-timestamp"),
                                  raw, now=received_at_ms / 1000)
        except SignatureError as exc:
            reason = "stale" if exc.reason == "stale_timestamp" else "bad_signature"
            return IngressResult(http_json(401, {"error": "invalid request signature"}), reason)
        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return IngressResult(http_json(400, {"error": "body is not JSON"}), "malformed")
        if not isinstance(payload, dict):
            return IngressResult(http_json(400, {"error": "body is not a JSON object"}), "malformed")
        if payload.get("type") == InteractionType.PING:
            return IngressResult(http_json(200, responses.pong()), "pong", interaction_type=1,
                                 callback_type=CallbackType.PONG)
        try:
            interaction = Interaction.parse(payload)
        except MalformedInteraction as exc:
            return IngressResult(http_json(400, {"error": f"malformed interaction: {exc}"}), "malformed")
        return self._answer(interaction, received_at_ms)

    def _raw_body(self, event: dict[str, Any]) -> bytes | IngressResult:
        body = event.get("body") or ""
        if not isinstance(body, str):
            return IngressResult(http_json(400, {"error": "malformed request"}), "malformed")
        # Base64 inflates by 4/3: refuse oversized bodies before decoding them.
        encoded = bool(event.get("isBase64Encoded"))
        limit = self._max_body_bytes * 4 // 3 + 4 if encoded else self._max_body_bytes  # chars <= UTF-8 bytes
        if len(body) > limit:
            return IngressResult(http_json(413, {"error": "body too large"}), "too_large")
        try:
            raw = base64.b64decode(body, validate=True) if encoded else body.encode("utf-8")
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return IngressResult(http_json(400, {"error": "body is not valid base64"}), "malformed")
        if len(raw) > self._max_body_bytes:
            return IngressResult(http_json(413, {"error": "body too large"}), "too_large")
        return raw

    def _answer(self, interaction: Interaction, received_at_ms: int) -> IngressResult:
        route = self._registry.find(interaction.type, interaction.route_key)

        def result(response: dict[str, Any], outcome: str) -> IngressResult:
            return IngressResult(http_json(200, response), outcome, interaction.id,
                                 route.key if route else None, interaction.guild_id, int(interaction.type),
                                 int(response["type"]))

        def notice(text: str) -> dict[str, Any]:
            # An ephemeral line in the client's language (Discord sends the locale; no database here).
            return responses.channel_message({"content": text_for(interaction.locale)(text)}, ephemeral=True)

        if route is None:
            if interaction.type == InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
                return result(responses.autocomplete_result([]), "unknown_route")
            return result(notice(UNKNOWN_ROUTE_TEXT), "unknown_route")
        if interaction.type == InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
            choices = route.autocomplete(interaction) if route.autocomplete else []
            return result(responses.autocomplete_result(choices), "autocomplete")
        if route.ack is Ack.MODAL:
            # Discord does not accept a modal as the answer to a modal submit.
            if interaction.type == InteractionType.MODAL_SUBMIT:
                return result(notice(UNKNOWN_ROUTE_TEXT), "unknown_route")
            assert route.modal is not None  # Route guarantees a MODAL ack has a builder
            return result(route.modal(interaction), "modal")
        answer = self._deferred_answer(route, interaction)
        job = Job.from_interaction(interaction, route=route.key, ack_type=answer["type"],
                                   ephemeral=route.ephemeral_for(interaction.guild_id), received_at_ms=received_at_ms)
        try:
            self._publisher.publish(job)
        except Exception:  # any failure to queue: nothing may be acknowledged as deferred
            # Ids and the route only: the job itself carries the token.
            logger.exception("publish failed", extra={"correlation_id": interaction.id, "command": route.key,
                                                      "guild_id": interaction.guild_id})
            return result(notice(UNAVAILABLE_TEXT), "publish_failed")
        return result(answer, "deferred")

    @staticmethod
    def _deferred_answer(route: IngressRoute, interaction: Interaction) -> dict[str, Any]:
        from_component = interaction.type == InteractionType.MESSAGE_COMPONENT or (
            interaction.type == InteractionType.MODAL_SUBMIT and interaction.message is not None)
        if route.ack is Ack.UPDATE_DISABLED and interaction.type == InteractionType.MESSAGE_COMPONENT:
            return responses.update_message(responses.with_components_disabled(interaction.message or {}))
        if route.ack is Ack.DEFERRED_UPDATE and from_component:
            return {"type": CallbackType.DEFERRED_UPDATE_MESSAGE}
        return responses.deferred_channel_message(ephemeral=route.ephemeral_for(interaction.guild_id))
