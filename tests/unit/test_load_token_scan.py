"""`ladderctl load`'s token scan: a token, or only a piece of it, anywhere in dev.log or its
rotated file is found; a log without them passes."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

from ladderctl.drive.load import FINGERPRINT, Sent, scan_log_for_tokens


def token(interaction_id: str) -> str:
    raw = f"interaction:{interaction_id}:{secrets.token_urlsafe(96)}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def sent(step: str, value: str) -> Sent:
    return Sent(user_id="800000000000000001", step=step, token=value, status=200, callback_type=5, ack_ms=1.0)


def test_a_whole_token_or_a_piece_of_one_is_found_in_either_file(tmp_path: Path) -> None:
    whole, piece, rotated, absent = (token(str(1380000000000000000 + n)) for n in range(4))
    log = tmp_path / "dev.log"
    log.write_text('{"message": "job", "token": "' + whole + '"}\n'
                   + "PATCH /webhooks/1/" + piece[FINGERPRINT] + "… (cut)\n")
    (tmp_path / "dev.log.1").write_text(f"glued{rotated}glued\n")
    results = [sent("a", whole), sent("b", piece), sent("c", rotated), sent("d", absent)]

    scan = scan_log_for_tokens(log, results)

    assert scan.found == ["a by 800000000000000001", "b by 800000000000000001", "c by 800000000000000001"]
    assert scan.tokens == 4 and scan.scanned_bytes > 0


def test_a_redacted_log_has_none(tmp_path: Path) -> None:
    log = tmp_path / "dev.log"
    log.write_text('{"message": "job", "token": "<redacted>"} <interaction token>\n')
    assert scan_log_for_tokens(log, [sent("a", token("1380000000000000001"))]).found == []
    assert scan_log_for_tokens(tmp_path / "missing.log", []).found == []
