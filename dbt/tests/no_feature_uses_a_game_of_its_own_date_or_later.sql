-- Leakage: every feature row may use only games completed before its own date. Any row
-- returned here is a feature computed with a game of its date or later. last_game_date_used
-- is the newest date of the rows the features actually read (each model computes it over its
-- windows' own rows; game_features over both clubs' and both starters'), so a window that
-- reaches the row's date shows here (tests/test_features.py plants such leaks).
select 'team_rolling_features' as model, cast(team_id as {{ dbt.type_string() }}) as row_key,
       as_of_date, last_game_date_used
from {{ ref('team_rolling_features') }}
where last_game_date_used >= as_of_date
union all
select 'player_rolling_features', cast(player_id as {{ dbt.type_string() }}), as_of_date, last_game_date_used
from {{ ref('player_rolling_features') }}
where last_game_date_used >= as_of_date
union all
select 'game_features', cast(game_pk as {{ dbt.type_string() }}), game_date, last_game_date_used
from {{ ref('game_features') }}
where last_game_date_used >= game_date
union all
select 'starter_form', starter_key, game_date, last_game_date_used
from {{ ref('starter_form') }}
where last_game_date_used >= game_date
