"""`ladderctl dev`: the whole bot on this machine, with one command.

- PostgreSQL: a local cluster in <data-dir>/postgres (kept between runs), migrations applied at
  start; or DATABASE_URL when set.
- AWS: moto in server mode on loopback with the queue, DLQ and idempotency table of template.yaml
  (in memory: the queue starts empty on every run); or real AWS with LADDER_USE_REAL_AWS=1 plus
  QUEUE_URL and IDEMPOTENCY_TABLE (and your usual AWS credentials).
- The ingress handler behind http://127.0.0.1:<port>/interactions (API Gateway HTTP API events).
- The worker handler fed by an SQS poller that behaves like the Lambda event source; timers come
  back after their DelaySeconds (moto honours it), and a ticker puts a tick job on the queue every
  --tick-seconds (5 by default: the deployed schedule's minute, shortened so sweeps show at once).
- Discord: the real one when DISCORD_PUBLIC_KEY and DISCORD_APPLICATION_ID are set (expose the
  port through a tunnel and save <tunnel>/interactions as the Interactions Endpoint URL);
  otherwise a local emulator that signs with a key pair kept in <data-dir>/discord-key.json and
  accepts a bot token made for this run (the worker gets it as DISCORD_BOT_TOKEN). With real
  Discord, the bot token comes from DISCORD_BOT_TOKEN in your environment.

- Extras started with it (DevOptions.extras): `ladderctl dev` (ladderctl/dev.py) adds the
  playground, a page to play as several users in the browser; the stack itself knows nothing of it.

Each interaction prints one line per step; the handlers' own output goes to <data-dir>/dev.log.
<data-dir>/stack.json tells `ladderctl simulate` and `ladderctl demo` where everything is.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, Self, TextIO

from ladderline import settings as names
from ladderline.discord.snowflake import make_snowflake
from ladderline.pipeline.worker import RETRY_DELAYS_SECONDS

from ladderctl.sample_replays import ZVP_HANDLE
from ladderctl.stack.folder_lock import FolderLock, FolderLocked
from ladderctl.stack.info import (
    DEFAULT_CHANNEL,
    DEFAULT_DATA_DIR,
    DEFAULT_GUILD,
    DEFAULT_TICK_SECONDS,
    StackInfo,
    read_stack,
    stack_file,
    ticks_held_file,
)
from ladderctl.stack.lambdas import HandlerLoadError, load_handler
from ladderctl.stack.local_aws import (
    AwsResources,
    LocalAws,
    StackConfigError,
    StackSettings,
    read_template,
    real_aws_from_env,
)
from ladderctl.stack.local_http import IngressServer, PortInUse, summarize
from ladderctl.stack.local_log import Console, RotatingLog, StdoutTap, describe_answer, describe_interaction
from ladderctl.stack.poller import BatchResult

SWITCH_INTERVAL_SECONDS = 0.001
DEFAULT_PORT = 3000
DEFAULT_DISCORD_PORT = 3001
DEFAULT_PLAYGROUND_PORT = 3002
DATABASE_NAME = "ladderline"
KEY_FILE = "discord-key.json"


class DevStackError(RuntimeError):
    """Something the stack needs is missing or taken: one readable line, exit code 1."""


def job_kind(message: dict[str, Any]) -> str:
    try:
        return str(json.loads(message["Body"]).get("kind", "interaction"))
    except (ValueError, AttributeError, KeyError):
        return "unknown"


def _snowflake() -> str:
    return str(make_snowflake(int(time.time() * 1000), secrets.randbelow(1 << 12)))


def local_signing_key(data_dir: Path) -> tuple[Any, str]:
    """The emulator's key pair and application id, made once and kept so restarts keep them."""
    import nacl.signing

    path = Path(data_dir) / KEY_FILE
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return nacl.signing.SigningKey(bytes.fromhex(saved["private_key"])), str(saved["application_id"])
    except FileNotFoundError:
        pass
    except (ValueError, KeyError, TypeError):
        raise DevStackError(f"{path} is damaged: delete it to make a new local key pair") from None
    key, application_id = nacl.signing.SigningKey.generate(), _snowflake()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"private_key": key.encode().hex(), "application_id": application_id,
                   "note": "local Discord emulator key, for `ladderctl dev` only"}, out)
    return key, application_id


class StackExtra(Protocol):
    """Something started with the stack (the playground): told of each worker batch, a banner line."""

    def banner_line(self) -> str: ...

    def batch_done(self, batch: Any) -> None: ...

    def stop(self) -> None: ...


@dataclass
class DevOptions:
    data_dir: Path = DEFAULT_DATA_DIR
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    discord_port: int = DEFAULT_DISCORD_PORT
    aws_port: int = 0
    pg_port: int = 0
    template: Path | None = None
    capture_output: bool = True  # handlers' stdout to <data-dir>/dev.log (off only for debugging)
    tick_seconds: float = DEFAULT_TICK_SECONDS  # 0: no ticks
    # Started once the stack answers, each with the stack and its database URL (None: nothing to
    # add); told of every worker batch, asked for a banner line, stopped first.
    extras: tuple[Callable[[DevStack, str], StackExtra | None], ...] = ()







def local_ladder_config() -> tuple[list[int], bool]:
    """The deployment's say, locally: owners from LADDER_OWNER_IDS (default: the simulator's
    default user and the playground's Alice, so /admin works out of the box) and
    ACTIVATION_REQUIRED (default false, as deployed)."""
    from ladderline.adapters.migrations import parse_owner_ids

    from ladderctl.stack.info import DEFAULT_USER, PLAYERS

    owners = os.environ.get(names.OWNER_USER_IDS)
    ids = parse_owner_ids(owners if owners is not None else f"{DEFAULT_USER},{PLAYERS['alice']}")
    return ids, os.environ.get(names.ACTIVATION_REQUIRED, "false").strip().lower() == "true"


class Ticker:
    """The local stand-in for the EventBridge Scheduler schedule: a tick job every `interval` s,
    its id the scheduled time (as the schedule's <aws.scheduler.scheduled-time>)."""

    def __init__(self, sqs: Any, queue_url: str, interval: float, held: Path | None = None) -> None:
        self._sqs, self._queue_url, self._interval, self._held = sqs, queue_url, interval, held
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0

    def start(self) -> Ticker:
        self._thread = threading.Thread(target=self._run, name="ticker", daemon=True)
        self._thread.start()
        return self

    def tick(self, at: float) -> None:
        from datetime import UTC, datetime

        from ladderline.job import Job

        tick_id = datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        self._sqs.send_message(QueueUrl=self._queue_url,
                               MessageBody=Job.tick(tick_id, interval_seconds=self._interval).to_json())
        self.sent += 1

    def _run(self) -> None:
        next_at = time.time()
        while not self._stop.wait(max(0.0, next_at - time.time())):
            if self._held is not None and self._held.exists():
                next_at += self._interval
                continue
            try:
                self.tick(next_at)
            except Exception:  # a failed tick is skipped; the next one comes anyway
                logging.getLogger("ladderctl.ticker").warning("could not queue a tick", exc_info=True)
            next_at += self._interval

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class Schedule:
    """The local stand-in for an EventBridge schedule that invokes a function directly (RanksFunction):
    the loaded handler called every `interval` s on its own thread, one run at a time, as the
    function's reserved concurrency of 1 allows."""

    def __init__(self, module: ModuleType, function_name: str, interval: float, timeout_seconds: float) -> None:
        self._module, self._name, self._interval, self._timeout = module, function_name, interval, timeout_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> Schedule:
        self._thread = threading.Thread(target=self._run, name=f"schedule-{self._name}", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        from ladderctl.stack.lambdas import LambdaContext

        while not self._stop.is_set():
            try:
                self._module.lambda_handler({}, LambdaContext(self._name, self._timeout))
            except Exception:  # as a failed scheduled invocation: logged, the next run comes anyway
                logging.getLogger("ladderctl.schedule").warning("%s failed", self._name, exc_info=True)
            self.runs += 1
            self._stop.wait(self._interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None


class DevStack:
    def __init__(self, options: DevOptions, console_stream: TextIO | None = None) -> None:
        self.options = options
        self.data_dir = Path(options.data_dir).resolve()
        self.console = Console(console_stream or sys.stdout)
        self.settings: StackSettings = StackSettings()
        self.info: StackInfo | None = None
        self.emulator: Any = None
        self.aws: AwsResources | None = None
        self.ingress_module: ModuleType | None = None
        # The poller and the worker instances (one loaded module each, its own database connection,
        # up to the event source's MaximumConcurrency) run in their own process (ladderctl.stack.worker_host).
        self._worker_host: subprocess.Popen | None = None
        self._worker_reader: threading.Thread | None = None
        # Ingress instances, one per request in flight, as Lambda runs one request per container at a time.
        self._ingress_idle: list[ModuleType] = []
        self._ingress_lock = threading.Lock()
        self._ingress_init_lock = threading.Lock()
        self._postgres: Any = None
        self.configured: dict[str, Any] = {}  # ladder_configure's answer (owners, activation)
        self._lock: FolderLock | None = None
        self._local_aws: LocalAws | None = None
        self._server: IngressServer | None = None
        self._ticker: Ticker | None = None
        self._ranks: Schedule | None = None
        self.ranks_module: ModuleType | None = None
        self.extras: list[StackExtra] = []
        self._saved_stdout: TextIO | None = None
        self._log_file: RotatingLog | None = None
        self._log_handler: logging.Handler | None = None
        self._saved_log_level = logging.WARNING
        self._saved_env: dict[str, str | None] = {}

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> StackInfo:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> StackInfo:
        opts = self.options
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Before anything else: a second stack on this folder would restart the first one's PostgreSQL.
        try:
            self._lock = FolderLock(self.data_dir).acquire()
        except FolderLocked as exc:
            raise DevStackError(str(exc)) from None
        ticks_held_file(self.data_dir).unlink(missing_ok=True)  # left by a load run that was killed
        try:
            self.settings = read_template(opts.template)
        except StackConfigError as exc:
            raise DevStackError(str(exc)) from None
        public_key = os.environ.get(names.DISCORD_PUBLIC_KEY, "").strip()
        application_id = os.environ.get(names.DISCORD_APPLICATION_ID, "").strip()
        real_discord = bool(public_key and application_id)
        if bool(public_key) != bool(application_id):
            raise DevStackError(f"set both {names.DISCORD_PUBLIC_KEY} and {names.DISCORD_APPLICATION_ID} "
                                "(real Discord) or neither (local emulator)")

        # Ports first: a taken port fails in a second, before PostgreSQL and moto start.
        try:
            self._server = IngressServer(self._invoke_ingress, opts.host, opts.port)
        except PortInUse as exc:
            raise DevStackError(f"{exc} (another `ladderctl dev`? choose one with --port)") from None
        bot_token = os.environ.get(names.DISCORD_BOT_TOKEN, "").strip()
        if real_discord:
            api_base = (os.environ.get(names.DISCORD_API_BASE, "") or names.DEFAULT_DISCORD_API_BASE).rstrip("/")
        else:
            # The emulator's own bot token, new each run (only this process and the worker know it).
            bot_token = secrets.token_urlsafe(32)
            from ladderctl.stack.discord_emulator import DiscordEmulator

            key, application_id = local_signing_key(self.data_dir)
            self.emulator = DiscordEmulator(opts.host, opts.discord_port, signing_key=key,
                                            endpoint_url=self._server.url, bot_token=bot_token)
            # The local server's #ladder channel: where match threads open (MATCH_THREAD_CHANNEL_ID).
            self.emulator.rooms.add_guild_channel(DEFAULT_GUILD, DEFAULT_CHANNEL, "ladder")
            try:
                self.emulator.start()
            except OSError as exc:
                self.emulator = None
                if exc.errno in (98, 48):
                    raise DevStackError(f"port {opts.discord_port} on {opts.host} is already in use "
                                        "(choose one with --discord-port)") from None
                raise
            public_key, api_base = self.emulator.public_key_hex, self.emulator.base_url

        try:
            real_aws = real_aws_from_env()
        except StackConfigError as exc:
            raise DevStackError(str(exc)) from None
        database_url = self._start_database()
        self.aws = real_aws or self._start_aws()
        self._load_handlers({
            names.DISCORD_PUBLIC_KEY: public_key,
            names.DISCORD_APPLICATION_ID: application_id,
            names.DISCORD_API_BASE: api_base,
            names.QUEUE_URL: self.aws.queue_url,
            names.FANOUT_QUEUE_URL: self.aws.fanout_queue_url,
            names.REPLAY_BUCKET: self.aws.replay_bucket,
            # Uploaded replays are served by the emulator, as Discord's CDN serves them.
            names.DISCORD_CDN_BASE: self.emulator.cdn_base if self.emulator is not None else "",
            # No public SC: Evo Complete replay exists: locally a plain SC2 replay counts as played
            # with the mod (sample_replays), unless REPLAY_MOD_HANDLES says otherwise ("" : the mod only).
            names.REPLAY_MOD_HANDLES: os.environ.get(names.REPLAY_MOD_HANDLES, ZVP_HANDLE),
            names.IDEMPOTENCY_TABLE: self.aws.table_name,
            names.MAX_RECEIVE_COUNT: str(self.settings.max_receive_count),
            names.DATABASE_URL: database_url,
            names.DB_AUTH: "url",
            names.METRICS_NAMESPACE: "Ladderline",
            names.DISCORD_BOT_TOKEN: bot_token,
            # Match threads in the local #ladder channel (MATCH_THREAD_CHANNEL_ID="" in the shell: none).
            **({names.LADDER_GUILD_ID: os.environ.get(names.LADDER_GUILD_ID, DEFAULT_GUILD),
                names.MATCH_THREAD_CHANNEL_ID: os.environ.get(names.MATCH_THREAD_CHANNEL_ID, DEFAULT_CHANNEL)}
               if self.emulator is not None else {}),
            **self.aws.env(),
        })
        self._start_worker_host()
        if opts.tick_seconds > 0:
            self._ticker = Ticker(self.aws.client("sqs"), self.aws.queue_url, opts.tick_seconds,
                                  held=ticks_held_file(self.data_dir)).start()
            if self.ranks_module is not None:
                self._ranks = Schedule(self.ranks_module, "ranks", opts.tick_seconds, timeout_seconds=120).start()
        self._server.start()
        for make in opts.extras:
            extra = make(self, database_url)
            if extra is not None:
                self.extras.append(extra)
        self.info = StackInfo(
            pid=os.getpid(), endpoint_url=self._server.url, port=self._server.port,
            emulator_url=self.emulator.url if self.emulator else None,
            discord_port=self.emulator.port if self.emulator else None,
            discord_api_base=api_base, application_id=application_id, public_key=public_key,
            database_url=database_url, aws_endpoint_url=self.aws.endpoint_url, queue_url=self.aws.queue_url,
            dlq_url=self.aws.dlq_url, table_name=self.aws.table_name,
            log_file=str(self.data_dir / "dev.log"), started_at=time.time(),
        )
        tmp = stack_file(self.data_dir).with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self.info), indent=2) + "\n", encoding="utf-8")
        tmp.replace(stack_file(self.data_dir))
        return self.info

    def stop(self) -> None:
        """Stop everything that was started, in reverse; safe to call twice or after a failed start."""
        info, self.info = self.info, None
        if info is not None:
            with contextlib.suppress(OSError):
                if read_stack(self.data_dir) == info:
                    stack_file(self.data_dir).unlink()
        extras, self.extras = self.extras, []
        for extra in extras:
            extra.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if self._ranks is not None:
            self._ranks.stop()
            self._ranks = None
        self._stop_worker_host()
        self.ingress_module, self._ingress_idle = None, []
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        if self._local_aws is not None:
            self._local_aws.stop()
            self._local_aws = None
        if self._postgres is not None:
            try:
                self._postgres.stop()
            finally:
                self._postgres = None
        self._restore_output()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- parts --------------------------------------------------------------------------------
    def _start_database(self) -> str:
        from ladderline.adapters.migrations import configure_ladder

        from ladderctl.ops.migrate import MigrationError, apply_migrations
        from ladderctl.postgres import LocalPostgres, PostgresError, connect

        url = os.environ.get(names.DATABASE_URL, "").strip()
        try:
            if not url:
                self._postgres = LocalPostgres(self.data_dir / "postgres", self.options.pg_port, self.options.host,
                                               durable=True).start()
                admin = self._postgres.connect("postgres")
                try:
                    if not admin.run("SELECT 1 FROM pg_database WHERE datname = :n", n=DATABASE_NAME):
                        admin.run(f"CREATE DATABASE {DATABASE_NAME}")
                finally:
                    admin.close()
                url = self._postgres.url(DATABASE_NAME)
            conn = connect(url, timeout=10)
        except PostgresError as exc:
            raise DevStackError(f"PostgreSQL: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - pg8000/OS errors: one line, not a traceback
            raise DevStackError(f"PostgreSQL: cannot connect: {exc}") from None
        try:
            self.migrations = apply_migrations(conn)
            self.configured = configure_ladder(conn, *local_ladder_config())
        except MigrationError as exc:
            raise DevStackError(f"migrations: {exc}") from None
        except ValueError as exc:
            raise DevStackError(f"{names.OWNER_USER_IDS}: {exc}") from None
        finally:
            conn.close()
        return url

    def _start_aws(self) -> AwsResources:
        self._local_aws = LocalAws(self.settings, self.options.host, self.options.aws_port)
        try:
            return self._local_aws.start()
        except Exception as exc:  # noqa: BLE001 - moto failing to start: one line
            raise DevStackError(f"moto (local AWS) did not start: {type(exc).__name__}: {exc}") from None

    def _load_handlers(self, env: dict[str, str]) -> None:
        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        if self.options.capture_output:
            self._capture_output()
        try:
            self._saved_env.setdefault(names.SERVICE_NAME, os.environ.get(names.SERVICE_NAME))
            os.environ[names.SERVICE_NAME] = "ingress"  # as template.yaml sets per function
            self.ingress_module = load_handler("ingress")
            self._ingress_idle = [self.ingress_module]
            # The ranks function (rebuilds the snapshot /leaderboard and /profile read), on the tick's schedule.
            os.environ[names.SERVICE_NAME] = "ranks"
            self.ranks_module = load_handler("ranks")
            os.environ[names.SERVICE_NAME] = "ingress"
        except HandlerLoadError as exc:
            raise DevStackError(str(exc)) from None

    def _capture_output(self) -> None:
        """Handlers print JSON lines (as in Lambda): send them to dev.log, steps to the console."""
        # 0600, rotated at 20 MB (local_log.RotatingLog).
        self._log_file = RotatingLog(self.data_dir / "dev.log")
        self._saved_stdout = sys.stdout
        sys.stdout = StdoutTap(self._log_file, self.console)
        # Log records go through the tap too, so the same redaction applies to them.
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        self._saved_log_level = root.level
        root.setLevel(logging.INFO)
        self._log_handler = handler

    def _restore_output(self) -> None:
        if self._saved_stdout is not None:
            sys.stdout = self._saved_stdout
            self._saved_stdout = None
        if self._log_handler is not None:
            logging.getLogger().removeHandler(self._log_handler)
            logging.getLogger().setLevel(self._saved_log_level)
            self._log_handler = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    # --- the console lines ---------------------------------------------------------------------
    def _invoke_ingress(self, event: dict[str, Any], body: bytes) -> dict[str, Any]:
        summary = summarize(body)
        interaction_id = summary.get("id") or None
        label = describe_interaction(summary) if summary else "(not an interaction)"
        if interaction_id:
            self.console.label(interaction_id, label)
        self.console.step(interaction_id, "received", label)
        assert self.ingress_module is not None
        from ladderctl.stack.lambdas import LambdaContext

        started = time.perf_counter()
        instance = self._take_ingress()
        try:
            result = instance.lambda_handler(event, LambdaContext("ingress", self.settings.ingress_timeout))
        finally:
            with self._ingress_lock:
                self._ingress_idle.append(instance)
        elapsed = (time.perf_counter() - started) * 1000
        try:
            answer = json.loads(result.get("body") or "null")
        except ValueError:
            answer = None
        status = int(result.get("statusCode", 200))
        self.console.step(interaction_id, f"answered in {elapsed:.1f} ms ({describe_answer(status, answer)})", label)
        return result

    def _start_worker_host(self) -> None:
        """The poller and MaximumConcurrency worker instances in their own process; its stdout
        (the handlers' JSON lines) is relayed to ours, its batch reports to _batch_done."""
        assert self.aws is not None
        from ladderctl.stack.worker_host import BATCH_KEY, READY_KEY

        env = {**os.environ, names.SERVICE_NAME: "worker", "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "ladderctl.stack.worker_host", "--queue-url", self.aws.queue_url,
                   "--region", self.aws.region, "--instances", str(self.settings.max_concurrency),
                   "--batch-size", str(self.settings.batch_size),
                   "--window", str(self.settings.batching_window_seconds),
                   "--timeout", str(self.settings.worker_timeout)]
        if self.aws.fanout_queue_url:
            command += ["--fanout-queue-url", self.aws.fanout_queue_url,
                        "--fanout-instances", str(self.settings.fanout_max_concurrency)]
        self._worker_host = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                             text=True, encoding="utf-8", errors="replace")
        ready = threading.Event()
        host = self._worker_host
        assert host.stdout is not None
        stream = host.stdout

        def relay() -> None:
            # This thread must outlive any line: once nobody reads the pipe, the worker host
            # blocks on its next write and every job stops (a batch report glued to a log line
            # once raised here and stopped a 2,000-player wave).
            for line in stream:
                try:
                    if line.startswith('{"' + BATCH_KEY):
                        record = json.loads(line)[BATCH_KEY]
                        error = type(record["error"], (Exception,), {})() if record["error"] else None
                        self._batch_done(BatchResult(record["messages"], set(record["failed_ids"]), error,
                                                     record["elapsed_ms"]))
                    elif line.startswith('{"' + READY_KEY):
                        ready.set()
                    else:
                        sys.stdout.write(line)
                except Exception:  # noqa: BLE001 - the line goes on as text (redacted on its way to dev.log)
                    with contextlib.suppress(Exception):
                        sys.stdout.write(line)
            ready.set()
            if host.wait() != 0 and self._worker_host is host:
                # Killed, not stopped: new instances take over, as Lambda starts new containers; what
                # the dead ones had received comes back after the queue's visibility timeout.
                self.console.say(f"the worker instances died (exit {host.returncode}); starting new ones")
                threading.Thread(target=self._start_worker_host, name="worker-host-restart", daemon=True).start()

        self._worker_reader = threading.Thread(target=relay, name="worker-host-output", daemon=True)
        self._worker_reader.start()
        if not ready.wait(120) or host.poll() is not None:
            raise DevStackError("the worker instances did not start (see dev.log)")

    def _stop_worker_host(self) -> None:
        host, self._worker_host = self._worker_host, None
        if host is not None:
            host.terminate()  # the poller lets invocations under way finish, as Lambda does
            try:
                host.wait(timeout=self.settings.worker_timeout + 15)
            except subprocess.TimeoutExpired:
                host.kill()
                host.wait(timeout=10)
        if self._worker_reader is not None:
            self._worker_reader.join(timeout=5)
            self._worker_reader = None

    def _take_ingress(self) -> ModuleType:
        """An idle ingress instance, or a new one (a cold start, as when Lambda scales out)."""
        with self._ingress_lock:
            if self._ingress_idle:
                return self._ingress_idle.pop()
        saved = os.environ.get(names.SERVICE_NAME)
        with self._ingress_init_lock:  # the environment is the process's: one init at a time
            os.environ[names.SERVICE_NAME] = "ingress"
            try:
                return load_handler("ingress")
            finally:
                if saved is None:
                    os.environ.pop(names.SERVICE_NAME, None)
                else:
                    os.environ[names.SERVICE_NAME] = saved

    def _batch_done(self, batch: BatchResult) -> None:
        for extra in self.extras:
            extra.batch_done(batch)
        for message in batch.messages:
            if message["MessageId"] not in batch.failed_ids:
                continue
            try:
                job = json.loads(message["Body"])
                interaction_id = str(job.get("interaction_id"))
            except (ValueError, AttributeError):
                interaction_id = None
            count = int((message.get("Attributes") or {}).get("ApproximateReceiveCount", "1"))
            limit = self.settings.max_receive_count
            if job_kind(message) == "tick":
                self.console.step(None, f"tick {interaction_id} failed (the next tick runs anyway)")
                continue
            if batch.error is not None:
                self.console.step(interaction_id, f"worker invocation failed: {type(batch.error).__name__}")
            if count >= limit:
                self.console.step(interaction_id, f"received {count} of {limit} times: moves to the DLQ")
            else:
                delay = RETRY_DELAYS_SECONDS[count - 1] if count <= len(RETRY_DELAYS_SECONDS) else None
                when = f"in {delay} s" if delay else f"after the visibility timeout ({self.settings.visibility_timeout} s)"
                self.console.step(interaction_id, f"left on the queue: retried {when}, attempt {count} of {limit}")

    def banner(self) -> str:
        info = self.info
        assert info is not None
        lines = ["ladderline dev stack is up", f"  endpoint   {info.endpoint_url}"]
        if info.emulator_url:
            lines.append(f"  discord    local emulator {info.emulator_url} (application {info.application_id})")
        else:
            lines.append(f"  discord    {info.discord_api_base} (application {info.application_id}): expose port "
                         f"{info.port} through a tunnel and save <tunnel URL>/interactions as the Interactions "
                         "Endpoint URL")
        db = info.database_url.split("@")[-1]
        where = f"{self.data_dir / 'postgres'} on " if self._postgres else ""
        lines.append(f"  postgres   {where}{db}")
        if info.aws_endpoint_url:
            lines.append(f"  aws        moto {info.aws_endpoint_url} (queue visibility {self.settings.visibility_timeout} s, "
                         f"DLQ after {self.settings.max_receive_count} receives, batch {self.settings.batch_size})")
        else:
            lines.append(f"  aws        real AWS: {info.queue_url}, table {info.table_name}")
        lines.append(f"  logs       {info.log_file}")
        if self.configured:
            owners = os.environ.get(names.OWNER_USER_IDS)
            lines.append(f"  ladder     {self.configured['owners']} owner(s) ("
                         + (f"{names.OWNER_USER_IDS}" if owners is not None else "the simulator's default user and alice")
                         + ") may use /admin; /activate "
                         + ("required" if self.configured["activation_required"] else "not required")
                         + f" ({names.ACTIVATION_REQUIRED})")
        lines.extend(extra.banner_line() for extra in self.extras)
        if info.emulator_url:
            lines.append("Try `ladderctl simulate command ping` in another terminal. Ctrl-C stops.")
        else:
            lines.append("Ctrl-C stops.")
        return "\n".join(lines)
