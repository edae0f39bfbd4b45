"""Accounts in the back office, split into customers (support edits them through the services, and
can never make anyone staff) and staff members (superusers give them roles as groups)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import AccessToken, Address, Customer, StaffMember, User
from core.admin.services import ServiceModelAdmin, VersionedModelForm, adopt

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
    fields = ("email", "first_name", "last_name", "phone", "is_active", "date_joined", "last_login", "version")
    readonly_fields = ("date_joined", "last_login")
    inlines = (AddressInline, TokenInline)
    actions = ("sign_out_everywhere",)

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
