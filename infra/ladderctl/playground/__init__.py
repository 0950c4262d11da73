"""The playground: a local Discord in the browser, served by `ladderctl dev` (http://127.0.0.1:3002/).

Players act from one page (the server channel and each user's DMs with the bot, one user or two
side by side); every action is a signed interaction through the real ingress, queue and worker.
server.py holds the HTTP side and the actions, live.py what the page shows and its event stream,
static/ the page itself (plain HTML, JavaScript and CSS: no build step).
"""

from ladderctl.playground.server import ACTIVATION_CODE, Playground

__all__ = ["ACTIVATION_CODE", "Playground"]
