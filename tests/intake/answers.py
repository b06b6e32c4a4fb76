"""Answers to every step of the public intake that pass validation (imports no case code)."""

MARKER = "-".join(["Marker", "Maria", "Lopez"])

VALID = {
    "filer": {"who": "family", "relationship": "sister", "filer_name": "Ana Garcia"},
    "applicant": {
        "legal_name": f"{MARKER} Garcia",
        "surname": "Garcia",
        "other_names": "Maria Lopes\nMaria G. Lopez",
        "date_of_birth": "1990-05-17",
        "country_of_birth": "Dominican Republic",
        "language": "es",
        "interpreter": "yes",
    },
    "contact": {
        "where_now": "ice_detention",
        "method": "phone",
        "phone": "+1 718 555 0100",
        "leave_message": "no",
    },
    "custody": {"facility": "Orange County Jail", "mail_read_by_others": "yes"},
    "person_contact": {"reach": "legal_call"},
    "immigration": {
        "status": "permanent_resident",
        "a_number": "A-123-456-789",
        "removal_pending": "yes",
        "next_hearing": "2027-01-10",
    },
    "convictions": {
        "conviction-county": "Queens",
        "conviction-charge": "Criminal possession of a controlled substance",
        "conviction-date": "2014-03-02",
        "outside_ny": "no",
    },
    "story": {"text": f"{MARKER} has three children in Queens."},
    "documents": {},
    "consent": {"understood": "on", "agrees": "on"},
}
