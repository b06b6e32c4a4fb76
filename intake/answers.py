"""An application's answers as labelled rows, step by step, in the reader's language.

Used by the applicant's review page and, on the staff side, by the case page: both show the
answers with the intake's own questions as labels, dates written the reader's way. Each step
says how its answers read (intake/steps.py, ``Step.summary``).
"""

from intake import steps


def answer_sections(answers: dict, *, files: list[str] | None = None) -> list[dict]:
    """One section per step that applies: its step, whether it is answered, and its rows.

    ``files`` are the names of the files uploaded with the application; without them (the case
    page, which lists the case's documents itself) the documents step is left out.
    """
    sections = []
    for step in steps.applicable(answers):
        rows = step.summary(answers, files=files)
        if rows is not None:
            sections.append(
                {"step": step, "answered": steps.answered(answers, step.identifier), "rows": rows}
            )
    return sections
