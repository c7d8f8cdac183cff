# The image the local stack (docker-compose.yaml) runs: the official Airflow image of the
# version Cloud Composer 3 runs, plus our pinned direct dependencies.
FROM apache/airflow:3.3.1-python3.11
COPY requirements.txt /requirements.txt
RUN pip install --no-cache-dir -r /requirements.txt
# The dbt manifest is written at start-up by airflow-init (dbt parse), beside the mounted project.
