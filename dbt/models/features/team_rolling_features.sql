{{ config(
    materialized='incremental',
    incremental_strategy=feature_table_strategy(),
    unique_key='as_of_date',
    partition_by=feature_partition('as_of_date'),
    cluster_by=feature_clustering(['team_id']),
    on_schema_change='fail',
) }}
{%- set windows = var('team_windows_days') -%}
{%- set use_days = var('bullpen_use_days') -%}
{%- set park_seasons = var('park_seasons') -%}
-- Per club and date (every date it has a game, played or scheduled): its form over the
-- previous 7, 14, 30 and 60 days, its season-to-date record and Pythagorean win expectation, its
-- bullpen's use in the last {{ use_days }} days, and its park over the previous {{ park_seasons }} seasons, as
-- of the morning of that date. Only games completed before the date count (no leakage:
-- tests/no_feature_uses_a_game_of_its_own_date_or_later.sql).
with all_game_days as (
    select home_team_id as team_id, game_date, season from {{ ref('int_games') }}
    union distinct
    select away_team_id as team_id, game_date, season from {{ ref('int_games') }}
),

game_days as (  -- the dates this run builds (macros/feature_window.sql)
    select * from all_game_days as d
    where {{ in_feature_window('d.game_date', 'as_of_date') }}
),

history as (
    select
        d.team_id,
        d.game_date as as_of_date,
        d.season as as_of_season,
        g.*
    from game_days as d
    inner join {{ ref('int_team_game_stats') }} as g
        on g.team_id = d.team_id
        and g.game_date < d.game_date
        and g.game_date >= {{ dbt.dateadd('day', -(windows | max), 'd.game_date') }}
),

windows as (  -- counts and sums cast to bigint: DuckDB sums integers to a 128-bit HUGEINT
    select
        team_id,
        as_of_date,
        max(game_date) as last_game_date_used
        {%- set recent = "game_date >= " ~ dbt.dateadd('day', -use_days, 'as_of_date') %}
        , cast(sum(case when {{ recent }} then relievers_used else 0 end) as bigint) as relievers_used_{{ use_days }}d
        {%- for n in windows %}
        {%- set inside = "game_date >= " ~ dbt.dateadd('day', -n, 'as_of_date') %}
        , cast(sum(case when {{ inside }} then 1 else 0 end) as bigint) as games_{{ n }}d
        , cast(sum(case when {{ inside }} then runs_scored end) as bigint) as runs_scored_{{ n }}d
        , cast(sum(case when {{ inside }} then runs_allowed end) as bigint) as runs_allowed_{{ n }}d
        , cast(sum(case when {{ inside }} and won then 1 else 0 end) as bigint) as wins_{{ n }}d
        , cast(sum(case when {{ inside }} then at_bats end) as bigint) as at_bats_{{ n }}d
        , cast(sum(case when {{ inside }} then hits end) as bigint) as hits_{{ n }}d
        , cast(sum(case when {{ inside }} then base_on_balls + hit_by_pitch end) as bigint) as on_base_extra_{{ n }}d
        , cast(sum(case when {{ inside }} then sac_flies end) as bigint) as sac_flies_{{ n }}d
        , cast(sum(case when {{ inside }} then total_bases end) as bigint) as total_bases_{{ n }}d
        , cast(sum(case when {{ inside }} then bullpen_earned_runs end) as bigint) as bullpen_er_{{ n }}d
        , cast(sum(case when {{ inside }} then bullpen_outs end) as bigint) as bullpen_outs_{{ n }}d
        {%- endfor %}
    from history
    group by team_id, as_of_date
),

season_to_date as (
    select
        d.team_id,
        d.game_date as as_of_date,
        count(g.game_pk) as season_games,
        cast(sum(case when g.won then 1 else 0 end) as bigint) as season_wins,
        sum(g.runs_scored) as season_runs_scored,
        sum(g.runs_allowed) as season_runs_allowed,
        max(g.game_date) as season_last_game_date_used
    from game_days as d
    left join {{ ref('int_team_game_stats') }} as g
        on g.team_id = d.team_id and g.season = d.season and g.game_date < d.game_date
    group by d.team_id, d.game_date
),

club_seasons as (  -- each club's whole season: a later season's carried strength, park and home edge
    select
        team_id,
        season,
        count(*) as games,
        sum(case when won then 1 else 0 end) as wins,
        sum(runs_scored - runs_allowed) as run_diff,
        sum(case when is_home then 1 else 0 end) as home_games,
        sum(case when is_home and won then 1 else 0 end) as home_wins,
        sum(case when is_home then runs_scored + runs_allowed else 0 end) as home_runs,
        sum(case when not is_home then 1 else 0 end) as road_games,
        sum(case when not is_home and won then 1 else 0 end) as road_wins,
        sum(case when not is_home then runs_scored + runs_allowed else 0 end) as road_runs
    from {{ ref('int_team_game_stats') }}
    group by team_id, season
),

park_history as (  -- the previous seasons' sums: known before any game of this one
    select
        s.team_id,
        s.season,
        sum(h.home_games) as home_games,
        sum(h.home_wins) as home_wins,
        sum(h.home_runs) as home_runs,
        sum(h.road_games) as road_games,
        sum(h.road_wins) as road_wins,
        sum(h.road_runs) as road_runs
    from (select distinct team_id, season from game_days) as s
    inner join club_seasons as h
        on h.team_id = s.team_id and h.season < s.season and h.season >= s.season - {{ park_seasons }}
    group by s.team_id, s.season
)

select
    d.team_id,
    d.game_date as as_of_date,
    d.season,
    greatest(
        coalesce(w.last_game_date_used, s.season_last_game_date_used),
        coalesce(s.season_last_game_date_used, w.last_game_date_used)
    ) as last_game_date_used
    {%- for n in windows %}
    , coalesce(w.games_{{ n }}d, 0) as games_{{ n }}d
    , coalesce(w.runs_scored_{{ n }}d, 0) - coalesce(w.runs_allowed_{{ n }}d, 0) as run_diff_{{ n }}d
    , w.runs_scored_{{ n }}d
    , w.runs_allowed_{{ n }}d
    , w.wins_{{ n }}d * 1.0 / nullif(w.games_{{ n }}d, 0) as win_rate_{{ n }}d
    , w.hits_{{ n }}d * 1.0 / nullif(w.at_bats_{{ n }}d, 0) as batting_avg_{{ n }}d
    , (w.hits_{{ n }}d + w.on_base_extra_{{ n }}d) * 1.0
        / nullif(w.at_bats_{{ n }}d + w.on_base_extra_{{ n }}d + w.sac_flies_{{ n }}d, 0) as obp_{{ n }}d
    , w.total_bases_{{ n }}d * 1.0 / nullif(w.at_bats_{{ n }}d, 0) as slg_{{ n }}d
    , w.bullpen_er_{{ n }}d * 27.0 / nullif(w.bullpen_outs_{{ n }}d, 0) as bullpen_era_{{ n }}d
    {%- endfor %}
    , coalesce(w.relievers_used_{{ use_days }}d, 0) as relievers_used_{{ use_days }}d
    , s.season_games
    , s.season_wins
    , s.season_wins * 1.0 / nullif(s.season_games, 0) as season_win_pct
    , greatest({{ dbt.datediff('s.season_last_game_date_used', 'd.game_date', 'day') }} - 1, 0) as rest_days
    , power(s.season_runs_scored, 1.83)
        / nullif(power(s.season_runs_scored, 1.83) + power(s.season_runs_allowed, 1.83), 0)
        as pythagorean_win_pct
    -- Strength carried across seasons (issue #22): this season's record so far blended with the
    -- previous season's, that one a third of the way back to the mean, worth
    -- var('prior_season_games') games (0.5 and 0 runs a game without a previous season).
    , (coalesce(s.season_wins, 0) + {{ var('prior_season_games') }}
        * (0.5 + (1 - {{ var('season_regression') }}) * (coalesce(p.wins * 1.0 / nullif(p.games, 0), 0.5) - 0.5)))
        / (coalesce(s.season_games, 0) + {{ var('prior_season_games') }}) as strength_win_pct
    , (coalesce(s.season_runs_scored, 0) - coalesce(s.season_runs_allowed, 0) + {{ var('prior_season_games') }}
        * (1 - {{ var('season_regression') }}) * coalesce(p.run_diff * 1.0 / nullif(p.games, 0), 0))
        / (coalesce(s.season_games, 0) + {{ var('prior_season_games') }}) as strength_run_diff_per_game
    -- Its park and home edge over the previous seasons (issue #22): runs a game (both clubs') in
    -- its home games over those in its road games, and its home win rate less its road win rate.
    , (ph.home_runs * 1.0 / nullif(ph.home_games, 0)) / nullif(ph.road_runs * 1.0 / nullif(ph.road_games, 0), 0)
        as park_run_factor_{{ park_seasons }}y
    , ph.home_wins * 1.0 / nullif(ph.home_games, 0) - ph.road_wins * 1.0 / nullif(ph.road_games, 0)
        as home_field_edge_{{ park_seasons }}y
from game_days as d
left join windows as w on w.team_id = d.team_id and w.as_of_date = d.game_date
left join season_to_date as s on s.team_id = d.team_id and s.as_of_date = d.game_date
left join club_seasons as p on p.team_id = d.team_id and p.season = d.season - 1  -- known before any game
left join park_history as ph on ph.team_id = d.team_id and ph.season = d.season
