"""Serve uMap on 127.0.0.1 for the tests: ``python umap_serve.py PORT`` in uMap's venv.

Run by :mod:`tests.umapserver` with uMap's own Python (never imported by the project's):
Django's threaded development server with uMap's WSGI application, and the files that
``umap collectstatic`` gathered in ``STATIC_ROOT`` served under ``STATIC_URL``, hashed names
included, as a production front server would (``umap runserver`` serves static files only
with ``DEBUG = True``, which needs uMap's development extras).
"""

from __future__ import annotations

import os
import sys


def main(port: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "umap.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application
    from django.views.static import serve

    class CollectedStatic(StaticFilesHandler):
        def serve(self, request):  # type: ignore[no-untyped-def]
            return serve(request, self.file_path(request.path), settings.STATIC_ROOT)

    run("127.0.0.1", port, CollectedStatic(get_wsgi_application()), threading=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
