"""/leaderboard end to end: paging with ties, Previous/Next editing the same message, filters."""

from __future__ import annotations

import re

from tests.support.interactions import make_interaction
from tests.support.ladder import (
    DEFERRED_EPHEMERAL,
    answer,
    autocomplete,
    click,
    patches,
    refresh_ranks,
    run_command,
    run_sql,
)

RACE = "sc2_terran"
PLAYERS = 27  # three pages: 10 + 10 + 7


def seed_board(url: str) -> list[tuple[int, int]]:
    """27 sc2_terran players in tied triples of MMR, inserted in an order unrelated to their ids;
    plus noise the race board must not show. Returns [(user_id, mmr)] in the expected order."""
    players = []
    for i in range(PLAYERS):
        user_id = 1000 + (i * 7) % PLAYERS  # 1000..1026, shuffled
        players.append((user_id, 2000 - (i // 3) * 10))
    values = ", ".join(f"({u}, 'P{u}', '{'DE' if u % 2 else 'FR'}', '{'EUW' if u % 3 else 'NAC'}')"
                       for u, _ in players)
    mmrs = ", ".join(f"({u}, '{RACE}', {m}, 3, 2, 1, 0, now())" for u, m in players)
    run_sql(url, f"""
        INSERT INTO players (discord_user_id, player_name, country, region) VALUES {values};
        INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, games_lost, games_drawn,
                              last_played_at)
        VALUES {mmrs};
        -- Another race (shown on the all-races board only), a row without games and a row whose
        -- last game is older than 30 days (both unranked: never shown).
        INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, last_played_at) VALUES
            (1005, 'bw_zerg', 2100, 1, 1, now()), (1006, 'bw_zerg', 2500, 0, 0, NULL),
            (1007, 'bw_zerg', 2600, 4, 4, now() - interval '31 days');
    """)
    refresh_ranks(url)
    return sorted(players, key=lambda p: (-p[1], p[0]))


def command(pipeline, **options) -> dict:
    data = {"id": "3", "name": "leaderboard", "type": 1,
            "options": [{"name": k, "type": 5 if isinstance(v, bool) else 3, "value": v}
                        for k, v in options.items()]}
    interaction = make_interaction(2, data=data)
    run_command(pipeline, interaction, expect=DEFERRED_EPHEMERAL)
    return interaction


def page_click(pipeline, message: dict, custom_id: str) -> dict:
    interaction = click(custom_id, message)
    run_command(pipeline, interaction, expect={"type": 6})  # deferred update: the same message is edited
    return interaction


def patch_body(pipeline, interaction) -> dict:
    [patch] = patches(pipeline, interaction)
    assert patch.path.endswith("/messages/@original")
    return patch.json


def rows(body: dict) -> list[tuple[int, int, int]]:
    """(rank, user id, mmr) of each line of the page."""
    found = re.findall(r"^\*\*#(\d+)\*\* `[SABCDEFU]` (?:\S+ )?P(\d+)(?: · \w+)? · \*\*(\d+)\*\*", body["embeds"][0]["description"],
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
    assert body["embeds"][0]["footer"]["text"] == "Page 1/3 · 27 players · ranks as of"
    previous, following = buttons(body)
    assert previous["disabled"] is True and previous["custom_id"] == f"lb:0:{RACE}::::0"
    assert "disabled" not in following and following["custom_id"] == f"lb:2:{RACE}::::0"
    message = pipeline.discord.message(first["token"])

    for page in (2, 3):
        clicked = page_click(pipeline, message, f"lb:{page}:{RACE}::::0")
        body = patch_body(pipeline, clicked)
        assert rows(body) == expected_page(order, page)
        assert body["embeds"][0]["footer"]["text"] == f"Page {page}/3 · 27 players · ranks as of"
        edited = pipeline.discord.message(clicked["token"])
        assert edited["id"] == message["id"]  # the same message, edited in place
        message = edited
    previous, following = buttons(body)
    assert following["disabled"] is True and "disabled" not in previous
    assert previous["custom_id"] == f"lb:2:{RACE}::::0"

    back = page_click(pipeline, message, previous["custom_id"])
    assert rows(patch_body(pipeline, back)) == expected_page(order, 2)
    assert pipeline.discord.message(back["token"])["id"] == message["id"]
    # Ties: equal MMRs get consecutive positions, ordered by user id.
    assert [r[0] for r in rows(patch_body(pipeline, back))] == list(range(11, 21))


def test_an_out_of_range_page_shows_the_last_page(pipeline):
    order = seed_board(pipeline.database_url)
    first = command(pipeline, race=RACE)
    message = pipeline.discord.message(first["token"])

    clicked = page_click(pipeline, message, f"lb:99:{RACE}::::0")

    body = patch_body(pipeline, clicked)
    assert rows(body) == expected_page(order, 3)
    assert body["embeds"][0]["footer"]["text"] == "Page 3/3 · 27 players · ranks as of"


def test_filters_by_country_and_region(pipeline):
    order = seed_board(pipeline.database_url)

    interaction = command(pipeline, race=RACE, country="DE", region="EUW")

    body = patch_body(pipeline, interaction)
    wanted = [(u, m) for u, m in order if u % 2 and u % 3]
    assert rows(body) == [(i + 1, u, m) for i, (u, m) in enumerate(wanted[:10])]
    assert body["embeds"][0]["description"].startswith("**SC2 Terran · 🇩🇪 Germany · Western Europe**")
    assert f"{len(wanted)} players" in body["embeds"][0]["footer"]["text"]
    assert buttons(body)[1]["custom_id"] == f"lb:2:{RACE}:DE:EUW::0"


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
    # 28 ranked entries: S 0, A 2, B 6, C 6, D 6, E 6, F 2 (DOMAIN.md §8's remainders).
    assert first_line == "**#1** `A` 🇩🇪 P1005 · Z1 · **2100** · 1-0-0"
    assert body["embeds"][0]["footer"]["text"] == "Page 1/3 · 28 entries (one per player and race) · ranks as of"


def test_an_empty_board_says_so_with_both_buttons_disabled(pipeline):
    body = patch_body(pipeline, command(pipeline, race="bw_protoss"))

    assert "No ranked players yet for these filters." in body["embeds"][0]["description"]
    assert body["embeds"][0]["footer"]["text"] == "Page 1/1 · 0 players"
    assert [b.get("disabled") for b in buttons(body)] == [True, True]


def test_profile_rank_is_the_letter_and_place_among_all_ranked_entries(pipeline):
    order = seed_board(pipeline.database_url)
    user_id, _ = order[13]  # 14th Terran, inside a tied triple; P1005's Zerg is ahead of everyone
    interaction = make_interaction(2, data={"id": "2", "name": "profile", "type": 1,
                                            "options": [{"name": "user", "type": 6, "value": str(user_id)}]})
    run_command(pipeline, interaction, expect=DEFERRED_EPHEMERAL)

    [embed] = pipeline.discord.message(interaction["token"])["embeds"]

    assert "Rank **D** · #15 of 28" in embed["fields"][0]["value"]


def test_the_rank_filter_and_best_race_only(pipeline):
    order = seed_board(pipeline.database_url)

    body = patch_body(pipeline, command(pipeline, rank="A"))
    assert [(u, m) for _, u, m in rows(body)] == [(1005, 2100), order[0]]
    assert body["embeds"][0]["description"].startswith("**All races · Rank A**")
    assert buttons(body)[1]["custom_id"] == "lb:2::::A:0"

    # P1005 has Zerg 2100 and Terran 1990: best race only keeps the Zerg row.
    best = patch_body(pipeline, command(pipeline, best_race_only=True))
    assert body_users(best).count(1005) == 1
    assert "Best race only" in best["embeds"][0]["description"]
    assert best["embeds"][0]["footer"]["text"] == "Page 1/3 · 27 players · ranks as of"
    message = pipeline.discord.message(command(pipeline, best_race_only=True)["token"])
    page_2 = patch_body(pipeline, page_click(pipeline, message, "lb:2:::::1"))
    assert 1005 not in body_users(page_2) and len(rows(page_2)) == 10


def body_users(body: dict) -> list[int]:
    return [u for _, u, _ in rows(body)]


def test_country_autocomplete_answers_in_line(pipeline):
    body = answer(pipeline, autocomplete("leaderboard", "germ"))

    assert body["type"] == 8
    assert {"name": "🇩🇪 Germany", "value": "DE"} in body["data"]["choices"]
    assert pipeline.aws.receive() == []  # nothing queued


def test_the_ranked_views_run_without_jit_set_on_the_function_not_by_the_client(database_url):
    # A client SET would pin an RDS Proxy session; the function's own setting does not.
    from tests.support.ladder_jobs import sql

    found = dict(sql(database_url, "SELECT proname, proconfig FROM pg_proc WHERE proname IN "
                                   "('ladder_leaderboard_page', 'ladder_profile_snapshot', 'ladder_refresh_ranks')"))
    assert found == {"ladder_leaderboard_page": ["jit=off"], "ladder_profile_snapshot": ["jit=off"],
                     "ladder_refresh_ranks": ["search_path=public, pg_temp", "work_mem=256MB", "jit=off"]}
