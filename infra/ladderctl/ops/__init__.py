"""Operator commands: apply the migrations, register the slash commands, check samconfig.toml.

They run against a real deployment as well as the local stack; nothing here imports the local
stack, the playground or the drivers.
"""
