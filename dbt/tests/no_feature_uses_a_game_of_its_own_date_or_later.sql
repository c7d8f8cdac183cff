-- Leakage: every feature row may use only games completed before its own date. Any row
-- returned here is a feature computed with a game of its date or later.
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
