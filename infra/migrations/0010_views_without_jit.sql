-- 0010: the ranked views never pay PostgreSQL's JIT.
--
-- At 100,000 players the leaderboard's plan is priced above jit_above_cost (100,000 by default),
-- so PostgreSQL compiled ~60 functions for every page: about 700 ms of a 1.1-1.8 s call, for a
-- query that then runs in a fraction of that. The setting is attached to each function (applied
-- while it runs, restored after), not sent by the worker: a SET from the client pins an RDS Proxy
-- session, and jit is not a parameter PostgreSQL reports to the client, so nothing of it reaches
-- the proxy.
ALTER FUNCTION ladder_leaderboard_ranked(text, text, text, text, boolean, integer, integer, timestamptz) SET jit = off;
ALTER FUNCTION ladder_profile_ranked(bigint, timestamptz) SET jit = off;
