"""The accounts API: thin adapters that validate input and call accounts.services."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.serializers import (
    AddressSerializer,
    AddressWriteSerializer,
    LoginSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    ProfileUpdateSerializer,
    RegisterSerializer,
    TokenSerializer,
    UserSerializer,
)
from accounts.models import AccessToken, User
from accounts.signals import customer_signed_in
from core.api.pagination import PageNumberPagination
from core.api.throttling import LoginThrottle, RegisterThrottle, with_default_throttles
from core.errors import NotFound


def _token_body(issued: services.IssuedToken) -> dict[str, Any]:
    return TokenSerializer({"token": issued.key, "expires_at": issued.token.expires_at, "user": issued.token.user}).data


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class RegisterView(APIView):
    authentication_classes = ()  # a stale token must not block signing up
    permission_classes = [AllowAny]
    throttle_classes = with_default_throttles(RegisterThrottle)

    @extend_schema(
        tags=["auth"],
        request=RegisterSerializer,
        responses={201: TokenSerializer},
        summary="Create a customer account and sign in",
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        device_name = data.pop("device_name")
        user = services.register_customer(**data)
        issued = services.issue_token(user, name=device_name)
        customer_signed_in.send(sender=User, user=user, request=request)
        return Response(_token_body(issued), status=status.HTTP_201_CREATED)


class LoginView(APIView):
    authentication_classes = ()
    permission_classes = [AllowAny]
    throttle_classes = with_default_throttles(LoginThrottle)

    @extend_schema(
        tags=["auth"],
        request=LoginSerializer,
        responses={200: TokenSerializer},
        summary="Sign in with email and password; returns a new token for this device",
    )
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = services.sign_in(**serializer.validated_data)
        customer_signed_in.send(sender=User, user=issued.token.user, request=request)
        return Response(_token_body(issued))


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        request=LogoutSerializer,
        responses={204: OpenApiResponse(description="Signed out")},
        summary="Revoke this device's token (or every token of the account)",
    )
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["everywhere"]:
            services.revoke_tokens_of(_user(request).pk)
        elif isinstance(request.auth, AccessToken):
            services.revoke_token(request.auth.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["me"], responses=UserSerializer, summary="Your profile")
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(_user(request)).data)

    @extend_schema(
        tags=["me"],
        request=ProfileUpdateSerializer,
        responses=UserSerializer,
        summary="Change your profile (a new email needs `current_password`)",
    )
    def patch(self, request: Request) -> Response:
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        current_password = changes.pop("current_password", None)
        user = services.update_profile(
            _user(request).pk, changes, expected_version=version, current_password=current_password
        )
        return Response(UserSerializer(user).data)


class PasswordView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = with_default_throttles(LoginThrottle)  # it checks a password too

    @extend_schema(
        tags=["me"],
        request=PasswordChangeSerializer,
        responses={204: OpenApiResponse(description="Changed; other devices are signed out")},
        summary="Change your password",
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        keep = request.auth.pk if isinstance(request.auth, AccessToken) else None
        services.change_password(_user(request).pk, keep_token_id=keep, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AddressListView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = PageNumberPagination

    @extend_schema(tags=["me"], responses=AddressSerializer(many=True), summary="Your addresses")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.addresses_of(_user(request)), request, view=self)
        return paginator.get_paginated_response(AddressSerializer(page, many=True).data)

    @extend_schema(
        tags=["me"],
        request=AddressWriteSerializer,
        responses={201: AddressSerializer},
        summary="Add an address (the first one becomes the default)",
    )
    def post(self, request: Request) -> Response:
        serializer = AddressWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        values.pop("version", None)
        address = services.create_address(_user(request).pk, values)
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


class AddressDetailView(APIView):
    permission_classes = [IsAuthenticated]

    def _address(self, request: Request, address_id: int) -> Any:
        address = selectors.address_of(_user(request), address_id)
        if address is None:
            raise NotFound()
        return address

    @extend_schema(tags=["me"], responses=AddressSerializer, summary="One of your addresses")
    def get(self, request: Request, address_id: int) -> Response:
        return Response(AddressSerializer(self._address(request, address_id)).data)

    @extend_schema(
        tags=["me"], request=AddressWriteSerializer, responses=AddressSerializer, summary="Change one of your addresses"
    )
    def patch(self, request: Request, address_id: int) -> Response:
        serializer = AddressWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        address = services.update_address(_user(request).pk, address_id, changes, expected_version=version)
        return Response(AddressSerializer(address).data)

    @extend_schema(
        tags=["me"], responses={204: OpenApiResponse(description="Deleted")}, summary="Delete one of your addresses"
    )
    def delete(self, request: Request, address_id: int) -> Response:
        services.delete_address(_user(request).pk, address_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
