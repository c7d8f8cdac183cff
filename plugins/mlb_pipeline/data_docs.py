"""The Great Expectations Data Docs in the lake (``<lake>/quality/data_docs``): every grading's
validations kept, and pages that read offline.

GX 1.x renders a site from the results its context holds, and its index builder lists those
alone (it even removes the pages of results it does not hold): with the Grader's in-memory
context, each grading left a site of its own validations only. So a grading builds its pages
in a local folder, copies them to the lake (a folder or ``gs://``, through ``ObjectStoragePath``),
and writes a record of what the index shows of each validation, ``runs/<run id> <dates>.json``;
the index is then rendered from every record in the lake, a page a month of game dates
(``index-YYYY-MM.html``; ``index.html`` is the latest month's, with links to the others). A
validation page is rendered once, when it is made: a build costs the grading's own pages, one
read of the records and the index of its months.

Grading the same dates again under the same run id (a task retried) replaces that record and
removes its former pages; another run id adds its own. Two gradings at once write their own
pages and records; the index is whichever wrote last, and may miss a record written
meanwhile until the next build: nothing is lost but a line of the index for a while.

The pages: GX's templates load jQuery, Bootstrap, bootstrap-table, Vega and Font Awesome from
CDNs (a blank index offline: its tables were drawn by bootstrap-table). The views here put
``data_docs_site/templates`` first, which drop those references, render the index's tables in
the page, and load ``static/mlb/offline.{css,js}``: the little of them the pages use.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import urllib.parse
from pathlib import Path

from great_expectations.render.renderer import SiteIndexPageRenderer
from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import ChoiceLoader, FileSystemLoader

SITE = Path(__file__).parent / "data_docs_site"
DARK_LOGO = "url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png')"


class OfflinePageView(DefaultJinjaPageView):
    """GX's page view with our templates before GX's (a site's custom views come after them,
    so they can add templates but not replace one)."""

    def __init__(self, custom_styles_directory=None, custom_views_directory=None):
        super().__init__(custom_styles_directory, custom_views_directory)
        self.env.loader = ChoiceLoader([FileSystemLoader(SITE / "templates"), self.env.loader])

    def render(self, document, template=None, **kwargs):
        # GX's inlined stylesheet draws its logo from S3 in dark mode: no logo then, offline.
        return super().render(document, template, **kwargs).replace(DARK_LOGO, "none")


class OfflineIndexPageView(OfflinePageView):
    _template = DefaultJinjaIndexPageView._template


def site_config(folder: str) -> dict:
    """A Data Docs site in the local ``folder``, rendered with the offline views."""
    view = {"view": {"module_name": __name__, "class_name": "OfflinePageView"}}
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": folder},
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "view": {"module_name": __name__, "class_name": "OfflineIndexPageView"},
        },
        "site_section_builders": {"expectations": view, "validations": view, "profiling": view},
    }


def lake_path(url: str):
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath(url.rstrip("/") if "://" in url else "file://" + str(Path(url).resolve()))


def _entries(context) -> list[dict]:
    """What the index shows of each validation the context holds, and its page's path."""
    store = context.validation_results_store
    out = []
    for key in store.list_keys():
        result = store.get(key)
        suite = key.expectation_suite_identifier.name
        page = "/".join(["validations", *suite.split("."), *key.run_id.to_tuple(), key.batch_identifier]) + ".html"
        out.append(
            {
                "expectation_suite_name": suite,
                "expectation_suite_filepath": "/".join(["expectations", *suite.split(".")]) + ".html",
                "batch_identifier": key.batch_identifier,
                "run_name": key.run_id.run_name,
                "run_time": key.run_id.run_time.isoformat(),
                "validation_success": bool(result.success),
                "asset_name": result.asset_name,
                "page": page,
                "filepath": urllib.parse.quote(page),
            }
        )
    return out


def _copy_folder(folder: Path, root, skip_existing: str = "static/") -> None:
    """Every file under ``folder`` to the same place under ``root``; GX's static files (4 MB
    of fonts and images, the same every time) only when missing."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        target = root / name
        if name.startswith(skip_existing) and target.exists():
            continue
        if root.protocol == "file":  # object storage has no folders to make
            target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())


def publish(context, folder: str, docs_url: str, record: str) -> str:
    """Build the context's pages in the local ``folder``, copy them to ``docs_url``, record
    them as ``runs/<record>.json`` there (replacing that record's former pages) and render
    the index of every record. Returns the index's URL."""
    context.build_data_docs(build_index=False)
    shutil.copytree(SITE / "static", Path(folder) / "static", dirs_exist_ok=True)
    root = lake_path(docs_url)
    mine = _entries(context)
    record_path = root / "runs" / (re.sub(r"[^\w .+-]+", "_", record) + ".json")
    former = json.loads(record_path.read_text()) if record_path.exists() else []
    _copy_folder(Path(folder), root)
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(mine, indent=1))
    kept = {e["page"] for e in mine}
    for e in former:
        if e["page"] not in kept:
            (root / e["page"]).unlink(missing_ok=True)
    entries = [
        e for p in sorted((root / "runs").iterdir()) if p.name.endswith(".json") for e in json.loads(p.read_text())
    ]
    by_month: dict[str, list[dict]] = {}
    for e in entries:
        by_month.setdefault(_month(e), []).append(e)
    months = sorted(by_month, reverse=True)
    for month in {_month(e) for e in mine + former} | set(months[:1]):
        html = render_index(context, by_month.get(month, []), months)
        (root / f"index-{month}.html").write_text(html)
        if month == months[0]:
            (root / "index.html").write_text(html)
    return docs_url.rstrip("/") + "/index.html"


def _month(entry: dict) -> str:
    """The month of the validation's first game date (its run name begins with its dates),
    or of its run without one."""
    found = re.match(r"\d{4}-\d{2}", entry["run_name"] or "")
    return found.group(0) if found else entry["run_time"][:7]


def render_index(context, entries: list[dict], months: list[str] = ()) -> str:
    """GX's index page of ``entries`` (newest first) and their suites, with links to the index
    of every month in ``months``: an index of a whole season, about a millisecond and 1.5 kB
    a validation, took seconds to render and megabytes to load."""
    links = {
        "site_name": "lake",
        "validations_links": [
            {**e, "run_time": dt.datetime.fromisoformat(e["run_time"])}
            for e in sorted(entries, key=lambda e: e["run_time"], reverse=True)
        ],
        "expectations_links": [
            {"expectation_suite_name": name, "filepath": urllib.parse.quote(path)}
            for name, path in sorted({(e["expectation_suite_name"], e["expectation_suite_filepath"]) for e in entries})
        ],
    }
    return OfflineIndexPageView().render(
        SiteIndexPageRenderer.render(links),
        data_context_id=context.variables.data_context_id,
        show_how_to_buttons=False,
        months=list(months),
    )
