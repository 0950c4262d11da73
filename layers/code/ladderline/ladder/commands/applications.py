"""The applicant's buttons of an application (ladder/applications.py has the rules): Open
Application on a staff panel, and Start / Withdraw / Resume in the applicant's channel. The panel
itself is `/admin application_panel` (commands/admin.py)."""

from __future__ import annotations

from typing import Any

from ladderline.discord.constants import InteractionType
from ladderline.ladder.applications import OPEN_ROUTE, STATUS_OF, handle_open, handle_set
from ladderline.ladder.routes import Ack, Route

ROUTES = (
    Route(key=OPEN_ROUTE, kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.DEFERRED_MESSAGE, ephemeral=True,
          handler=handle_open),
    *(Route(key=route, kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.DEFERRED_UPDATE, handler=handle_set)
      for route in STATUS_OF),
)
TIMERS: dict[str, Any] = {}
