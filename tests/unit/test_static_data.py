from __future__ import annotations

import re

import pytest
from ladderline.ladder import static_data
from ladderline.ladder.static_data import closest_countries, search_countries


def codes(found: list[static_data.Country]) -> list[str]:
    return [c.code for c in found]


def test_every_iso_country_is_there_once_with_a_two_letter_code() -> None:
    all_codes = [c.code for c in static_data.countries()]
    assert len(all_codes) >= 249
    assert len(set(all_codes)) == len(all_codes)
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in all_codes)
    assert all(c.name.strip() for c in static_data.countries())


def test_country_lookup_is_case_insensitive_and_unknown_is_none() -> None:
    assert static_data.country("de").name == "Germany"
    assert static_data.country(" KR ").name == "South Korea"
    assert static_data.country("QQ") is None


def test_flag_emoji_is_made_of_regional_indicators() -> None:
    assert static_data.flag_emoji("DE") == "🇩🇪"
    assert static_data.country("JP").flag == "🇯🇵"
    with pytest.raises(ValueError):
        static_data.flag_emoji("D1")


def test_empty_search_gives_the_first_25_by_name() -> None:
    found = search_countries("")
    assert len(found) == 25
    assert found[0].name == "Afghanistan"
    assert found == list(static_data.countries()[:25])


def test_exact_code_comes_first_then_prefixes_then_substrings() -> None:
    found = codes(search_countries("de"))
    assert found[0] == "DE"
    assert found.index("DK") < found.index("BD")  # Denmark (prefix) before Bangladesh (substring)


def test_search_matches_names_without_case_or_accents() -> None:
    assert codes(search_countries("COTE D'IV")) == ["CI"]
    assert codes(search_countries("åland"))[0] == "AX"
    assert codes(search_countries("ALAND")) == codes(search_countries("Åland"))


def test_search_matches_the_iso_name_too() -> None:
    assert "RU" in codes(search_countries("russian fed"))
    assert codes(search_countries("korea"))[:2] == ["KP", "KR"]


def test_search_respects_limit_and_is_stable() -> None:
    assert len(search_countries("a", limit=5)) == 5
    assert search_countries("a", limit=5) == search_countries("a", limit=25)[:5]
    assert len(search_countries("a")) == 25
    assert search_countries("a", limit=0) == []
    assert search_countries("zzzz") == []


def test_closest_countries_suggest_near_misses() -> None:
    assert codes(closest_countries("Germny"))[0] == "DE"
    assert codes(closest_countries("untied states"))[0] == "US"
    assert len(closest_countries("Frnace", n=2)) <= 2
    assert closest_countries("") == []


def test_six_races_three_per_game() -> None:
    race_codes = [r.code for r in static_data.races()]
    assert race_codes == ["bw_terran", "bw_zerg", "bw_protoss", "sc2_terran", "sc2_zerg", "sc2_protoss"]
    assert [r.short for r in static_data.races()] == ["T1", "Z1", "P1", "T2", "Z2", "P2"]
    assert [r.code for r in static_data.races_of("bw")] == race_codes[:3]
    assert [r.code for r in static_data.races_of("sc2")] == race_codes[3:]
    assert static_data.race("SC2_zerg").name == "SC2 Zerg"
    assert "스1 테란" in static_data.race("bw_terran").aliases
    assert static_data.race("random") is None


def test_the_map_pool_with_its_battlenet_links_per_region() -> None:
    assert len(static_data.maps()) == 9
    assert static_data.max_vetoes() == 4
    holy = static_data.ladder_map("holy_world")
    assert (holy.name, holy.author, holy.game) == ("[SC:Evo] Holy World (홀리월드)", "SCEvoLadder", "bw")
    assert holy.link("AM") == "battlenet:://starcraft/map/1/367497"
    assert holy.link("EU") == "battlenet:://starcraft/map/2/258892"
    assert holy.link("AS") == "battlenet:://starcraft/map/3/184687"
    assert static_data.ladder_map("celestial_enclave").link("AS") == "battlenet:://starcraft/map/3/186928"
    assert {m.author for m in static_data.maps()} == {"Blizzard Entertainment", "SCEvoLadder", "HyperONE"}
    assert static_data.mod()["ids"] == {"AM": 349669, "EU": 246488, "AS": 162487}


def test_sixteen_regions_nine_servers() -> None:
    assert [r.code for r in static_data.regions()] == [
        "NAW", "NAC", "NAE", "CAM", "SAM", "EUW", "EUE", "AFR", "MEA", "SEA", "KRJ", "CHN", "THM", "OCE",
        "USB", "FER"]
    assert static_data.region("euw").name == "Western Europe"
    assert static_data.region("EU") is None
    servers = {s.code: s.game_region for s in static_data.servers()}
    assert servers == {"USW": "AM", "USC": "AM", "USE": "AM", "BRZ": "AM", "EUC": "EU", "SNG": "AM",
                       "AUS": "AM", "KOR": "AS", "TWN": "AS"}


def test_the_server_table_is_complete_symmetric_and_matches_known_cells() -> None:
    table = static_data.server_table()
    codes = [r.code for r in static_data.regions()]
    assert len(table) == 136  # the upper triangle with the diagonal of 16 x 16
    for a in codes:
        for b in codes:
            assert static_data.server_for(a, b) == static_data.server_for(b, a)
    assert static_data.server_for("NAW", "NAW").code == "USW"
    assert static_data.server_for("EUW", "EUE").code == "EUC"
    assert static_data.server_for("OCE", "OCE").code == "AUS"
    assert static_data.server_for("KRJ", "EUE").code == "USC"
    assert static_data.server_for("FER", "SAM").code == "USE"
    assert static_data.server_for("MEA", "NAW").code == "KOR"
    assert static_data.server_for(None, "KRJ").code == "KOR"  # a missing region borrows the other's
    assert "BRZ" not in set(table.values())


def test_blocked_region_pairs_either_way_round() -> None:
    assert static_data.is_blocked("USB", "CAM") and static_data.is_blocked("CAM", "USB")
    assert static_data.is_blocked("FER", "SAM")
    assert not static_data.is_blocked("USB", "EUW")
    assert not static_data.is_blocked(None, "CAM")


def test_loaded_once_per_process() -> None:
    assert static_data.countries() is static_data.countries()
    assert static_data.maps() is static_data.maps()


def test_the_originals_special_countries_exist_with_a_white_flag():
    from ladderline.ladder import countries

    assert static_data.country("xx").name == "Nonrepresenting" and static_data.country("ZZ").name == "Other"
    assert static_data.flag_emoji("XX") == static_data.flag_emoji("ZZ") == "🏳️"
    assert countries.resolve_country("Other").code == "ZZ"
    assert countries.resolve_country("nonrepresenting").code == "XX"
    assert [c.code for c in static_data.search_countries("nonrep")] == ["XX"]
