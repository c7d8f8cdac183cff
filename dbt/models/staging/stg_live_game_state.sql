-- One row per version of a game's live feed received while it was played (raw.live_game_state,
-- mlb_live_games): how the game stood at each change, for watching a game day unfold. Typed and
-- renamed; the latest load of each version.
with source as (
    {{ latest_version(source('raw', 'live_game_state'), ['game_pk', 'timecode']) }}
)

select
    game_pk,
    official_date as game_date,
    timecode,
    polled_at,
    abstract_state,
    coded_state as status_code,
    detailed_state,
    poll_state,
    poll_state = 'final' as is_final,
    inning,
    inning_half,
    outs,
    away_score,
    home_score,
    last_play,
    raw_object,
    ingested_at
from source
