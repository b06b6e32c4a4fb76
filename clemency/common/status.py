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


class Referral(models.TextChoices):
    """Where staff send a person they turn away (cases/law.py, ADR 0020). The status page shows
    each as a fixed sentence (REFERRAL_SENTENCES), never what staff wrote."""

    VACATUR = "vacatur", _("vacatur: a motion to vacate the conviction (CPL 440.10)")
    SEALING = "sealing", _("sealing of the record (CPL 160.59)")
    CERTIFICATE = "certificate", _("Certificate of Relief from Disabilities or of Good Conduct")
    IMMIGRATION_COUNSEL = "immigration_counsel", _("immigration counsel")
    OTHER = "other", _("other help (said in the explanation)")


REFERRAL_SENTENCES = {
    Referral.VACATUR: _(
        "Ask a criminal defence lawyer if the court can cancel the conviction. This is called a "
        "motion to vacate (CPL 440.10)."
    ),
    Referral.SEALING: _(
        "Ask a legal aid office if the record can be sealed (CPL 160.59). Sealing hides it from "
        "most employers and landlords. It does not hide it from immigration authorities."
    ),
    Referral.CERTIFICATE: _(
        "Ask about a Certificate of Relief from Disabilities or a Certificate of Good Conduct. "
        "They can help with jobs and licences."
    ),
    Referral.IMMIGRATION_COUNSEL: _(
        "Talk to an immigration lawyer about other ways to stay in, or come back to, the "
        "United States."
    ),
    Referral.OTHER: _("Our team will tell you where else you can get help."),
}
