{# A model's schema is the one it names (staging, intermediate, features), not
   <target schema>_<name>: the same names on DuckDB and BigQuery. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
