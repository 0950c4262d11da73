"""The playground's HTTP server: the page, its JSON actions and the live event stream.

Every action the page takes as a player goes through `ladderctl simulate`'s Simulator: the
interaction is made by simulate's payload code and handed to the emulator's control API, which
signs it and POSTs it to the real ingress (then the queue, the worker and the emulator again).
Only the bookkeeping around it lives here. Loopback only; POSTs must be JSON from this origin.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import queue
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from ladderctl.drive.simulate import (
    DEFAULT_GUILD,
    PLAYERS,
    SELECT_TYPES,
    SimulateError,
    Simulator,
    command_data,
    iter_components,
    modal_submit_data,
)
from ladderctl.playground.live import Live
from ladderctl.stack.discord_emulator import DISCORD_LOCALES

logger = logging.getLogger("ladderctl.playground")
HOST = "127.0.0.1"  # never another interface: the page acts as any user
ACTIVATION_CODE = "PLAYGROUND"  # a local, many-use activation code, made at start-up for /activate
KEEPALIVE_SECONDS = 15
STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
          "/app.js": ("app.js", "text/javascript; charset=utf-8"),
          "/style.css": ("style.css", "text/css; charset=utf-8")}
# Where a fault applies (globs on the API path without /api/vN, as DiscordEmulator.script takes).
FAULT_TARGETS = {"edits": "/webhooks/*", "dms": "/channels/*", "all": "*"}
SERVER_ERROR = {"message": "500: Internal Server Error", "code": 0}


class ActionError(ValueError):
    """A request the page should not have sent (unknown message, disabled button...): HTTP 400."""


def tick_id_now() -> str:
    # The scheduler's tick id is its scheduled time; milliseconds keep two clicks in one second apart.
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def command_list() -> list[dict[str, Any]]:
    """The registered slash commands (what `ladderctl register` sends), for the composer."""
    from ladderline.ladder.registry import registry

    return registry().commands()


MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class Playground:
    def __init__(self, stack: Any, port: int, database_url: str | None = None) -> None:
        self.stack = stack
        self.emulator = stack.emulator
        self.database_url = database_url
        self.live = Live(self.emulator)
        self._my_ticks: set[str] = set()
        self._modals: dict[str, dict[str, Any]] = {}  # user id -> the modal open for them
        self._lock = threading.Lock()
        handler = type("_BoundHandler", (_Handler,), {"playground": self})
        self._server = ThreadingHTTPServer((HOST, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> Playground:
        self.activation_code = self._make_activation_code()
        self.live.start()
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), name="playground",
                                        daemon=True)
        self._thread.start()
        return self

    def banner_line(self) -> str:
        return f"  playground {self.url}  <- open it: play as several users in the browser"

    def stop(self) -> None:
        self.live.stop()  # ends the open event streams first, so shutdown does not wait on them
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _make_activation_code(self) -> str | None:
        """/activate needs a code an operator made; the local stack makes one so a page player can finish."""
        if not self.database_url:
            return None
        from ladderline.adapters import sql
        from ladderline.ladder.commands.activate import hash_code

        from ladderctl.postgres import connect

        try:
            conn = connect(self.database_url, timeout=10)
            try:
                conn.run("INSERT INTO activation_codes (code_hash, max_uses) VALUES "
                         f"({sql.literal(hash_code(ACTIVATION_CODE))}, 1000000) ON CONFLICT DO NOTHING")
            finally:
                conn.close()
        except Exception:
            logger.warning("could not create the playground's activation code", exc_info=True)
            return None
        return ACTIVATION_CODE

    # --- what the page shows at start ------------------------------------------------------------
    def bootstrap(self) -> dict[str, Any]:
        return {
            "users": [{"id": uid, "name": name.capitalize()} for name, uid in PLAYERS.items()],
            "commands": command_list(),
            "guild_id": DEFAULT_GUILD,
            "activation_code": getattr(self, "activation_code", None),
            "faults": self.live.faults(),
            "ticker": bool(getattr(self.stack.options, "tick_seconds", 0)),
        }

    # --- acting as a user -------------------------------------------------------------------------------
    def _simulator(self, user: str, place: str, locale: str = "en-US") -> Simulator:
        if user not in PLAYERS.values():
            raise ActionError(f"unknown user {user}")
        if locale not in DISCORD_LOCALES:
            raise ActionError(f"{locale!r} is not one of Discord's locales")
        info = self.stack.info
        if info is None:
            raise ActionError("the stack is still starting")
        guild = DEFAULT_GUILD if place == "channel" else None
        # Simulator keeps the last message and modal in this file (the page sends ids, not that file's).
        return Simulator(info, self.stack.data_dir, user_id=user, guild_id=guild,
                         last_file=f"playground-last-{user}.json", locale=locale)

    def interact(self, body: dict[str, Any]) -> dict[str, Any]:
        user, place, kind = str(body.get("user")), str(body.get("place", "channel")), body.get("type")
        # Each user is a Discord client with its own language (the pane's "Discord language").
        sim = self._simulator(user, place, str(body.get("locale") or "en-US"))
        try:
            if kind == "command":
                outcome = sim.send(2, command_data(str(body["name"]), _strings(body.get("options")),
                                                   words=_words(body.get("words"))), wait=0)
            elif kind == "autocomplete":
                options = _strings(body.get("options"))
                outcome = sim.send(4, command_data(str(body["name"]), options, focused=str(body["focused"]),
                                                   words=_words(body.get("words"))), wait=0)
            elif kind == "component":
                message = self._message_for(body, user)
                component = next((c for c in iter_components(message.get("components"))
                                  if c.get("custom_id") == body.get("custom_id")), None)
                if component is None:
                    raise ActionError(f"the message has no component {body.get('custom_id')}")
                if component.get("disabled"):
                    raise ActionError("that component is disabled (Discord would not send the click)")
                data: dict[str, Any] = {"custom_id": component["custom_id"], "component_type": int(component["type"])}
                if int(component["type"]) in SELECT_TYPES:
                    data["values"] = [str(v) for v in body.get("values") or []]
                outcome = sim.send(3, data, message=message, wait=0)
            elif kind == "modal":
                with self._lock:
                    modal = self._modals.get(user)
                if modal is None or modal.get("custom_id") != body.get("custom_id"):
                    raise ActionError("that modal is not open any more")
                fields, resolved = _strings(body.get("fields")), {}
                # A File Upload's file goes to the emulator's CDN first, as the client uploads it;
                # the submit carries its attachment id, resolved in data.resolved.
                for custom_id, upload in (body.get("files") or {}).items():
                    attachment = self._upload(upload)
                    fields[str(custom_id)] = attachment["id"]
                    resolved[attachment["id"]] = attachment
                data = modal_submit_data(modal, fields)
                if resolved:
                    data["resolved"] = {"attachments": resolved}
                outcome = sim.send(5, data, message=modal.get("message"), wait=0)
                with self._lock:
                    self._modals.pop(user, None)
            else:
                raise ActionError(f"unknown action {kind!r}")
        except SimulateError as exc:
            raise ActionError(str(exc)) from None
        except KeyError as exc:
            raise ActionError(f"missing {exc}") from None
        refused = list(outcome.extra.get("refused") or [])
        self.live.answered(outcome.interaction, outcome.status, outcome.response, outcome.answer_ms, refused)
        answer: dict[str, Any] = {"interaction_id": outcome.interaction["id"], "status": outcome.status,
                                  "callback_type": None if refused else outcome.callback_type,
                                  "refused": refused, "ack_ms": round(outcome.answer_ms, 1)}
        response = outcome.response if isinstance(outcome.response, dict) else {}
        if outcome.callback_type == 8:
            answer["choices"] = (response.get("data") or {}).get("choices") or []
        if outcome.callback_type == 9 and not refused and outcome.modal is not None:
            with self._lock:
                self._modals[user] = outcome.modal
            answer["modal"] = {k: v for k, v in outcome.modal.items() if k != "message"}
        if outcome.status != 200:
            answer["error"] = f"the endpoint answered HTTP {outcome.status}"
        return answer

    def _upload(self, upload: Any) -> dict[str, Any]:
        if not isinstance(upload, dict) or not isinstance(upload.get("base64"), str):
            raise ActionError("a file upload needs {filename, base64}")
        try:
            data = base64.b64decode(upload["base64"], validate=True)
        except (ValueError, binascii.Error):
            raise ActionError("the file's base64 is not valid") from None
        if len(data) > MAX_UPLOAD_BYTES:
            # Discord's own upload limit for a bot interaction's attachment (10 MB without Nitro).
            raise ActionError(f"the file is over {MAX_UPLOAD_BYTES // 1048576} MB (Discord would refuse it)")
        return dict(self.emulator.upload(data, str(upload.get("filename") or "file")))

    def _message_for(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        entry = self.live.message(str(body.get("message_id")))
        if entry is None:
            raise ActionError(f"unknown message {body.get('message_id')}")
        if entry.get("visible_to") not in (None, user):
            raise ActionError("that ephemeral message belongs to another user")
        return dict(entry["message"])

    # --- the stack's controls ------------------------------------------------------------------------------
    def wave(self) -> dict[str, Any]:
        """Queue a tick job now, as the schedule does: its handlers run the matchmaking wave."""
        from ladderline.job import Job

        aws = self.stack.aws
        if aws is None:
            raise ActionError("the stack is still starting")
        tick = tick_id_now()
        with self._lock:
            self._my_ticks.add(tick)
        aws.client("sqs").send_message(QueueUrl=aws.queue_url, MessageBody=Job.tick(tick).to_json())
        self.live.notice(f"Matchmaking wave queued now (tick {tick}).")
        return {"tick_id": tick}

    def set_faults(self, body: dict[str, Any]) -> dict[str, Any]:
        kind = str(body.get("kind"))
        target = str(body.get("target", "edits"))
        if target not in FAULT_TARGETS:
            raise ActionError(f"target must be one of {', '.join(FAULT_TARGETS)}")
        times = max(1, min(50, int(body.get("times", 1))))
        if kind == "latency":
            seconds = max(0.0, min(10.0, float(body.get("seconds", 0))))
            self.emulator.latency_seconds = seconds
            text = f"Discord answers {seconds:g} s later from now on." if seconds else "Discord answers at once again."
        elif kind in ("429", "500", "503"):
            status = int(kind)
            scope = str(body.get("scope", "user"))
            if scope not in ("user", "global", "shared"):
                raise ActionError("scope must be user, global or shared")
            what = f"{status}" + (f" (scope {scope})" if status == 429 else "")
            self.emulator.script("*", FAULT_TARGETS[target], status, None if status == 429 else SERVER_ERROR,
                                 times=times, scope=scope, label=f"{what} to {target}")
            text = f"The next {times} request(s) of the bot to {target} get {what}."
        else:
            raise ActionError("kind must be latency, 429, 500 or 503")
        self.live.notice(text)
        return self.live.faults(announce=True)

    def open_modal(self, user: str) -> dict[str, Any] | None:
        """The modal the bot opened for `user` and that was not submitted yet (a reloaded page reopens it)."""
        with self._lock:
            modal = self._modals.get(user)
        return None if modal is None else {k: v for k, v in modal.items() if k != "message"}

    # --- the poller's batches ----------------------------------------------------------------------------
    def batch_done(self, batch: Any) -> None:
        """Queue delay (sent -> first received, SQS's own timestamps) and worker time of each job."""
        for message in batch.messages:
            try:
                job = json.loads(message["Body"])
                attributes = message.get("Attributes") or {}
                sent, received = attributes.get("SentTimestamp"), attributes.get("ApproximateFirstReceiveTimestamp")
                queue_ms = float(received) - float(sent) if sent and received else None
            except (ValueError, TypeError, KeyError):
                continue
            failed = message["MessageId"] in batch.failed_ids
            job_id = str(job.get("interaction_id"))
            if job.get("kind") == "tick":
                with self._lock:
                    mine = job_id in self._my_ticks
                    self._my_ticks.discard(job_id)
                if mine:
                    delay = f"queue delay {queue_ms:.0f} ms, " if queue_ms is not None else ""
                    self.live.notice(f"Tick {job_id} ran ({delay}worker {batch.elapsed_ms:.0f} ms)"
                                     + (": FAILED, retried" if failed else "."))
                continue
            self.live.job_done(job_id, queue_ms, batch.elapsed_ms, failed)


def _strings(values: Any) -> dict[str, str]:
    if not isinstance(values, dict):
        return {}
    return {str(k): str(v) for k, v in values.items() if v is not None and str(v) != ""}


def _words(values: Any) -> list[str]:
    """A subcommand path as the page sends it (["code", "create"]); anything else: none."""
    return [str(v) for v in values if str(v)] if isinstance(values, list) else []


class _Handler(BaseHTTPRequestHandler):
    playground: Playground
    server_version = "ladderline-playground"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _allowed_host(self) -> bool:
        # A page from another site could reach a loopback port through DNS rebinding: the Host must be ours.
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        return host in ("127.0.0.1", "localhost", "[::1]")

    def _json(self, status: int, payload: Any) -> None:
        raw = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        if not self._allowed_host():
            return self._json(403, {"error": "wrong Host"})
        path = urlsplit(self.path).path
        if path in STATIC:
            name, content_type = STATIC[path]
            raw = (resources.files("ladderctl.playground") / "static" / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(raw)
            return None
        if path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return None
        if path == "/api/bootstrap":
            return self._json(200, self.playground.bootstrap())
        if path.startswith("/api/raw/"):
            found = self.playground.live.raw(path.rsplit("/", 1)[1])
            return self._json(200, found) if found is not None else self._json(404, {"error": "unknown id"})
        if path.startswith("/api/modal/"):
            modal = self.playground.open_modal(path.rsplit("/", 1)[1])
            return self._json(200, modal) if modal is not None else self._json(404, {"error": "no open modal"})
        if path == "/api/events":
            return self._events()
        return self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        if not self._allowed_host():
            return self._json(403, {"error": "wrong Host"})
        # A JSON content type cannot be sent cross-origin without a preflight, which we never answer.
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            return self._json(415, {"error": "send application/json"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self._json(400, {"error": "the body must be a JSON object"})
        path = urlsplit(self.path).path
        actions = {"/api/interact": self.playground.interact, "/api/faults": self.playground.set_faults,
                   "/api/wave": lambda _body: self.playground.wave()}
        action = actions.get(path)
        if action is None:
            return self._json(404, {"error": "not found"})
        try:
            return self._json(200, action(body))
        except ActionError as exc:
            return self._json(400, {"error": str(exc)})
        except Exception as exc:
            logger.exception("playground action %s failed", path)
            return self._json(500, {"error": f"{type(exc).__name__}: {exc}"})

    def _events(self) -> None:
        """Server-sent events: a snapshot, then every change, until the page or the stack goes away."""
        events = self.playground.live.subscribe()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            while True:
                try:
                    event = events.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    self.wfile.write(b": keep-alive\n\n")  # a comment line: keeps proxies from closing it
                    self.wfile.flush()
                    continue
                if event is None:
                    return
                self.wfile.write(b"data: " + json.dumps(event, ensure_ascii=False).encode() + b"\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return
        finally:
            self.playground.live.unsubscribe(events)
            self.close_connection = True


__all__ = ["ACTIVATION_CODE", "ActionError", "Playground"]
