"""Discord protocol constants (interaction and callback types, flags, error codes)."""

from __future__ import annotations

from enum import IntEnum


class InteractionType(IntEnum):
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType(IntEnum):
    PONG = 1
    CHANNEL_MESSAGE_WITH_SOURCE = 4
    # Only flag allowed on a deferred channel message is EPHEMERAL.
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    # 6 and 7 are valid for component interactions (and modal submits from a component) only.
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9


class MessageFlag(IntEnum):
    SUPPRESS_EMBEDS = 1 << 2
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7  # set by Discord on a deferred response ("<bot> is thinking..."); never sent by us
    SUPPRESS_NOTIFICATIONS = 1 << 12
    # Components V2: the message is laid out by its components only (no content, embeds, poll or stickers);
    # it can be set on a create or an edit but never removed (docs: resources/message, "Edit Message").
    IS_COMPONENTS_V2 = 1 << 15


class ComponentType(IntEnum):
    """MessageComponentTypes of Discord's OpenAPI spec (docs: components/reference, "Component Types")."""

    ACTION_ROW = 1
    BUTTON = 2
    STRING_SELECT = 3
    TEXT_INPUT = 4  # modals only
    USER_SELECT = 5
    ROLE_SELECT = 6
    MENTIONABLE_SELECT = 7
    CHANNEL_SELECT = 8
    # 9-17: messages with IS_COMPONENTS_V2 only (10 also in modals)
    SECTION = 9
    TEXT_DISPLAY = 10
    THUMBNAIL = 11
    MEDIA_GALLERY = 12
    FILE = 13
    SEPARATOR = 14
    CONTAINER = 17
    # 18-23: modals only
    LABEL = 18
    FILE_UPLOAD = 19
    RADIO_GROUP = 21
    CHECKBOX_GROUP = 22
    CHECKBOX = 23


class SeparatorSpacing(IntEnum):
    SMALL = 1
    LARGE = 2


class ButtonStyle(IntEnum):
    PRIMARY = 1
    SECONDARY = 2
    SUCCESS = 3
    DANGER = 4
    LINK = 5
    PREMIUM = 6


class TextInputStyle(IntEnum):
    SHORT = 1
    PARAGRAPH = 2


class OptionType(IntEnum):
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    MENTIONABLE = 9
    NUMBER = 10
    ATTACHMENT = 11


class ErrorCode(IntEnum):
    UNKNOWN_WEBHOOK = 10015
    UNKNOWN_INTERACTION = 10062
    INVALID_WEBHOOK_TOKEN = 50027
    INVALID_FORM_BODY = 50035


# Discord's epoch (2015-01-01T00:00:00Z) in Unix milliseconds: snowflake ids carry their creation time.
DISCORD_EPOCH_MS = 1420070400000
# An interaction token can edit its response for 15 minutes after the interaction.
TOKEN_LIFETIME_SECONDS = 15 * 60
# Autocomplete answers carry at most 25 choices; a choice name/value is at most 100 characters.
MAX_AUTOCOMPLETE_CHOICES = 25


class InteractionContext(IntEnum):
    """Where a command can be used (an application command's `contexts`)."""

    GUILD = 0
    BOT_DM = 1
    PRIVATE_CHANNEL = 2


class IntegrationType(IntEnum):
    """How the app must be installed for a command to exist (`integration_types`)."""

    GUILD_INSTALL = 0
    USER_INSTALL = 1
