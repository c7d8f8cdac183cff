-- Every game the features describe: the games with a feed (stg_games, final or not), the
-- games the schedule lists that have no feed yet (the next game day's), not final and without
-- a score, and Retrosheet's games the Stats API does not hold (int_retrosheet_games). A
-- postponed listing or a resumption is not a game of its own. ``source`` says which.
select
    game_pk,
    game_date,
    season,
    game_type,
    game_number,
    is_doubleheader,
    home_team_id,
    away_team_id,
    status_code,
    is_final,
    home_score,
    away_score,
    'statsapi' as source
from {{ ref('stg_games') }}

union all

select
    s.game_pk,
    s.game_date,
    s.season,
    s.game_type,
    s.game_number,
    s.is_doubleheader,
    s.home_team_id,
    s.away_team_id,
    'S' as status_code,
    false as is_final,
    cast(null as integer) as home_score,
    cast(null as integer) as away_score,
    'statsapi' as source
from {{ ref('stg_schedule') }} as s
where not s.is_postponed
    and s.resumed_from is null
    and s.home_team_id is not null
    and s.away_team_id is not null
    and s.game_pk not in (select game_pk from {{ ref('stg_games') }})

union all

select
    r.game_pk,
    r.game_date,
    r.season,
    r.game_type,
    r.game_number,
    r.is_doubleheader,
    r.home_team_id,
    r.away_team_id,
    'F' as status_code,
    true as is_final,
    r.home_score,
    r.away_score,
    'retrosheet' as source
from {{ ref('int_retrosheet_games') }} as r
