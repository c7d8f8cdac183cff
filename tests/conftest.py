"""Shared test set-up.

Airflow reads its configuration when first imported, so the embedded default is set up
here, before any test module imports it: a throw-away AIRFLOW_HOME with a SQLite
metadata database, our dags/ and plugins/ folders, and no example DAGs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("MLB_FIXTURES_DIR", REPO.parent / "shared" / "fixtures" / "mlb"))
RECORDED_FEEDS = (744914, 745218, 745927, 747175, 717055)

sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "tests"))
from live_airflow import airflow_settings, free_port  # noqa: E402  (imports no Airflow)

_home = Path(tempfile.mkdtemp(prefix="mlb-airflow-home-"))
os.environ.update(
    {
        **airflow_settings(_home),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "MLB_LOCAL_DIR": str(_home / "local"),
        # cosmos' cache (partial parse, the rendered graph) per test process: pytest-xdist workers
        # must not share /tmp/cosmos.
        "AIRFLOW__COSMOS__CACHE_DIR": str(_home / "cosmos"),
    }
)

# The tests of recorded real data (among them the only DAG-level checksums of a real day) must
# not vanish as skips on a machine without the recordings: they fail there, unless the
# developer opts out with MLB_FIXTURES_OPTIONAL=1. scripts/test.sh (make test, CI) sets it to 0.
needs_fixtures = pytest.mark.needs_fixtures


def require_fixtures() -> None:
    """Fail (or, opted out, skip) a test that needs the recorded fixtures when they are missing."""
    if FIXTURES.exists():
        return
    message = f"recorded MLB fixtures not found at {FIXTURES} (set MLB_FIXTURES_DIR)"
    if os.environ.get("MLB_FIXTURES_OPTIONAL") == "1":
        pytest.skip(message)
    pytest.fail(f"{message}; MLB_FIXTURES_OPTIONAL=1 skips the tests that need them", pytrace=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_fixtures: needs the recorded MLB fixtures (MLB_FIXTURES_DIR)")


def pytest_runtest_setup(item):
    if item.get_closest_marker("needs_fixtures"):
        require_fixtures()


def load_fixture(relative: str) -> dict:
    import gzip

    import orjson

    path = FIXTURES / relative
    if not path.exists():
        path = path.with_name(path.name + ".gz")
        return orjson.loads(gzip.decompress(path.read_bytes()))
    return orjson.loads(path.read_bytes())


# The longest group first (scripts/test.sh runs --dist loadgroup): while one worker works
# through the simulated month, the other takes every other test as it frees up.
FIRST_GROUPS = ("simulated_month", "live_airflow")


def pytest_collection_modifyitems(items):
    def group(item) -> int:
        mark = item.get_closest_marker("xdist_group")
        name = (mark.args[0] if mark.args else mark.kwargs.get("name")) if mark else None
        return FIRST_GROUPS.index(name) if name in FIRST_GROUPS else len(FIRST_GROUPS)

    items.sort(key=group)  # stable: the same order on every worker


def pytest_collection_finish(session):
    """xdist groups by a suffix it adds to the node ids of the worker's items; a pytest or
    xdist upgrade that drops it (pytest-dev/pytest-xdist#1386) would silently build the
    simulated month on both workers. Say so instead."""
    if getattr(session.config, "workerinput", None) is not None and session.config.getoption("dist") == "loadgroup":
        lost = [i.nodeid for i in session.items if i.get_closest_marker("xdist_group") and "@" not in i.nodeid]
        if lost:
            raise pytest.UsageError(f"--dist loadgroup does not group these tests (pytest-xdist#1386): {lost[:3]}")


@pytest.fixture(scope="session")
def airflow_db():
    """An initialised Airflow metadata database (SQLite), once per session."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, env=os.environ.copy()
    )
    return _home


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    """A fresh embedded default for one test: its own DuckDB file and lake folder."""
    monkeypatch.setenv("MLB_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("MLB_LAKE_URL", (tmp_path / "lake").as_uri())
    monkeypatch.setenv("MLB_WAREHOUSE", "duckdb")
    return tmp_path


@pytest.fixture(scope="session")
def recorded_server():
    from mlb_replay.server import RecordedBackend, ReplayServer

    require_fixtures()
    with ReplayServer(RecordedBackend(FIXTURES)) as server:
        yield server


@pytest.fixture(scope="session")
def league():
    from mlb_replay.simulate import League

    return League(seed=11, seasons=[2024])


@pytest.fixture(scope="session")
def sim_server(league):
    from mlb_replay.server import ReplayServer, SimulatedBackend

    with ReplayServer(SimulatedBackend(league)) as server:
        yield server


def _clean(server):
    server.clear_faults()
    server.clear_requests()
    return server


@pytest.fixture
def recorded(recorded_server):
    """The recorded-data server, with no faults left over from another test."""
    yield _clean(recorded_server)
    recorded_server.clear_faults()


@pytest.fixture
def simulated(sim_server):
    """The simulated-league server, with no faults left over from another test."""
    yield _clean(sim_server)
    sim_server.clear_faults()


DEFAULT_PARAMS: dict[str, dict] = {}


def without_deadlines(dag):
    """The DAG for ``dag.test()``, which in Airflow 3.3.1 cannot finish a successful run of a
    DAG with Deadline Alerts (as ``airflow dags test`` parses ours: mlb_pipeline.alerts)."""
    dag.deadline = None
    return dag


@pytest.fixture(scope="session")
def daily_dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "mlb_daily_collection.py"))
    assert bag.import_errors == {}
    dag = without_deadlines(bag.dags["mlb_daily_collection"])
    # dag.test() runs the tasks in this process, and a run's conf stays in the tasks' params:
    # run_day passes every param, from these defaults, so no run inherits another's.
    DEFAULT_PARAMS[dag.dag_id] = dag.params.dump()
    for task in dag.tasks:  # a failing task fails the test now, not after a 5-minute retry delay
        task.retries = 0
    return dag


def run_day(
    dag,
    day: str,
    server,
    monkeypatch,
    conn_extra: str = "",
    savant_extra: str = "min_interval_s=0",
    features: bool = False,
    **params,
):
    """One real run of the daily DAG (``dag.test()``) for ``day`` against ``server``, which
    answers for the MLB Stats API and for Baseball Savant. The dbt tasks run only when a test
    asks for ``features`` (they add about a minute a run); otherwise they are skipped by the
    DAG's own ``build_features`` param."""
    import datetime as dt

    params.setdefault("build_features", features)
    monkeypatch.setenv("AIRFLOW_CONN_MLB_STATSAPI", server.url + (f"?{conn_extra}" if conn_extra else ""))
    monkeypatch.setenv("AIRFLOW_CONN_BASEBALL_SAVANT", server.url + (f"?{savant_extra}" if savant_extra else ""))
    run = dag.test(
        logical_date=dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC),
        run_conf={**DEFAULT_PARAMS[dag.dag_id], **params},
    )
    return run, {ti.task_id: ti.state for ti in run.get_task_instances()}


def collect_days(server, warehouse_path: Path, lake_url: str, dates: list[str]) -> None:
    """Collect, load and grade game days with the pipeline's own functions, without Airflow:
    what the daily DAG's tasks do, for tests that need many days of history quickly."""
    from mlb_pipeline.collect import collect_plan, load_day, plan_day
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.quality import grade_and_promote
    from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient
    from mlb_pipeline.warehouse import DuckDBWarehouse

    warehouse, zone = DuckDBWarehouse(warehouse_path), RawZone(lake_url)
    api = StatsApiClient(ClientSettings(server.url, concurrency=4))
    savant = SavantClient(ClientSettings(server.url, concurrency=4, min_interval_s=0))
    for day in dates:
        plan = plan_day(api, zone, day, warehouse)
        load_day(
            warehouse,
            zone,
            plan,
            collect_plan({"source": api, "savant": savant}, zone, plan, 4),
            run_id=f"collect_days__{day}",
        )
        grade_and_promote(warehouse, day, plan["season_phase"], f"collect_days__{day}", docs_url=None)


def backfill_days(server, warehouse_path: Path, lake_url: str, first: str, last: str, chunk_days: int = 15) -> None:
    """Collect, load and grade a range of dates as the bulk backfill does (``backfill.run_chunk``,
    chunks of ``chunk_days``, every kind, a reference snapshot every date as the daily path
    takes them): the same raw rows and grades as :func:`collect_days` (tests/test_backfill_history.py),
    about a third of its time. Unlike the daily path it records no next day's schedule."""
    import datetime as dt

    from mlb_pipeline import backfill
    from mlb_pipeline.landing import RawZone
    from mlb_pipeline.source import ClientSettings, SavantClient, StatsApiClient
    from mlb_pipeline.warehouse import DuckDBWarehouse

    warehouse, zone = DuckDBWarehouse(warehouse_path), RawZone(lake_url)
    clients = {
        "source": StatsApiClient(ClientSettings(server.url, concurrency=4)),
        "savant": SavantClient(ClientSettings(server.url, concurrency=4, min_interval_s=0)),
    }
    warehouse.ensure_schema()
    chosen = backfill.history_config()["kinds"]
    for chunk in backfill.chunks_of(dt.date.fromisoformat(first), dt.date.fromisoformat(last), chunk_days):
        plan = backfill.plan_chunk(clients["source"], zone, warehouse, chunk, chosen=chosen, range_first=first, every=1)
        collected = backfill.collect_sources(clients, zone, plan, 4)
        result = backfill.finish_chunk(
            warehouse,
            zone,
            plan,
            collected,
            run_id=f"backfill_days__{chunk.label}",
            started_at=dt.datetime.now(dt.UTC),
            api=clients["source"],
            concurrency=4,
            docs_url=None,
        )
        assert result["status"] == "complete", result["problems"]


def dbt(*args: str, tmp_path: Path, project: Path = REPO / "dbt", **env: str):
    """Run the dbt project (its own profiles) against the test's warehouse, with target and log
    folders under ``tmp_path``; extra ``env`` entries override the environment. ``project``: a
    changed copy of it (tests that plant a fault in a model)."""
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            *args,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(tmp_path / "dbt-target"),
            "--log-path",
            str(tmp_path / "dbt-logs"),
        ],
        env={**os.environ, "DBT_USE_COLORS": "false", **env},
        capture_output=True,
        text=True,
        timeout=900,
    )


class Inbox:
    """A local SMTP server (aiosmtpd) that keeps every message it receives: plain by default;
    ``tls="starttls"`` (STARTTLS required, as on port 587) or ``"implicit"`` (TLS from the first
    byte, as on 465) with a throw-away self-signed certificate for 127.0.0.1 (``cert_file``, for
    the client to trust); ``login=(user, password)`` requires that login, over TLS only."""

    def __init__(self, tls: str | None = None, login: tuple[str, str] | None = None):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.port = free_port()
        self.cert_file: str | None = None
        kwargs: dict = {}
        if tls:
            context = self._tls_context()
            kwargs = (
                {"tls_context": context, "require_starttls": True} if tls == "starttls" else {"ssl_context": context}
            )
        if login:
            # aiosmtpd counts only STARTTLS as TLS for auth_require_tls; implicit TLS is TLS throughout.
            kwargs.update(
                authenticator=self._authenticator(login), auth_required=True, auth_require_tls=tls != "implicit"
            )
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)

    def _tls_context(self):
        """A server context with a fresh self-signed certificate for 127.0.0.1 and localhost."""
        import datetime as dt
        import ipaddress
        import ssl

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        folder = Path(tempfile.mkdtemp(prefix="mlb-smtp-tls-"))
        self.cert_file = str(folder / "cert.pem")
        Path(self.cert_file).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, str(folder / "key.pem"))
        return context

    @staticmethod
    def _authenticator(login: tuple[str, str]):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        def check(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and (auth_data.login.decode(), auth_data.password.decode()) == login
            )
            return AuthResult(success=ok)

        return check

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    @property
    def connection_uri(self) -> str:
        """An Airflow SMTP connection to this server (plain SMTP, no TLS)."""
        return f"smtp://127.0.0.1:{self.port}?disable_tls=true&disable_ssl=true&timeout=10&retry_limit=1"

    def wait_for(self, predicate, timeout: float = 120.0):
        """The first message ``predicate(subject, body)`` accepts, waiting up to ``timeout``."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            for msg in list(self.messages):
                body = msg.get_body(preferencelist=("html", "plain"))
                text = body.get_content() if body is not None else ""
                if predicate(str(msg["Subject"]), text):
                    return msg, text
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no such email within {timeout:g}s; received: {[str(m['Subject']) for m in self.messages]}"
                )
            time.sleep(0.5)

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()


@pytest.fixture
def inbox(monkeypatch):
    """A local SMTP server, and the pipeline's SMTP connection pointing at it."""
    with Inbox() as box:
        monkeypatch.setenv("AIRFLOW_CONN_MLB_SMTP", box.connection_uri)
        yield box


# ------------------------------------------------------------------------------------
# The production path, emulated (tests/emulators.py): BigQuery and GCS, once per session
# ------------------------------------------------------------------------------------
def _start(service):
    from emulators import EmulatorMissing

    try:
        return service.__enter__()
    except EmulatorMissing as missing:  # a failure, never a skip: the set-up installs them
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="session")
def gcs_root(tmp_path_factory):
    """Where the emulated GCS keeps its objects, and the emulated BigQuery reads gs:// sources."""
    return tmp_path_factory.mktemp("gcs-objects")


@pytest.fixture(scope="session")
def bq_emulator(tmp_path_factory, gcs_root):
    """bqemulator on a free port for the whole session (``.url``: the API endpoint)."""
    from emulators import BigQueryEmulator

    service = _start(BigQueryEmulator(tmp_path_factory.mktemp("bqemulator"), gcs_root))
    yield service
    service.__exit__()


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory, gcs_root):
    """fake-gcs-server on a free port for the whole session (``.url``: STORAGE_EMULATOR_HOST)."""
    from emulators import GcsEmulator

    service = _start(GcsEmulator(tmp_path_factory.mktemp("fake-gcs"), gcs_root))
    yield service
    service.__exit__()


_production_runs = iter(range(1, 10_000))


@pytest.fixture
def production(bq_emulator, gcs_emulator, monkeypatch, tmp_path):
    """The production configuration for one test, on the emulators: ``MLB_WAREHOUSE=bigquery`` in a
    project of its own (a dashed name, as real project ids are, so quoting is exercised), and the
    lake on a bucket of its own (``gs://...``). Returns the settings."""
    return use_production(bq_emulator, gcs_emulator, monkeypatch, tmp_path)


def use_production(bq_emulator, gcs_emulator, monkeypatch, tmp_path) -> dict[str, str]:
    """Switch this test to the production configuration (see ``production``), for a test that ran
    something on the embedded default first."""
    n = next(_production_runs)
    project, bucket = f"mlb-ci-{os.getpid()}-{n}", f"mlb-lake-{os.getpid()}-{n}"
    gcs_emulator.create_bucket(bucket)
    settings = {
        "MLB_WAREHOUSE": "bigquery",
        "MLB_BIGQUERY_PROJECT": project,
        "MLB_BIGQUERY_API_ENDPOINT": bq_emulator.url,
        "STORAGE_EMULATOR_HOST": gcs_emulator.url,
        "MLB_LAKE_URL": f"gs://{bucket}/lake",
        "MLB_DUCKDB_PATH": str(tmp_path / "unused.duckdb"),
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return settings
