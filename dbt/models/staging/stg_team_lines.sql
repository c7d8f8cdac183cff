-- One row per game and side: the club's box-score totals. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'team_lines'), ['game_pk', 'team_side']) }}
)

select
    game_pk,
    official_date as game_date,
    team_side,
    team_id,
    runs,
    hits,
    at_bats,
    home_runs,
    rbi,
    base_on_balls,
    strike_outs,
    left_on_base,
    pitching_runs,
    pitching_hits,
    pitching_base_on_balls,
    pitching_strike_outs,
    pitching_home_runs,
    pitching_outs,
    number_of_pitches,
    putouts,
    ingested_at
from source
