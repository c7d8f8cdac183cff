"""mlb-pipeline: collect, validate and model MLB data with Airflow.

Plain functions live in one module per concept (source, landing, parse, warehouse,
collect, ...); Airflow-facing operators are thin wrappers in ``operators``.
"""
