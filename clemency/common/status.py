"""What an applicant's status page may know of their case: a coarse stage and the list of what
staff asked for. Both are codes from fixed lists, never personal data; cases/ writes them onto
the submission (intake.Draft) whenever the case changes, and the public side reads only that.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PublicStage(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("application stage", "received")
    REVIEWING = "reviewing", pgettext_lazy("application stage", "being reviewed")
    PREPARING = "preparing", pgettext_lazy("application stage", "petition in preparation")
    FILED = "filed", pgettext_lazy("application stage", "filed")
    DECIDED = "decided", pgettext_lazy("application stage", "decided")
    CLOSED = "closed", pgettext_lazy("application stage", "closed")


class InfoItem(models.TextChoices):
    """What staff can ask an applicant for. Shown on the public status page: no personal data."""

    DISPOSITION = "disposition", _("a certificate of disposition for each conviction")
    RAP_SHEET = "rap_sheet", _("a New York rap sheet")
    IMMIGRATION = "immigration", _("immigration papers")
    SUPPORT_LETTERS = "support_letters", _("letters of support")
    CONSENT = "consent", _("the signed consent of the person")
    CALL = "call", _("a phone call with our team")
