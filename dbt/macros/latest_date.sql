{#- The newest of several dates, ignoring nulls (null only when all are), on both warehouses:
    BigQuery's greatest() is null as soon as one argument is, DuckDB's skips nulls. Used for
    last_game_date_used, the newest game any feature of a row reads (the leakage test). -#}
{% macro latest_date(columns) %}
  {%- set floor = "cast('0001-01-01' as date)" -%}
  nullif(greatest(
    {%- for c in columns %}coalesce({{ c }}, {{ floor }}){{ ", " if not loop.last }}{% endfor -%}
  ), {{ floor }})
{%- endmacro %}
