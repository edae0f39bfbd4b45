"""The suite's URLs plus two views that fail unexpectedly, to see what a 500 looks like."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from config import urls


class Boom(RuntimeError):
    pass


class FailingApiView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> HttpResponse:
        raise Boom("a bug in a DRF view")


def failing_plain_view(request: HttpRequest) -> HttpResponse:
    raise Boom("a bug in a plain Django view")


urlpatterns = [
    path("api/v1/test/failing-drf/", FailingApiView.as_view()),
    path("api/v1/test/failing-plain/", failing_plain_view),
    path("elsewhere/failing/", failing_plain_view),
    *urls.urlpatterns,
]
handler400, handler403 = urls.handler400, urls.handler403
handler404, handler500 = urls.handler404, urls.handler500
