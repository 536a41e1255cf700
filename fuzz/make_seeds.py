#!/usr/bin/env python3
"""Writes the binary seed inputs in fuzz/seeds/ (GeoPackage geometry blobs and a small
GeoPackage). Run once; the outputs are committed. Text seeds come from the test fixtures and
geodata/ (scripts/fuzz.sh copies them)."""

import os
import sqlite3
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def header(srs=4326, envelope=None, empty=False, big_endian=False):
    flags = 0 if big_endian else 1
    env_code = 0 if envelope is None else {4: 1, 6: 2}[len(envelope)]
    flags |= env_code << 1
    if empty:
        flags |= 1 << 4
    order = ">" if big_endian else "<"
    out = b"GP" + bytes([0, flags]) + struct.pack(order + "i", srs)
    if envelope:
        out += struct.pack(order + "%dd" % len(envelope), *envelope)
    return out


def wkb(kind, body, z=False, big_endian=False):
    order = ">" if big_endian else "<"
    code = kind + (1000 if z else 0)
    return bytes([0 if big_endian else 1]) + struct.pack(order + "I", code) + body


def pts(coords, big_endian=False):
    order = ">" if big_endian else "<"
    return b"".join(struct.pack(order + "%dd" % len(c), *c) for c in coords)


def count(n, big_endian=False):
    return struct.pack((">" if big_endian else "<") + "I", n)


def point(c, z=False, be=False):
    return wkb(1, pts([c], be), z, be)


def line(cs, z=False, be=False):
    return wkb(2, count(len(cs), be) + pts(cs, be), z, be)


def polygon(rings, z=False, be=False):
    body = count(len(rings), be) + b"".join(count(len(r), be) + pts(r, be) for r in rings)
    return wkb(3, body, z, be)


def multi(kind, parts, z=False, be=False):
    return wkb(kind, count(len(parts), be) + b"".join(parts), z, be)


SQUARE = [(70, 37), (71, 37), (71, 38), (70, 38), (70, 37)]
HOLE = [(70.25, 37.25), (70.5, 37.25), (70.5, 37.5), (70.25, 37.25)]
BLOBS = {
    "point": header() + point((68.7864, 38.5598)),
    "point_envelope": header(envelope=(68.7, 68.8, 38.5, 38.6)) + point((68.7864, 38.5598)),
    "point_big_endian": header(big_endian=True) + point((71.55, 37.49), be=True),
    "point_empty": header(empty=True) + point((float("nan"), float("nan"))),
    "line_z": header(envelope=(68.9, 69.6, 37.6, 38.2, 350.5, 500)) + line([(69.6, 38.2, 500), (68.9, 37.6, 350.5)], z=True),
    "polygon_hole": header(envelope=(70, 71, 37, 38)) + polygon([SQUARE, HOLE]),
    "multipoint": header() + multi(4, [point((70, 37)), point((71, 38))]),
    "multiline": header() + multi(5, [line([(70, 37), (71, 38)]), line([(69, 36), (70, 36)])]),
    "multipolygon_empty_part": header() + multi(6, [polygon([SQUARE]), polygon([])]),
    "collection": header() + multi(7, [point((70, 37)), line([(70, 37), (71, 38)]), polygon([SQUARE])]),
}


def write_blobs():
    for name, blob in BLOBS.items():
        with open(os.path.join(HERE, "seeds", "wkb", name + ".bin"), "wb") as f:
            f.write(blob)


def write_gpkg():
    path = os.path.join(HERE, "seeds", "gpkg", "mini.gpkg")
    if os.path.exists(path):
        os.remove(path)
    con = sqlite3.connect(path)
    con.executescript(
        """
        PRAGMA page_size = 512;
        PRAGMA application_id = 1196444487;
        PRAGMA user_version = 10300;
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
          organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
          definition TEXT NOT NULL, description TEXT);
        INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84"]', '');
        CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
          identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME,
          min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
        INSERT INTO gpkg_contents VALUES ('places', 'features', 'places', '', '2024-01-01T00:00:00Z', 68, 37, 72, 39, 4326);
        INSERT INTO gpkg_contents VALUES ('notes', 'attributes', 'notes', '', '2024-01-01T00:00:00Z', NULL, NULL, NULL, NULL, NULL);
        CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
          geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);
        INSERT INTO gpkg_geometry_columns VALUES ('places', 'geom', 'GEOMETRY', 4326, 2, 0);
        CREATE TABLE places (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom GEOMETRY,
          name TEXT, population INTEGER, elevation_m REAL, capital BOOLEAN, seen DATE, raw BLOB);
        CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);
        INSERT INTO notes VALUES (1, 'attributes only');
        """
    )
    rows = [
        (BLOBS["point"], "Dushanbe", 863400, 800.5, 1, "2021-07-05", b"foo"),
        (BLOBS["line_z"], "Vakhsh", None, None, 0, None, None),
        (BLOBS["polygon_hole"], "Area", 12, 1200.125, 0, "2022-01-01", None),
        (BLOBS["collection"], "Mixed", None, None, None, None, None),
    ]
    con.executemany(
        "INSERT INTO places (geom, name, population, elevation_m, capital, seen, raw) VALUES (?,?,?,?,?,?,?)", rows
    )
    con.commit()
    con.execute("VACUUM")
    con.close()


if __name__ == "__main__":
    write_blobs()
    write_gpkg()
