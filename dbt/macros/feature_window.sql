{#-
  The feature tables are incremental by date. A run (re)builds only the dates of its window
  and replaces those dates in the table; everything else is kept.

  - `--full-refresh` (or the first build): every date, in one set-based query.
  - `--vars '{features_from: 2024-06-01, features_to: 2024-06-30}'`: exactly those dates
    (either bound may be left out). The daily DAG passes its game date and the next day;
    after a backfill one run rebuilds the backfilled range (README "Rebuilding features").
  - neither: from the newest date already in the table onward (new dates, scheduled games).

  The inputs need no lookback filter: each feature already reads only the games of its own
  window before the date (60 days for clubs, 30 game days for players, the season to date).
-#}

{% macro feature_window_bound(name) %}
  {%- set value = var(name, none) -%}
  {%- if value is none or value == '' -%}
    {{ return(none) }}
  {%- endif -%}
  {#- A date, validated here, so nothing but a date literal reaches the SQL. -#}
  {%- set day = modules.datetime.date.fromisoformat(value | string) -%}
  {{ return("cast('" ~ day.isoformat() ~ "' as date)") }}
{% endmacro %}

{% macro in_feature_window(column, table_column) %}
  {%- if not is_incremental() -%}
    true
  {%- else -%}
    {%- set start = feature_window_bound('features_from') -%}
    {%- set end = feature_window_bound('features_to') -%}
    {%- if start is none and end is none -%}
      {{ column }} >= (select coalesce(max({{ table_column }}), cast('1900-01-01' as date)) from {{ this }})
    {%- else -%}
      {{ column }} >= {{ start if start is not none else "cast('1900-01-01' as date)" }}
      {%- if end is not none %} and {{ column }} <= {{ end }}{% endif %}
    {%- endif -%}
  {%- endif -%}
{% endmacro %}

{#- How a feature table replaces its dates: by partition on BigQuery (partitioned by the
    date, clustered by the key), delete-then-insert of the window's dates elsewhere. -#}
{% macro feature_table_strategy() %}
  {{ return('insert_overwrite' if target.type == 'bigquery' else 'delete+insert') }}
{% endmacro %}

{#- BigQuery: one partition a date, so a run replaces whole partitions. DuckDB has no
    partitions of this kind (its partition_by means something else), so none there. -#}
{% macro feature_partition(column) %}
  {{ return({'field': column, 'data_type': 'date', 'granularity': 'day'} if target.type == 'bigquery' else none) }}
{% endmacro %}

{% macro feature_clustering(columns) %}
  {{ return(columns if target.type == 'bigquery' else none) }}
{% endmacro %}
