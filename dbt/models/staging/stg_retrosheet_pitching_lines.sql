-- One row per Retrosheet game and pitcher (the event files' lines, chadwickpy's cwdaily), keyed
-- by the game's game_pk and the club's Stats API id. Seasons without event files have none.
with lines as (
    {{ latest_version(source('raw', 'retrosheet_pitching_lines'), ['retro_game_id', 'player_id']) }}
),

games as (
    select retro_game_id, game_pk from {{ ref('stg_retrosheet_games') }}
),

clubs as (
    select retro_team, team_id from {{ source('raw', 'retrosheet_teams') }}
)

select
    g.game_pk,
    l.retro_game_id,
    l.game_date,
    c.team_id,
    l.player_id as retro_player_id,
    l.started,
    l.outs,
    l.batters_faced,
    l.hits,
    l.runs,
    l.earned_runs,
    l.walks as base_on_balls,
    l.strikeouts as strike_outs,
    l.home_runs,
    l.pitches as number_of_pitches,
    l.ingested_at
from lines as l
inner join games as g on g.retro_game_id = l.retro_game_id
inner join clubs as c on c.retro_team = l.team
