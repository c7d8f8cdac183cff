-- Leakage: every feature row may use only games completed before its own date. Any row
-- returned here is a feature computed with a game of its date or later.
select team_id, as_of_date, last_game_date_used
from {{ ref('team_rolling_features') }}
where last_game_date_used >= as_of_date
