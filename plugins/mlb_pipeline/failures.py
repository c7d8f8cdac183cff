"""Which failures cannot heal by waiting, so a task fails at once instead of being retried.

Our DAGs retry a failed task twice, five minutes apart: right for what passes (a lock held
by another run, a network blip, a rate limit, the circuit breaker's cool-down), ten minutes
lost for what does not. Permanent, here:

- the warehouse file is corrupt or not a DuckDB file: no retry reads it;
- a configuration file does not parse;
- the API refused the request (HTTP 4xx other than 408 and 429): the same request gets the
  same answer;
- the API answered 5xx through all of the client's own retries: the client has already
  waited with exponential backoff (and Retry-After); an outage that outlasts that seldom
  ends within Airflow's two retries, and nothing is lost by failing now: the next daily
  run's look-back and the gaps command collect the day again.

Errors without an HTTP status (timeouts, refused connections) stay retryable.
"""

from __future__ import annotations

# DuckDB's words for a file that is not (or no longer) a readable database.
_CORRUPT_WAREHOUSE = (
    "not a valid duckdb database file",
    "could not read enough bytes",
    "corrupt",
    "checksum",
    "failed to read database header",
)


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def permanent_reason(exc: BaseException) -> str | None:
    """A plain reason when ``exc`` (or what caused it) cannot heal by waiting; None otherwise."""
    import yaml

    from mlb_pipeline.source import CircuitOpen, SourceError

    for err in _chain(exc):
        text = str(err)
        if type(err).__module__.lstrip("_").startswith("duckdb") and any(
            words in text.lower() for words in _CORRUPT_WAREHOUSE
        ):
            return (
                f"the warehouse file cannot be read ({text}): it is damaged or not a DuckDB file; "
                f"retrying will not help: restore it from a backup or rebuild it"
            )
        if isinstance(err, yaml.YAMLError):
            return f"a configuration file does not parse: {text}"
        if isinstance(err, SourceError) and not isinstance(err, CircuitOpen) and err.status is not None:
            if 400 <= err.status < 500 and err.status not in (408, 429):
                return f"the API refused the request (HTTP {err.status}), which will not change on retry: {text}"
            if err.status >= 500:
                return (
                    f"the API kept failing through the client's own retries (HTTP {err.status}): {text}; "
                    f"the next run or the gaps command collects the day again"
                )
    return None
