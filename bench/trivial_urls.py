from django.http import HttpRequest, JsonResponse
from django.urls import path


def trivial(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [path("trivial/", trivial), path("healthz", trivial)]
