"""Every check of a replay against its match, on real replays (tests/fixtures/replays)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from ladderline.replays import checks
from ladderline.replays.summary import ReplayPlayer

from tests.support.replays import PVT_AI, PVZ_AI_NO_HISTORY, TWO_V_TWO, ZVP, ZVP_HANDLE, summary_of, zvp_match

PLAIN = checks.rules(ZVP_HANDLE)  # this deployment counts the replay's own dependency as the mod


def failed(verdict: checks.Verdict) -> list[str]:
    return [c.name for c in verdict.failed]


def test_the_replay_that_fits_its_match_passes_every_check_and_names_the_winner():
    verdict = checks.verify(summary_of(ZVP), zvp_match(), PLAIN)
    assert verdict.passed, [c.line() for c in verdict.checks]
    assert verdict.result == "player_2_win" and verdict.winner_note == "Beren (SC2 Protoss) won"
    assert [c.name for c in verdict.checks] == ["1v1", "No A.I.", "No observers", "Races", "Map",
                                                "SC: Evo Complete", "Played after the match", "Lobby settings"]


def test_the_winner_is_found_by_race_whichever_slot_the_players_hold():
    match = zvp_match()
    match["players"].reverse()
    assert checks.verify(summary_of(ZVP), match, PLAIN).result == "player_1_win"


def test_a_plain_sc2_replay_fails_the_mod_check_against_sc_evo_completes_own_handles():
    verdict = checks.verify(summary_of(ZVP), zvp_match(), checks.rules())
    assert failed(verdict) == ["SC: Evo Complete"] and verdict.result is None
    # 38 URLs, 21 files: the same file has the same hash on every region's depot.
    assert len(checks.official_mod_handles()) == 21


def test_a_replay_against_the_ai_is_refused_unless_the_ladder_allows_it():
    match = zvp_match(map="Acid Plant LE", confirmed_at=summary_of(PVT_AI).start_time,
                      players=[dict(zvp_match()["players"][0], race="sc2_protoss", name="StoicLoofah"),
                               dict(zvp_match()["players"][1], race="sc2_terran")])
    handles = ",".join(d.rsplit("/", 1)[1].split(".")[0] for d in summary_of(PVT_AI).dependencies)
    refused = checks.verify(summary_of(PVT_AI), match, checks.rules(handles))
    assert failed(refused) == ["No A.I."]
    assert "A.I. 1 (Very Easy)" in refused.checks[1].detail
    allowed = checks.verify(summary_of(PVT_AI), match, checks.rules(handles, allow_ai=True))
    assert allowed.passed and allowed.result == "player_2_win"


def test_no_match_history_against_the_ai_fails_twice_over():
    verdict = checks.verify(summary_of(PVZ_AI_NO_HISTORY), zvp_match(), PLAIN)
    assert set(failed(verdict)) == {"No A.I.", "Lobby settings", "Map", "Played after the match"}
    lobby = next(c for c in verdict.checks if c.name == "Lobby settings")
    assert lobby.detail == "Game Privacy No Match History (must be Normal)"


def test_a_2v2_is_not_a_ladder_game():
    verdict = checks.verify(summary_of(TWO_V_TWO), zvp_match(), PLAIN)
    assert "1v1" in failed(verdict) and verdict.checks[0].detail == "4 players (a ladder game has 2)"


@pytest.mark.parametrize(("changes", "check", "detail"), [
    ({"map": "celestial_enclave"}, "Map", "Odyssey LE (the match is on Celestial Enclave LE)"),
    ({"confirmed_at": 1510972724.0 + 3600}, "Played after the match",
     "the game started 60 min before the match was confirmed"),
    ({"confirmed_at": 1767225600.0}, "Played after the match", "the game started 2966 days before the match was confirmed"),
    ({"confirmed_at": 1510972724.0 - 3 * 86400}, "Played after the match",
     "the game started 3 days after the match was confirmed"),
    ({"confirmed_at": None}, "Played after the match", "the match was never confirmed"),
])
def test_the_wrong_map_or_a_game_outside_the_matchs_window_fails_with_what_was_found(changes, check, detail):
    verdict = checks.verify(summary_of(ZVP), zvp_match(**changes), PLAIN)
    [wrong] = verdict.failed
    assert (wrong.name, wrong.detail) == (check, detail)


def test_wrong_races_say_what_the_match_is():
    match = zvp_match()
    match["players"][0]["race"] = "bw_zerg"
    [wrong] = checks.verify(summary_of(ZVP), match, PLAIN).failed
    assert wrong.name == "Races" and wrong.detail == "SC2 Protoss vs SC2 Zerg (the match is BW Zerg vs SC2 Protoss)"


def test_lobby_settings_and_observers_are_checked():
    summary = replace(summary_of(ZVP), observers=1,
                      lobby={**summary_of(ZVP).lobby, "Game Speed": "Normal", "Locked Alliances": "No"})
    verdict = checks.verify(summary, zvp_match(), PLAIN)
    assert failed(verdict) == ["No observers", "Lobby settings"]
    assert verdict.failed[1].detail == "Game Speed Normal (must be Faster); Locked Alliances No (must be Yes)"


@pytest.mark.parametrize(("name", "code"), [("BW Terran", "bw_terran"), ("스1 저그", "bw_zerg"), ("SC1星灵", "bw_protoss"),
                                            ("Terran", "sc2_terran"), ("저그", "sc2_zerg"), ("Протоссы", "sc2_protoss")])
def test_race_names_in_any_client_language_map_to_ladder_races(name, code):
    assert checks.race_code(name) == code


def test_an_unknown_race_name_is_refused_by_name():
    summary = replace(summary_of(ZVP), players=(replace(summary_of(ZVP).players[0], race="Random"),
                                                summary_of(ZVP).players[1]))
    [wrong] = checks.verify(summary, zvp_match(), PLAIN).failed
    assert (wrong.name, wrong.detail) == ("Races", "unknown race 'Random'")


def _mirror(winner_name: str) -> tuple:
    players = (ReplayPlayer(winner_name, "BW Zerg", True, "Win"), ReplayPlayer("Someone", "BW Zerg", True, "Loss"))
    match = zvp_match(players=[
        {"user_id": "1", "name": "Alpha", "battletag": "AlphaTag#1", "alt_names": ["Alf"], "race": "bw_zerg"},
        {"user_id": "2", "name": "Bravo", "battletag": "Bravo#2", "alt_names": [], "race": "bw_zerg"}])
    return players, match


@pytest.mark.parametrize(("winner", "result"), [("Alpha", "player_1_win"), ("alf", "player_1_win"),
                                                ("AlphaTag", "player_1_win"), ("BRAVO", "player_2_win")])
def test_a_mirror_is_told_apart_by_the_in_game_names_of_the_profiles(winner, result):
    players, match = _mirror(winner)
    assert checks.winner(players, match)[0] == result


def test_a_mirror_whose_names_match_neither_profile_is_indeterminate():
    players, match = _mirror("Stranger")
    result, note = checks.winner(players, match)
    assert result is None and "matches neither profile" in note


def test_a_tie_is_a_draw_and_no_single_winner_is_indeterminate():
    summary = summary_of(ZVP)
    tie = tuple(replace(p, result="Tie") for p in summary.players)
    assert checks.winner(tie, zvp_match()) == ("draw", "a draw")
    unknown = tuple(replace(p, result=None) for p in summary.players)
    assert checks.winner(unknown, zvp_match())[0] is None


def test_check_lines_show_replay_text_literally():
    check = checks.Check("No A.I.", False, "A.I. player: *bold*_name_")
    assert check.line() == "❌ **No A.I.**: A.I. player: \\*bold\\*\\_name\\_"
