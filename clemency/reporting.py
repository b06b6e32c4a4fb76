"""Error reports that cannot carry what people told us."""

from django.views.debug import SafeExceptionReporterFilter


class ConfidentialExceptionReporterFilter(SafeExceptionReporterFilter):
    """Cleanse every POST value and every local variable, in every mode.

    Django's default filter only hides what views mark as sensitive and only when DEBUG is off.
    Here any form may hold immigration or criminal history, and any frame may hold a decrypted
    value, so reports keep the names and drop all the values.
    """

    def is_active(self, request):
        return True

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
