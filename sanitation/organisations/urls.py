from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("", views.unit_tree, name="unit-tree"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
]
