{{ config(
    materialized='incremental',
    incremental_strategy=feature_table_strategy(),
    unique_key='as_of_date',
    partition_by=feature_partition('as_of_date'),
    cluster_by=feature_clustering(['player_id']),
    on_schema_change='fail',
) }}
{%- set windows = var('player_windows_games') -%}
-- Per player and game date: batting form (AVG, OBP, SLG) and pitching form (ERA, WHIP,
-- strikeout rate) over his previous 10 and 30 game days, as of the morning of the date.
-- A player's games of one date (a doubleheader) are one game day, so nothing of the date
-- itself is used.
with days as (
    select g.game_date, g.team_id, g.game_pk
    from {{ ref('int_team_games') }} as g
),

batting as (
    select
        b.player_id,
        d.game_date,
        sum(b.at_bats) as at_bats,
        sum(b.hits) as hits,
        sum(b.base_on_balls + b.hit_by_pitch) as on_base_extra,
        sum(b.sac_flies) as sac_flies,
        sum(b.total_bases) as total_bases
    from {{ ref('stg_batting_lines') }} as b
    inner join days as d on d.game_pk = b.game_pk and d.team_id = b.team_id
    group by b.player_id, d.game_date
),

pitching as (
    select
        p.player_id,
        d.game_date,
        sum(p.outs) as outs,
        sum(p.earned_runs) as earned_runs,
        sum(p.hits + p.base_on_balls) as baserunners,
        sum(p.strike_outs) as strike_outs,
        sum(p.batters_faced) as batters_faced
    from {{ ref('stg_pitching_lines') }} as p
    inner join days as d on d.game_pk = p.game_pk and d.team_id = p.team_id
    group by p.player_id, d.game_date
),

player_days as (
    select
        coalesce(b.player_id, p.player_id) as player_id,
        coalesce(b.game_date, p.game_date) as game_date,
        b.at_bats, b.hits, b.on_base_extra, b.sac_flies, b.total_bases,
        p.outs, p.earned_runs, p.baserunners, p.strike_outs, p.batters_faced
    from batting as b
    full outer join pitching as p on p.player_id = b.player_id and p.game_date = b.game_date
),

rolled as (
    select
        player_id,
        game_date
        {%- for n in windows %}
        {#- One frame a window, for its sums and for the newest date they use: what the leakage
            test reads is the window's own rows, not a label beside them. #}
        {%- set frame = "over (partition by player_id order by game_date rows between " ~ n
                        ~ " preceding and 1 preceding)" %}
        {%- for col in ['at_bats', 'hits', 'on_base_extra', 'sac_flies', 'total_bases', 'outs', 'earned_runs',
                        'baserunners', 'strike_outs', 'batters_faced'] %}
        , sum({{ col }}) {{ frame }} as {{ col }}_{{ n }}
        {%- endfor %}
        , count(at_bats) {{ frame }} as batting_days_{{ n }}
        , count(outs) {{ frame }} as pitching_days_{{ n }}
        , max(game_date) {{ frame }} as last_game_date_{{ n }}
        {%- endfor %}
    from player_days
)

select
    player_id,
    game_date as as_of_date,
    {%- set window_dates = [] %}
    {%- for n in windows %}{% do window_dates.append('last_game_date_' ~ n) %}{% endfor %}
    {{ latest_date(window_dates) }} as last_game_date_used
    {%- for n in windows %}
    , batting_days_{{ n }}
    , hits_{{ n }} * 1.0 / nullif(at_bats_{{ n }}, 0) as batting_avg_{{ n }}g
    , (hits_{{ n }} + on_base_extra_{{ n }}) * 1.0
        / nullif(at_bats_{{ n }} + on_base_extra_{{ n }} + sac_flies_{{ n }}, 0) as obp_{{ n }}g
    , total_bases_{{ n }} * 1.0 / nullif(at_bats_{{ n }}, 0) as slg_{{ n }}g
    , pitching_days_{{ n }}
    , earned_runs_{{ n }} * 27.0 / nullif(outs_{{ n }}, 0) as era_{{ n }}g
    , baserunners_{{ n }} * 3.0 / nullif(outs_{{ n }}, 0) as whip_{{ n }}g
    , strike_outs_{{ n }} * 1.0 / nullif(batters_faced_{{ n }}, 0) as strikeout_rate_{{ n }}g
    {%- endfor %}
from rolled
-- The windows count game days, not dates, so they run over each player's whole history;
-- only the dates of this run's window are kept (macros/feature_window.sql).
where {{ in_feature_window('game_date', 'as_of_date') }}
