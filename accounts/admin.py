"""Accounts in the back office, split into customers (support edits them through the services, and
can never make anyone staff) and staff members (superusers give them roles as groups).

On a customer's request support sends them their data export or erases their account (actions,
with the permissions `export_customer_data` and `erase_customer` of the Support role). A password
set here, for a customer or a staff member, signs that person out everywhere and spends their
reset links (accounts.services.set_password_by_staff)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts import services
from accounts.models import AccessToken, Address, Customer, DataExport, StaffMember, User
from accounts.services import privacy
from core.admin.services import ServiceModelAdmin, VersionedModelForm, adopt
from core.errors import DomainError

CUSTOMER_FIELDS = ("email", "first_name", "last_name", "phone", "is_active")


class AddressInline(admin.TabularInline):
    model = Address
    fields = ("label", "recipient_name", "line1", "postal_code", "city", "country", "is_default")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TokenInline(admin.TabularInline):
    model = AccessToken
    fields = ("prefix", "name", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "signed-in device"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StaffSetPasswordForm(AdminPasswordChangeForm):
    """Django's set-password page, saving through the service (which signs the person out)."""

    def save(self, commit: bool = True) -> Any:
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data["password1"] if usable else None
        user = services.set_password_by_staff(self.user.pk, password)
        self.user = user
        return user


class ExportInline(admin.TabularInline):
    model = DataExport
    fk_name = "user"
    fields = ("requested_at", "requested_by", "status", "completed_at", "expires_at", "size_bytes", "failure")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "data export"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CustomerCreationForm(forms.ModelForm):
    password = forms.CharField(
        widget=forms.PasswordInput, strip=False, help_text="The customer can change it in the app."
    )

    class Meta:
        model = Customer
        fields = ("email", "first_name", "last_name", "phone")


@admin.register(Customer)
class CustomerAdmin(ServiceModelAdmin):
    form = VersionedModelForm
    service_fields = CUSTOMER_FIELDS
    list_display = ("email", "first_name", "last_name", "phone", "is_active", "date_joined", "last_login")
    list_filter = ("is_active", "date_joined")
    search_fields = ("email", "first_name", "last_name", "phone")
    ordering = ("-date_joined",)
    fields = (
        "email",
        "first_name",
        "last_name",
        "phone",
        "is_active",
        "email_verified_at",
        "password_page",
        "date_joined",
        "last_login",
        "erased_at",
        "version",
    )
    readonly_fields = ("email_verified_at", "password_page", "date_joined", "last_login", "erased_at")
    inlines = (AddressInline, TokenInline, ExportInline)
    actions = ("sign_out_everywhere", "send_data_export", "erase_accounts")
    change_password_form = StaffSetPasswordForm
    change_user_password_template = None
    # Django's set-password page, on the customers (saved through the service by the form).
    user_change_password = DjangoUserAdmin.user_change_password

    def get_urls(self) -> list[Any]:
        page = path(
            "<id>/password/",
            self.admin_site.admin_view(self.user_change_password),  # type: ignore[misc]  # borrowed from UserAdmin
            name="accounts_customer_password_change",
        )
        return [page, *super().get_urls()]

    @admin.display(description="password")
    def password_page(self, obj: User) -> str:
        if obj.pk is None:
            return ""
        url = reverse(f"{self.admin_site.name}:accounts_customer_password_change", args=[obj.pk])
        return format_html('<a href="{}">Set a password</a> (signs the customer out everywhere)', url)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = CustomerCreationForm
            kwargs["fields"] = ("email", "first_name", "last_name", "phone", "password")
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("email", "first_name", "last_name", "phone", "password") if obj is None else self.fields

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def creation_values(self, form: Any) -> dict[str, Any]:
        return {name: form.cleaned_data[name] for name in ("email", "first_name", "last_name", "phone", "password")}

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Model:
        return services.register_customer(**values)

    def update(self, request: HttpRequest, obj: Any, changes: dict[str, Any], version: int | None) -> Model:
        return services.update_user_by_staff(obj.pk, changes, expected_version=version)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # orders and payments keep referring to the account; deactivate instead

    @admin.action(description="Sign out on every device", permissions=["change"])
    def sign_out_everywhere(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        self.run_bulk(request, lambda: sum(services.revoke_tokens_of(pk) for pk in ids), "{count} tokens revoked.")

    def has_export_customer_data_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.export_customer_data")

    def has_erase_customer_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.erase_customer")

    @admin.action(
        description="Send their data export to the customers (on their request)", permissions=["export_customer_data"]
    )
    def send_data_export(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        ids = list(queryset.filter(erased_at__isnull=True).values_list("pk", flat=True))
        staff_id = request.user.pk

        def run() -> int:
            for pk in ids:
                privacy.request_export(pk, requested_by_id=staff_id, fresh=True)
            return len(ids)

        self.run_bulk(request, run, "{count} data exports are being built; each customer gets a link by e-mail.")

    @admin.action(description="Erase the accounts (on the customers' request)", permissions=["erase_customer"])
    def erase_accounts(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        customers = list(queryset.filter(erased_at__isnull=True))
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Erase these accounts?",
                "opts": self.opts,
                "customers": customers,
                "action": "erase_accounts",
                "selected": [customer.pk for customer in customers],
            }
            return TemplateResponse(request, "admin/accounts/customer/erase_confirmation.html", context)
        erased = 0
        for customer in customers:
            try:
                privacy.erase_account(customer.pk, by_staff_id=request.user.pk)
            except DomainError as exc:
                self.message_user(request, f"{customer.email}: not erased. {exc.message}", messages.ERROR)
                continue
            erased += 1
        if erased:
            self.message_user(request, f"{erased} accounts erased; their orders stay without personal data.")
        return None


class StaffCreationForm(UserCreationForm[User]):
    class Meta:
        model = StaffMember
        fields = ("email",)


class StaffChangeForm(UserChangeForm[User]):
    class Meta:
        model = StaffMember
        fields = "__all__"


@admin.register(StaffMember)
class StaffMemberAdmin(DjangoUserAdmin[User]):
    """Staff accounts: Django's user admin (password changes, groups) on the staff only. Roles
    are the groups that accounts.roles keeps; a new staff member starts with none."""

    form = StaffChangeForm
    add_form = StaffCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "role_names", "is_superuser", "is_active", "last_login")
    list_filter = ("is_superuser", "is_active", "groups")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "phone")}),
        ("Roles", {"fields": ("groups", "is_active", "is_superuser", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    inlines = (TokenInline,)
    change_password_form = StaffSetPasswordForm

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def role_names(self, obj: User) -> str:
        return ", ".join(group.name for group in obj.groups.all())

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        adopt(obj, services.create_staff_member(email=obj.email, password=form.cleaned_data["password1"]))


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    """Not in the menu: exists so that other apps' admin pages can autocomplete a user."""

    search_fields = ("email", "first_name", "last_name")

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Address)
class AddressAdmin(ServiceModelAdmin):
    service_fields = (
        "label",
        "recipient_name",
        "phone",
        "line1",
        "line2",
        "city",
        "region",
        "postal_code",
        "country",
        "delivery_instructions",
        "is_default",
    )
    list_display = ("recipient_name", "line1", "postal_code", "city", "country", "user", "is_default")
    list_filter = ("country",)
    search_fields = ("recipient_name", "line1", "postal_code", "city", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    fields = ("user", *service_fields, "version")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("user",) if obj is not None else ()

    def creation_values(self, form: Any) -> dict[str, Any]:
        return {**super().creation_values(form), "user": form.cleaned_data["user"]}

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Model:
        user = values.pop("user")
        return services.create_address(user.pk, values)

    def update(self, request: HttpRequest, obj: Any, changes: dict[str, Any], version: int | None) -> Model:
        return services.update_address(obj.user_id, obj.pk, changes, expected_version=version)

    def remove(self, request: HttpRequest, obj: Any) -> None:
        services.delete_address(obj.user_id, obj.pk)
