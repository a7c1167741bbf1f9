"""Writes the expected contacts of the captured Creme CRM pages (tests/corpus/creme/capture.mjs).

The truth is written here by hand, from what the pages show a person: each number as that
person would dial it (E.164, with the country of the record's address or company), each name
as the page writes it. A list page names no country, so the national numbers of countries other
than the page's language (English, US) are not expected there: no reader could place them.
Creme's own footer (its maker's support line) is not a contact.

    python3 tests/corpus/creme/expected.py /tmp/creme-work/seeded.json [prefix country]

(`creme-fr FR`: the French pages, whose lists are read as French by their language.)
"""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from expected_pages import captured, write  # noqa: E402
from placeable import on_list  # noqa: E402

E164 = {
    "+1 206 555 0100": "+12065550100", "+1 206 555 0109": "+12065550109",
    "01 42 68 53 00": "+33142685300", "01 42 68 53 09": "+33142685309",
    "030 1234567": "+49301234567", "030 1234568": "+49301234568",
    "(21) 3456-7890": "+552134567890",
    "03-3555-0123": "+81335550123", "03-3555-0124": "+81335550124",
    "954 12 34 56": "+34954123456",
    "(206) 555-0147": "+12065550147", "206-555-0199": "+12065550199",
    "+1 425 555 0111": "+14255550111", "+1 425 555 0112": "+14255550112",
    "(503) 555-0123": "+15035550123",
    "01 45 67 89 10": "+33145678910", "06 12 34 56 78": "+33612345678",
    "07 98 76 54 32": "+33798765432", "01 45 67 89 11": "+33145678911",
    "030 9876543": "+49309876543", "0171 2345678": "+491712345678", "+49 89 123456": "+4989123456",
    "(21) 2233-4455": "+552122334455", "(21) 98765-4321": "+5521987654321",
    "+55 11 91234-5678": "+5511912345678",
    "03-3555-0150": "+81335550150", "090-1234-5678": "+819012345678", "06-6555-0160": "+81665550160",
    "954 22 33 44": "+34954223344", "612 34 56 78": "+34612345678", "+34 699 88 77 66": "+34699887766",
    "+1 212 555 0175": "+12125550175",
}

def cjk(text):
    return any("\u3040" <= c <= "\u9fff" for c in text)

def numbers(*written, placeable=lambda w: True):
    return [E164[w] for w in written if w and placeable(w)]

def main(seeded_path, prefix="creme", country="US"):
    seeded = json.loads(pathlib.Path(seeded_path).read_text())
    people = seeded["contacts"]
    for c in people:
        shown = f"{c['first']} {c['last']}"
        person = {"name": shown, "phones": numbers(c["phone"], c["mobile"], c["fax"])}
        write(f"{prefix}-contact-{c['pk']}", f"/persons/contact/{c['pk']}", [person] if person["phones"] else [])
        if captured(f"{prefix}-contact-edit-{c['pk']}"):
            write(f"{prefix}-contact-edit-{c['pk']}", f"/persons/contact/edit/{c['pk']}", [person] if person["phones"] else [])
    for i, o in enumerate(seeded["orgs"]):
        found = [{"name": o["name"], "phones": numbers(o["phone"], o["fax"])}]
        # The employees block: name, phone, mobile (no fax column).
        for c in people:
            if c["org"] == i:
                phones = numbers(c["phone"], c["mobile"])
                if phones:
                    found.append({"name": f"{c['first']} {c['last']}", "phones": phones})
        write(f"{prefix}-organisation-{o['pk']}", f"/persons/organisation/{o['pk']}", found)
    for o in seeded["orgs"]:  # the edit form of a company: its name, phone and fax
        name = f"{prefix}-organisation-edit-{o['pk']}"
        if captured(name):
            write(name, f"/persons/organisation/edit/{o['pk']}", [{"name": o["name"], "phones": numbers(o["phone"], o["fax"])}])
    # Customers, prospects and suspects: none are marked, so the list is empty (Creme's footer
    # shows its maker's phone number: not a contact).
    write(f"{prefix}-leads-customers", "/persons/leads_customers", [])
    listed = []
    for c in people:  # columns: last name, first name, phone (no mobile, no fax)
        phones = numbers(c["phone"], placeable=lambda w: on_list(w, E164[w], country))
        name = f"{c['last']}{c['first']}" if cjk(c["first"]) and cjk(c["last"]) else f"{c['first']} {c['last']}"
        if phones:
            listed.append({"name": name, "phones": phones})
    write(f"{prefix}-contacts", "/persons/contacts", listed)
    orgs = [{"name": o["name"], "phones": numbers(o["phone"], placeable=lambda w: on_list(w, E164[w], country))} for o in seeded["orgs"]]
    write(f"{prefix}-organisations", "/persons/organisations", [o for o in orgs if o["phones"]])

if __name__ == "__main__":
    main(*(sys.argv[1:] or ["/tmp/creme-work/seeded.json"]))
