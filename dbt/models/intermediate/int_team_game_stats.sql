-- One row per club per game: the batting components of AVG, OBP and SLG (summed over its
-- batters), its bullpen's earned runs and outs (every pitcher after the starter), and how many
-- relievers it used. Sums are cast to bigint (DuckDB sums integers to a 128-bit HUGEINT; BigQuery's
-- bigint is INT64), so the columns read as integers on both warehouses and in the docs.
with batting as (
    select
        game_pk,
        team_id,
        cast(sum(at_bats) as bigint) as at_bats,
        cast(sum(hits) as bigint) as hits,
        cast(sum(base_on_balls) as bigint) as base_on_balls,
        cast(sum(hit_by_pitch) as bigint) as hit_by_pitch,
        cast(sum(sac_flies) as bigint) as sac_flies,
        cast(sum(total_bases) as bigint) as total_bases
    from {{ ref('stg_batting_lines') }}
    group by game_pk, team_id
    union all
    -- Retrosheet: the game log's team totals (total bases from the hits by kind)
    select
        game_pk,
        team_id,
        at_bats,
        hits,
        base_on_balls,
        hit_by_pitch,
        sac_flies,
        hits + doubles + 2 * triples + 3 * home_runs as total_bases
    from {{ ref('stg_retrosheet_team_lines') }}
),

bullpen as (
    select
        game_pk,
        team_id,
        cast(sum(earned_runs) as bigint) as bullpen_earned_runs,
        cast(sum(outs) as bigint) as bullpen_outs
    from {{ ref('stg_pitching_lines') }}
    where pitching_order > 1
    group by game_pk, team_id
    union all
    -- Retrosheet: from the event files' lines, so only for seasons that have them (a row for
    -- every club of such a game, zero when its starter went the distance)
    select
        game_pk,
        team_id,
        cast(sum(case when not started then earned_runs else 0 end) as bigint) as bullpen_earned_runs,
        cast(sum(case when not started then outs else 0 end) as bigint) as bullpen_outs
    from {{ ref('stg_retrosheet_pitching_lines') }}
    group by game_pk, team_id
),

relievers as (
    select game_pk, team_id, count(*) as relievers_used
    from {{ ref('stg_pitching_lines') }}
    where pitching_order > 1
    group by game_pk, team_id
    union all
    -- Retrosheet: the game log counts the pitchers each club used (every season)
    select game_pk, team_id, pitchers_used - 1 as relievers_used
    from {{ ref('stg_retrosheet_team_lines') }}
)

select
    g.game_pk,
    g.game_date,
    g.season,
    g.team_id,
    g.opponent_id,
    g.is_home,
    g.runs_scored,
    g.runs_allowed,
    g.won,
    coalesce(b.at_bats, 0) as at_bats,
    coalesce(b.hits, 0) as hits,
    coalesce(b.base_on_balls, 0) as base_on_balls,
    coalesce(b.hit_by_pitch, 0) as hit_by_pitch,
    coalesce(b.sac_flies, 0) as sac_flies,
    coalesce(b.total_bases, 0) as total_bases,
    -- Unknown, not zero, for Retrosheet games without event files
    case when g.source = 'retrosheet' then p.bullpen_earned_runs else coalesce(p.bullpen_earned_runs, 0) end
        as bullpen_earned_runs,
    case when g.source = 'retrosheet' then p.bullpen_outs else coalesce(p.bullpen_outs, 0) end as bullpen_outs,
    case when g.source = 'retrosheet' then r.relievers_used else coalesce(r.relievers_used, 0) end as relievers_used,
    g.source
from {{ ref('int_team_games') }} as g
left join batting as b on b.game_pk = g.game_pk and b.team_id = g.team_id
left join bullpen as p on p.game_pk = g.game_pk and p.team_id = g.team_id
left join relievers as r on r.game_pk = g.game_pk and r.team_id = g.team_id
