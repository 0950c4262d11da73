"""The validator's component types, placements and limits against Discord's OpenAPI spec (the schemas copied
into tests/fixtures/discord_component_schemas.json): a spec update that moves a limit fails here."""

from __future__ import annotations

import pytest
from ladderline.discord import limits
from ladderline.discord.constants import ComponentType, SeparatorSpacing, TextInputStyle

from tests.support.discord_spec import component_type, ref_names, schema_errors, schemas


def one_of_consts(name: str) -> dict[str, int]:
    return {entry["title"]: entry["const"] for entry in schemas()[name]["oneOf"]}


def types_of(schema: dict) -> set[int]:
    return {component_type(name) for name in ref_names(schema)}


def test_component_types_match_the_spec() -> None:
    assert {t.name: int(t) for t in ComponentType} == one_of_consts("MessageComponentTypes")
    assert {t.name: int(t) for t in SeparatorSpacing} == one_of_consts("MessageComponentSeparatorSpacingSize")
    assert {t.name: int(t) for t in TextInputStyle} == one_of_consts("TextInputStyleTypes")


@pytest.mark.parametrize("body", ["IncomingWebhookUpdateRequestPartial", "IncomingWebhookInteractionRequest",
                                  "MessageCreateRequest"])
def test_what_a_message_holds_at_the_top_level(body: str) -> None:
    components = schemas()[body]["properties"]["components"]
    assert types_of(components) == limits.V2_TOP_LEVEL
    assert components["maxItems"] == limits.MAX_V2_COMPONENTS


def test_what_containers_sections_labels_and_modals_hold() -> None:
    s = schemas()
    assert types_of(s["ContainerComponentForMessageRequest"]["properties"]["components"]) == limits.CONTAINER_CHILDREN
    section = s["SectionComponentForMessageRequest"]["properties"]
    assert {component_type(n) for n in {section["components"]["items"]["$ref"].rsplit("/", 1)[1]}} == {10}
    assert types_of(section["accessory"]) == limits.SECTION_ACCESSORIES
    assert types_of(s["LabelComponentForModalRequest"]["properties"]["component"]) == limits.LABEL_CHILDREN
    assert types_of(s["ModalInteractionCallbackRequestData"]["properties"]["components"]) == limits.MODAL_TOP_LEVEL
    row = s["ActionRowComponentForMessageRequest"]["properties"]["components"]
    assert types_of(row) == {2, *limits.SELECT_TYPES} and row["maxItems"] == limits.MAX_ROW_CHILDREN


def test_counts_and_ranges_match_the_spec() -> None:
    s = schemas()
    section = s["SectionComponentForMessageRequest"]["properties"]["components"]
    assert (section["minItems"], section["maxItems"]) == (1, limits.MAX_SECTION_TEXTS)
    gallery = s["MediaGalleryComponentForMessageRequest"]["properties"]["items"]
    assert (gallery["minItems"], gallery["maxItems"]) == (1, limits.MAX_GALLERY_ITEMS)
    accent = s["ContainerComponentForMessageRequest"]["properties"]["accent_color"]
    assert (accent["minimum"], accent["maximum"]) == (0, limits.MAX_ACCENT_COLOR)
    text_input = s["TextInputComponentForModalRequest"]["properties"]
    assert text_input["max_length"]["maximum"] == text_input["min_length"]["maximum"] == limits.MAX_TEXT_INPUT
    modal = s["ModalInteractionCallbackRequestData"]["properties"]["components"]
    # The docs' 5 is kept (stricter than the spec's 40): never more than the spec allows.
    assert modal["minItems"] == 1 and limits.MAX_MODAL_COMPONENTS <= modal["maxItems"]
    radio = s["RadioGroupComponentForModalRequest"]["properties"]["options"]
    assert (radio["minItems"], radio["maxItems"]) == (2, limits.MAX_CHOICE_OPTIONS)
    upload = s["FileUploadComponentForModalRequest"]["properties"]["max_values"]
    assert upload["maximum"] == limits.MAX_UPLOADS


@pytest.mark.parametrize(
    ("kind", "schema"),
    [
        ("text display", "TextDisplayComponentForMessageRequest"),
        ("text display", "TextDisplayComponentForModalRequest"),
        ("label", "LabelComponentForModalRequest"),
        ("modal", "ModalInteractionCallbackRequestData"),
        ("text input", "TextInputComponentForModalRequest"),
        ("select", "StringSelectComponentForModalRequest"),
        ("select", "StringSelectComponentForMessageRequest"),
        ("button", "ButtonComponentForMessageRequest"),
        ("media", "UnfurledMediaRequest"),
        ("media item", "ThumbnailComponentForMessageRequest"),
        ("media item", "MediaGalleryItemRequest"),
        ("option", "StringSelectOptionForRequest"),
        ("option", "RadioGroupOptionForRequest"),
    ],
)
def test_string_lengths_match_the_spec(kind: str, schema: str) -> None:
    properties = schemas()[schema]["properties"]
    for key, limit in limits.TEXT_LIMITS[kind].items():
        if key in properties:
            assert properties[key]["maxLength"] == limit, (schema, key)
    for key in limits.REQUIRED_TEXT.get(kind, ()) + limits.NON_EMPTY_TEXT.get(kind, ()):
        if key in properties and "string" in str(properties[key].get("type")):
            # Non-empty: minLength 1, or a URI (an empty string is none).
            prop = properties[key]
            assert prop.get("minLength") == 1 or prop.get("format") == "uri", (schema, key)


def _v2(*components: dict) -> dict:
    return {"flags": 1 << 15, "components": list(components)}


def _text(n: int = 1) -> dict:
    return {"type": 10, "content": "x" * n}


def _modal(*components: dict) -> dict:
    return {"custom_id": "m", "title": "T", "components": list(components)}


def _label(**extra: object) -> dict:
    return {"type": 18, "label": "L", "component": {"type": 4, "custom_id": "a", "style": 1}, **extra}


MESSAGE_BREAKS = {
    "text display over 4000": _v2(_text(4001)),
    "empty text display": _v2(_text(0)),
    "four texts in a section": _v2({"type": 9, "components": [_text()] * 4,
                                    "accessory": {"type": 11, "media": {"url": "https://e.org/a.png"}}}),
    "section without accessory": _v2({"type": 9, "components": [_text()]}),
    "eleven gallery items": _v2({"type": 12, "items": [{"media": {"url": "https://e.org/a.png"}}] * 11}),
    "separator spacing 3": _v2({"type": 14, "spacing": 3}),
    "accent over 0xFFFFFF": _v2({"type": 17, "components": [_text()], "accent_color": 0x1000000}),
    "empty container": _v2({"type": 17, "components": []}),
    "container in a container": _v2({"type": 17, "components": [{"type": 17, "components": [_text()]}]}),
    "label in a message": _v2(_label()),
    "41 top-level components": _v2(*[_text()] * 41),
}
MODAL_BREAKS = {
    "label over 45": _modal(_label(label="l" * 46)),
    "description over 100": _modal(_label(description="d" * 101)),
    "label without component": _modal({"type": 18, "label": "L"}),
    "container in a modal": _modal({"type": 17, "components": [_text()]}),
    "placeholder over 100": _modal(_label(component={"type": 4, "custom_id": "a", "style": 1,
                                                     "placeholder": "p" * 101})),
    "title over 45": {**_modal(_label()), "title": "t" * 46},
    "no components": _modal(),
}


@pytest.mark.parametrize("case", sorted(MESSAGE_BREAKS))
def test_what_the_spec_refuses_in_a_message_the_validator_refuses(case: str) -> None:
    body = MESSAGE_BREAKS[case]
    assert schema_errors("IncomingWebhookUpdateRequestPartial", body) != []
    assert limits.validate_message(body) != []


@pytest.mark.parametrize("case", sorted(MODAL_BREAKS))
def test_what_the_spec_refuses_in_a_modal_the_validator_refuses(case: str) -> None:
    data = MODAL_BREAKS[case]
    assert schema_errors("ModalInteractionCallbackRequestData", data) != []
    assert limits.validate_modal(data) != []
