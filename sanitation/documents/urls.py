from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.circular_list, name="circular-list"),
    path("new/", views.circular_create, name="circular-create"),
    path("<int:pk>/", views.circular_detail, name="circular-detail"),
    path("<int:pk>/edit/", views.circular_edit, name="circular-edit"),
    path("<int:pk>/pdf/", views.circular_pdf, name="circular-pdf"),
    path("<int:pk>/issue/", views.circular_issue, name="circular-issue"),
    path("<int:pk>/correct/", views.circular_correct, name="circular-correct"),
]
