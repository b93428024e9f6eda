from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("contador/", views.badge, name="badge"),
    path("<int:pk>/leido/", views.mark_read, name="mark-read"),
    path("preferencias/", views.preferences, name="preferences"),
    path("envios/", views.outbox, name="outbox"),
]
