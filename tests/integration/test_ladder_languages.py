"""The players' language through the whole pipeline (signed interaction -> ingress -> SQS -> worker
-> real PostgreSQL -> the Discord emulator): the client's locale is answered in, `/setup
language:` overrides it and is kept, and what a tick sends each player speaks theirs."""

from __future__ import annotations

import pytest
from ladderline.discord.limits import validate_modal
from ladderline.ladder.i18n import catalog

from tests.support.interactions import USER_ID, make_interaction
from tests.support.ladder import (
    DEFERRED_EPHEMERAL,
    answer,
    click,
    message_of,
    query,
    run_command,
    run_sql,
    run_worker,
    seed_player,
)

FIELDS = {"player_name": "SerralFan", "alt_names": "", "battletag": "Serral#2114"}


def slash_from(locale: str, name: str, **options: str) -> dict:
    return make_interaction(2, locale=locale, data={"id": "1", "name": name, "type": 1, "options": [
        {"name": key, "type": 3, "value": value} for key, value in options.items()]})


def submit_from(locale: str, custom_id: str) -> dict:
    labels = [{"type": 18, "id": 2 * i + 1, "component": {"type": 4, "id": 2 * i + 2, "custom_id": key,
                                                           "value": value}}
              for i, (key, value) in enumerate(FIELDS.items())]
    return make_interaction(5, locale=locale, data={"custom_id": custom_id, "components": labels})


def in_(language: str, text: str, **params: object) -> str:
    return catalog(language)[text].format(**params)


def set_up(pipeline, locale: str, **language: str) -> dict:
    """/setup from a client in `locale` (with `language:` when given), submitted and confirmed."""
    modal = answer(pipeline, slash_from(locale, "setup", country="FI", region="EUW", **language))
    assert modal["type"] == 9 and validate_modal(modal["data"]) == []
    summary = run_command(pipeline, submit_from(locale, modal["data"]["custom_id"]), expect=DEFERRED_EPHEMERAL)
    confirm = next(c for row in summary["components"] for c in row["components"]
                   if c["custom_id"].startswith("setup_confirm:"))
    pressed = click(confirm["custom_id"], summary)
    pressed["locale"] = locale
    answer(pipeline, pressed)
    run_worker(pipeline)
    return {"modal": modal["data"], "summary": summary, "confirmed": message_of(pipeline, pressed)}


def test_a_korean_client_is_answered_in_korean_and_its_locale_is_kept(pipeline):
    seen = set_up(pipeline, "ko")

    assert seen["modal"]["title"] == in_("ko", "Set up your ladder profile")
    assert seen["summary"]["embeds"][0]["title"] == in_("ko", "Check your ladder profile")
    assert seen["confirmed"]["embeds"][0]["title"] == in_("ko", "✅ Profile created")
    # No choice made: the client's locale is recorded (for DMs), the choice stays empty.
    assert query(pipeline, "SELECT language, locale FROM players") == [[None, "ko"]]

    help_body = run_command(pipeline, slash_from("ko", "help"))
    assert help_body["embeds"][0]["title"] == in_("ko", "SC: Evo Complete 1v1 ladder")
    # The same player on an English client: English (they chose nothing).
    assert run_command(pipeline, slash_from("en-US", "help"))["embeds"][0]["title"] == "SC: Evo Complete 1v1 ladder"
    assert query(pipeline, "SELECT locale FROM players") == [["en-US"]]


def test_setup_language_overrides_the_client_and_auto_gives_it_back(pipeline):
    seen = set_up(pipeline, "en-US", language="ru")

    # The choice shows at once: the modal, the summary (with its Language field) and the result.
    assert seen["modal"]["custom_id"] == "setup_modal:FI:EUW:ru"
    assert seen["modal"]["title"] == in_("ru", "Set up your ladder profile")
    fields = {f["name"]: f["value"] for f in seen["summary"]["embeds"][0]["fields"]}
    assert fields[in_("ru", "Language")] == "Русский"
    assert seen["confirmed"]["embeds"][0]["title"] == in_("ru", "✅ Profile created")
    assert query(pipeline, "SELECT language FROM players") == [["ru"]]

    # Every later answer speaks Russian on any client, with no extra round trip for views.
    profile = run_command(pipeline, slash_from("en-US", "profile"))
    assert in_("ru", "Player since {date}", date="") in profile["embeds"][0]["footer"]["text"]
    board = run_command(pipeline, slash_from("ko", "leaderboard"))
    assert board["embeds"][0]["title"] == in_("ru", "🏆 Leaderboard")

    # A /setup without `language:` keeps the choice; `auto` gives the client's language back.
    set_up(pipeline, "ko")
    assert query(pipeline, "SELECT language FROM players") == [["ru"]]
    again = set_up(pipeline, "ko", language="auto")
    assert again["confirmed"]["embeds"][0]["title"] == in_("ko", "✅ Profile updated")
    assert query(pipeline, "SELECT language, locale FROM players") == [[None, "ko"]]


def test_a_refusal_before_any_database_call_still_speaks_the_choice(pipeline):
    seed_player(pipeline, terms=True, active=True)
    run_sql(pipeline.database_url, "UPDATE players SET language = 'zh-CN'")

    # A race that is no ladder race: refused while parsing, before the page's call.
    refused = run_command(pipeline, slash_from("en-US", "leaderboard", race="bad_race"))
    assert refused["content"] == in_("zh-CN", "Race: “{value}” is not a ladder race.", value="bad_race")


def test_what_the_database_answers_carries_each_players_language(pipeline):
    url = pipeline.database_url
    for user, language, locale in ((101, "ko", "en-US"), (202, None, "ru"), (303, None, None)):
        run_sql(url, "INSERT INTO players (discord_user_id, player_name, language, locale) "
                     "VALUES (:u, :name, :language, :locale)", u=user, name=f"P{user}", language=language,
                locale=locale)
    run_sql(url, "INSERT INTO matches_1v1 (match_id, match_key, wave_tick_id, player_1, player_2, player_1_race, "
                 "player_2_race, player_1_mmr, player_2_mmr, map_code, server_code, created_at, confirm_deadline) "
                 "VALUES (1, 'k1', 't1', 101, 202, 'bw_zerg', 'sc2_terran', 1500, 1500, 'holy_world', 'x', now(), "
                 "now() + interval '2 minutes')")

    [[match]] = run_sql(url, "SELECT ladder_match_json(1)")
    # The choice wins over the locale; with no choice, the locale the last interaction carried.
    assert [p["language"] for p in match["players"]] == ["ko", "ru"]

    # ladder_language answers the choice and records a changed locale (and nothing for a stranger).
    assert run_sql(url, "SELECT ladder_language(101, 'zh-CN')") == [["ko"]]
    assert run_sql(url, "SELECT ladder_language(303, 'es-ES')") == [[None]]
    assert run_sql(url, "SELECT ladder_language(999, 'ru')") == [[None]]
    assert run_sql(url, "SELECT discord_user_id, locale FROM players ORDER BY 1") == [
        [101, "zh-CN"], [202, "ru"], [303, "es-ES"]]


def test_a_bad_language_is_refused_by_the_database(pipeline):
    seed_player(pipeline, user_id=USER_ID)
    with pytest.raises(Exception, match="players_language_check"):  # only the five languages
        run_sql(pipeline.database_url, "UPDATE players SET language = 'fr'")
