from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clemency.accounts import twofactor
from clemency.accounts.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from clemency.accounts.models import User
from clemency.audit.log import record


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    actions = ["reset_second_factor"]
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "language", "groups", "password1", "password2"],
            },
        ),
    ]

    @admin.action(description=_("Reset the second step of sign-in (they set it up again)"))
    def reset_second_factor(self, request, queryset) -> None:
        """For someone who lost every device and recovery code: remove their passkeys, apps and
        recovery codes and end their sessions; they set up a new second step at next sign-in."""
        with transaction.atomic():
            for user in queryset:
                twofactor.remove_all_devices(user)
                user.end_sessions()
                record("account.second_factor_reset", actor=request.user, data={"user_id": user.pk})
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "%(count)d person will set up a new second step at their next sign-in.",
                "%(count)d people will set up a new second step at their next sign-in.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
