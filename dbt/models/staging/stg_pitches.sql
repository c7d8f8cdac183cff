-- One row per pitch, from the Stats API feed. Typed and renamed; the latest version of each key.
with source as (
    {{ latest_version(source('raw', 'pitches'), ['game_pk', 'at_bat_index', 'event_index']) }}
)

select
    game_pk,
    official_date as game_date,
    at_bat_index,
    event_index,
    pitch_number,
    play_id,
    inning,
    half_inning,
    batter_id,
    pitcher_id,
    pitch_type,
    call_code,
    call_description,
    is_in_play,
    is_strike,
    is_ball,
    balls,
    strikes,
    outs,
    start_speed,
    end_speed,
    spin_rate,
    spin_direction,
    extension,
    zone,
    plate_x,
    plate_z,
    sz_top,
    sz_bottom,
    launch_speed,
    launch_angle,
    total_distance,
    trajectory,
    start_time,
    ingested_at
from source
