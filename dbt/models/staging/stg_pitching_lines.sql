-- One row per game and pitcher: the player's pitching line. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'pitching_lines'), ['game_pk', 'player_id']) }}
)

select
    game_pk,
    official_date as game_date,
    team_side,
    team_id,
    player_id,
    player_name,
    pitching_order,
    innings_pitched,
    outs,
    batters_faced,
    hits,
    runs,
    earned_runs,
    base_on_balls,
    strike_outs,
    home_runs,
    hit_by_pitch,
    number_of_pitches,
    strikes,
    balls,
    wins,
    losses,
    saves,
    holds,
    blown_saves,
    games_started,
    ingested_at
from source
