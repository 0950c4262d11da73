"""/leaderboard end to end: paging with ties, Previous/Next editing the same message, filters."""

from __future__ import annotations

import json
import re

from ladderline.discord.limits import validate_message

from tests.support.interactions import make_interaction
from tests.support.postgres import pg_connect

RACE = "sc2_terran"
PLAYERS = 27  # three pages: 10 + 10 + 7


def seed_board(url: str) -> list[tuple[int, int]]:
    """27 sc2_terran players in tied triples of MMR, inserted in an order unrelated to their ids;
    plus noise the race board must not show. Returns [(user_id, mmr)] in the expected order."""
    players = []
    for i in range(PLAYERS):
        user_id = 1000 + (i * 7) % PLAYERS  # 1000..1026, shuffled
        players.append((user_id, 2000 - (i // 3) * 10))
    values = ", ".join(f"({u}, 'P{u}', '{'DE' if u % 2 else 'FR'}', '{'EU' if u % 3 else 'NA'}')"
                       for u, _ in players)
    mmrs = ", ".join(f"({u}, '{RACE}', {m}, 3, 2, 1, 0)" for u, m in players)
    conn = pg_connect(url)
    try:
        conn.run(f"""
            INSERT INTO players (discord_user_id, player_name, country, region) VALUES {values};
            INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, games_lost, games_drawn)
            VALUES {mmrs};
            -- Another race (shown on the all-races board only) and a row without games (never shown).
            INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won) VALUES
                (1005, 'bw_zerg', 2100, 1, 1), (1006, 'bw_zerg', 2500, 0, 0);
        """)
    finally:
        conn.close()
    return sorted(players, key=lambda p: (-p[1], p[0]))


def command(pipeline, **options) -> dict:
    data = {"id": "3", "name": "leaderboard", "type": 1,
            "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()]}
    interaction = make_interaction(2, data=data)
    assert json.loads(pipeline.send(interaction)["body"]) == {"type": 5, "data": {"flags": 64}}
    assert pipeline.run_worker() == {"batchItemFailures": []}
    return interaction


def click(pipeline, message: dict, custom_id: str) -> dict:
    interaction = make_interaction(3, data={"custom_id": custom_id, "component_type": 2}, message=message)
    response = pipeline.send(interaction)
    assert json.loads(response["body"]) == {"type": 6}  # deferred update: the same message is edited
    assert pipeline.run_worker() == {"batchItemFailures": []}
    return interaction


def patch_body(pipeline, interaction) -> dict:
    [patch] = [r for r in pipeline.discord.requests_for(interaction["token"]) if r.method == "PATCH"]
    assert patch.path.endswith("/messages/@original")
    assert validate_message(patch.json) == []
    return patch.json


def rows(body: dict) -> list[tuple[int, int, int]]:
    """(rank, user id, mmr) of each line of the page."""
    found = re.findall(r"^\*\*#(\d+)\*\* (?:\S+ )?P(\d+)(?: · \w+)? · \*\*(\d+)\*\*", body["embeds"][0]["description"],
                       re.MULTILINE)
    return [(int(r), int(u), int(m)) for r, u, m in found]


def buttons(body: dict) -> list[dict]:
    [row] = body["components"]
    return row["components"]


def expected_page(order, page):
    chunk = order[(page - 1) * 10: page * 10]
    return [((page - 1) * 10 + i + 1, u, m) for i, (u, m) in enumerate(chunk)]


def test_pages_walk_forward_and_back_with_correct_ranks(pipeline):
    order = seed_board(pipeline.database_url)

    first = command(pipeline, race=RACE)

    body = patch_body(pipeline, first)
    assert rows(body) == expected_page(order, 1)
    assert body["embeds"][0]["footer"]["text"] == "Page 1/3 · 27 players"
    previous, following = buttons(body)
    assert previous["disabled"] is True and previous["custom_id"] == f"lb:0:{RACE}::"
    assert "disabled" not in following and following["custom_id"] == f"lb:2:{RACE}::"
    message = pipeline.discord.message(first["token"])

    for page in (2, 3):
        clicked = click(pipeline, message, f"lb:{page}:{RACE}::")
        body = patch_body(pipeline, clicked)
        assert rows(body) == expected_page(order, page)
        assert body["embeds"][0]["footer"]["text"] == f"Page {page}/3 · 27 players"
        edited = pipeline.discord.message(clicked["token"])
        assert edited["id"] == message["id"]  # the same message, edited in place
        message = edited
    previous, following = buttons(body)
    assert following["disabled"] is True and "disabled" not in previous
    assert previous["custom_id"] == f"lb:2:{RACE}::"

    back = click(pipeline, message, previous["custom_id"])
    assert rows(patch_body(pipeline, back)) == expected_page(order, 2)
    assert pipeline.discord.message(back["token"])["id"] == message["id"]
    # Ties: equal MMRs get consecutive positions, ordered by user id.
    assert [r[0] for r in rows(patch_body(pipeline, back))] == list(range(11, 21))


def test_an_out_of_range_page_shows_the_last_page(pipeline):
    order = seed_board(pipeline.database_url)
    first = command(pipeline, race=RACE)
    message = pipeline.discord.message(first["token"])

    clicked = click(pipeline, message, f"lb:99:{RACE}::")

    body = patch_body(pipeline, clicked)
    assert rows(body) == expected_page(order, 3)
    assert body["embeds"][0]["footer"]["text"] == "Page 3/3 · 27 players"


def test_filters_by_country_and_region(pipeline):
    order = seed_board(pipeline.database_url)

    interaction = command(pipeline, race=RACE, country="DE", region="EU")

    body = patch_body(pipeline, interaction)
    wanted = [(u, m) for u, m in order if u % 2 and u % 3]
    assert rows(body) == [(i + 1, u, m) for i, (u, m) in enumerate(wanted[:10])]
    assert body["embeds"][0]["description"].startswith("**StarCraft II Terran · 🇩🇪 Germany · Europe**")
    assert f"{len(wanted)} players" in body["embeds"][0]["footer"]["text"]
    assert buttons(body)[1]["custom_id"] == f"lb:2:{RACE}:DE:EU"


def test_a_country_typed_by_name_is_understood_and_an_unknown_one_is_named(pipeline):
    seed_board(pipeline.database_url)

    by_name = command(pipeline, country="germany")
    assert "🇩🇪 Germany" in patch_body(pipeline, by_name)["embeds"][0]["description"]

    unknown = command(pipeline, country="Atlantis")
    body = patch_body(pipeline, unknown)
    assert body["content"].startswith("Country: I don't know the country `Atlantis`.")
    assert body["embeds"] == []


def test_the_all_races_board_lists_each_race_of_a_player(pipeline):
    seed_board(pipeline.database_url)

    body = patch_body(pipeline, command(pipeline))

    first_line = body["embeds"][0]["description"].split("\n")[2]
    assert first_line == "**#1** 🇩🇪 P1005 · BZ · **2100** · 1-0-0"
    assert body["embeds"][0]["footer"]["text"] == "Page 1/3 · 28 entries (one per player and race)"


def test_an_empty_board_says_so_with_both_buttons_disabled(pipeline):
    body = patch_body(pipeline, command(pipeline, race="bw_protoss"))

    assert "No ranked players yet for these filters." in body["embeds"][0]["description"]
    assert body["embeds"][0]["footer"]["text"] == "Page 1/1 · 0 players"
    assert [b.get("disabled") for b in buttons(body)] == [True, True]


def test_profile_rank_is_the_position_on_the_race_board(pipeline):
    order = seed_board(pipeline.database_url)
    user_id, _ = order[13]  # rank 14, inside a tied triple
    interaction = make_interaction(2, data={"id": "2", "name": "profile", "type": 1,
                                            "options": [{"name": "user", "type": 6, "value": str(user_id)}]})
    pipeline.send(interaction)
    pipeline.run_worker()

    [embed] = pipeline.discord.message(interaction["token"])["embeds"]

    assert "Rank **#14** of 27" in embed["fields"][0]["value"]


def test_country_autocomplete_answers_in_line(pipeline):
    interaction = make_interaction(4, data={"id": "3", "name": "leaderboard", "type": 1, "options": [
        {"name": "country", "type": 3, "value": "germ", "focused": True}]})

    answer = json.loads(pipeline.send(interaction)["body"])

    assert answer["type"] == 8
    assert {"name": "🇩🇪 Germany", "value": "DE"} in answer["data"]["choices"]
    assert pipeline.aws.receive() == []  # nothing queued
