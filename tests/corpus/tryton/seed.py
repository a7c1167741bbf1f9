"""Seeds a Tryton database with parties whose details are known, for the discovery corpus.

Tryton keeps people and companies alike as parties, each with a list of contact mechanisms
(type, value, and an optional label such as "Reception") and of addresses. The numbers are
stored as typed (no phonenumbers module), so a national number gets its country only from the
party's address. Each party's truth (its numbers in E.164, written by hand) goes to the
seeded file for tests/corpus/tryton/expected.py.

    python seed.py <trytond.conf> <seeded.json>
"""
import json
import sys

from proteus import Model, config

COUNTRIES = {
    "US": "United States", "FR": "France", "DE": "Germany", "JP": "Japan",
    "ES": "Spain", "GB": "United Kingdom", "MX": "Mexico",
}

# name, country, [(type, written, E.164 or None when not a phone number, label)], identifier
PARTIES = [
    ("Blue Harbor Logistics", "US", [
        ("phone", "(617) 555-0130", "+16175550130", "Reception"),
        ("fax", "(617) 555-0139", "+16175550139", ""),
        ("email", "info@blueharbor.test", None, ""),
        ("website", "https://blueharbor.test", None, ""),
    ], "US 04-1234567"),
    ("Atelier Rousseau", "FR", [
        ("phone", "04 72 10 20 30", "+33472102030", "Standard"),
        ("email", "contact@rousseau.test", None, ""),
    ], "FR40303265045"),
    ("Kühne Elektro KG", "DE", [
        ("phone", "089 4567890", "+49894567890", ""),
        ("fax", "089 4567899", "+49894567899", ""),
    ], "DE136695976"),
    ("株式会社さくら食品", "JP", [
        ("phone", "045-555-0101", "+81455550101", ""),
    ], ""),
    ("Olivares Hermanos S.L.", "ES", [
        ("phone", "915 55 01 23", "+34915550123", "Oficina"),
        ("mobile", "622 11 00 99", "+34622110099", ""),
    ], "ESB12345674"),
    ("Emily Chen", "US", [
        ("phone", "617-555-0181", "+16175550181", "Direct line"),
        ("mobile", "(857) 555-0142", "+18575550142", ""),
        ("email", "emily.chen@blueharbor.test", None, ""),
    ], ""),
    ("Marc Girard", "FR", [
        ("mobile", "06 45 23 78 90", "+33645237890", ""),
        ("phone", "04 72 10 20 31", "+33472102031", "Bureau"),
    ], ""),
    ("Lena Hoffmann", "DE", [
        ("mobile", "0160 1234567", "+491601234567", ""),
        ("email", "lena@kuehne.test", None, ""),
    ], ""),
    ("佐藤 健", "JP", [
        ("mobile", "080-1234-5678", "+818012345678", ""),
    ], ""),
    ("Pilar Navarro", "ES", [
        ("phone", "+34 934 55 66 77", "+34934556677", ""),
        ("mobile", "655 44 33 22", "+34655443322", ""),
    ], ""),
    ("Tomás Ortega", "MX", [
        ("mobile", "+52 55 1234 5678", "+525512345678", ""),
    ], ""),
    ("Oliver Grant", "GB", [
        ("phone", "020 7946 0958", "+442079460958", "Switchboard"),
        # Ofcom's range for drama (07700 900xxx) is no one's line: libphonenumber calls it
        # invalid, and so does the truth.
        ("mobile", "07700 900123", None, ""),
        ("fax", "020 7946 0959", "+442079460959", ""),
    ], "GB980780684"),
]

conf, out = sys.argv[1:3]
config.set_trytond("crm", config_file=conf)
Country = Model.get("country.country")
Party = Model.get("party.party")
countries = {}
for code, name in COUNTRIES.items():
    found = Country.find([("code", "=", code)])
    country = found[0] if found else Country(name=name, code=code)
    country.save()
    countries[code] = country

made = []
for name, code, mechanisms, identifier in PARTIES:
    found = Party.find([("name", "=", name)])
    party = found[0] if found else Party(name=name)
    if not found:
        address = party.addresses[0] if party.addresses else party.addresses.new()
        address.street = "1 Main Street"
        address.city = {"US": "Boston", "FR": "Lyon", "DE": "München", "JP": "横浜市",
                        "ES": "Madrid", "GB": "London", "MX": "Ciudad de México"}[code]
        address.country = countries[code]
        for kind, written, _, label in mechanisms:
            mechanism = party.contact_mechanisms.new(type=kind, value=written)
            mechanism.name = label or None
        if identifier:
            party.identifiers.new(code=identifier)
        party.save()
    made.append({
        "id": party.id, "name": name, "country": code,
        "numbers": [{"type": k, "written": w, "e164": e, "label": l} for k, w, e, l in mechanisms],
        "identifier": identifier,
    })

with open(out, "w", encoding="utf-8") as f:
    json.dump({"parties": made}, f, ensure_ascii=False, indent=1)
print(f"{len(made)} parties → {out}")
