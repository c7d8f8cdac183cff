-- One row per game and batter: the player's batting line. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'batting_lines'), ['game_pk', 'player_id']) }}
)

select
    game_pk,
    official_date as game_date,
    team_side,
    team_id,
    player_id,
    player_name,
    batting_order,
    position,
    at_bats,
    plate_appearances,
    runs,
    hits,
    doubles,
    triples,
    home_runs,
    rbi,
    base_on_balls,
    intentional_walks,
    strike_outs,
    hit_by_pitch,
    stolen_bases,
    caught_stealing,
    left_on_base,
    sac_bunts,
    sac_flies,
    ground_into_double_play,
    total_bases,
    putouts,
    assists,
    errors,
    ingested_at
from source
