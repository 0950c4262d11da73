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
    assert static_data.country("XX") is None


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


def test_races_regions_and_maps_are_loaded_and_indexed() -> None:
    race_codes = [r.code for r in static_data.races()]
    assert {"bw_terran", "bw_zerg", "bw_protoss", "sc2_terran", "sc2_zerg", "sc2_protoss"} <= set(race_codes)
    assert len(set(race_codes)) == len(race_codes)
    assert len({r.short for r in static_data.races()}) == len(race_codes)
    assert static_data.race("sc2_zerg").name == "StarCraft II Zerg"
    assert static_data.race("nope") is None
    assert static_data.region("eu").name == "Europe"
    assert {"NA", "EU", "KR"} <= {r.code for r in static_data.regions()}
    assert 7 <= len(static_data.maps()) <= 9
    assert len({m.code for m in static_data.maps()}) == len(static_data.maps())


def test_loaded_once_per_process() -> None:
    assert static_data.countries() is static_data.countries()
    assert static_data.maps() is static_data.maps()
