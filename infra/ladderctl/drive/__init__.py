"""Drivers of a running local stack: `simulate` (one user's interactions, checked as Discord's
client checks them), `demo` (two players end to end) and `load` (bursts and the wave scenario).

They find the stack through <data-dir>/stack.json (stack/info.py) and talk to it over HTTP.
"""
