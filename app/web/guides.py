"""The integration guides of docs/ (Markdown) served as pages beside the API docs, with no tenant or sign-in."""
from functools import lru_cache
from pathlib import Path

import markdown
from flask import Blueprint, abort, current_app, render_template
from markupsafe import Markup

bp = Blueprint("guides", __name__, url_prefix="/api/v1/docs/guides")
# Only these files are served (never a path from the URL): the guide and the pages it links to.
GUIDES = {"integration": "Integrating with Tailtown", "webhooks": "Webhooks"}


def guide_path(name: str) -> Path:
    """Where a guide's Markdown lives in the repository."""
    return Path(current_app.root_path).parent / "docs" / f"{name}.md"


@lru_cache(maxsize=len(GUIDES))
def _rendered(path: Path, mtime: float) -> str:
    # Keyed by the file's mtime, so an edited guide is rendered again without a restart.
    return markdown.markdown(path.read_text(encoding="utf-8"), extensions=["fenced_code", "tables"])


@bp.get("/<name>.md")
def show(name: str):
    """One guide as HTML; its relative links (`webhooks.md`) resolve to the sibling guide."""
    if name not in GUIDES:
        abort(404)
    path = guide_path(name)
    return render_template("guides/guide.html", title=GUIDES[name], body=Markup(_rendered(path, path.stat().st_mtime)))
