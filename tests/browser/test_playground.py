"""The playground in a real browser: `ladderctl dev` in a subprocess, its page in headless Chromium.

Every click goes page -> playground -> the emulator's control API (signed) -> the ingress over
HTTP -> moto's SQS -> the worker -> PostgreSQL and the emulator -> the page over server-sent
events. The ticker is off (--tick-seconds 0): matches are made only by the page's wave button.
Screenshots go to tests/artifacts/ (git-ignored; CI keeps them as artifacts).

Chromium is the machine's own (the package manager's); without one these tests are skipped.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from ladderctl.drive.simulate import PLAYERS
from ladderctl.sample_replays import REPLAYS
from ladderline.discord import responses
from playwright.sync_api import Locator, Page, expect, sync_playwright

from tests.e2e.test_local_stack import RunningStack, free_port, start_stack

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no Chromium on this machine (apt-get install chromium): browser tests skipped",
                allow_module_level=True)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TWO_V_TWO = REPLAYS / "2v2_high_orbit_1.1.0.SC2Replay"
WAIT_MS = 30_000  # how long a step may take on a busy 2-core machine before the test fails


@pytest.fixture(scope="module")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, str]]:
    folder = tmp_path_factory.mktemp("playground")
    port = free_port()
    running = start_stack(folder / "data", folder / "console.txt", "--tick-seconds", "0",
                          "--playground-port", str(port))
    url = f"http://127.0.0.1:{port}/"
    assert f"playground {url}" in running.console()  # the URL is printed at start-up
    yield running, url
    assert running.stop() == 0


@pytest.fixture(scope="module")
def browser_context(playground: tuple[RunningStack, str]) -> Iterator[Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1600, "height": 1000})
        context.set_default_timeout(WAIT_MS)
        expect.set_options(timeout=WAIT_MS)
        yield context
        context.close()


@pytest.fixture
def page(browser_context: Any, playground: tuple[RunningStack, str]) -> Iterator[Page]:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(playground[1])
    expect(page.locator("#conn")).to_have_text("live")
    yield page
    page.close()
    assert errors == []  # no script error on the page


# --- acting like a player ----------------------------------------------------------------------------
def pane(page: Page, name: str) -> Locator:
    return page.locator(f'section.pane[data-user-name="{name}"]')


def side_by_side(page: Page, left: str, right: str) -> tuple[Locator, Locator]:
    page.select_option("#user-a", label=left)
    page.select_option("#user-b", label=right)
    return pane(page, left), pane(page, right)


def slash(where: Locator, name: str, **options: str | tuple[str, str]) -> None:
    """Type /name, pick it, fill its options (a tuple: type the first, pick the autocomplete choice)."""
    where.locator(".command-input").fill(f"/{name}")
    where.locator(f'.suggestion[data-name="{name}"]').click()
    for option, value in options.items():
        field = where.locator(f'[data-option="{option}"]')
        if isinstance(value, tuple):
            typed, choice = value
            field.press_sequentially(typed)
            where.locator(".suggestion", has_text=choice).click()
        elif field.evaluate("node => node.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    where.locator(".send").click()


def message(where: Locator, text: str) -> Locator:
    return where.locator(".msg", has_text=text).last


def click(where: Locator, text: str, button: str) -> None:
    target = message(where, text).locator("button.btn", has_text=button)
    expect(target).to_be_enabled()
    target.click()


def fill_modal(where: Locator, **fields: str) -> None:
    modal = where.locator(".modal")
    expect(modal).to_be_visible()
    for name, value in fields.items():
        modal.locator(f'[name="{name}"]').fill(value)
    modal.locator(".modal-submit").click()


def open_dms(where: Locator) -> None:
    where.locator('.place[data-place="dm"]').click()
    expect(where.locator(".chat-head")).to_have_text("@ ladderline")


def set_up_player(where: Locator, name: str) -> None:
    slash(where, "setup", country=("ger", "Germany"), region="EUW")
    fill_modal(where, player_name=name, battletag=f"{name}#1234")
    click(where, "Check your ladder profile", "Confirm")
    expect(message(where, "Profile created")).to_be_visible()
    slash(where, "termsofservice")
    click(where, "Not accepted yet", "Accept")
    expect(message(where, "you accepted the terms")).to_be_visible()
    slash(where, "activate", code="PLAYGROUND")
    expect(message(where, "Your account is activated")).to_be_visible()


def join_queue(where: Locator, select: str, race: str, label: str) -> None:
    slash(where, "queue")
    message(where, "Matchmaking queue").locator(f'select[data-custom-id="{select}"]').select_option(race)
    # The worker edits the message with the saved choice (the select's own options do not count).
    expect(message(where, "Matchmaking queue").locator(".e-field", has_text="Selected races")).to_contain_text(label)
    click(where, "Matchmaking queue", "Join queue")
    expect(message(where, "Searching")).to_be_visible()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"playground-{name}.png"))


# --- the tests ------------------------------------------------------------------------------------------
def test_two_players_set_up_queue_get_matched_confirm_and_report(page: Page) -> None:
    alice, bob = side_by_side(page, "Alice", "Bob")

    set_up_player(alice, "Alice")
    set_up_player(bob, "Bobby")
    shot(page, "1-set-up")
    join_queue(alice, "q:bw", "bw_terran", "BW Terran")
    join_queue(bob, "q:sc2", "sc2_zerg", "SC2 Zerg")
    shot(page, "2-queued")

    page.locator("#wave").click()  # no ticker: only this makes the match

    for player in (alice, bob):
        expect(player.locator('.place[data-place="dm"] .badge')).to_have_text("1")
        open_dms(player)
        expect(message(player, "Match #1 found")).to_be_visible()
    shot(page, "3-match-found")
    click(alice, "Match #1 found", "Confirm")
    click(bob, "Match #1 found", "Confirm")
    for player in (alice, bob):
        expect(message(player, "I won").locator("button.btn", has_text="I won")).to_be_enabled()
    shot(page, "4-confirmed")
    # Their private thread: listed for both players (only them), with the bot's first message.
    for player in (alice, bob):
        player.locator(".place.thread", has_text="match-1").click()
        expect(player.locator(".chat-head")).to_have_text("🧵 match-1")
        expect(message(player, "Only you two")).to_contain_text("Match #1")
        open_dms(player)
    shot(page, "4b-thread")

    # The card's Upload replay: a modal with a file input; a 2v2 is refused, nothing changes.
    click(alice, "I won", "Upload replay")
    modal = alice.locator(".modal")
    expect(modal).to_be_visible()
    modal.locator('input[type="file"]').set_input_files(str(TWO_V_TWO))
    modal.locator(".modal-submit").click()
    expect(message(alice, "doesn't fit match #1")).to_contain_text("4 players")
    expect(message(alice, "doesn't fit match #1")).to_contain_text("Nothing changed")

    click(alice, "I won", "I won")
    click(alice, "Yes, report", "Yes, report")
    expect(message(alice, "Waiting for your opponent")).to_be_visible()
    click(bob, "I won", "I lost")
    click(bob, "Yes, report", "Yes, report")

    expect(message(bob, "You reported I lost")).to_contain_text("Alice won")
    for player, change in ((alice, "(+"), (bob, "(-")):  # the result DM, with the Elo change
        expect(message(player, "Match #1 result")).to_contain_text("Alice won")
        expect(message(player, "Match #1 result")).to_contain_text(change)
    shot(page, "5-reported")
    alice.locator(".place.thread", has_text="match-1").click()  # decided: told, archived and locked
    expect(alice.locator(".chat-head")).to_have_text("🧵 match-1 (archived)")
    expect(message(alice, "is decided")).to_contain_text("Alice won")
    page.select_option("#user-b", label="Carol")
    expect(pane(page, "Carol").locator(".place.thread")).to_have_count(0)  # not hers to see


def test_a_modal_error_is_shown_then_corrected(page: Page) -> None:
    page.select_option("#user-a", label="Carol")
    page.select_option("#user-b", label="off")
    carol = pane(page, "Carol")

    slash(carol, "setup", country=("fin", "Finland"), region="EUE")
    modal = carol.locator(".modal")
    modal.locator(".modal-submit").click()  # empty: the client refuses, as Discord's does
    expect(modal.locator(".field.invalid .field-error").first).to_have_text("This field is required.")
    fill_modal(carol, player_name="Carol", battletag="Carol#12")  # long enough, but not a BattleTag
    expect(message(carol, "Your profile was not saved")).to_contain_text("BattleTag")
    shot(page, "6-modal-error")
    click(carol, "Your profile was not saved", "Try again")
    fill_modal(carol, player_name="Carol", battletag="Carol#1234")

    expect(message(carol, "Check your ladder profile")).to_contain_text("Carol#1234")


def test_a_live_update_arrives_without_reload_with_timings_and_raw_json(page: Page) -> None:
    page.select_option("#user-a", label="Dave")
    dave = pane(page, "Dave")
    page.evaluate("window.__sameDocument = true")

    slash(dave, "ping", dm_after="1")

    reply = message(dave, "I'll DM you in 1 s")
    expect(reply.locator(".timings")).to_contain_text("edit")
    expect(reply.locator(".timings")).to_contain_text("queue")
    expect(dave.locator('.place[data-place="dm"] .badge')).to_have_text("1")  # the timer's DM, pushed
    open_dms(dave)
    expect(message(dave, "Pong from a timer")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True  # the same page: nothing reloaded it

    dave.locator('.place[data-place="channel"]').click()
    message(dave, "I'll DM you in 1 s").locator(".raw").click()
    raw = page.locator("#raw-body")
    expect(raw).to_contain_text('"dm_after"')
    expect(raw).to_contain_text("<interaction token>")  # the token itself never reaches the page
    page.keyboard.press("Escape")


def test_a_rejected_request_and_latency_are_shown_on_the_page(page: Page) -> None:
    page.select_option("#user-a", label="Dave")
    dave = pane(page, "Dave")
    page.locator("#faults summary").click()
    page.select_option("#fault-kind", "500")
    page.select_option("#fault-target", "edits")
    page.locator("#fault-inject").click()
    expect(page.locator("#fault-state")).to_contain_text("500 to edits: 1 of 1 left")

    pongs = dave.locator(".msg", has_text="Database round trip")
    before = pongs.count()

    slash(dave, "ping")

    expect(dave.locator(".note.rejection", has_text="Discord answered 500 to PATCH")).to_be_visible()
    expect(pongs).to_have_count(before + 1)  # the worker tried the edit again, and it went through
    expect(dave.locator(".thinking")).to_have_count(0)
    # The fault was used: the panel no longer lists it as pending.
    expect(page.locator("#fault-state")).to_contain_text("no fault pending")
    expect(page.locator("#fault-state")).not_to_contain_text("500 to edits")
    shot(page, "7-rejection")


def test_a_components_v2_edit_is_drawn_live(page: Page, playground: tuple[RunningStack, str]) -> None:
    page.select_option("#user-a", label="Dave")
    dave = pane(page, "Dave")
    stack = playground[0]
    outcome = stack.simulator(user_id=PLAYERS["dave"]).command("ping")
    info = stack.simulator().info
    v2 = responses.message_v2(
        responses.container(
            responses.text_display("## Season standings\n**Alice** leads"),
            responses.separator(),
            responses.section("Bobby: 1480 MMR", accessory=responses.button("Profile", "profile:bobby")),
            accent_color=0x57F287),
        responses.action_row(responses.button("Refresh", "leaderboard:refresh")))

    # The bot's edit of the original response, as the worker would send it.
    answer = requests.patch(f"{info.discord_api_base}/webhooks/{info.application_id}/"
                            f"{outcome.interaction['token']}/messages/@original", json=v2, timeout=10)

    assert answer.status_code == 200
    box = dave.locator(".msg", has_text="Season standings").locator(".v2-container")
    expect(box).to_have_css("border-left-color", "rgb(87, 242, 135)")  # the container's accent colour
    expect(box.locator("strong", has_text="Alice")).to_be_visible()
    expect(box.locator(".v2-sep")).to_have_count(1)
    expect(box.locator(".v2-section button.btn", has_text="Profile")).to_be_visible()  # the accessory
    expect(message(dave, "Season standings").locator("button.btn", has_text="Refresh")).to_be_visible()
    expect(message(dave, "Season standings").locator(".thinking")).to_have_count(0)


def test_admin_subcommands_and_groups_are_chosen_as_in_discords_client(page: Page) -> None:
    # Alice is one of the local stack's owners (LADDER_OWNER_IDS unset): /admin works for her.
    alice, _ = side_by_side(page, "Alice", "Bob")
    alice.locator(".command-input").fill("/admin")
    alice.locator('.suggestion[data-name="admin"]').click()
    alice.locator(".send").click()  # no subcommand yet: refused on the page, nothing sent
    expect(alice.locator(".note", has_text="Choose a subcommand first")).to_be_visible()
    alice.locator("select.subcommand").select_option("status")
    alice.locator(".send").click()
    expect(message(alice, "Ladder status")).to_contain_text("Queue:")
    # A subcommand of a group ("code create"), with an option of its own.
    alice.locator(".command-input").fill("/admin")
    alice.locator('.suggestion[data-name="admin"]').click()
    alice.locator("select.subcommand").select_option("code create")
    alice.locator('[data-option="uses"]').fill("3")
    alice.locator(".send").click()
    expect(message(alice, "Activation code")).to_contain_text("3 uses")
    shot(page, "admin-subcommands")


def test_notes_show_only_where_they_happened(page: Page) -> None:
    carol, dave = side_by_side(page, "Carol", "Dave")
    page.locator("#faults summary").click()
    page.select_option("#fault-kind", "500")
    page.select_option("#fault-target", "edits")
    page.locator("#fault-inject").click()
    page.locator("#wave").click()

    slash(dave, "ping")

    expect(dave.locator(".note.rejection", has_text="Discord answered 500 to PATCH")).to_be_visible()
    expect(message(dave, "Database round trip")).to_be_visible()
    # Dave's refused edit is Dave's; the playground's own notices are in its activity list.
    expect(carol.locator(".note")).to_have_count(0)
    expect(dave.locator(".note.notice")).to_have_count(0)
    activity = page.locator("#activity-list")
    expect(activity.locator("li", has_text="Matchmaking wave queued").first).to_be_attached()
    expect(activity.locator("li", has_text="get 500").first).to_be_attached()
    page.locator("#faults summary").click()  # closes the panel, which lies over the panes
    open_dms(dave)
    expect(dave.locator(".note")).to_have_count(0)


def test_the_keyboard_works_as_in_discords_client(page: Page) -> None:
    page.select_option("#user-a", label="Carol")
    page.select_option("#user-b", label="off")
    carol = pane(page, "Carol")
    composer = carol.locator(".command-input")
    composer.click()
    composer.press_sequentially("/p")
    suggestions = carol.locator(".suggestion")
    expect(suggestions.first).to_have_class("suggestion selected")
    names = suggestions.evaluate_all("nodes => nodes.map(n => n.dataset.name)")
    assert len(names) >= 2  # /ping and /profile at least
    composer.press("ArrowDown")
    expect(suggestions.nth(1)).to_have_class("suggestion selected")
    composer.press("ArrowUp")
    composer.press("ArrowUp")  # round to the last
    expect(suggestions.last).to_have_class("suggestion selected")
    composer.press("Enter")  # a partial command: Enter takes the selected suggestion, sends nothing
    expect(carol.locator(".options .chip")).to_have_text(f"/{names[-1]}")
    composer.press("Escape")
    expect(carol.locator(".options .chip")).to_have_count(0)

    # An autocomplete option: Enter takes the highlighted choice instead of sending what was typed.
    messages_before = carol.locator(".msg").count()
    composer.press_sequentially("/leaderboard")
    composer.press("Enter")  # takes /leaderboard; its options follow
    expect(carol.locator(".options .chip")).to_have_text("/leaderboard")
    country = carol.locator('[data-option="country"]')
    country.press_sequentially("fi")
    expect(carol.locator(".suggestion", has_text="Finland")).to_be_visible()
    finland = carol.locator(".suggestion").evaluate_all("nodes => nodes.findIndex(n => n.textContent.includes('Finland'))")
    for _ in range(finland):
        country.press("ArrowDown")
    country.press("Enter")
    expect(country).to_have_value("🇫🇮 Finland")
    expect(country).to_have_attribute("data-value", "FI")
    assert carol.locator(".msg").count() == messages_before  # nothing was sent
    country.press("Enter")  # no list open now: Enter sends the command
    expect(message(carol, "Leaderboard")).to_contain_text("Finland")

    # A modal: focus stays inside it, Escape closes it and gives the focus back.
    slash(carol, "setup", country=("fin", "Finland"), region="EUE")
    modal = carol.locator(".modal")
    expect(modal).to_be_visible()
    first = modal.locator("input, textarea, select").first
    expect(first).to_be_focused()
    first.press("Shift+Tab")
    expect(modal.locator(".modal-submit")).to_be_focused()
    modal.locator(".modal-submit").press("Tab")
    expect(first).to_be_focused()
    first.press("Escape")
    expect(modal).to_have_count(0)
    expect(composer).to_be_focused()
    # Cancel too gives the focus back, to the composer that opened it.
    slash(carol, "setup", country=("fin", "Finland"), region="EUE")
    carol.locator(".modal .modal-cancel").click()
    expect(carol.locator(".modal")).to_have_count(0)
    expect(composer).to_be_focused()


def test_a_reload_keeps_users_places_and_the_open_modal(page: Page) -> None:
    carol, dave = side_by_side(page, "Carol", "Dave")
    open_dms(dave)
    slash(carol, "setup", country=("fin", "Finland"), region="EUE")
    expect(carol.locator(".modal")).to_be_visible()
    assert "with=" in page.url and "at2=dm" in page.url and "modal=" in page.url

    page.reload()

    expect(page.locator("#conn")).to_have_text("live")
    carol, dave = pane(page, "Carol"), pane(page, "Dave")
    expect(dave.locator(".chat-head")).to_have_text("@ ladderline")
    expect(carol.locator(".chat-head")).to_have_text("# ladder")
    expect(carol.locator(".modal h2")).to_have_text("Set up your ladder profile")
    fill_modal(carol, player_name="Carol", battletag="Carol#1234")  # the reopened modal still submits
    expect(message(carol, "Check your ladder profile")).to_contain_text("Carol#1234")
    assert "modal=" not in page.url


def test_a_phone_sized_window_is_usable(browser_context: Any, playground: tuple[RunningStack, str]) -> None:
    page = browser_context.new_page()
    page.set_viewport_size({"width": 420, "height": 860})
    page.goto(playground[1])
    expect(page.locator("#conn")).to_have_text("live")
    carol, dave = side_by_side(page, "Carol", "Dave")
    for who in (carol, dave):
        width = who.locator(".chat").evaluate("node => node.getBoundingClientRect().width")
        assert width >= 380, f"a chat {width} px wide in a 420 px window"
    assert page.evaluate("document.documentElement.scrollWidth") <= 420  # nothing sideways
    slash(dave, "ping")
    expect(message(dave, "Database round trip")).to_be_visible()
    shot(page, "420px")
    page.close()


def test_emoji_are_drawn_in_colour_not_as_boxes(page: Page) -> None:
    # Rendered with the page's own font stack: a colour emoji font draws coloured pixels; a missing
    # one draws a grey box (tofu) or nothing.
    coloured = page.evaluate("""() => {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 64;
        const ctx = canvas.getContext("2d");
        ctx.font = `48px ${getComputedStyle(document.body).fontFamily}`;
        ctx.textBaseline = "top";
        ctx.fillStyle = "#808080";
        ctx.fillText("\\u{1F3C6}", 4, 4);
        const data = ctx.getImageData(0, 0, 64, 64).data;
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
            const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
            if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) count += 1;
        }
        return count;
    }""")
    assert coloured > 100, "the trophy emoji was not drawn in colour: install an emoji font (fonts-noto-color-emoji)"


def test_an_application_panel_opens_one_private_channel_per_applicant(page: Page) -> None:
    alice, bob = side_by_side(page, "Alice", "Bob")  # Alice is a local owner: staff
    alice.locator(".command-input").fill("/admin")
    alice.locator('.suggestion[data-name="admin"]').click()
    alice.locator("select.subcommand").select_option("application_panel")
    alice.locator('[data-option="title"]').fill("Apply to Season 3!")
    alice.locator('[data-option="description"]').fill("Casters and referees wanted.")
    alice.locator(".send").click()
    expect(message(alice, "Application panel")).to_contain_text("posted here")

    panel = message(bob, "Apply to Season 3!")
    panel.locator("button.btn", has_text="Open Application").click()
    expect(message(bob, "Your application channel has been created")).to_be_visible()
    room = bob.locator(".place.room")
    expect(room).to_have_count(1)
    room.click()
    expect(bob.locator(".chat-head")).to_contain_text("🔒")
    expect(message(bob, "Get Started with Your Application")).to_contain_text("only you and")
    message(bob, "Get Started").locator("button.btn", has_text="Start your application").click()
    expect(message(bob, "Get Started")).to_contain_text("Started")
    expect(alice.locator(".place.room")).to_have_count(0)  # not Alice's: the overwrites let only Bob in

    bob.locator('.place[data-place="channel"]').click()
    message(bob, "Apply to Season 3!").locator("button.btn", has_text="Open Application").click()
    expect(message(bob, "You already have an application channel")).to_be_visible()
    expect(bob.locator(".place.room")).to_have_count(1)
    shot(page, "application")


def test_a_player_is_answered_in_their_discord_language_and_setup_language_overrides_it(page: Page) -> None:
    page.select_option("#user-a", label="Dave")
    page.select_option("#user-b", label="off")
    dave = pane(page, "Dave")

    # Dave's client is Korean: Discord sends `locale: ko` with each interaction.
    dave.locator(".locale-select").select_option("ko")
    assert "lang=ko" in page.url
    slash(dave, "help")
    expect(message(dave, "SC: Evo Complete 1대1 래더")).to_be_visible()
    shot(page, "korean-help")

    # /setup language: Русский: the modal, the summary and every later answer speak Russian, on any client.
    slash(dave, "setup", country=("fin", "Finland"), region="EUE", language="ru")
    expect(dave.locator(".modal h2")).to_have_text("Настройка профиля в ладдере")
    fill_modal(dave, player_name="Dave", battletag="Dave#1234")
    click(dave, "Проверьте профиль в ладдере", "Подтвердить")
    expect(message(dave, "✅ Профиль")).to_be_visible()
    dave.locator(".locale-select").select_option("en-US")
    slash(dave, "help")
    expect(message(dave, "Ладдер 1 на 1 SC: Evo Complete")).to_be_visible()

    # A reload keeps the client language; `auto` gives the client's language back.
    dave.locator(".locale-select").select_option("ko")
    page.reload()
    expect(page.locator("#conn")).to_have_text("live")
    dave = pane(page, "Dave")
    expect(dave.locator(".locale-select")).to_have_value("ko")
    slash(dave, "setup", country=("fin", "Finland"), region="EUE", language="auto")
    fill_modal(dave, player_name="Dave", battletag="Dave#1234")
    click(dave, "래더 프로필 확인", "확인")
    expect(message(dave, "✅ 프로필 업데이트됨")).to_be_visible()
