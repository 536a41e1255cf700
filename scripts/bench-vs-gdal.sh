#!/usr/bin/env bash
# Paired benchmark: Frontier Atlas against GDAL on the same generated files, interleaved.
#
#   scripts/bench-vs-gdal.sh [ROWS] [ROUNDS]      (defaults: 1000000 rows, 3 rounds)
#
# Generates ROWS ACLED-like events (tests/common/acled_gen.rs, through examples/gen_acled.rs)
# as an ACLED CSV and as the GeoJSON `import acled` writes for it, then for ROUNDS rounds runs,
# one after the other, each Frontier Atlas command and its GDAL counterpart:
#
#   import acled CSV --out X.geojson     vs  ogr2ogr -f Memory (CSV, X/Y from longitude/latitude)
#   render --add GEOJSON                 vs  ogr2ogr -f Memory (GeoJSON)
#   validate GEOJSON                     vs  ogrinfo -al -so
#   convert GEOJSON X.gpkg               vs  ogr2ogr -f GPKG
#
# and prints the median wall time, the largest peak RSS (GNU time -v) and the ratios.
#
# Environment:
#   FA_BIN      the frontier-atlas binary to measure (default: built here with
#               `cargo build --release --no-default-features`, into $CARGO_TARGET_DIR or target/)
#   FA_BEFORE   optional second binary (e.g. an older build), measured in the same rounds
#   GEN         the gen_acled example binary (default: a debug build of examples/gen_acled.rs)
#   TASKS       which tasks to run (default: "import open validate convert")
#   BENCH_DIR   where the files go (default: /tmp/fa-bench; the generated files are reused
#               when they exist for the same ROWS)
#
# Needs: gdal-bin (ogr2ogr, ogrinfo) and GNU time (/usr/bin/time), e.g.
#   apt-get install gdal-bin time
set -euo pipefail

ROWS=${1:-1000000}
ROUNDS=${2:-3}
BENCH_DIR=${BENCH_DIR:-/tmp/fa-bench}
cd "$(dirname "$0")/.."

for tool in ogr2ogr ogrinfo; do
    command -v "$tool" >/dev/null || { echo "bench-vs-gdal: $tool not found (apt-get install gdal-bin)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench-vs-gdal: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }

target=${CARGO_TARGET_DIR:-target}
if [ -z "${FA_BIN:-}" ]; then
    echo "building the release binary into $target (slow the first time) ..." >&2
    cargo build --release --no-default-features --bin frontier-atlas >&2
fi
if [ -z "${GEN:-}" ]; then
    # A debug build: examples link the dev-dependencies (the GUI test stack), which a
    # release build would compile again from scratch. Generating is not what is measured.
    cargo build --example gen_acled >&2
fi
FA_BIN=${FA_BIN:-$target/release/frontier-atlas}
GEN=${GEN:-$target/debug/examples/gen_acled}

mkdir -p "$BENCH_DIR"
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
    local log=$BENCH_DIR/time.log status=0
    /usr/bin/time -v "$@" >"$BENCH_DIR/stdout.log" 2>"$log" || status=$?
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log")
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$tool" "$wall" "$rss" "$status" >>"$results"
    printf '  %-10s %-12s %8.2f s %8.0f MB  exit %s\n' "$name" "$tool" "$wall" "$((rss / 1024))" "$status" >&2
}

# fa NAME BINARY TOOL: the Frontier Atlas command of a task.
fa() {
    local name=$1 bin=$2 tool=$3
    case $name in
        import) run "$name" "$tool" "$bin" import acled "$csv" --out "$out/events.geojson" ;;
        open) run "$name" "$tool" "$bin" render --add "$geojson" --size 800x500 --out "$out/map.png" ;;
        validate) run "$name" "$tool" "$bin" validate "$geojson" ;;
        convert) run "$name" "$tool" "$bin" convert "$geojson" "$out/events.gpkg" ;;
    esac
}

gdal() {
    local name=$1
    case $name in
        import) run "$name" gdal ogr2ogr -f Memory "$out/mem" "$csv" -oo X_POSSIBLE_NAMES=longitude -oo Y_POSSIBLE_NAMES=latitude -oo KEEP_GEOM_COLUMNS=NO ;;
        open) run "$name" gdal ogr2ogr -f Memory "$out/mem" "$geojson" ;;
        validate) run "$name" gdal ogrinfo -al -so "$geojson" ;;
        convert) run "$name" gdal ogr2ogr -f GPKG "$out/events.gpkg" "$geojson" ;;
    esac
}

echo "files: $(du -m "$csv" | cut -f1) MB CSV, $(du -m "$geojson" | cut -f1) MB GeoJSON ($ROWS events)" >&2
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    for task in ${TASKS:-import open validate convert}; do
        fa "$task" "$FA_BIN" atlas
        gdal "$task"
        if [ -n "${FA_BEFORE:-}" ]; then
            fa "$task" "$FA_BEFORE" atlas-before
        fi
    done
done

echo
echo "$ROWS events: $(du -m "$csv" | cut -f1) MB CSV, $(du -m "$geojson" | cut -f1) MB GeoJSON; $ROUNDS rounds; median wall, largest peak RSS"
awk -F'\t' '
    { key = $1 SUBSEP $2; n[key]++; t[key, n[key]] = $3; if ($4 > rss[key]) rss[key] = $4; if ($5 != 0) bad[key] = $5; tools[$2] = 1; tasks[$1] = 1 }
    function median(key,   i, j, m, a, tmp) {
        m = n[key]; for (i = 1; i <= m; i++) a[i] = t[key, i]
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { tmp = a[i]; a[i] = a[j]; a[j] = tmp }
        return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    END {
        split("import open validate convert", order, " ")
        printf "%-10s %-13s %9s %9s %12s %12s\n", "task", "tool", "wall s", "RSS MB", "time/gdal", "RSS/gdal"
        for (o = 1; o <= 4; o++) {
            task = order[o]
            g = task SUBSEP "gdal"
            if (!(g in n)) continue
            gm = median(g)
            split("atlas atlas-before gdal", tl, " ")
            for (k = 1; k <= 3; k++) {
                key = task SUBSEP tl[k]
                if (!(key in n)) continue
                m = median(key)
                printf "%-10s %-13s %9.2f %9.0f %12.2f %12.2f%s\n", task, tl[k], m, rss[key] / 1024, (gm > 0 ? m / gm : 0), (rss[g] > 0 ? rss[key] / rss[g] : 0), ((key in bad) ? "  (exit " bad[key] ")" : "")
            }
        }
    }' "$results"
