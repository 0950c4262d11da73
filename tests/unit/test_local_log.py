"""The local stack's tap on the handlers' output: dev.log never holds a token, and records glued
onto one line by a thread's unterminated write still reach the console."""

from __future__ import annotations

import io
import json

from ladderctl.local_log import Console, StdoutTap

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
