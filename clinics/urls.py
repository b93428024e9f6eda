from django.urls import path

app_name = "clinics"

urlpatterns: list = []
