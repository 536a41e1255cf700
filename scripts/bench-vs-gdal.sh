#!/usr/bin/env bash
# Paired benchmark: Frontier Atlas against GDAL on the same generated files, interleaved.
#
#   scripts/bench-vs-gdal.sh [ROWS] [ROUNDS]      (defaults: 1000000 rows, 3 rounds)
#
# Generates ROWS ACLED-like events (tests/common/acled_gen.rs, through examples/gen_acled.rs)
# as an ACLED CSV and as the GeoJSON `import acled` writes for it, then for ROUNDS rounds runs,
# one after the other (each after a `sync`: no run waits for the disk to write what the run
# before it wrote), each Frontier Atlas command and its GDAL counterpart:
#
#   import       import acled CSV --out X.geojson      vs  ogr2ogr -f Memory (CSV, X/Y from longitude/latitude)
#   open         render --add GEOJSON --out x.png      vs  ogr2ogr -f Memory (GeoJSON)
#   open-csv     render --add CSV --out x.png          vs  ogr2ogr -f Memory (CSV)
#   validate     validate GEOJSON                      vs  ogrinfo -al -so
#   convert      convert GEOJSON X.gpkg                vs  ogr2ogr -f GPKG
#   convert-csv  convert CSV X.gpkg                    vs  ogr2ogr -f GPKG (CSV)
#
# `render --add FILE --out x.png` is the app's own open path run headless (read, load, index,
# draw once): the proxy for File → Open until the app has a headless open command.
#
# Then "the limit of this machine", once per round: `cat GEOJSON > /dev/null` (reading the file
# from the page cache), a plain serde_json typed parse of the GeoJSON (examples/parse_floor.rs:
# borrowed strings, f64 coordinates, the rest skipped) and the memory bandwidth
# (`dd if=/dev/zero of=/dev/null bs=1M`).
#
# Prints, per task: the median wall time of Frontier Atlas and of GDAL, their ratio, the
# largest peak RSS of each (GNU time -v), the input file's size, and the goal of issue 8:
#   import, open, open-csv:  >= 10x faster than ogr2ogr -f Memory, and peak RSS <= the file size
#   convert, convert-csv:    peak RSS <= 500 MB
#   validate:                peak RSS <= 100 MB, and at least as fast as ogrinfo -al -so
# and how far the open path is from the typed-parse floor.
#
# Environment:
#   FA_BIN      the frontier-atlas binary to measure (default: built here with
#               `cargo build --release --no-default-features`, into $CARGO_TARGET_DIR or target/)
#   FA_BEFORE   optional second binary (e.g. an older build), measured in the same rounds
#   GEN         the gen_acled binary (default: examples/gen_acled.rs compiled with rustc -O
#               against the release build's dependencies)
#   FLOOR       the parse_floor binary (default: examples/parse_floor.rs, compiled the same way)
#   TASKS       which tasks to run (default: "import open open-csv validate convert convert-csv")
#   BENCH_DIR   where the files go (default: /tmp/fa-bench; the generated files are reused
#               when they exist for the same ROWS). They are large (~1.2 GB at 1M rows):
#               delete the folder when done.
#
# Examples are compiled with rustc rather than `cargo build --release --example`, which would
# build the dev-dependencies (the GUI test stack) in release mode first.
#
# Needs: gdal-bin (ogr2ogr, ogrinfo) and GNU time (/usr/bin/time), e.g.
#   apt-get install gdal-bin time
set -euo pipefail

ROWS=${1:-1000000}
ROUNDS=${2:-3}
BENCH_DIR=${BENCH_DIR:-/tmp/fa-bench}
TASKS=${TASKS:-import open open-csv validate convert convert-csv}
cd "$(dirname "$0")/.."

for tool in ogr2ogr ogrinfo; do
    command -v "$tool" >/dev/null || { echo "bench-vs-gdal: $tool not found (apt-get install gdal-bin)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench-vs-gdal: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }

target=${CARGO_TARGET_DIR:-target}
if [ -z "${FA_BIN:-}" ] || { [ -z "${GEN:-}" ] || [ -z "${FLOOR:-}" ]; }; then
    echo "building the release binary into $target (slow the first time) ..." >&2
    cargo build --release --no-default-features --bin frontier-atlas >&2
fi
FA_BIN=${FA_BIN:-$target/release/frontier-atlas}
mkdir -p "$BENCH_DIR"

# example NAME CRATES...: compiles examples/NAME.rs with rustc -O against the release build's
# dependencies (the newest build of each crate named), into $BENCH_DIR/NAME.
example() {
    local name=$1 deps=$target/release/deps
    shift
    local externs=() crate lib
    for crate in "$@"; do
        lib=$(ls -t "$deps"/lib"$crate"-*.rlib 2>/dev/null | head -1)
        [ -n "$lib" ] || { echo "bench-vs-gdal: no $crate in $deps" >&2; exit 2; }
        externs+=(--extern "$crate=$lib")
    done
    rustc --edition 2024 -O -o "$BENCH_DIR/$name" "examples/$name.rs" "${externs[@]}" -L "dependency=$deps" >&2
    echo "$BENCH_DIR/$name"
}
if [ -z "${GEN:-}" ]; then
    # acled_gen needs the chrono the library links; the build-script one has other features.
    deps=$target/release/deps
    lib=$(ls -t "$deps"/libfrontier_atlas-*.rlib | head -1)
    csvlib=$(ls -t "$deps"/libcsv-*.rlib | head -1)
    GEN=
    for c in $(ls -t "$deps"/libchrono-*.rlib); do
        if rustc --edition 2024 -O -o "$BENCH_DIR/gen_acled" examples/gen_acled.rs --extern frontier_atlas="$lib" \
            --extern chrono="$c" --extern csv="$csvlib" -L "dependency=$deps" 2>/dev/null; then
            GEN=$BENCH_DIR/gen_acled
            break
        fi
    done
    [ -n "$GEN" ] || { echo "bench-vs-gdal: cannot compile examples/gen_acled.rs; set GEN" >&2; exit 2; }
fi
FLOOR=${FLOOR:-$(example parse_floor serde serde_json)}

csv=$BENCH_DIR/acled-$ROWS.csv
geojson=$BENCH_DIR/acled-$ROWS.geojson
if [ ! -s "$csv" ] || [ ! -s "$geojson" ]; then
    echo "generating $ROWS events ..." >&2
    "$GEN" "$ROWS" "$csv" "$geojson"
fi
out=$BENCH_DIR/out
mkdir -p "$out"
results=$BENCH_DIR/results.tsv
: >"$results"

# run NAME TOOL COMMAND...: one timed run, appended to $results as NAME TOOL SECONDS RSS_KB EXIT.
run() {
    local name=$1 tool=$2
    shift 2
    rm -rf "${out:?}"/*
    # What the run before left for the disk to write is written now, not during this run.
    sync
    local log=$BENCH_DIR/time.log status=0
    /usr/bin/time -v "$@" >"$BENCH_DIR/stdout.log" 2>"$log" || status=$?
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log")
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$tool" "$wall" "$rss" "$status" >>"$results"
    printf '  %-12s %-12s %8.2f s %8.0f MB  exit %s\n' "$name" "$tool" "$wall" "$((rss / 1024))" "$status" >&2
    if [ "$status" != 0 ]; then sed 's/^/    /' "$log" | grep -v '^\s*\(Command\|User\|System\|Percent\|Elapsed\|Average\|Maximum\|Major\|Minor\|Voluntary\|Involuntary\|Swaps\|File\|Socket\|Signals\|Page\|Exit\)' | head -5 >&2; fi
}

# fa NAME BINARY TOOL: the Frontier Atlas command of a task.
fa() {
    local name=$1 bin=$2 tool=$3
    case $name in
        import) run "$name" "$tool" "$bin" import acled "$csv" --out "$out/events.geojson" ;;
        open) run "$name" "$tool" "$bin" render --add "$geojson" --size 800x500 --out "$out/map.png" ;;
        open-csv) run "$name" "$tool" "$bin" render --add "$csv" --size 800x500 --out "$out/map.png" ;;
        validate) run "$name" "$tool" "$bin" validate "$geojson" ;;
        convert) run "$name" "$tool" "$bin" convert "$geojson" "$out/events.gpkg" ;;
        convert-csv) run "$name" "$tool" "$bin" convert "$csv" "$out/events.gpkg" ;;
    esac
}

csv_oo=(-oo X_POSSIBLE_NAMES=longitude -oo Y_POSSIBLE_NAMES=latitude -oo KEEP_GEOM_COLUMNS=NO)
gdal() {
    local name=$1
    case $name in
        import | open-csv) run "$name" gdal ogr2ogr -f Memory "$out/mem" "$csv" "${csv_oo[@]}" ;;
        open) run "$name" gdal ogr2ogr -f Memory "$out/mem" "$geojson" ;;
        validate) run "$name" gdal ogrinfo -al -so "$geojson" ;;
        convert) run "$name" gdal ogr2ogr -f GPKG "$out/events.gpkg" "$geojson" ;;
        convert-csv) run "$name" gdal ogr2ogr -f GPKG "$out/events.gpkg" "$csv" "${csv_oo[@]}" ;;
    esac
}

csv_mb=$(du -m "$csv" | cut -f1)
geojson_mb=$(du -m "$geojson" | cut -f1)
echo "files: $csv_mb MB CSV, $geojson_mb MB GeoJSON ($ROWS events)" >&2
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    for task in $TASKS; do
        fa "$task" "$FA_BIN" atlas
        gdal "$task"
        if [ -n "${FA_BEFORE:-}" ]; then
            fa "$task" "$FA_BEFORE" atlas-before
        fi
    done
    # The limit of this machine.
    run floor cat sh -c 'cat "$0" >/dev/null' "$geojson"
    run floor typed-parse "$FLOOR" "$geojson"
    run floor memory dd if=/dev/zero of=/dev/null bs=1M count=20000
done
bandwidth=$(dd if=/dev/zero of=/dev/null bs=1M count=20000 2>&1 | awk -F', ' '/copied/ { print $NF }')

echo
echo "$ROWS events: $csv_mb MB CSV, $geojson_mb MB GeoJSON; $ROUNDS rounds; median wall time, largest peak RSS; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
awk -F'\t' -v csv_mb="$csv_mb" -v geojson_mb="$geojson_mb" -v bandwidth="$bandwidth" '
    { key = $1 SUBSEP $2; n[key]++; t[key, n[key]] = $3; if ($4 > rss[key]) rss[key] = $4; if ($5 != 0) bad[key] = $5 }
    function median(key,   i, j, m, a, tmp) {
        m = n[key]; for (i = 1; i <= m; i++) a[i] = t[key, i]
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { tmp = a[i]; a[i] = a[j]; a[j] = tmp }
        return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    function size(task) { return (task ~ /csv|import/) ? csv_mb : geojson_mb }
    # The goal of issue 8 for a task, from the medians and peaks (RSS in MB).
    function goal(task, fa, gd, frss, grss,   speed) {
        speed = (fa > 0) ? gd / fa : 0
        if (task == "import" || task == "open" || task == "open-csv")
            return sprintf("%s  (>= 10x ogr2ogr -f Memory: %.1fx; RSS <= file: %.0f <= %d MB)", (speed >= 10 && frss <= size(task)) ? "MET" : "NOT MET", speed, frss, size(task))
        if (task ~ /^convert/)
            return sprintf("%s  (RSS <= 500 MB: %.0f MB)", (frss <= 500) ? "MET" : "NOT MET", frss)
        if (task == "validate")
            return sprintf("%s  (RSS <= 100 MB: %.0f MB; as fast as ogrinfo: %.2f <= %.2f s)", (frss <= 100 && fa <= gd) ? "MET" : "NOT MET", frss, fa, gd)
        return ""
    }
    END {
        split("import open open-csv validate convert convert-csv", order, " ")
        printf "%-12s %-13s %8s %8s %9s %8s %8s %8s  %s\n", "task", "atlas", "atlas s", "gdal s", "gdal/atlas", "atlas MB", "gdal MB", "file MB", "goal"
        for (o = 1; o <= 6; o++) {
            task = order[o]
            g = task SUBSEP "gdal"
            if (!(g in n)) continue
            gm = median(g)
            for (k = 1; k <= 2; k++) {
                tool = (k == 1) ? "atlas" : "atlas-before"
                key = task SUBSEP tool
                if (!(key in n)) continue
                m = median(key)
                printf "%-12s %-13s %8.2f %8.2f %9.2f %8.0f %8.0f %8d  %s%s\n", task, tool, m, gm, (m > 0 ? gm / m : 0), rss[key] / 1024, rss[g] / 1024, size(task), goal(task, m, gm, rss[key] / 1024, rss[g] / 1024), ((key in bad) ? "  (exit " bad[key] ")" : "")
            }
        }
        print ""
        print "The limit of this machine (same GeoJSON file):"
        c = median("floor" SUBSEP "cat"); p = median("floor" SUBSEP "typed-parse")
        printf "  cat FILE > /dev/null:                 %6.2f s  (%.0f MB/s; page cache)\n", c, (c > 0 ? geojson_mb / c : 0)
        printf "  serde_json typed parse (parse_floor): %6.2f s  (%.0f MB/s, read included), peak %.0f MB\n", p, (p > 0 ? geojson_mb / p : 0), rss["floor" SUBSEP "typed-parse"] / 1024
        printf "  memory bandwidth (dd, one core):      %s\n", bandwidth
        if (("open" SUBSEP "atlas") in n && p > 0) printf "  open (render --add GeoJSON) is %.1fx the typed-parse floor\n", median("open" SUBSEP "atlas") / p
        if (("validate" SUBSEP "atlas") in n && p > 0) printf "  validate is %.1fx the typed-parse floor\n", median("validate" SUBSEP "atlas") / p
        if (("convert" SUBSEP "atlas") in n && p > 0) printf "  convert to GeoPackage is %.1fx the typed-parse floor\n", median("convert" SUBSEP "atlas") / p
    }' "$results"
