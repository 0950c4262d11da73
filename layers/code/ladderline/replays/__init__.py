"""Replays settle results: what a parsed replay says (summary), what a ladder match needs of it
(checks), and the bounded parser, the CDN fetch and the store that get it there.

Only `parse` imports sc2reader (and, through it, Pillow): never the ingress, never worker init.
"""
