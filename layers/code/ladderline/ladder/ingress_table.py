"""Generated from the registry by `python -m ladderline.ladder.ingress_routes`; do not edit.

What the ingress needs of each route (ladder/ingress_routes.py explains why).
"""

TABLE = {
    # (interaction type, route key): (ack callback type, ephemeral, modal builder, autocomplete,
    #   ephemeral in the bot's DMs)
    (2, 'ping'): (5, True, None, None, True),
    (2, 'help'): (5, True, None, None, True),
    (2, 'setup'): (9, True, 'ladderline.ladder.commands.setup:open_modal', 'ladderline.ladder.countries:autocomplete_country', True),
    (5, 'setup_modal'): (6, True, None, None, True),
    (3, 'setup_confirm'): (7, True, None, None, True),
    (3, 'setup_restart'): (9, True, 'ladderline.ladder.commands.setup:restart_modal', None, True),
    (3, 'setup_cancel'): (7, True, None, None, True),
    (2, 'setcountry'): (5, True, None, 'ladderline.ladder.countries:autocomplete_country', True),
    (2, 'termsofservice'): (5, True, None, None, True),
    (3, 'terms_accept'): (7, True, None, None, True),
    (3, 'terms_decline'): (7, True, None, None, True),
    (2, 'activate'): (5, True, None, None, True),
    (2, 'profile'): (5, True, None, None, True),
    (2, 'leaderboard'): (5, True, None, 'ladderline.ladder.countries:autocomplete_country', True),
    (3, 'lb'): (6, True, None, None, True),
    (2, 'queue'): (5, True, None, None, False),
    (3, 'q'): (6, True, None, None, True),
    (3, 'qjoin'): (7, True, None, None, True),
    (3, 'mc'): (7, False, None, None, True),
    (3, 'ma'): (6, False, None, None, True),
    (3, 'mab'): (7, False, None, None, True),
    (3, 'mr'): (6, True, None, None, True),
    (3, 'mrs'): (7, True, None, None, True),
    (3, 'mup'): (9, True, 'ladderline.ladder.commands.replay:upload_modal', None, True),
    (5, 'mupm'): (5, True, None, None, False),
    (2, 'replay'): (5, True, None, None, False),
    (2, 'notifications'): (5, True, None, None, True),
    (2, 'admin'): (5, True, None, None, True),
    (3, 'apply'): (5, True, None, None, True),
    (3, 'appgo'): (6, True, None, None, True),
    (3, 'appwd'): (6, True, None, None, True),
    (3, 'appre'): (6, True, None, None, True),
}
