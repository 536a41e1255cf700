#!/usr/bin/env python3
"""Sanity checks for geodata/*.geojson (run after build.py)."""
import json, os, sys
from shapely.geometry import shape
from shapely.geometry.polygon import LinearRing
G = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "geodata")
REQ = {
    "countries": ["name", "iso_a3"], "provinces": ["name", "country", "alt_names"],
    "border": ["name", "kind", "length_km"], "rivers": ["name", "rank"], "lakes": ["name"],
    "places": ["name", "alt_names", "kind", "country", "admin1", "population", "geo_precision", "source", "rank"],
    "regions": ["name", "alt_names", "kind", "note"],
    "districts": ["name", "alt_names", "province", "country", "source"],
}
KINDS = {"capital", "city", "town", "village", "district_seat", "post"}
bad = []
def pos(c, f):
    if not (-180 <= c[0] <= 180 and -90 <= c[1] <= 90): bad.append(f"{f}: coord out of range {c}")
for name, req in REQ.items():
    fc = json.load(open(os.path.join(G, name + ".geojson")))
    assert fc["type"] == "FeatureCollection" and "crs" not in fc
    ids = [f["id"] for f in fc["features"]]
    if len(ids) != len(set(ids)) or not all(isinstance(i, str) for i in ids): bad.append(f"{name}: ids")
    for f in fc["features"]:
        tag = f"{name}/{f['id']}"
        for k in req:
            if k not in f["properties"]: bad.append(f"{tag}: missing {k}")
        g = f["geometry"]; t = g["type"]
        if t in ("Polygon", "MultiPolygon"):
            polys = [g["coordinates"]] if t == "Polygon" else g["coordinates"]
            for p in polys:
                for i, ring in enumerate(p):
                    if len(ring) < 4 or ring[0] != ring[-1]: bad.append(f"{tag}: ring not closed/short")
                    for c in ring: pos(c, tag)
                    ccw = LinearRing(ring).is_ccw
                    if (i == 0) != ccw: bad.append(f"{tag}: ring {i} wrong winding")
            if not shape(g).is_valid: bad.append(f"{tag}: invalid polygon")
        elif t in ("LineString", "MultiLineString"):
            for l in ([g["coordinates"]] if t == "LineString" else g["coordinates"]):
                if len(l) < 2: bad.append(f"{tag}: short line")
                for c in l: pos(c, tag)
        elif t == "Point":
            pos(g["coordinates"], tag)
            if name == "places" and f["properties"]["kind"] not in KINDS: bad.append(f"{tag}: kind")
        else:
            bad.append(f"{tag}: geometry {t}")
    print(f"{name:10s} {len(ids):4d} features ok" if not bad else f"{name}: checked")
prov = {f["properties"]["name"] for f in json.load(open(os.path.join(G, "provinces.geojson")))["features"]}
for f in json.load(open(os.path.join(G, "places.geojson")))["features"]:
    if f["properties"]["admin1"] and f["properties"]["admin1"] not in prov: bad.append(f"places/{f['id']}: admin1 {f['properties']['admin1']} not in provinces")
for n in ["Badakhshan", "Takhar", "Kunduz", "Balkh", "Gorno-Badakhshan", "Khatlon", "Districts of Republican Subordination", "Sughd"]:
    if n not in prov: bad.append(f"provinces: missing {n}")
if bad:
    print("\n".join(bad[:50])); print(f"{len(bad)} problems"); sys.exit(1)
print("all checks passed")
