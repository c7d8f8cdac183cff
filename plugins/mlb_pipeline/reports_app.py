"""The lake's pages in the Airflow UI: the report page (``reports/``) and the monthly audits
(``audit/``), read through Airflow's object storage (a local folder or GCS), as the dbt docs
site is by cosmos. Mounted by ``mlb_pipeline_plugin`` at ``settings.REPORTS_PREFIX`` and
linked under Browse; nothing else of the lake (raw data, models) is served."""

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

SERVED = ("reports/", "audit/")
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json", ".png": "image/png"}


def create_app() -> FastAPI:
    app = FastAPI(title="MLB pipeline reports")

    @app.get("/")
    def index(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{request.scope.get('root_path', '')}/reports/index.html")

    @app.get("/{path:path}")
    def page(path: str) -> Response:
        from airflow.sdk import ObjectStoragePath

        from mlb_pipeline.settings import lake_url

        suffix = "." + path.rsplit(".", 1)[-1] if "." in path else ""
        if not path.startswith(SERVED) or ".." in path.split("/") or suffix not in MEDIA_TYPES:
            raise HTTPException(status_code=404, detail="not a report page")
        target = ObjectStoragePath(f"{lake_url().rstrip('/')}/{path}")
        if not target.is_file():
            raise HTTPException(status_code=404, detail=f"{path}: not published yet")
        return Response(
            target.read_bytes(),
            media_type=MEDIA_TYPES[suffix],
            headers={"Content-Security-Policy": "frame-ancestors 'self'", "Cache-Control": "no-cache"},
        )

    return app
