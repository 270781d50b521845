"""Writes the labelled privacy corpus (``dev.jsonl`` and ``holdout.jsonl``) from handwritten
chat-message templates; run ``python tests/data/privacy/make_corpus.py`` to regenerate.

The templates were written before the detector was tuned. Each one is a message as a citizen
types it (Dutch or English, typos, lower case, several items, look-alikes). ``{slot}`` draws a
value (labelled with its kind, or ``-`` for a look-alike that must not be flagged), and
``[[kind:text]]`` labels literal text. Rendering is seeded, so the files are reproducible.
``holdout.jsonl`` comes from its own templates and seed and is never used for tuning.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

from stdnum import iban as stdiban

HERE = Path(__file__).resolve().parent
NOT_O = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"


def _bsn_digits(rng: random.Random, valid: bool) -> str:
    while True:
        d = [rng.randrange(10) for _ in range(8)]
        if d[0] == 0:
            continue
        total = sum((9 - i) * d[i] for i in range(8))
        check = total % 11
        if valid:
            if check == 10:
                continue
            return "".join(map(str, d)) + str(check)
        last = rng.choice([x for x in range(10) if x != check])
        return "".join(map(str, d)) + str(last)


def _group_bsn(rng: random.Random, s: str) -> str:
    style = rng.choice(["plain", "plain", "plain", "dots", "spaces", "dash", "3-3-3"])
    if style == "dots":
        return f"{s[:4]}.{s[4:6]}.{s[6:]}"
    if style == "spaces":
        return f"{s[:3]} {s[3:6]} {s[6:]}"
    if style == "dash":
        return f"{s[:3]}-{s[3:6]}-{s[6:]}"
    if style == "3-3-3":
        return f"{s[:3]}.{s[3:6]}.{s[6:]}"
    return s


def bsn(rng: random.Random) -> str:
    return _group_bsn(rng, _bsn_digits(rng, True))


def bsn_bad(rng: random.Random) -> str:
    return _group_bsn(rng, _bsn_digits(rng, False))


def bsn_ok_unlabelled(rng: random.Random) -> str:
    """A 9-digit number that passes the 11-proof, for look-alike contexts (order numbers)."""
    return _bsn_digits(rng, True)


BANKS = ["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"]


def _iban_compact(rng: random.Random) -> str:
    country = rng.choice(["NL"] * 6 + ["DE", "BE", "GB", "FR", "ES"])
    for _ in range(2000):
        if country == "NL":
            bban = rng.choice(BANKS) + "".join(rng.choice(DIGITS) for _ in range(10))
        elif country == "DE":
            bban = "".join(rng.choice(DIGITS) for _ in range(18))
        elif country == "BE":
            body = "".join(rng.choice(DIGITS) for _ in range(10))
            bban = body + f"{int(body) % 97 or 97:02d}"
        elif country == "GB":
            bban = rng.choice(["NWBK", "BARC", "HBUK"]) + "".join(
                rng.choice(DIGITS) for _ in range(14)
            )
        else:
            bban = "".join(rng.choice(DIGITS) for _ in range(20 if country == "ES" else 23))
        number = country + "00" + bban
        number = country + stdiban.calc_check_digits(number) + bban
        if stdiban.is_valid(number):
            return number
    raise RuntimeError(country)


def _group_iban(rng: random.Random, s: str) -> str:
    if rng.random() < 0.55:
        s = " ".join(s[i : i + 4] for i in range(0, len(s), 4))
    if rng.random() < 0.2:
        s = s.lower()
    return s


def iban(rng: random.Random) -> str:
    return _group_iban(rng, _iban_compact(rng))


def iban_bad(rng: random.Random) -> str:
    s = _iban_compact(rng)
    check = int(s[2:4])
    s = s[:2] + f"{(check + rng.randrange(1, 90)) % 97 + 2:02d}"[-2:] + s[4:]
    if stdiban.is_valid(s):
        s = s[:-1] + str((int(s[-1]) + 1) % 10)
    return _group_iban(rng, s)


def docnr(rng: random.Random) -> str:
    alnum = NOT_O + DIGITS
    return (
        "".join(rng.choice(NOT_O) for _ in range(2))
        + "".join(rng.choice(alnum) for _ in range(6))
        + rng.choice(DIGITS)
    )


def docnr_lower(rng: random.Random) -> str:
    return docnr(rng).lower()


def passport_foreign(rng: random.Random) -> str:
    kind = rng.choice(["de", "us", "be", "fr"])
    if kind == "de":
        return "".join(rng.choice("CFGHJKLMNPRTVWXYZ0123456789") for _ in range(9))
    if kind == "us":
        return "".join(rng.choice(DIGITS) for _ in range(9))
    if kind == "be":
        return "".join(rng.choice(NOT_O) for _ in range(2)) + "".join(
            rng.choice(DIGITS) for _ in range(6)
        )
    return (
        "".join(rng.choice(DIGITS) for _ in range(2))
        + "".join(rng.choice(NOT_O) for _ in range(2))
        + "".join(rng.choice(DIGITS) for _ in range(5))
    )


MONTHS_NL = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
SHORT_NL = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]


def _date(rng: random.Random, years: tuple[int, int]) -> str:
    y = rng.randint(*years)
    m = rng.randint(1, 12)
    d = rng.randint(1, 28)
    style = rng.randrange(9)
    if style == 0:
        return f"{d:02d}-{m:02d}-{y}"
    if style == 1:
        return f"{d}-{m}-{y}"
    if style == 2:
        return f"{d:02d}/{m:02d}/{y}"
    if style == 3:
        return f"{d} {MONTHS_NL[m - 1]} {y}"
    if style == 4:
        return f"{d}.{m}.{y}"
    if style == 5:
        return f"{y}-{m:02d}-{d:02d}"
    if style == 6:
        return f"{d} {SHORT_NL[m - 1]} {y}"
    if style == 7:
        return f"{d:02d}-{m:02d}-{str(y)[2:]}"
    return f"{d:02d} {m:02d} {y}"


def _date_en(rng: random.Random, years: tuple[int, int]) -> str:
    y = rng.randint(*years)
    m = rng.randint(1, 12)
    d = rng.randint(1, 28)
    style = rng.randrange(4)
    if style == 0:
        return f"{MONTHS_EN[m - 1]} {d}, {y}"
    if style == 1:
        return f"{d} {MONTHS_EN[m - 1]} {y}"
    if style == 2:
        return f"{d:02d}/{m:02d}/{y}"
    return f"{y}-{m:02d}-{d:02d}"


def dob(rng: random.Random) -> str:
    return _date(rng, (1935, 2020))


def dob_en(rng: random.Random) -> str:
    return _date_en(rng, (1935, 2020))


def future_date(rng: random.Random) -> str:
    return _date(rng, (2025, 2032))


def future_date_en(rng: random.Random) -> str:
    return _date_en(rng, (2025, 2032))


STREETS = [
    "Kerkstraat",
    "Dorpsstraat",
    "Stationsweg",
    "Julianalaan",
    "Burgemeester Visserplein",
    "Van Nijenrodeweg",
    "Lange Nieuwstraat",
    "Prinsengracht",
    "Marktplein",
    "Molenweg",
    "Schoolstraat",
    "Beukenlaan",
    "Wilhelminakade",
    "Herengracht",
    "Nieuwe Binnenweg",
    "Laan van Meerdervoort",
    "Oudegracht",
    "Koningin Julianaweg",
    "Parallelweg",
    "Hoofdstraat",
    "Eikenlaan",
    "Zeedijk",
    "Spui",
    "Amsterdamsestraatweg",
    "Jan van Galenstraat",
    "Rijnkade",
    "Vondelstraat",
    "Weerdsingel",
    "Brink",
    "Van der Valk Boumanweg",
    "Sint Jacobsstraat",
    "Bisschopsweg",
    "Hoogstraat",
]
CITIES = [
    "Utrecht",
    "Den Haag",
    "Amsterdam",
    "'s-Hertogenbosch",
    "Alphen aan den Rijn",
    "Rotterdam",
    "Zwolle",
    "Groningen",
    "Bergen op Zoom",
    "Nijmegen",
    "Leeuwarden",
    "Amersfoort",
    "Capelle aan den IJssel",
    "Delft",
    "Enschede",
    "Maastricht",
]


def housenr(rng: random.Random) -> str:
    n = rng.randint(1, 350)
    add = rng.choice(["", "", "", "a", "A", "B", "-2", " bis", " hs", "-III", "c", " 2hg"])
    return f"{n}{add}"


def postcode(rng: random.Random) -> str:
    letters = rng.choice(["AB", "CD", "EK", "GH", "JL", "MN", "PR", "TV", "XZ", "BW", "KL"])
    sep = rng.choice([" ", " ", ""])
    return f"{rng.randint(1000, 9999)}{sep}{letters}"


def address(rng: random.Random) -> str:
    street = rng.choice(STREETS)
    style = rng.randrange(5)
    if style == 0:
        return f"{street} {housenr(rng)}"
    if style == 1:
        return f"{street} {housenr(rng)}, {postcode(rng)} {rng.choice(CITIES)}"
    if style == 2:
        return f"{street} {housenr(rng)} {postcode(rng)} {rng.choice(CITIES)}"
    if style == 3:
        return f"{street} {housenr(rng)} in {rng.choice(CITIES)}"
    return f"{street} {housenr(rng)}, {rng.choice(CITIES)}"


def street_nr(rng: random.Random) -> str:
    return f"{rng.choice(STREETS)} {housenr(rng)}"


def pc_city(rng: random.Random) -> str:
    return f"{postcode(rng)} {rng.choice(CITIES)}"


def pc(rng: random.Random) -> str:
    return postcode(rng)


def city(rng: random.Random) -> str:
    return rng.choice(CITIES)


def phone(rng: random.Random) -> str:
    n = "".join(rng.choice(DIGITS) for _ in range(8))
    style = rng.randrange(8)
    if style == 0:
        return f"06{n}"
    if style == 1:
        return f"06-{n}"
    if style == 2:
        return f"06 {n[:4]} {n[4:]}"
    if style == 3:
        return f"+31 6 {n}"
    if style == 4:
        return f"+316{n}"
    if style == 5:
        return f"020-{n[:7]}"
    if style == 6:
        return f"030 {n[:3]} {n[3:7]}"
    return f"+32 470 {n[:2]} {n[2:4]} {n[4:6]}"


FIRST = [
    "Jan",
    "Fatima",
    "Sanne",
    "Mohammed",
    "Pieter",
    "Anouk",
    "Kees",
    "Priya",
    "Emma",
    "Daan",
    "Yusuf",
    "Lotte",
    "Ahmed",
    "Sophie",
    "Bram",
    "Maria",
    "Tom",
    "Aisha",
    "Noah",
    "Julia",
    "Mark",
    "Sarah",
    "Ingrid",
    "Wim",
    "Linda",
    "Rachid",
    "Eva",
    "Joost",
]
LAST = [
    "de Vries",
    "Jansen",
    "van den Berg",
    "Bakker",
    "El Amrani",
    "Visser",
    "Smit",
    "de Boer",
    "Mulder",
    "Yilmaz",
    "van Dijk",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van der Linden",
    "Kaya",
    "Dekker",
    "Brouwer",
    "de Groot",
    "Smith",
    "Johnson",
]


def name(rng: random.Random) -> str:
    return rng.choice(FIRST) + ("" if rng.random() < 0.3 else " " + rng.choice(LAST))


def fullname(rng: random.Random) -> str:
    return rng.choice(FIRST) + " " + rng.choice(LAST)


def first(rng: random.Random) -> str:
    return rng.choice(FIRST)


def email(rng: random.Random) -> str:
    user = rng.choice(
        [
            "jan",
            "f.elamrani",
            "sanne.visser",
            "pieter_b",
            "anouk1987",
            "k.smit",
            "priya.r",
            "info",
            "daan.de.groot",
            "m.yilmaz",
        ]
    )
    dom = rng.choice(
        [
            "gmail.com",
            "hotmail.com",
            "outlook.com",
            "ziggo.nl",
            "kpnmail.nl",
            "yahoo.co.uk",
            "live.nl",
            "planet.nl",
            "icloud.com",
        ]
    )
    return f"{user}@{dom}"


def order(rng: random.Random) -> str:
    return rng.choice(
        [
            "".join(rng.choice(DIGITS) for _ in range(9)),
            bsn_ok_unlabelled(rng),
            "".join(rng.choice(DIGITS) for _ in range(8)),
            f"{rng.randint(2019, 2026)}-{rng.randint(1, 99999):05d}",
        ]
    )


def zaak(rng: random.Random) -> str:
    return rng.choice(
        [
            f"Z-{rng.randint(2019, 2026)}-{rng.randint(1, 999999):06d}",
            f"ZAAK-{rng.randint(1000, 99999)}",
            bsn_ok_unlabelled(rng),
            f"{rng.randint(2019, 2026)}.{rng.randint(1, 9999):04d}",
        ]
    )


def flight(rng: random.Random) -> str:
    return rng.choice(["KL", "HV", "TB", "LH", "BA", "KL ", "AF"]) + str(rng.randint(10, 9999))


def amount(rng: random.Random) -> str:
    return rng.choice(
        [
            f"€ {rng.randint(10, 999)},{rng.randint(0, 99):02d}",
            f"€{rng.randint(1, 9)}.{rng.randint(100, 999)},00",
            f"{rng.randint(10, 999)} euro",
            f"EUR {rng.randint(100000, 999999)}",
            f"€ {rng.randint(100, 999)}.{rng.randint(100, 999)}.{rng.randint(100, 999)}",
        ]
    )


def year(rng: random.Random) -> str:
    return str(rng.randint(1960, 2030))


def refnr(rng: random.Random) -> str:
    return docnr(rng)


# slot name -> (generator, label kind or "-" for an unlabelled look-alike)
SLOTS: dict[str, tuple[Callable[[random.Random], str], str]] = {
    "bsn": (bsn, "bsn"),
    "bsn_bad": (bsn_bad, "-"),
    "iban": (iban, "iban"),
    "iban_bad": (iban_bad, "-"),
    "docnr": (docnr, "document_number"),
    "docnr_lower": (docnr_lower, "document_number"),
    "passport_foreign": (passport_foreign, "document_number"),
    "dob": (dob, "date_of_birth"),
    "dob_en": (dob_en, "date_of_birth"),
    "date": (future_date, "-"),
    "date_en": (future_date_en, "-"),
    "address": (address, "address"),
    "street_nr": (street_nr, "address"),
    "pc_city": (pc_city, "address"),
    "pc": (pc, "address"),
    "city": (city, "-"),
    "phone": (phone, "phone"),
    "name": (name, "name"),
    "fullname": (fullname, "name"),
    "first": (first, "name"),
    "other_name": (fullname, "-"),
    "email": (email, "email"),
    "order": (order, "-"),
    "zaak": (zaak, "-"),
    "flight": (flight, "-"),
    "amount": (amount, "-"),
    "year": (year, "-"),
    "refnr": (refnr, "-"),
}

TOKEN = re.compile(r"\{(\w+)\}|\[\[(\w+):(.+?)\]\]")


def render(template: str, rng: random.Random) -> dict[str, object]:
    """One message with its labelled spans."""
    out: list[str] = []
    spans: list[dict[str, object]] = []
    pos = 0
    length = 0
    for m in TOKEN.finditer(template):
        literal = template[pos : m.start()]
        out.append(literal)
        length += len(literal)
        if m.group(1):
            gen, kind = SLOTS[m.group(1)]
            value = gen(rng)
        else:
            kind, value = m.group(2), m.group(3)
        if kind != "-":
            spans.append({"start": length, "end": length + len(value), "kind": kind})
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(template[pos:])
    return {"text": "".join(out), "spans": spans}


def load_templates(name: str) -> list[str]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [
        line.replace("\\n", "\n") for line in lines if line.strip() and not line.startswith("#")
    ]


def build(templates: list[str], n: int, seed: int, prefix: str) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = render(templates[i % len(templates)], rng)
        rows.append({"id": f"{prefix}-{i + 1:04d}", **row})
    return rows


def main() -> None:
    for name, n, seed in (("dev", 480, 12), ("holdout", 240, 2026)):
        rows = build(load_templates(f"templates_{name}.txt"), n, seed, name)
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        sys.stdout.write(f"{name}: {len(rows)} messages\n")
    # Free-form messages, labelled inline, written after tuning (never tuned on).
    lines = load_templates("freeform.txt")
    with (HERE / "freeform.jsonl").open("w", encoding="utf-8") as f:
        for i, line in enumerate(lines, start=1):
            row = {"id": f"free-{i:03d}", **render(line, random.Random(i))}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    sys.stdout.write(f"freeform: {len(lines)} messages\n")


if __name__ == "__main__":
    main()
