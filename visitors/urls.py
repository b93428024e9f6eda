"""Every page of the visitors app, under /visitantes/: the applicant's (views.applicant), the visitor program's
and the pasante's (views.program), the visitor log and the feedback (views.insights). Each module lists its own
routes in ``urlpatterns``."""

from .views import applicant, insights, program

app_name = "visitors"

urlpatterns = [*applicant.urlpatterns, *program.urlpatterns, *insights.urlpatterns]
