"""A small endpoint with a real effect (it creates a user), to exercise @idempotent."""

import threading
import time

from django.db import transaction
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.idempotency import idempotent

# A request with "hold": true keeps its transaction (and so its key) open until a test sets this,
# so that a test can answer every concurrent request before the first one finishes.
RELEASE_HELD = threading.Event()


class CreateUserView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @idempotent(required=True)
    def post(self, request: Request) -> Response:
        email = request.data["email"]
        if request.data.get("fail"):
            raise RuntimeError("the service failed")
        with transaction.atomic():
            user = User.objects.create_user(email, "a-long-password-123")
            time.sleep(float(request.data.get("slow", 0)))
            if request.data.get("hold") and not RELEASE_HELD.wait(timeout=30):
                raise RuntimeError("the test never released the held request")
        status = int(request.data.get("status", 201))
        return Response({"id": user.pk, "email": user.email}, status=status, headers={"Location": f"/u/{user.pk}"})


urlpatterns = [path("users/", CreateUserView.as_view())]
