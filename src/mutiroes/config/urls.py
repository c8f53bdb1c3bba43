from django.conf import settings
from django.contrib import admin
from django.urls import path, re_path
from django.views.static import serve

from mutiroes.api import dashboard, health
from mutiroes.api.main import api
from mutiroes.api.metrics import metrics_view

urlpatterns = [
    path("api/", api.urls),
    path("liveness", health.liveness, name="liveness"),
    path("readiness", health.readiness, name="readiness"),
    path("health", health.health, name="health"),
    # Prometheus scrapes each replica on its own port; the gateway never routes /metrics (deploy/nginx).
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    re_path(r"^dashboard/(?P<path>.*)$", dashboard.dashboard, name="dashboard"),
]

if settings.EMBEDDED:
    # Uploaded files; in the distributed setup the gateway serves MEDIA_ROOT itself.
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))
