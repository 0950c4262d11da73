"""Modals (interaction response type 9) in the validator: Label components around inputs, the deprecated
action-row form, and their limits, each passing at the limit and failing one over."""

from __future__ import annotations

import pytest
from ladderline.discord import responses as r
from ladderline.discord.limits import MessageLimitError, check_modal, validate_modal

from tests.support.discord_spec import schema_errors


def modal(*components: dict, **extra: object) -> dict:
    return {"custom_id": "m", "title": "Title", "components": list(components), **extra}


def field(custom_id: str = "name", **input_extra: object) -> dict:
    return r.label("Name", {**r.text_input(custom_id), **input_extra})


def problems_naming(data: dict, name: str) -> list[str]:
    problems = validate_modal(data)
    assert problems, f"expected a problem for {name}"
    assert any(name in p for p in problems), problems
    return problems


def test_a_modal_of_labels_from_the_builders_is_valid_here_and_for_the_spec() -> None:
    data = r.modal("report:42", "Report your match", [
        r.text_display("Both players report; a mismatch goes to staff."),
        r.label("Result", r.string_select("result", [("I won", "won"), ("I lost", "lost")]),
                description="Pick one"),
        r.label("Replay link", r.text_input("replay", required=False, max_length=200,
                                            placeholder="https://...")),
        r.label("Opponent", {"type": 5, "custom_id": "opponent"}),
    ])["data"]
    assert validate_modal(data) == []
    assert schema_errors("ModalInteractionCallbackRequestData", data) == []


def test_the_deprecated_action_row_form_still_passes_and_needs_the_inputs_own_label() -> None:
    data = r.modal("m", "T", [r.text_input("name", "Name")])["data"]
    assert data["components"] == [{"type": 1, "components": [r.text_input("name", "Name")]}]
    assert validate_modal(data) == []
    assert schema_errors("ModalInteractionCallbackRequestData", data) == []
    problems_naming(r.modal("m", "T", [r.text_input("name")])["data"], "components[0].components[0].label")
    problems_naming(modal(r.action_row(r.button("b", "b"))), "action row in a modal holds text inputs")


def test_label_text_and_description_limits() -> None:
    assert validate_modal(modal(r.label("l" * 45, r.text_input("a"), description="d" * 100))) == []
    problems_naming(modal(r.label("l" * 46, r.text_input("a"))), "components[0].label")
    problems_naming(modal(r.label("", r.text_input("a"))), "components[0].label")
    problems_naming(modal(r.label("L", r.text_input("a"), description="d" * 101)), "components[0].description")
    problems_naming(modal({**r.label("L", r.text_input("a")), "description": ""}), "description")


def test_a_text_input_inside_a_label_takes_no_label_of_its_own() -> None:
    [problem] = problems_naming(modal(r.label("Name", r.text_input("a", "Name"))), "components[0].component.label")
    assert "no label of its own" in problem


def test_what_a_label_may_hold() -> None:
    problems_naming(modal({"type": 18, "label": "L"}), "components[0].component")
    problems_naming(modal(r.label("L", r.button("b", "b"))), "a label holds one of")
    problems_naming(modal(r.label("L", r.text_display("hi"))), "a label holds one of")
    problems_naming(modal(r.label("L", r.action_row(r.button("b", "b")))), "a label holds one of")
    # The newer modal inputs are known, with the spec's counts.
    radio = {"type": 21, "custom_id": "side", "options": [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}]}
    assert validate_modal(modal(r.label("Side", radio))) == []
    problems_naming(modal(r.label("Side", {**radio, "options": radio["options"][:1]})), "options")
    assert validate_modal(modal(r.label("Proof", {"type": 19, "custom_id": "proof", "max_values": 10}))) == []
    problems_naming(modal(r.label("Proof", {"type": 19, "custom_id": "proof", "max_values": 11})), "max_values")


def test_top_level_count_and_kinds() -> None:
    five = [field(f"f{i}") for i in range(5)]
    assert validate_modal(modal(*five)) == []
    problems_naming(modal(*five, field("f5")), "components")
    problems_naming(modal(), "components")
    problems_naming(modal(r.container(r.text_display("x"))), "a modal's top level holds")
    problems_naming(modal(r.text_input("bare", "Bare")), "a modal's top level holds")


def test_modal_title_and_custom_id() -> None:
    assert validate_modal(modal(field(), title="t" * 45, custom_id="c" * 100)) == []
    problems_naming(modal(field(), title="t" * 46), "title")
    problems_naming(modal(field(), custom_id="c" * 101), "custom_id")
    problems_naming({"title": "T", "components": [field()]}, "custom_id")


def test_text_input_limits() -> None:
    assert validate_modal(modal(field(min_length=0, max_length=4000, value="v" * 4000, placeholder="p" * 100))) == []
    problems_naming(modal(field(max_length=4001)), "max_length")
    problems_naming(modal(field(max_length=0)), "max_length")
    problems_naming(modal(field(min_length=5, max_length=3)), "min_length")
    problems_naming(modal(field(placeholder="p" * 101)), "placeholder")
    problems_naming(modal(field(max_length=12, value="v" * 13)), "value")
    problems_naming(modal(field(style=3)), "style")
    problems_naming(modal(field("c" * 101)), "custom_id")


def test_selects_in_a_modal_cannot_be_disabled_and_need_a_choice_when_required() -> None:
    pick = r.string_select("pick", [("A", "a")])
    assert validate_modal(modal(r.label("Pick", pick))) == []
    problems_naming(modal(r.label("Pick", {**pick, "disabled": True})), "disabled")
    problems_naming(modal(r.label("Pick", {**pick, "min_values": 0})), "min_values")
    assert validate_modal(modal(r.label("Pick", {**pick, "min_values": 0, "required": False}))) == []


def test_custom_ids_are_unique_in_a_modal() -> None:
    problems_naming(modal(field("same"), r.label("Other", r.text_input("same"))), "already used")


def test_check_modal_raises_and_a_whole_response_is_pointed_out() -> None:
    with pytest.raises(MessageLimitError):
        check_modal(modal(field(), title=""))
    [problem] = validate_modal(r.modal("m", "T", [field()]))
    assert "whole interaction response" in problem
