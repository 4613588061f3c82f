"""The login page, throttled per user name and per address (see login_throttle)."""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .login_throttle import client_address, login_failure_record, login_locked, login_success_record

LOGIN_LOCKED = _("Too many failed logins. Wait %(minutes)d minutes and try again, or ask your administrator.")


class ThrottledLoginMixin:
    """For an AuthenticationForm: refuse a locked name or address, count failures, reset on success."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        if login_locked(username=username, address=address):
            # Refused before the password is checked, so a right guess teaches nothing.
            raise forms.ValidationError(
                LOGIN_LOCKED,
                code="locked",
                params={"minutes": settings.LOGIN_THROTTLE_WINDOW_SECONDS // 60},
            )
        try:
            cleaned_data = super().clean()
        except forms.ValidationError:
            if username:
                login_failure_record(username=username, address=address)
            raise
        login_success_record(username=username)
        return cleaned_data

    @property
    def locked(self) -> bool:
        return any(error.code == "locked" for error in self.errors.as_data().get("__all__", []))


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's own login page, counted with the same counters: not a way around them."""


class ThrottledLoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked:
            response.status_code = 429
        return response
