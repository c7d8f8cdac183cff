-- One row per game of Retrosheet's game logs, its clubs mapped to the Stats API's franchises
-- (raw.retrosheet_teams, from config/retrosheet.yaml) and keyed like the Stats API's games (a
-- negative game_pk, macros/retrosheet_game_pk.sql), Retrosheet's own id kept.
with source as (
    {{ latest_version(source('raw', 'retrosheet_games'), ['retro_game_id']) }}
),

clubs as (
    select retro_team, team_id from {{ source('raw', 'retrosheet_teams') }}
)

select
    {{ retrosheet_game_pk('g.game_date', 'h.team_id', 'g.game_number') }} as game_pk,
    g.retro_game_id,
    g.game_date,
    cast(g.season as integer) as season,
    'R' as game_type,
    -- the Stats API numbers a single game 1, a doubleheader's 1 and 2; Retrosheet 0, 1 and 2
    greatest(g.game_number, 1) as game_number,
    g.game_number > 0 as is_doubleheader,
    g.game_number as retro_game_number,
    g.day_night,
    g.park_id,
    h.team_id as home_team_id,
    a.team_id as away_team_id,
    g.home_team as home_retro_team,
    g.away_team as away_retro_team,
    g.home_score,
    g.away_score,
    g.length_outs,
    g.attendance,
    g.duration_minutes,
    g.home_starting_pitcher_id,
    g.away_starting_pitcher_id,
    g.ingested_at
from source as g
left join clubs as h on h.retro_team = g.home_team
left join clubs as a on a.retro_team = g.away_team
