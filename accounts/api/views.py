"""The accounts API: thin adapters that validate input and call accounts.services."""

from typing import Any

from django.http import HttpResponse
from django.utils.translation import get_language_from_request
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.serializers import (
    AccountErasureSerializer,
    AddressSerializer,
    AddressWriteSerializer,
    DataExportSerializer,
    DownloadQuerySerializer,
    EmailChangeSerializer,
    EmailChangeStartedSerializer,
    LoginSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    ProfileUpdateSerializer,
    RegisterSerializer,
    TokenInputSerializer,
    TokenSerializer,
    UserSerializer,
)
from accounts.api.throttles import AccountEmailIpThrottle, AccountEmailUserThrottle
from accounts.models import AccessToken, User
from accounts.services import passwords, privacy, verification
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
        # The language of the browser signing up: the account's messages are written in it (a
        # customer may change it later); none when the request names none.
        language = get_language_from_request(request) if request.META.get("HTTP_ACCEPT_LANGUAGE") else ""
        user = services.register_customer(**data, language=language)
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
    request_body_on_delete = True  # the password that confirms the erasure (core/api/schema.py)

    def get_throttles(self) -> list[Any]:
        extra = [LoginThrottle()] if self.request is not None and self.request.method == "DELETE" else []
        return [*super().get_throttles(), *extra]  # erasing checks a password

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
        user = services.update_profile(_user(request).pk, changes, expected_version=version)
        return Response(UserSerializer(user).data)

    @extend_schema(
        tags=["me"],
        request=AccountErasureSerializer,
        responses={
            204: OpenApiResponse(description="Erased: you are signed out everywhere and cannot sign in again"),
            400: OpenApiResponse(description="`wrong_password`, or invalid fields"),
            403: OpenApiResponse(description="`staff_account_not_erasable`, or not allowed"),
            409: OpenApiResponse(description="`erasure_blocked`: an order is still on its way"),
            415: OpenApiResponse(description="The body is not JSON."),
        },
        summary="Erase your account (confirm with your password); orders stay for the books without your data",
    )
    def delete(self, request: Request) -> Response:
        serializer = AccountErasureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        privacy.erase_account(_user(request).pk, password=serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


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


# --- e-mail verification and change, password reset ----------------------------------------------


class EmailVerifyView(APIView):
    authentication_classes = ()  # the link is the credential
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=TokenInputSerializer,
        responses={204: OpenApiResponse(description="The address is verified")},
        summary="Verify your e-mail address with the link sent after sign-up",
    )
    def post(self, request: Request) -> Response:
        serializer = TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        verification.verify_email(serializer.validated_data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerificationResendView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = with_default_throttles(AccountEmailUserThrottle)

    @extend_schema(
        tags=["me"],
        request=None,
        responses={202: OpenApiResponse(description="A new link is on its way (unless the address is verified)")},
        summary="Send the verification link again",
    )
    def post(self, request: Request) -> Response:
        verification.resend_verification(_user(request).pk)
        return Response(status=status.HTTP_202_ACCEPTED)


class EmailChangeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = with_default_throttles(AccountEmailUserThrottle, LoginThrottle)

    @extend_schema(
        tags=["me"],
        request=EmailChangeSerializer,
        responses={202: EmailChangeStartedSerializer},
        summary="Change your e-mail address: a link to the new one confirms it",
    )
    def post(self, request: Request) -> Response:
        serializer = EmailChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        new_email = verification.start_email_change(
            _user(request).pk, new_email=data["email"], current_password=data["current_password"]
        )
        return Response(EmailChangeStartedSerializer({"email": new_email}).data, status=status.HTTP_202_ACCEPTED)


class EmailChangeConfirmView(APIView):
    authentication_classes = ()
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=TokenInputSerializer,
        responses={204: OpenApiResponse(description="The account signs in with the new address from now on")},
        summary="Confirm a new e-mail address with the link sent to it",
    )
    def post(self, request: Request) -> Response:
        serializer = TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        verification.confirm_email_change(serializer.validated_data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(APIView):
    authentication_classes = ()
    permission_classes = [AllowAny]
    throttle_classes = with_default_throttles(AccountEmailIpThrottle)

    @extend_schema(
        tags=["auth"],
        request=PasswordResetRequestSerializer,
        responses={
            202: OpenApiResponse(description="If an account signs in with this address, a reset link is on its way")
        },
        summary="Ask for a password reset link (the answer never tells whether the address has an account)",
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        passwords.request_password_reset(serializer.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    authentication_classes = ()
    permission_classes = [AllowAny]
    throttle_classes = with_default_throttles(LoginThrottle)

    @extend_schema(
        tags=["auth"],
        request=PasswordResetConfirmSerializer,
        responses={204: OpenApiResponse(description="The new password is set; every device is signed out")},
        summary="Set a new password with the reset link (it works once)",
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        passwords.reset_password(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- privacy -------------------------------------------------------------------------------------


class DataExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["me"],
        responses={202: DataExportSerializer},
        summary="Export your data: starts building the archive (or shows the current one); "
        "the download link comes by e-mail",
    )
    def get(self, request: Request) -> Response:
        export = privacy.request_export(_user(request).pk)
        return Response(DataExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class DataExportDownloadView(APIView):
    authentication_classes = ()  # the signed link is the credential: it is opened from the e-mail
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["me"],
        parameters=[DownloadQuerySerializer],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        summary="Download your data export (zip of JSON files) with the link from the e-mail",
    )
    def get(self, request: Request) -> HttpResponse:
        query = DownloadQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        export = privacy.export_for_download(query.validated_data["token"])
        with export.archive.open("rb") as archive:
            content = archive.read()
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="my-data-{export.requested_at:%Y-%m-%d}.zip"'
        response["Cache-Control"] = "private, no-store"
        return response
