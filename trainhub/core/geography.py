"""Romanian counties (ISO 3166-2:RO) and their NUTS2 development regions."""
import unicodedata
from typing import NamedTuple


class County(NamedTuple):
    iso: str  # e.g. "RO-BV"
    name: str  # official name with diacritics
    nuts2: str  # development region, e.g. "RO12"


NUTS2_REGIONS = {
    "RO11": "Nord-Vest",
    "RO12": "Centru",
    "RO21": "Nord-Est",
    "RO22": "Sud-Est",
    "RO31": "Sud-Muntenia",
    "RO32": "București-Ilfov",
    "RO41": "Sud-Vest Oltenia",
    "RO42": "Vest",
}

_COUNTIES = [
    ("AB", "Alba", "RO12"), ("AR", "Arad", "RO42"), ("AG", "Argeș", "RO31"),
    ("BC", "Bacău", "RO21"), ("BH", "Bihor", "RO11"), ("BN", "Bistrița-Năsăud", "RO11"),
    ("BT", "Botoșani", "RO21"), ("BV", "Brașov", "RO12"), ("BR", "Brăila", "RO22"),
    ("B", "București", "RO32"), ("BZ", "Buzău", "RO22"), ("CS", "Caraș-Severin", "RO42"),
    ("CL", "Călărași", "RO31"), ("CJ", "Cluj", "RO11"), ("CT", "Constanța", "RO22"),
    ("CV", "Covasna", "RO12"), ("DB", "Dâmbovița", "RO31"), ("DJ", "Dolj", "RO41"),
    ("GL", "Galați", "RO22"), ("GR", "Giurgiu", "RO31"), ("GJ", "Gorj", "RO41"),
    ("HR", "Harghita", "RO12"), ("HD", "Hunedoara", "RO42"), ("IL", "Ialomița", "RO31"),
    ("IS", "Iași", "RO21"), ("IF", "Ilfov", "RO32"), ("MM", "Maramureș", "RO11"),
    ("MH", "Mehedinți", "RO41"), ("MS", "Mureș", "RO12"), ("NT", "Neamț", "RO21"),
    ("OT", "Olt", "RO41"), ("PH", "Prahova", "RO31"), ("SM", "Satu Mare", "RO11"),
    ("SJ", "Sălaj", "RO11"), ("SB", "Sibiu", "RO12"), ("SV", "Suceava", "RO21"),
    ("TR", "Teleorman", "RO31"), ("TM", "Timiș", "RO42"), ("TL", "Tulcea", "RO22"),
    ("VS", "Vaslui", "RO21"), ("VL", "Vâlcea", "RO41"), ("VN", "Vrancea", "RO22"),
]

COUNTIES: dict[str, County] = {
    f"RO-{plate}": County(f"RO-{plate}", name, nuts2) for plate, name, nuts2 in _COUNTIES
}


def _fold(text: str) -> str:
    """Lower-case, without diacritics (both ș/ş and ț/ţ spellings), spaces and dashes."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return ascii_only.replace("-", "").replace(" ", "")


_LOOKUP: dict[str, str] = {}
for _iso, _county in COUNTIES.items():
    _LOOKUP[_fold(_iso)] = _iso
    _LOOKUP[_fold(_iso.removeprefix("RO-"))] = _iso
    _LOOKUP[_fold(_county.name)] = _iso
_LOOKUP.update({_fold("Bucuresti"): "RO-B", _fold("Municipiul București"): "RO-B",
                _fold("Bucharest"): "RO-B"})


def county_code(text: str | None) -> str | None:
    """The ISO code of a county given as name (with or without diacritics), plate or ISO code."""
    if not text:
        return None
    return _LOOKUP.get(_fold(str(text)))


def county_name(iso: str | None) -> str:
    county = COUNTIES.get(iso or "")
    return county.name if county else ""


def region_of(iso: str | None) -> str | None:
    """The NUTS2 region of a county's ISO code."""
    county = COUNTIES.get(iso or "")
    return county.nuts2 if county else None


_BY_NAME = sorted(((c.iso, c.name) for c in COUNTIES.values()), key=lambda pair: _fold(pair[1]))


def county_choices() -> list[tuple[str, str]]:
    """(ISO code, name) pairs sorted by name, for select fields (a new list each call)."""
    return list(_BY_NAME)
