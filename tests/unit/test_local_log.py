"""The local stack's tap on the handlers' output: dev.log never holds a token, and records glued
onto one line by a thread's unterminated write still reach the console."""

from __future__ import annotations

import io
import json

from ladderctl.stack.local_log import Console, StdoutTap

from tests.support.interactions import make_interaction

TOKEN = make_interaction(2, data={"id": "1", "name": "ping", "type": 1})["token"]
BOT = "Bot MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123"


def tap() -> tuple[StdoutTap, io.StringIO, io.StringIO]:
    log, console = io.StringIO(), io.StringIO()
    return StdoutTap(log, Console(console)), log, console


def test_no_token_reaches_dev_log_whatever_the_line_holds():
    stdout, log, _ = tap()
    job = json.dumps({"kind": "interaction", "token": TOKEN, "join_token": TOKEN})
    stdout.write(json.dumps({"message": "batch", "records": [{"body": job}]}) + "\n")  # a job inside a string
    stdout.write(f"raw {TOKEN} and Authorization: {BOT}\n")
    written = log.getvalue()
    assert TOKEN not in written and BOT.split()[1] not in written
    assert written.count("<redacted>") >= 3 and "<interaction token>" in written


def test_records_glued_on_one_line_each_reach_the_console():
    stdout, _, console = tap()
    failed = {"message": "job failed", "correlation_id": "1234567890", "command": "ping", "error": "RetryLater",
              "final_attempt": True, "detail": "edit_original rate_limited"}
    emf = {"_aws": {"CloudWatchMetrics": []}, "JobsFailed": [1]}
    stdout.write(json.dumps(emf))  # a record whose newline never came...
    stdout.write(json.dumps(failed) + "\n")  # ...and the next one on the same line
    assert "job failed on its last attempt: RetryLater" in console.getvalue()


def test_tick_jobs_reach_the_console_only_when_one_fails():
    stdout, log, console = tap()
    for name in ("matchmaking_wave", "queue_expiry", "report_reminders", "confirmation_sweep"):
        stdout.write(json.dumps({"message": "job started", "correlation_id": "2026-12-05T01:00:00Z",
                                 "command": name, "job_kind": "tick", "queue_delay_ms": 4}) + "\n")
    assert console.getvalue() == "" and log.getvalue().count("job started") == 4  # all still in dev.log
    stdout.write(json.dumps({"message": "job failed", "correlation_id": "2026-12-05T01:00:00Z",
                             "command": "matchmaking_wave", "job_kind": "tick", "error": "OperationalError",
                             "detail": "the database is down"}) + "\n")
    stdout.write(json.dumps({"message": "job started", "correlation_id": "1234567890", "command": "ping",
                             "job_kind": "interaction", "queue_delay_ms": 9}) + "\n")
    shown = console.getvalue()
    assert "job failed: OperationalError" in shown and "job started after 9 ms" in shown
    assert "matchmaking_wave" in shown and "queue_expiry" not in shown


def test_dev_log_is_owner_only_and_starts_over_at_its_size_keeping_one_previous_file(tmp_path):
    from ladderctl.stack.local_log import RotatingLog

    path = tmp_path / "dev.log"
    log = RotatingLog(path, max_bytes=100)
    for i in range(7):
        log.write(f"line {i:02d} " + "x" * 30 + "\n")  # 40 characters each
    log.close()

    assert path.read_text() == "line 06 " + "x" * 30 + "\n"  # 80 + 40 > 100: the third line starts over
    assert (tmp_path / "dev.log.1").read_text().splitlines()[0].startswith("line 04")
    assert not (tmp_path / "dev.log.2").exists()
    assert path.stat().st_mode & 0o777 == 0o600
