"""Which numbers a person can place in their country on a page that does not name one.

A list page of a CRM names no country but its language (or the user's). A number written with
its country code can be placed; so can one of the language's country; so can one written in
North America's own grouping, `(617) 555-0130` or `617-555-0130`, which no other country's
plan writes. Any other national number read as the language's country would be a wrong number,
so no reader could place it and it is not expected. Shared by tests/corpus/<crm>/expected.py.
"""
import re

CALLING_CODES = {"US": "+1", "FR": "+33"}
NORTH_AMERICAN = re.compile(r"^(\(\d{3}\) |\d{3}-)\d{3}-\d{4}$")


def on_list(written, e164, country="US"):
    """Whether `written` (whose truth is `e164`) can be placed on a list page of `country`."""
    return (
        written.startswith("+")
        or e164.startswith(CALLING_CODES[country])
        or (NORTH_AMERICAN.match(written) is not None and e164.startswith("+1"))
    )
