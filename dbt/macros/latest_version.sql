{# The latest version of each natural key of a raw relation (the raw tables are merged on
   their keys already; this keeps staging right if a raw table ever holds history). #}
{% macro latest_version(relation, key) -%}
    select * from {{ relation }}
    qualify row_number() over (partition by {{ key | join(', ') }} order by ingested_at desc) = 1
{%- endmacro %}
