"""How the ingress answers a route before the worker runs (read by the ingress and the registry).

Its own module so that the ingress, which needs only this of ladder/routes.py, does not import
Route, a dataclass (`dataclasses` costs the ingress's cold start ~12 ms, job.Job).
"""

from __future__ import annotations

from enum import Enum

from ladderline.discord.constants import CallbackType


class Ack(Enum):
    """How the ingress answers before the worker runs."""

    DEFERRED_MESSAGE = CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE  # 5: "thinking..."
    DEFERRED_UPDATE = CallbackType.DEFERRED_UPDATE_MESSAGE  # 6: components; edit the clicked message
    UPDATE_DISABLED = CallbackType.UPDATE_MESSAGE  # 7: disable the clicked message's components now
    MODAL = CallbackType.MODAL  # 9: answered in-line, nothing queued
