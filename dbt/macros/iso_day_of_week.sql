{# Day of the week, 1 (Monday) to 7 (Sunday), on every warehouse: the dialects number
   their own day-of-week parts differently. #}
{% macro iso_day_of_week(date) -%}
    {{ return(adapter.dispatch('iso_day_of_week')(date)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date) -%}
    isodow({{ date }})
{%- endmacro %}

{% macro bigquery__iso_day_of_week(date) -%}
    extract(dayofweek from {{ date }}) + case when extract(dayofweek from {{ date }}) = 1 then 6 else -1 end
{%- endmacro %}
