"""Admin pages that write through the services, like every other adapter.

`ServiceModelAdmin` saves, deletes and runs inline changes by calling service functions instead of
`Model.save()`, so the admin gets the same rules, versions, events and cache invalidation as the
API. Editable models carry a hidden `version`; a stale one is shown as a form error (someone
changed the object since the page was opened), and a race the form could not see is reported as a
message instead of a server error.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from core.errors import DomainError

STALE_MESSAGE = "Someone else changed this since you opened the page. Reload it to see their change."


def adopt(target: Model, saved: Model) -> None:
    """Copy what the service stored (pk, version, normalised values) onto the admin's object."""
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Show a domain error on the form: per field where the form has the field, else on top."""
    if not exc.fields:
        form.add_error(None, exc.message)
    for name, field_messages in exc.fields.items():
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)


class VersionedModelForm(forms.ModelForm):
    """Carries the version the page was opened with and refuses to save over a newer one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "version" in self.fields:
            self.fields["version"].widget = forms.HiddenInput()
            self.fields["version"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.instance.pk and "version" in self.fields:
            current = type(self.instance)._default_manager.filter(pk=self.instance.pk).values_list("version", flat=True)
            if cleaned.get("version") is not None and cleaned["version"] != current.first():
                raise forms.ValidationError(STALE_MESSAGE, code="stale_version")
        return cleaned


def changes_of(form: forms.ModelForm, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.changed_data if name in fields}


def values_of(form: forms.ModelForm, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in fields if name in form.cleaned_data}


class ServiceModelAdmin(admin.ModelAdmin):
    """Subclasses implement `create`, `update` and `remove` with service calls."""

    form = VersionedModelForm
    service_fields: tuple[str, ...] = ()

    def creation_values(self, form: Any) -> dict[str, Any]:
        """What `create` gets: the service fields of the form (extend for e.g. a password)."""
        return values_of(form, self.service_fields)

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Model:
        raise NotImplementedError

    def update(self, request: HttpRequest, obj: Model, changes: dict[str, Any], version: int | None) -> Model:
        raise NotImplementedError

    def remove(self, request: HttpRequest, obj: Model) -> None:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        if change:
            saved = self.update(request, obj, changes_of(form, self.service_fields), form.cleaned_data.get("version"))
        else:
            saved = self.create(request, self.creation_values(form))
        adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self.remove(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.remove(request, obj)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            # The form was valid, but a rule or a concurrent change refused it at save time; the
            # transaction was rolled back, so nothing of the submission was saved.
            details = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.fields.items())
            self.message_user(request, f"Not saved: {exc.message} {details}".strip(), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def run_bulk(self, request: HttpRequest, action: Callable[[], int], done: str) -> None:
        try:
            count = action()
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, done.format(count=count), messages.SUCCESS)


def save_inline_through(
    formset: Any,
    *,
    fields: tuple[str, ...],
    create: Callable[[int, dict[str, Any]], Model],
    update: Callable[[int, dict[str, Any], int | None], Model],
    remove: Callable[[int], None],
) -> None:
    """Write an inline formset's rows with service calls; fills the attributes the admin's change
    message reads (what `formset.save()` would have set)."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    parent_pk = formset.instance.pk
    for form in formset.deleted_forms:
        if form.instance.pk:
            remove(form.instance.pk)
            formset.deleted_objects.append(form.instance)
    for form in formset.forms:
        if form in formset.deleted_forms or not form.has_changed():
            continue
        if form.instance.pk:
            saved = update(form.instance.pk, changes_of(form, fields), form.cleaned_data.get("version"))
            adopt(form.instance, saved)
            formset.changed_objects.append((form.instance, form.changed_data))
        else:
            saved = create(parent_pk, values_of(form, fields))
            adopt(form.instance, saved)
            formset.new_objects.append(form.instance)
