from django.urls import path

from bench.reference import views

urlpatterns = [
    path("ref/events", views.EventList.as_view()),
    path("ref/events/<int:event_id>/join", views.Join.as_view()),
]
