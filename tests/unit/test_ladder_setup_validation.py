"""Pure parts of the player-setup commands: field validation, country resolution, rendering limits."""

from __future__ import annotations

import hashlib

import pytest
from ladderline.discord.limits import validate_message, validate_modal
from ladderline.ladder import countries, guards
from ladderline.ladder.commands import activate, setup, terms
from ladderline.ladder.i18n import EN
from ladderline.ladder.registry import registry

from tests.support.discord_spec import schema_errors

GOOD = {"player_name": "SerralFan", "alt_names": "", "battletag": "Serral#2114"}


def problems(**changes: str) -> list[str]:
    fields = {**GOOD, **{k: v for k, v in changes.items() if k in GOOD}}
    return setup.validate(fields, changes.get("country", "FI"), changes.get("region", "EUW"), EN)[1]


@pytest.mark.parametrize("name", ["abc", "SerralFanXYZ", "Maru"])
def test_player_names_of_3_to_12_english_letters_pass_as_in_the_original(name: str) -> None:
    assert problems(player_name=name) == []


@pytest.mark.parametrize("name", ["ab", "abcdefghijklm", "with space", "dash-ed", "", "emoji🙂x", "Serral_fan",
                                  "a1b", "김정훈abc"])
def test_other_player_names_are_refused_naming_the_field(name: str) -> None:
    [problem] = problems(player_name=name)
    assert problem.startswith("**Player name**")


@pytest.mark.parametrize("tag", ["Jo#1234", "Abc#123456", "Serral#123", "abc#9999", "김정훈#1234", "Ser_ral#1234",
                                 "X#123456789012"])
def test_battletags_pass_as_the_original_accepts_them(tag: str) -> None:
    assert problems(battletag=tag) == []


@pytest.mark.parametrize("tag", ["Serral", "Serral#12", "Serral#1234567890123", "abcdefghijklm#1234", "Serral#12a4",
                                 "Se rral#1234", "a#b#1234", "Ser`ral#1234", "#1234"])
def test_bad_battletags_are_refused_naming_the_field(tag: str) -> None:
    [problem] = problems(battletag=tag)
    assert problem.startswith("**BattleTag**")


def test_alt_names_are_split_trimmed_and_deduplicated() -> None:
    draft, found = setup.validate({**GOOD, "alt_names": " One , two,, ONE , SerralFan"}, "fi", "euw", EN)
    assert found == []
    assert draft == {"player_name": "SerralFan", "alt_names": ["One", "two"], "battletag": "Serral#2114",
                     "country": "FI", "region": "EUW"}


def test_more_than_three_alt_names_or_a_bad_one_are_refused() -> None:
    too_many = problems(alt_names="aaa, bbb, ccc, ddd")
    assert too_many == ["**Alternative names**: at most 3, separated by commas (got 4)."]
    [bad] = problems(alt_names="aaa, b`b")
    assert bad == "**Alternative names**: `b'b` must be 3–12 characters (any script), without spaces, `#` or `@`."
    assert problems(alt_names="Alt_2, 김정훈, Серёжа") == []  # any script, as the original allows


def test_unknown_country_and_region_are_refused() -> None:
    found = problems(country="Frnace", region="MARS")
    assert found[0].startswith("**Country**: I don't know the country `Frnace`. Did you mean 🇫🇷 France")
    assert found[1].startswith("**Region** `MARS`")


def test_resolve_country_takes_codes_and_exact_names_only() -> None:
    assert countries.resolve_country("de").code == "DE"
    assert countries.resolve_country("  Côte d'Ivoire ").code == "CI"
    assert countries.resolve_country("cote d'ivoire").code == "CI"
    assert countries.resolve_country("Germ") is None
    assert countries.resolve_country("") is None
    assert countries.resolve_country(None) is None


def test_country_choices_fit_discord_limits() -> None:
    for text in ("", "a", "united", "x" * 300):
        choices = countries.country_choices(text)
        assert len(choices) <= 25
        assert all(0 < len(c["name"]) <= 100 and len(c["value"]) == 2 for c in choices)


def test_summary_and_modals_are_valid_discord_bodies() -> None:
    draft, _ = setup.validate({**GOOD, "alt_names": "abcdefghijkl,bcdefghijklm"[:25]}, "FI", "EUW", EN)
    assert draft is not None
    body = setup.summary(draft, "1" * 20, EN)
    assert validate_message(body) == []
    assert all(len(c["custom_id"]) <= 100 for row in body["components"] for c in row["components"])
    modal = setup.modal_for("FI", "EUW", EN, "", {"player_name": "x" * 13, "battletag": "Serral#2114"})
    # Inputs sit in Label components (type 18): the label names the field, the input has no label itself.
    assert [c["type"] for c in modal["data"]["components"]] == [18, 18, 18]
    labels = {c["component"]["custom_id"]: c for c in modal["data"]["components"]}
    inputs = {key: label["component"] for key, label in labels.items()}
    assert [label["label"] for label in labels.values()] == ["Player name", "Alternative names", "BattleTag"]
    assert all("label" not in i and i["type"] == 4 for i in inputs.values())
    assert "value" not in inputs["player_name"]  # too long for the input: not prefilled
    assert inputs["battletag"]["value"] == "Serral#2114"
    assert validate_modal(modal["data"]) == []
    assert schema_errors("ModalInteractionCallbackRequestData", modal["data"]) == []


def test_restart_prefill_reads_the_summary_fields() -> None:
    draft, _ = setup.validate({**GOOD, "alt_names": "One,Two"}, "FI", "EUW", EN)
    message = setup.summary(draft, "123", EN)
    assert setup._prefill_from(message) == {"player_name": "SerralFan", "alt_names": "One, Two",
                                            "battletag": "Serral#2114"}
    assert setup._prefill_from({"embeds": []}) == {}
    assert setup._prefill_from(None) == {}


def test_hash_code_is_sha256_of_the_trimmed_upper_cased_code() -> None:
    assert activate.hash_code("  abc-123\n") == hashlib.sha256(b"ABC-123").hexdigest()
    assert activate.hash_code("ABC-123") == activate.hash_code("abc-123")


def test_terms_fit_one_embed_and_long_terms_are_shortened_at_a_line() -> None:
    assert 0 < len(terms.terms_text()) <= terms.MAX_DESCRIPTION
    assert validate_message(terms.terms_message({"profile": True, "accepted_at": None}, EN)) == []
    long = "\n".join(f"line {i} " + "x" * 90 for i in range(100))
    short = terms.description(long)
    assert len(short) <= terms.MAX_DESCRIPTION and short.endswith(terms.TRUNCATED)
    assert short[: -len(terms.TRUNCATED)].rstrip().split("\n")[-1].endswith("x" * 90)


def test_guards_render_a_pointer_to_the_missing_step() -> None:
    assert guards.guard_reply({"status": "ok"}, EN) is None
    steps = ((guards.Guard.NO_PROFILE, "/setup"), (guards.Guard.TERMS_NOT_ACCEPTED, "/termsofservice"),
             (guards.Guard.NOT_ACTIVATED, "/activate"))
    for guard, step in steps:
        reply = guards.guard_reply({"guard": guard.value}, EN)
        assert step in reply.body["content"] and reply.outcome == f"guard_{guard.value}"
        assert validate_message(reply.body) == []


def test_setup_routes_are_registered_with_discord_shaped_options() -> None:
    routes = {route.key: route for route in registry().routes()}
    for key in ("setup", "setup_modal", "setup_confirm", "setup_restart", "setup_cancel", "setcountry",
                "termsofservice", "terms_accept", "terms_decline", "activate"):
        assert key in routes
    setup_options = {o["name"]: o for o in routes["setup"].options}
    assert setup_options["country"]["autocomplete"] is True
    assert 0 < len(setup_options["region"]["choices"]) <= 25
    assert routes["setup"].autocomplete is not None and routes["setcountry"].autocomplete is not None
