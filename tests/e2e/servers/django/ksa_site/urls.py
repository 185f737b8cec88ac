from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.static import serve

from keepalive import views

urlpatterns = [
    path("", views.app, name="app"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/keepalive/", views.keepalive, name="keepalive"),
    path("static/<path:path>", serve, {"document_root": settings.BASE_DIR / "keepalive" / "static"}),
    path("pkg/<path:path>", serve, {"document_root": settings.PKG_DIR}),
]

if settings.TEST_ENDPOINTS:
    urlpatterns += [
        path("test/state", views.test_state),
        path("test/drop-sessions", views.test_drop_sessions),
    ]
