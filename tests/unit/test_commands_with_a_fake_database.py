"""Commands' logic and rendering against the in-memory database port: one call each, the right
function with the right arguments, and the message each answer becomes."""

from __future__ import annotations

import time

from ladderline.discord.constants import InteractionType
from ladderline.discord.limits import validate_message
from ladderline.job import Job
from ladderline.ladder.commands import activate, leaderboard, ping, profile, setcountry, terms
from ladderline.ladder.context import JobContext
from ladderline.ladder.deliveries import DirectMessage

from tests.support.fake_database import FakeDatabase, UnknownFunction
from tests.support.interactions import snowflake

USER = "111111111111111111"


def ctx(db: FakeDatabase, route: str, **options) -> JobContext:
    job = Job(interaction_id=snowflake(), route=route, user_id=USER, options=dict(options),
              interaction_type=int(InteractionType.APPLICATION_COMMAND), received_at_ms=int(time.time() * 1000))
    return JobContext(job=job, db=db)


def test_activate_hashes_the_code_and_turns_each_status_into_its_message():
    for status in ("activated", "already_active", "invalid_code", "expired", "used_up", "already_used"):
        db = FakeDatabase(ladder_activate=lambda user, code_hash, key, s=status: {"status": s})
        context = ctx(db, "activate", code=" abc-123 ")

        reply = activate.handle(context)

        assert reply.outcome == status and reply.body["content"] == activate.MESSAGES[status]
        [(function, args)] = db.calls
        assert (function, args) == ("ladder_activate", (int(USER), activate.hash_code("ABC-123"),
                                                        context.job.interaction_id))


def test_a_failed_guard_names_the_missing_step_and_nothing_else_is_rendered():
    db = FakeDatabase(ladder_set_country=lambda *args: {"guard": "terms_not_accepted"})

    reply = setcountry.handle(ctx(db, "setcountry", country="DE"))

    assert reply.outcome == "guard_terms_not_accepted"
    assert "/termsofservice" in reply.body["content"]


def test_an_empty_code_is_refused_without_a_database_call():
    db = FakeDatabase()

    reply = activate.handle(ctx(db, "activate", code="   "))

    assert reply.outcome == "invalid_code" and db.calls == []


def test_terms_shows_buttons_until_accepted():
    db = FakeDatabase(ladder_terms_status=lambda user: {"profile": True, "accepted_at": None})
    open_terms = terms.handle_show(ctx(db, "termsofservice")).body
    db = FakeDatabase(ladder_terms_status=lambda user: {"profile": True, "accepted_at": 1_700_000_000})
    accepted = terms.handle_show(ctx(db, "termsofservice")).body

    assert [c["custom_id"] for c in open_terms["components"][0]["components"]] == ["terms_accept", "terms_decline:en"]
    assert accepted["components"] == [] and "<t:1700000000:f>" in str(accepted["embeds"])


def test_profile_without_a_profile_points_at_setup():
    db = FakeDatabase(ladder_profile_snapshot=lambda user: None)

    reply = profile.handle(ctx(db, "profile"))

    assert reply.outcome == "no_profile" and "/setup" in reply.body["content"]


def test_a_leaderboard_page_is_one_call_and_a_valid_message():
    rows = [{"rank": i, "user_id": str(10**17 + i), "player_name": f"p{i}", "race": "terran", "mmr": 2000 - i,
             "won": 3, "lost": 1, "drawn": 0, "country": "DE", "letter": "B"} for i in range(1, 11)]
    db = FakeDatabase(ladder_leaderboard_page=lambda *args: {"page": 1, "pages": 3, "total": 25, "rows": rows,
                                                             "page_size": 10, "max_pages": 100, "as_of": 1_799_999_000})
    context = ctx(db, "leaderboard")
    context.clock = lambda: 1_800_000_000.0

    body = leaderboard.handle_command(context).body

    assert db.calls == [("ladder_leaderboard_page", (None, None, None, None, False, 1, leaderboard.PAGE_SIZE))]
    assert validate_message(body) == []
    [previous, following] = body["components"][0]["components"]
    assert previous["disabled"] is True and following["custom_id"] == "lb:2:::::0"
    assert "`B`" in body["embeds"][0]["description"]
    assert body["embeds"][0]["timestamp"] == "2027-01-15T07:43:20+00:00"  # the snapshot's time


def test_a_view_longer_than_the_listed_pages_says_where_the_rest_is():
    rows = [{"rank": 991 + i, "user_id": str(10**17 + i), "player_name": f"p{i}", "race": "sc2_zerg", "mmr": 900,
             "won": 3, "lost": 1, "drawn": 0, "country": "DE", "letter": "F"} for i in range(10)]
    db = FakeDatabase(ladder_leaderboard_page=lambda *args: {"page": 100, "pages": 100, "total": 250_000,
                                                             "rows": rows, "page_size": 10, "max_pages": 100})

    job = Job(interaction_id=snowflake(), route="lb", user_id=USER, custom_id="lb:5000:sc2_zerg::::0",
              interaction_type=int(InteractionType.MESSAGE_COMPONENT), received_at_ms=int(time.time() * 1000))
    body = leaderboard.handle_page(JobContext(job=job, db=db)).body

    assert db.calls[0][1][5] == leaderboard.MAX_PAGE  # a crafted page number is clamped before the call
    assert body["embeds"][0]["footer"]["text"] == (
        "Page 100/100 · 250000 players · the first 1000 listed, /profile shows any player's place")
    assert body["components"][0]["components"][1]["disabled"] is True


def test_ping_with_dm_after_schedules_a_timer_keyed_on_the_interaction():
    db = FakeDatabase(ladder_ping=lambda: {"now": 0})
    context = ctx(db, "ping", dm_after=30)

    reply = ping.handle(context)

    [timer] = reply.timers
    assert (timer.route, timer.key, timer.delay_seconds) == ("ping_dm", f"ping:{context.job.interaction_id}", 30)
    assert ping.handle(ctx(db, "ping")).timers == ()


def test_the_ping_timer_dms_the_user_under_its_own_key():
    job = Job(interaction_id="ping:42", route="ping_dm", kind="timer", payload={"user_id": USER, "due_at_ms": 0})

    reply = ping.handle_timer(JobContext(job=job, db=FakeDatabase()))

    assert reply.body is None
    [dm] = reply.deliveries
    assert isinstance(dm, DirectMessage) and (dm.key, dm.user_id) == ("ping:42:dm", USER)


def test_a_command_calling_a_function_the_fake_lacks_fails_loudly():
    db = FakeDatabase()
    try:
        profile.handle(ctx(db, "profile"))
    except UnknownFunction as exc:
        assert "ladder_profile" in str(exc)
    else:
        raise AssertionError("expected UnknownFunction")
