"""The players' language (ladderline.ladder.i18n): every text the bot says exists in every language
with the same placeholders, fits Discord's limits there, and a missing one falls back to English.

The texts are read from the code (tests/support/i18n_sources.py), so a new `tx("...")` without its
translations fails here; the views are rendered in each language and checked with the validator
the worker uses before it sends (ladderline.discord.limits)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from ladderline.discord.limits import validate_message, validate_modal
from ladderline.ladder import i18n, match_messages
from ladderline.ladder.commands import help as help_command
from ladderline.ladder.commands import leaderboard, profile, queue, setup, terms
from ladderline.ladder.i18n import ENGLISH, LANGUAGES, Text, catalog, language_of, text_for

from tests.support.i18n_sources import ROOT, placeholders, sources

OTHERS = [code for code in LANGUAGES if code != ENGLISH]
SOURCES = sources()


def test_the_code_has_texts_to_translate() -> None:
    # Guards the reader itself: an extractor that finds nothing would make every test below pass.
    assert len(SOURCES) > 250
    assert "Join queue" in SOURCES and "⚔️ Match #{number} found" in SOURCES


@pytest.mark.parametrize("language", OTHERS)
def test_every_text_is_translated_with_the_same_placeholders(language: str) -> None:
    translations = catalog(language)
    missing = [text for text in SOURCES if not translations.get(text, "").strip()]
    assert missing == [], f"{language} lacks {len(missing)} texts, e.g. {missing[:3]} (used at {SOURCES[missing[0]][:2]})" \
        if missing else ""
    wrong = {text: translations[text] for text in SOURCES if placeholders(translations[text]) != placeholders(text)}
    assert wrong == {}
    # Every translation formats with the placeholders the code passes.
    for text, translated in translations.items():
        translated.format(**{name: "x" for name in placeholders(text)})


@pytest.mark.parametrize("language", OTHERS)
def test_no_catalog_keeps_texts_the_code_no_longer_says(language: str) -> None:
    stale = sorted(set(catalog(language)) - set(SOURCES))
    assert stale == []


@pytest.mark.parametrize("language", OTHERS)
def test_translations_are_not_english_left_in_place(language: str) -> None:
    # Names, numbers and formats may read the same; sentences may not.
    def words(text: str) -> int:
        return len(re.findall(r"[A-Za-z]{2,}", re.sub(r"\{\w+\}|<[^>]*>|`[^`]*`", "", text)))

    same = [t for t, v in catalog(language).items() if v == t and words(t) > 3]
    assert same == []


def test_a_missing_text_falls_back_to_english_never_to_a_key(tmp_path: Path) -> None:
    korean = text_for("ko")
    assert korean("Join queue") == catalog("ko")["Join queue"] != "Join queue"
    assert korean("A text nobody translated, match #{n}", n=7) == "A text nobody translated, match #7"
    assert text_for("fr")("Join queue") == "Join queue"
    assert text_for(None)("⚔️ Match #{number} found", number=3) == "⚔️ Match #3 found"


def test_discord_locales_map_to_the_five_languages() -> None:
    assert [language_of(x) for x in ("en-US", "en-GB", "es-ES", "es-419", "ko", "ru", "zh-CN", "zh-TW")] == \
        ["en", "en", "es-419", "es-419", "ko", "ru", "zh-CN", "zh-CN"]
    # Not Russian for Ukrainian: English for every locale we do not speak.
    assert [language_of(x) for x in ("uk", "fr", "ja", None, "", "xx")] == ["en"] * 6
    assert [language_of(code) for code in LANGUAGES] == list(LANGUAGES)


def test_the_catalogs_are_the_packaged_files() -> None:
    folder = Path(i18n.__file__).parent
    assert sorted(p.stem for p in folder.glob("*.json")) == sorted(OTHERS)
    for language in OTHERS:
        assert json.loads((folder / f"{language}.json").read_text(encoding="utf-8")) == catalog(language)


# --- Discord's limits, per use ----------------------------------------------------------------------
# Where a text is used and the limit there (ladderline.discord.limits): a `tx("...")` given as a
# button's label, an embed's title, a modal's title, a label, a placeholder or a field name.
CALL_LIMITS = {"button": 80, "embed": 256, "label": 45, "modal": 45, "_select": 150}
KEYWORD_LIMITS = {"placeholder": 100, "title": 256, "description": 100}


def _short_texts() -> dict[str, int]:
    """Text -> the tightest limit of a place it is used in."""
    limits: dict[str, int] = {}

    def note(node: ast.AST, limit: int) -> None:
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and node.args:
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            first = node.args[0]
            if name == "tx" and isinstance(first, ast.Constant) and isinstance(first.value, str):
                limits[first.value] = min(limit, limits.get(first.value, limit))

    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Name, ast.Attribute)):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name in ("button", "embed", "label") and node.args:
                note(node.args[0], CALL_LIMITS[name])
            if name in ("modal", "_select") and len(node.args) > 1:  # the title, the placeholder
                note(node.args[1], CALL_LIMITS[name])
            for keyword in node.keywords:
                if keyword.arg in KEYWORD_LIMITS and name in ("label", "_select", "text_input", "embed"):
                    note(keyword.value, KEYWORD_LIMITS[keyword.arg])
    return limits


def _rendered_length(template: str) -> int:
    # A placeholder holds a short value there (a number, a game or race name: at most ~12 characters).
    return len(template.format(**{name: "x" * 12 for name in placeholders(template)}))


def test_short_texts_are_found() -> None:
    short = _short_texts()
    assert short["Join queue"] == 80 and short["Set up your ladder profile"] == 45
    assert short["🏆 Leaderboard"] == 256 and short["Maps to veto (at most {most})"] == 150


@pytest.mark.parametrize("language", [ENGLISH, *OTHERS])
def test_every_short_text_fits_where_it_is_used(language: str) -> None:
    tx = text_for(language)
    too_long = {text: (tx(text), limit) for text, limit in _short_texts().items()
                if _rendered_length(catalog(language).get(text, text)) > limit}
    assert too_long == {}


@pytest.mark.parametrize("language", [ENGLISH, *OTHERS])
def test_every_text_fits_a_message(language: str) -> None:
    assert [t for t in SOURCES if _rendered_length(catalog(language).get(t, t)) > 2000] == []


# --- the views, rendered in each language ---------------------------------------------------------
def _match(status: str, **extra: Any) -> dict[str, Any]:
    players = [
        {"user_id": "101", "name": "Serral", "battletag": "Serral#2114", "alt_names": ["세랄"], "country": "FI",
         "region": "EUW", "race": "bw_zerg", "mmr": 1612, "confirmed": True, "report": "player_1_win",
         "mmr_change": 14, "language": "ko"},
        {"user_id": "202", "name": "Maru", "battletag": "Maru#1234", "alt_names": [], "country": "KR",
         "region": "KR", "race": "sc2_terran", "mmr": 1590, "confirmed": status != "abandoned",
         "report": "player_2_win" if status == "conflict" else "player_1_win", "mmr_change": -14,
         "language": "ru"},
    ]
    return {"match_id": 4321, "status": status, "result": "player_1_win", "map": "holy_world",
            "server": "EUW", "created_at": 1_700_000_000, "confirm_deadline": 1_700_000_120,
            "announced": True, "aborted_by": "101", "resolved_by": None, "resolve_reason": None,
            "replay": None, "replays": 0, "players": players, **extra}


def _views(tx: Text) -> list[tuple[str, dict[str, Any]]]:
    draft = {"player_name": "SerralFan", "alt_names": ["One", "Two"], "battletag": "Serral#2114",
             "country": "FI", "region": "EUW", "language": tx.language}
    _, problems = setup.validate({"player_name": "x", "alt_names": "a b,c", "battletag": "bad"}, "Nowhere",
                                 "XX", tx)
    queue_state = {"state": "queueing", "next_wave_at": 1_700_000_060, "counts": {"bw": 12, "sc2": 9},
                   "entry": {"bw_race": "bw_zerg", "sc2_race": "sc2_terran", "vetoes": ["holy_world"],
                             "joined_at": 1_700_000_000}, "races": ["bw_zerg"], "vetoes": ["holy_world"]}
    board = {"page": 2, "pages": 30, "total": 2345, "max_pages": 10, "page_size": 10, "as_of": 1_700_000_000,
             "rows": [{"rank": 11, "letter": "A", "country": "FI", "player_name": "Serral", "user_id": "101",
                       "race": "bw_zerg", "mmr": 1800, "won": 40, "lost": 10, "drawn": 1}]}
    snapshot = {"user_id": "101", "player_name": "Serral", "battletag": "Serral#2114", "country": "FI",
                "region": "EUW", "alt_names": ["세랄"], "activated": False, "activation_required": True,
                "created_at": "2026-01-02", "ranks_as_of": 1_700_000_000,
                "races": [{"race": "bw_zerg", "mmr": 1612, "played": 12, "won": 8, "lost": 3, "drawn": 1,
                           "letter": "B", "rank": 120, "ranked": 4000, "last_played": 1_700_000_000},
                          {"race": "sc2_zerg", "mmr": 1500, "played": 0, "won": 0, "lost": 0, "drawn": 0}],
                "recent": [{"match_id": 9, "race": "bw_zerg", "opponent_race": "sc2_terran", "opponent": "Maru",
                            "result": "player_1_win", "status": "final", "side": 1, "mmr_change": 14,
                            "at": 1_700_000_000},
                           {"match_id": 8, "race": "bw_zerg", "opponent_race": "sc2_terran", "opponent": "Maru",
                            "result": None, "status": "abandoned", "side": 1, "at": 1_699_000_000}],
                "preferences": {"last_chosen_races": ["bw_zerg"]}}
    views = [
        ("setup summary", setup.summary(draft, "1" * 19, tx)),
        ("setup refused", {"content": "\n".join(problems)[:2000]}),
        ("queue setup", queue.setup_view({"races": ["bw_zerg"], "vetoes": ["holy_world"]}, tx,
                                         queue.refusal_text({"reason": "timed_out", "until": 1}, tx))),
        ("queue searching", queue.searching_view(queue_state, tx, tx("You are already in the queue."))),
        ("in match", queue.in_match_view(4321, tx)),
        ("leaderboard", leaderboard.render(board, leaderboard.Filters(country="FI", letter="A", best_only=True), tx)),
        ("profile", {"embeds": [profile.profile_embed(snapshot, 1_700_000_100, tx)]}),
        ("help in a server", help_command.help_body(False, tx)),
        ("help in DMs", help_command.help_body(True, tx)),
        ("terms", terms.terms_message({"profile": True, "accepted_at": None}, tx)),
        ("report question", match_messages.report_question(4321, "draw", tx)),
    ]
    return views


def _recipient_views(language: str) -> list[tuple[str, dict[str, Any]]]:
    """What a player of `language` is sent about a match (both players speak it here)."""
    def match(status: str, **extra: Any) -> dict[str, Any]:
        found = _match(status, **extra)
        for player in found["players"]:
            player["language"] = language
        return found

    out = [("found", match_messages.found_body(match("confirming"), "101")),
           ("abort check", match_messages.abort_check_body(match("confirming"), "101")),
           ("card", match_messages.card_body(match("confirmed"), "101")),
           ("card closed", match_messages.card_body(match("final"), "202"))]
    for status in ("aborted", "abandoned", "final", "conflict", "invalidated"):
        decided = match(status, resolved_by="9" if status == "invalidated" else None, resolve_reason="no show")
        deliveries = (match_messages.closed_notices(decided) if status in ("aborted", "abandoned")
                      else match_messages.result_deliveries(decided, ("55", "66")))
        out += [(f"{status}: {type(d).__name__}", d.body) for d in deliveries if getattr(d, "body", None)]
    return out


@pytest.mark.parametrize("language", [ENGLISH, *OTHERS])
def test_every_view_is_a_valid_message_in_every_language(language: str) -> None:
    tx = text_for(language)
    views = [*_views(tx), *_recipient_views(language)]
    assert len(views) > 20
    problems = {name: validate_message(body) for name, body in views if validate_message(body)}
    assert problems == {}
    modal = setup.modal_for("FI", "EUW", tx, language, {"player_name": "Serral"})
    assert validate_modal(modal["data"]) == []


@pytest.mark.parametrize("language", OTHERS)
def test_a_view_speaks_the_language_asked(language: str) -> None:
    tx = text_for(language)
    body = queue.setup_view({"races": [], "vetoes": []}, tx)
    labels = [b["label"] for b in body["components"][0]["components"]]
    assert labels == [catalog(language)[t] for t in ("Join queue", "Clear all", "Cancel")]
    english = queue.setup_view({"races": [], "vetoes": []}, text_for(None))
    assert [b["label"] for b in english["components"][0]["components"]] == ["Join queue", "Clear all", "Cancel"]


def test_each_player_is_told_about_a_match_in_their_own_language() -> None:
    match = _match("confirming")  # Serral reads Korean, Maru Russian
    korean, russian = (match_messages.found_body(match, user)["embeds"][0]["title"] for user in ("101", "202"))
    assert korean == catalog("ko")["⚔️ Match #{number} found"].format(number=4321)
    assert russian == catalog("ru")["⚔️ Match #{number} found"].format(number=4321)
    # A thread both read says it once in each of their languages.
    thread = match_messages.room_opened(_match("confirmed"), "1", "2").body["content"]
    intro = "Only you two (and ladder staff) see this thread: agree on the lobby here, then report the result on " \
        "your match cards. It closes when the match is decided."
    assert catalog("ko")[intro] in thread and catalog("ru")[intro] in thread and intro not in thread
