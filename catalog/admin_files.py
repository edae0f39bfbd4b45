"""Catalog files in the admin: upload a CSV or XLSX, see what it would change (or its problems,
line by line), then apply it; download the catalog in the same columns. The page lives on the
products' list (ProductAdmin.get_urls); the applied files are listed under Catalog imports."""

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from catalog.models import CatalogImport
from catalog.services.catalog_file import FORMATS, file_format
from catalog.services.imports import export_rows, import_catalog, write_export
from core.admin.readonly import ReadOnlyAdmin
from core.errors import DomainError

FINGERPRINT = re.compile(r"[0-9a-f]{64}")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX, one row per variant (the columns of an export).")


def _may_import(request: HttpRequest) -> bool:
    user = request.user
    return all(
        user.has_perm(f"catalog.{p}") for p in ("add_product", "change_product", "add_variant", "change_variant")
    )


def _stored(fingerprint: str, fmt: str) -> Any:
    return settings.CATALOG_IMPORTS_DIR / f"{fingerprint}.{fmt}"


def import_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not _may_import(request):
        raise PermissionDenied
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import catalog file",
    }
    if request.method == "POST" and "apply" in request.POST:
        fingerprint, fmt = request.POST.get("fingerprint", ""), request.POST.get("format", "")
        path = _stored(fingerprint, fmt)
        if not FINGERPRINT.fullmatch(fingerprint) or fmt not in FORMATS or not path.is_file():
            messages.error(request, "That upload is gone; upload the file again.")
            return HttpResponseRedirect(request.path)
        name = request.POST.get("file_name", f"catalog.{fmt}")[:200]
        try:
            report = import_catalog(
                path.read_bytes(), f"{name.rsplit('.', 1)[0]}.{fmt}", apply=True, actor_id=request.user.pk
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.path)
        if report.errors:
            context.update(report=report, form=UploadForm())
            return TemplateResponse(request, "admin/catalog/import.html", context)
        path.unlink(missing_ok=True)
        messages.success(
            request,
            f"{report.file_name} applied: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} row(s) unchanged.",
        )
        return HttpResponseRedirect(reverse("admin:catalog_catalogimport_changelist"))
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            fmt = file_format(upload.name)
        except DomainError as exc:
            form.add_error("file", exc.message)
            return TemplateResponse(request, "admin/catalog/import.html", {**context, "form": form})
        if upload.size > MAX_UPLOAD_BYTES:
            form.add_error("file", f"At most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB per file.")
            return TemplateResponse(request, "admin/catalog/import.html", {**context, "form": form})
        content = upload.read()
        report = import_catalog(content, upload.name, apply=False)
        if not report.errors:
            settings.CATALOG_IMPORTS_DIR.mkdir(parents=True, exist_ok=True)
            _stored(report.fingerprint, fmt).write_bytes(content)
        context.update(report=report, format=fmt, file_name=upload.name)
    context["form"] = form
    return TemplateResponse(request, "admin/catalog/import.html", context)


def export_view(model_admin: admin.ModelAdmin, request: HttpRequest, fmt: str) -> HttpResponse:
    if not request.user.has_perm("catalog.view_variant") or fmt not in FORMATS:
        raise PermissionDenied
    content_type = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(write_export(export_rows(), fmt), content_type=content_type)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="catalog-{stamp}.{fmt}"'
    return response


@admin.register(CatalogImport)
class CatalogImportAdmin(ReadOnlyAdmin):
    list_display = ("file_name", "rows", "created", "updated", "unchanged", "actor", "created_at")
    search_fields = ("file_name", "fingerprint")
    date_hierarchy = "created_at"
