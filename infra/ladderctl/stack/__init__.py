"""The local stack (`ladderctl dev`): PostgreSQL, AWS emulation (moto), the Discord emulator, the
ingress over HTTP and the worker host fed by an SQS poller, as Lambda runs them.

Imports the operator commands (migrate) and the shared modules; never the playground or the
drivers (simulate, demo, load), which sit on top of it.
"""
