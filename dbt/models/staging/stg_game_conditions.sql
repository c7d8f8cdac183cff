-- One row per game: venue, weather, crowd and duration (raw.game_conditions), with the wind
-- read as blowing out or in and whether the roof was closed. Typed and renamed; the latest
-- version of each key.
with source as (
    {{ latest_version(source('raw', 'game_conditions'), ['game_pk']) }}
)

select
    game_pk,
    official_date as game_date,
    venue_id,
    venue_name,
    venue_capacity,
    roof_type,
    day_night,
    weather_condition,
    temperature,
    wind_speed,
    wind_direction,
    case
        when wind_direction like 'Out To %' then 'out'
        when wind_direction like 'In From %' then 'in'
        when wind_direction is not null then 'neither'
    end as wind_blowing,
    case
        when roof_type = 'Dome' or weather_condition in ('Dome', 'Roof Closed') then true
        when weather_condition is not null then false
    end as is_roof_closed,
    attendance,
    game_duration_minutes,
    ingested_at
from source
