"""A small endpoint with a real effect (it creates a user), to exercise @idempotent."""

import time

from django.db import transaction
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.idempotency import idempotent


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
        status = int(request.data.get("status", 201))
        return Response({"id": user.pk, "email": user.email}, status=status, headers={"Location": f"/u/{user.pk}"})


urlpatterns = [path("users/", CreateUserView.as_view())]
