#!/usr/bin/env python3
"""Derive geodata/districts.geojson from the official geoBoundaries ADM2 files.

Inputs (not in the repository, never committed; see ../shared/data/README.md):
  geoBoundaries-AFG-ADM2_simplified.geojson  Afghan districts 2014, AIMS / Esri, public domain
  geoBoundaries-TJK-ADM2.geojson             Tajik districts, geoBoundaries, CC BY 4.0
  geoBoundaries-TJK-ADM1.geojson             Tajik regions (to assign each district its region)
and the shipped geodata/provinces.geojson (to assign each Afghan district its province).

Keeps the districts of the provinces on both banks of the Panj: Kunduz, Takhar, Badakhshan
(Afghanistan) and Khatlon, Gorno-Badakhshan (Tajikistan). Names are cleaned (whitespace,
" District" suffix, AIMS spellings brought to the spelling the rest of the atlas uses) and
renamed districts get their current name, the raw and former names kept in `alt_names`.
Each country's districts are simplified together as a coverage (shapely.coverage_simplify,
GEOS >= 3.12), so neighbours keep a shared edge, then rounded to 4 decimals (~10 m).

Tools: shapely 2.2.0 (PyPI, pinned in requirements.txt); nothing else.
Usage:  python scripts/geodata/districts.py [--raw DIR] [--out DIR]
Output is deterministic: features sorted by id, one feature per line.
"""
import argparse
import json
import os
import sys

import shapely
from shapely.geometry import shape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build import REPO, polygonal_geojson, slug, write_fc  # noqa: E402

# Coverage simplification tolerance in degrees (~250 m): small enough that every district
# seat stays inside its district, large enough to keep the start of the app instant.
TOLERANCE = 0.0025
ND = 4

AFG_PROVINCES = ["Kunduz", "Takhar", "Badakhshan"]
TJK_REGIONS = {"Khatlon Region": "Khatlon", "Gorno-Badakhshan Autonomous Region": "Gorno-Badakhshan"}

# raw AIMS / geoBoundaries name (after strip) -> (name used in the atlas, extra alternates).
# Spellings follow the places layer and common usage (UN OCHA / AIMS later releases); the
# raw spelling always stays an alternate so search finds it.
AFG_NAMES = {
    "Dashte Archi": ("Dasht-e Archi", ["Dasht-i-Archi", "Archi"]),
    "Qalay-I- Zal": ("Qala-i-Zal", ["Qalay-i-Zal", "Qal'a-ye Zal"]),
    "Kalfagan": ("Kalafgan", []),
    "Taluqan": ("Taloqan", ["Taleqan"]),
    "Dashti Qala": ("Dasht-e Qala", ["Dasht-i-Qala"]),
    "Ishkashiem": ("Ishkashim", ["Eshkashem", "Ishkashem"]),
    "Darwazbala": ("Darwaz-e Bala", ["Darwaz-i-Bala"]),
    "Darwaz": ("Darwaz", ["Darwaz-e Payan"]),
    "Arghanj Khaw": ("Arghanj Khwah", []),
    "Shahada": ("Shuhada", []),
    "Tashkan": ("Tishkan", ["Teshkan"]),
    "Tagab (Kishmi Bala)": ("Tagab", ["Kishm-e Bala", "Kishmi Bala"]),
    "Kuran Wa Munjan": ("Kuran wa Munjan", ["Koran va Monjan"]),
    "Yamgan (Girwan)": ("Yamgan", ["Girwan"]),
    "Shahri Buzurg": ("Shahr-e Buzurg", ["Shahri Buzurg"]),
    "Yaftal Sufla": ("Yaftal-e Sufla", []),
    "Khwaja Bahawuddin": ("Khwaja Bahauddin", []),
}

# Tajik districts renamed since the names geoBoundaries carries: current name first, former
# names as alternates (Tajik government decrees of 2016-2018).
TJK_NAMES = {
    "Dzhami": ("Abdurahmoni Jomi", ["Jomi", "Khojamaston"]),
    "Qumsangir": ("Dusti", ["Kumsangir"]),
    "Rumi": ("Jaloliddini Balkhi", ["Jaloliddini Rumi", "Kolkhozobod"]),
    "Shuro-obod": ("Shamsiddin Shohin", ["Shurobod"]),
    "Bokhtar": ("Kushoniyon", []),
    "Sarband": ("Levakant", []),
    "Shahrtuz": ("Shahritus", ["Shaartuz"]),
    "Qabodiyon": ("Qubodiyon", ["Kabodiyon"]),
    "Vose'": ("Vose'", ["Vose"]),
    "Hamadoni": ("Hamadoni", ["Moskva"]),
    "Temurmalik": ("Temurmalik", ["Sovet"]),
    "Nosiri Khusrav": ("Nosiri Khusrav", ["Beshkent"]),
    "Khuroson": ("Khuroson", ["Ghozimalik"]),
    "Shughnon": ("Shughnon", ["Shugnan", "Shighnan"]),
    "Ishkoshim": ("Ishkoshim", ["Ishkashim"]),
    "Darvoz": ("Darvoz", ["Darvaz"]),
    "Rushon": ("Rushon", ["Rushan"]),
    "Murghob": ("Murghob", ["Murgab"]),
    "Roshtqal'a": ("Roshtqal'a", ["Roshtkala"]),
    "Farkhor": ("Farkhor", ["Parkhar"]),
    "Kulob": ("Kulob", ["Kulyab"]),
    "Norak": ("Norak", ["Nurek"]),
    "Danghara": ("Danghara", ["Dangara"]),
    "Yovon": ("Yovon", ["Yavan"]),
}

# Short former names that now belong to something else: "Bokhtar" is the city (formerly
# Qurghonteppa), a unit of its own; only "Bokhtar District" stays an alternate of Kushoniyon.
NOT_ALT = {"Bokhtar"}


def clean(raw):
    """Whitespace (the raw data has "Warduj\\n") collapsed and trimmed."""
    return " ".join(raw.split())


def load(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def rounded(g):
    return shapely.set_precision(g, 10.0 ** -ND, mode="valid_output")


def country_districts(raw, pick):
    """(name, alts, province, raw name, shapeID, geometry) for every district `pick` keeps."""
    out = []
    for f in raw["features"]:
        p = f["properties"]
        g = shape(f["geometry"])
        if not g.is_valid:
            g = shapely.make_valid(g)
        province = pick(g)
        if province:
            out.append([p["shapeName"], p["shapeID"], province, g])
    return out


def build(raw_dir, out_dir):
    provinces = load(os.path.join(out_dir, "provinces.geojson"))
    afg_prov = [(f["properties"]["name"], shape(f["geometry"])) for f in provinces["features"]
                if f["properties"]["country"] == "AFG"]
    tjk_adm1 = load(os.path.join(raw_dir, "geoBoundaries-TJK-ADM1.geojson"))
    tjk_reg = [(f["properties"]["shapeName"], shape(f["geometry"])) for f in tjk_adm1["features"]]

    def by_area(units, g):
        best = max(units, key=lambda u: u[1].intersection(g).area)
        return best[0]

    def afg_pick(g):
        name = by_area(afg_prov, g)
        return name if name in AFG_PROVINCES else None

    def tjk_pick(g):
        return TJK_REGIONS.get(by_area(tjk_reg, g))

    feats = []
    for iso3, fname, pick in [("AFG", "geoBoundaries-AFG-ADM2_simplified.geojson", afg_pick),
                              ("TJK", "geoBoundaries-TJK-ADM2.geojson", tjk_pick)]:
        raw = load(os.path.join(raw_dir, fname))
        rows = country_districts(raw, pick)
        # Simplify the whole country's districts as one coverage: shared edges stay shared.
        simplified = shapely.coverage_simplify([r[3] for r in rows], TOLERANCE)
        for (raw_name, shape_id, province, _), g in zip(rows, simplified):
            name = clean(raw_name)
            if iso3 == "TJK" and name.endswith(" District"):
                name = name[: -len(" District")]
            table = AFG_NAMES if iso3 == "AFG" else TJK_NAMES
            shown, extra = table.get(name, (name, []))
            alts = {a for a in [name, clean(raw_name)] + extra if a != shown and a not in NOT_ALT}
            gj = polygonal_geojson(rounded(g))
            if gj is None:
                sys.exit(f"{fname}: district {raw_name!r} vanished when simplified")
            source = ("geoBoundaries AFG ADM2 (AIMS 2014, public domain)" if iso3 == "AFG"
                      else "geoBoundaries TJK ADM2 (CC BY 4.0)")
            props = {"name": shown, "alt_names": sorted(alts), "province": province, "country": iso3,
                     "source": f"{source}, shapeID {shape_id}"}
            feats.append({"type": "Feature", "id": f"{iso3}-{slug(province)}-{slug(shown)}",
                          "properties": props, "geometry": gj})
    feats.sort(key=lambda f: f["id"])
    seen = {}
    for f in feats:
        key = (f["properties"]["name"], f["properties"]["province"])
        if key in seen:
            sys.exit(f"two districts named {key}")
        seen[key] = f["id"]
    path = os.path.join(out_dir, "districts.geojson")
    write_fc(path, feats)
    print(f"districts  {len(feats):4d} features {os.path.getsize(path):9d} bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", default=os.path.join(os.path.dirname(REPO), "shared", "data", "geoboundaries"),
                    help="directory holding the geoBoundaries files")
    ap.add_argument("--out", default=os.path.join(REPO, "geodata"))
    a = ap.parse_args()
    build(a.raw, a.out)


if __name__ == "__main__":
    main()
