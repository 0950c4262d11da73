"""The outgoing-message validator: each Discord limit passes at the limit and fails one over."""

from __future__ import annotations

import pytest
from ladderline.discord.limits import MessageLimitError, check_message, validate_message


def button(custom_id: str, **extra: object) -> dict:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": custom_id, **extra}


def row(*components: dict) -> dict:
    return {"type": 1, "components": list(components)}


def select(options: int = 1, **extra: object) -> dict:
    opts = [{"label": f"l{i}", "value": f"v{i}"} for i in range(options)]
    return {"type": 3, "custom_id": "pick", "options": opts, **extra}


def embed_with(path: str, size: int) -> dict:
    """One embed whose field at `path` (e.g. 'title', 'footer.text', 'fields.value') holds `size` chars."""
    text = "x" * size
    head, _, tail = path.partition(".")
    if head == "fields":
        field = {"name": "n", "value": "v", tail: text}
        return {"fields": [field]}
    return {head: {tail: text}} if tail else {head: text}


def assert_one_problem_naming(body: dict, name: str) -> None:
    problems = validate_message(body)
    assert problems, f"expected a problem for {name}"
    assert any(name in p for p in problems), problems


def test_a_plain_edit_is_valid() -> None:
    assert validate_message({"content": "Profile saved.", "embeds": [], "components": []}) == []
    check_message({"content": "ok"})


def test_content_limit() -> None:
    assert validate_message({"content": "x" * 2000}) == []
    assert_one_problem_naming({"content": "x" * 2001}, "content")


@pytest.mark.parametrize(
    ("path", "limit", "name"),
    [
        ("title", 256, "embeds[0].title"),
        ("description", 4096, "embeds[0].description"),
        ("fields.name", 256, "embeds[0].fields[0].name"),
        ("fields.value", 1024, "embeds[0].fields[0].value"),
        ("footer.text", 2048, "embeds[0].footer.text"),
        ("author.name", 256, "embeds[0].author.name"),
    ],
)
def test_embed_text_limits(path: str, limit: int, name: str) -> None:
    assert validate_message({"embeds": [embed_with(path, limit)]}) == []
    assert_one_problem_naming({"embeds": [embed_with(path, limit + 1)]}, name)


def test_embed_count_and_field_count() -> None:
    assert validate_message({"embeds": [{"title": "t"}] * 10}) == []
    assert_one_problem_naming({"embeds": [{"title": "t"}] * 11}, "embeds")
    fields = [{"name": "n", "value": "v"}] * 25
    assert validate_message({"embeds": [{"fields": fields}]}) == []
    assert_one_problem_naming(
        {"embeds": [{"fields": fields + [{"name": "n", "value": "v"}]}]}, "embeds[0].fields"
    )


def test_embed_fields_need_name_and_value() -> None:
    assert_one_problem_naming(
        {"embeds": [{"fields": [{"name": "n", "value": ""}]}]}, "embeds[0].fields[0].value"
    )


def test_the_6000_total_spans_all_embeds() -> None:
    # Each embed is within its own limits; only the sum breaks the rule.
    at_limit = [{"description": "x" * 3000}, {"description": "x" * 2000, "footer": {"text": "x" * 1000}}]
    assert validate_message({"embeds": at_limit}) == []
    over = [
        {"description": "x" * 3000},
        {"description": "x" * 2000, "footer": {"text": "x" * 1000}, "author": {"name": "x"}},
    ]
    problems = validate_message({"embeds": over})
    assert len(problems) == 1 and "6000" in problems[0] and "6001" in problems[0]


def test_five_action_rows_pass_six_fail() -> None:
    rows = [row(button(f"b{i}")) for i in range(5)]
    assert validate_message({"components": rows}) == []
    assert_one_problem_naming({"components": rows + [row(button("b5"))]}, "components")


def test_five_buttons_in_a_row_pass_six_fail() -> None:
    assert validate_message({"components": [row(*[button(f"b{i}") for i in range(5)])]}) == []
    assert_one_problem_naming(
        {"components": [row(*[button(f"b{i}") for i in range(6)])]}, "components[0].components"
    )


def test_custom_id_limit_and_requirement() -> None:
    assert validate_message({"components": [row(button("c" * 100))]}) == []
    assert_one_problem_naming(
        {"components": [row(button("c" * 101))]}, "components[0].components[0].custom_id"
    )
    no_id = {"type": 2, "style": 1, "label": "Go"}
    assert_one_problem_naming({"components": [row(no_id)]}, "custom_id")


def test_custom_ids_are_unique_within_the_message() -> None:
    body = {"components": [row(button("same")), row(button("same"))]}
    assert_one_problem_naming(body, "components[1].components[0].custom_id")


def test_button_label_limit() -> None:
    assert validate_message({"components": [row(button("b", label="l" * 80))]}) == []
    assert_one_problem_naming({"components": [row(button("b", label="l" * 81))]}, "label")


def test_link_buttons_need_a_url_and_no_custom_id() -> None:
    link = {"type": 2, "style": 5, "label": "Docs", "url": "https://example.org/rules"}
    assert validate_message({"components": [row(link)]}) == []
    assert_one_problem_naming({"components": [row({**link, "custom_id": "x"})]}, "custom_id")
    assert_one_problem_naming({"components": [row({k: v for k, v in link.items() if k != "url"})]}, "url")


def test_select_menus() -> None:
    assert validate_message({"components": [row(select(25, placeholder="p" * 150))]}) == []
    assert_one_problem_naming({"components": [row(select(26))]}, "components[0].components[0].options")
    assert_one_problem_naming({"components": [row(select(0))]}, "options")
    assert_one_problem_naming({"components": [row(select(1, placeholder="p" * 151))]}, "placeholder")
    long_option = select(1)
    long_option["options"][0].update(label="l" * 101, description="d" * 101)
    problems = validate_message({"components": [row(long_option)]})
    assert any("options[0].label" in p for p in problems) and any(
        "options[0].description" in p for p in problems
    )
    assert_one_problem_naming({"components": [row(select(3, max_values=26))]}, "max_values")
    assert_one_problem_naming({"components": [row(select(3, min_values=3, max_values=2))]}, "min_values")
    assert validate_message({"components": [row({"type": 5, "custom_id": "who", "max_values": 25})]}) == []


def test_a_select_must_be_alone_in_its_row() -> None:
    assert_one_problem_naming({"components": [row(select(2), button("b"))]}, "alone")


def test_unknown_and_misplaced_component_types_are_reported() -> None:
    assert_one_problem_naming(
        {"components": [row({"type": 99, "custom_id": "x"})]}, "unknown component type 99"
    )
    assert_one_problem_naming({"components": [button("b")]}, "inside an action row")
    assert_one_problem_naming(
        {"components": [row({"type": 4, "custom_id": "t", "style": 1, "label": "L"})]}, "modals only"
    )


def test_interaction_response_shaped_body_is_rejected() -> None:
    problems = validate_message({"type": 4, "data": {"content": "hi"}})
    assert len(problems) == 1 and "interaction response" in problems[0]


def test_unknown_top_level_keys_are_reported() -> None:
    assert_one_problem_naming({"content": "hi", "contents": "typo"}, "contents")


def test_check_message_raises_with_every_problem() -> None:
    with pytest.raises(MessageLimitError) as caught:
        check_message({"content": "x" * 2001, "embeds": [{"title": "t" * 257}]})
    assert isinstance(caught.value, ValueError)
    assert len(caught.value.problems) == 2
    assert "content" in str(caught.value) and "embeds[0].title" in str(caught.value)
