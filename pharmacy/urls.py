from pharmacy.views import catalogue, request_form, requests, stock

app_name = "pharmacy"

urlpatterns = [*requests.urlpatterns, *request_form.urlpatterns, *stock.urlpatterns, *catalogue.urlpatterns]
