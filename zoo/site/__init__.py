"""The website: MkDocs Material sources in ``site/``, pages generated from the catalog.

:func:`build_site` renders the whole site into a directory, replacing it only when the build
succeeded with zero warnings; :func:`serve` previews it and rebuilds when the catalog changes.
Both need the ``site`` extra: ``pip install "aladin-zoo[site]"``.
"""

from __future__ import annotations

from .build import SiteBuildError, SiteBusy, SiteStats, build_site, serve

__all__ = ["SiteBuildError", "SiteBusy", "SiteStats", "build_site", "serve"]
