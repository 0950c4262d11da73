"""/profile end to end: signed interaction -> ingress -> SQS -> worker -> PostgreSQL -> the edit."""

from __future__ import annotations

from tests.support.interactions import USER_ID, make_interaction
from tests.support.ladder import (
    DEFERRED_EPHEMERAL,
    patches,
    query,
    refresh_ranks,
    run_command,
    run_sql,
    seed_player,
)

OTHER_ID = "222222222222222222"


def run_profile(pipeline, user: str | None = None) -> dict:
    data = {"id": "2", "name": "profile", "type": 1}
    if user is not None:
        data["options"] = [{"name": "user", "type": 6, "value": user}]
    interaction = make_interaction(2, data=data)
    message = run_command(pipeline, interaction, expect=DEFERRED_EPHEMERAL)  # ephemeral "thinking..."
    assert len(patches(pipeline, interaction)) == 1  # one edit of the original response
    return message


def test_without_a_profile_you_are_pointed_at_setup(pipeline):
    message = run_profile(pipeline)

    assert "/setup" in message["content"]
    assert message["embeds"] == []
    outcome = query(pipeline, "SELECT command, outcome FROM command_calls")
    assert outcome == [["profile", "no_profile"]]


def test_another_user_without_a_profile_is_named_as_such(pipeline):
    message = run_profile(pipeline, user=OTHER_ID)

    assert message["content"] == f"That player (<@{OTHER_ID}>) has no ladder profile yet."
    assert "/setup" not in message["content"]


def seed_profile(url: str) -> None:
    run_sql(url, f"""
        INSERT INTO players (discord_user_id, player_name, alt_names, battletag, country, region,
                             terms_accepted_at, activated_at, created_at)
        VALUES ({USER_ID}, 'Serral_fan', ARRAY['Alt*One', 'Two'], 'Serral#2114', 'FI', 'EUW',
                now(), now(), '2025-06-06T10:00:00Z');
        -- Four rivals on sc2_terran: two above, one tied with a smaller user id (ranks ahead by
        -- the tie-breaker), one tied with a larger id (behind), and one without games (unranked).
        INSERT INTO players (discord_user_id, player_name) VALUES
            (11, 'High'), (12, 'Higher'), (13, 'TiedAhead'), (999999999999999999, 'TiedBehind'), (14, 'NoGames');
        INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, games_lost, games_drawn,
                              last_played_at) VALUES
            ({USER_ID}, 'sc2_terran', 1650, 13, 10, 2, 1, now()),
            ({USER_ID}, 'bw_zerg', 1500, 0, 0, 0, 0, NULL),
            ({USER_ID}, 'bw_terran', 1580, 2, 2, 0, 0, now() - interval '40 days'),
            (11, 'sc2_terran', 1700, 1, 1, 0, 0, now()),
            (12, 'sc2_terran', 1800, 1, 1, 0, 0, now()),
            (13, 'sc2_terran', 1650, 1, 1, 0, 0, now()),
            (999999999999999999, 'sc2_terran', 1650, 1, 0, 1, 0, now()),
            (14, 'sc2_terran', 2500, 0, 0, 0, 0, NULL);
        INSERT INTO preferences_1v1 (discord_user_id, last_chosen_races) VALUES ({USER_ID}, ARRAY['sc2_terran']);
    """)
    refresh_ranks(url)


def test_a_profile_shows_identity_every_race_and_its_rank(pipeline):
    seed_profile(pipeline.database_url)

    message = run_profile(pipeline)

    [embed] = message["embeds"]
    assert embed["title"] == "Serral\\_fan"  # markdown in names is shown literally
    assert "**BattleTag:** Serral#2114" in embed["description"]
    assert "**Country:** 🇫🇮 Finland" in embed["description"]
    assert "**Region:** Western Europe" in embed["description"]
    assert "**Also known as:** Alt\\*One, Two" in embed["description"]
    assert "Not activated" not in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    # Five ranked entries get B, C, D, D, E (DOMAIN.md §8 remainders: floors 1, 1, 1, 1 then D); the Terran row last
    # played 40 days ago is unranked.
    assert fields["SC2 Terran"] == "MMR **1650**\n10-2-1 (77% wins)\nRank **D** · #4 of 5"
    assert fields["BW Terran"] == "MMR **1580**\n2-0-0 (100% wins)\nUnranked (no game in 30 days)"
    assert fields["BW Zerg"] == "MMR **1500**\nUnranked (no games yet)"
    assert fields["Last queued as"] == "SC2 Terran"
    assert embed["footer"]["text"] == "Player since 2025-06-06 · ranks as of"
    assert embed["timestamp"]  # when the ranks were computed, shown by Discord in the reader's time zone
    assert message["flags"] & 64  # ephemeral


def test_a_race_played_since_the_last_ranks_refresh_says_it_is_ranked_at_the_next(pipeline):
    seed_profile(pipeline.database_url)
    # A first game with the BW Zerg after the snapshot: live MMR and record, no rank yet.
    run_sql(pipeline.database_url, f"UPDATE mmrs_1v1 SET mmr = 1520, games_played = 1, games_won = 1, "
                                   f"last_played_at = now(), updated_at = now() "
                                   f"WHERE discord_user_id = {USER_ID} AND race = 'bw_zerg'")

    fields = {f["name"]: f["value"] for f in run_profile(pipeline)["embeds"][0]["fields"]}
    assert fields["BW Zerg"] == "MMR **1520**\n1-0-0 (100% wins)\nRanked at the next ranks update"
    assert fields["SC2 Terran"].endswith("Rank **D** · #4 of 5")  # the snapshot's, unchanged

    assert refresh_ranks(pipeline.database_url)["total"] == 6
    fields = {f["name"]: f["value"] for f in run_profile(pipeline)["embeds"][0]["fields"]}
    assert fields["BW Zerg"] == "MMR **1520**\n1-0-0 (100% wins)\nRank **E** · #6 of 6"


def test_another_players_profile_by_user_option(pipeline):
    seed_profile(pipeline.database_url)
    # A deployment with the activation gate (ActivationRequired): a player without it is told.
    run_sql(pipeline.database_url, "UPDATE ladder_config SET activation_required = true")

    message = run_profile(pipeline, user="12")

    [embed] = message["embeds"]
    assert embed["title"] == "Higher"
    assert "Not activated yet" in embed["description"]
    assert {f["name"]: f["value"] for f in embed["fields"]} == {
        "SC2 Terran": "MMR **1800**\n1-0-0 (100% wins)\nRank **B** · #1 of 5"}


def test_a_profile_without_games_says_so(pipeline):
    seed_player(pipeline, player_name="New")

    [embed] = run_profile(pipeline)["embeds"]

    assert embed["fields"] == [{"name": "Ladder", "value": "No games played yet.", "inline": False}]
