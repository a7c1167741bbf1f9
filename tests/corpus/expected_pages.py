"""Writes a captured page's expected contacts beside it, in whichever half the page went to
(tests/corpus/snapshot.mjs chose it). Shared by tests/corpus/<crm>/expected.py."""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
HALVES = ("pages", "held-out")


def captured(name):
    """Whether the page `name` was captured (into either half)."""
    return any((ROOT / half / f"{name}.html").exists() for half in HALVES)


def write(name, path, contacts, context=None):
    """Writes `<half>/<name>.json`: the page's path, its discovery context if any, and its
    expected contacts. Stops when the page was not captured."""
    for half in HALVES:
        if (ROOT / half / f"{name}.html").exists():
            expected = {"path": path, **({"context": context} if context else {}), "contacts": contacts}
            out = ROOT / half / f"{name}.json"
            out.write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n")
            return
    raise SystemExit(f"{name}.html was not captured")
