"""Writes the expected contacts of the captured Tryton pages (tests/corpus/tryton/capture.mjs).

The truth is written by hand in seed.py (each number in E.164 with the country of the party's
address) and here (what each page shows a person). A party's page shows its name and its
contact mechanisms (type, value, label); a label such as "Reception" names the line, not a
person, so every number belongs to the party. Faxes are expected as the party's (as a fax),
e-mail and web addresses are not numbers. Which numbers a reader can place on a list page,
which names no country, is tests/corpus/placeable.py.

    python3 tests/corpus/tryton/expected.py /tmp/tryton-work/seeded.json [prefix country]
"""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from expected_pages import write  # noqa: E402
from placeable import on_list  # noqa: E402

CALLABLE = ("phone", "mobile", "fax")


def main(seeded_path, prefix="tryton", country="US"):
    # sao writes lang="en" whatever the user's language: the browser's is the user's.
    context = {"locale": {"US": "en-US", "FR": "fr-FR"}[country]}
    parties = json.loads(pathlib.Path(seeded_path).read_text())["parties"]
    listed = []
    for p in parties:
        phones = [n["e164"] for n in p["numbers"] if n["type"] in CALLABLE and n["e164"]]
        write(f"{prefix}-party-{p['id']}", f"/#crm/model/party.party/{p['id']}", [{"name": p["name"], "phones": phones}], context)
        placeable = [n["e164"] for n in p["numbers"] if n["type"] in CALLABLE and n["e164"]
                     and on_list(n["written"], n["e164"], country)]
        if placeable:
            listed.append({"name": p["name"], "phones": placeable})
    write(f"{prefix}-parties", "/#crm/model/party.party", [], context)
    write(f"{prefix}-addresses", "/#crm/model/party.address", [], context)
    write(f"{prefix}-contact-mechanisms", "/#crm/model/party.contact_mechanism", listed, context)


if __name__ == "__main__":
    main(*(sys.argv[1:] or ["/tmp/tryton-work/seeded.json"]))
