#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for MINUTES each (default 3), one after the other, one
# process at a time (the machines have 2 cores), and prints what each found.
#
#   scripts/fuzz.sh [MINUTES] [TARGET...]     e.g. scripts/fuzz.sh 10 geojson project
#
# Needs the nightly toolchain and cargo-fuzz (`rustup toolchain install nightly`,
# `cargo install cargo-fuzz`). Not run by CI. The corpus grows in fuzz/corpus/TARGET (seeded
# from tests/fixtures, geodata/ and fuzz/seeds); crashes land in fuzz/artifacts/TARGET and
# logs in fuzz/logs, all ignored by git. Reproduce a crash with
# `(cd fuzz && cargo +nightly fuzz run -s none -a TARGET artifacts/TARGET/crash-…)`, then make
# it a test in tests/fuzz_regressions.rs (the input as a file in tests/fixtures/fuzz/).
# FUZZ_SANITIZER=address builds with ASan (default: none, which runs several times faster).
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES="${1:-3}"
shift || true
ALL=(geojson validate acled_csv points_csv wkb gpkg project)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")
case "$MINUTES" in '' | *[!0-9]*) echo "usage: $0 [MINUTES] [TARGET...]" >&2; exit 2 ;; esac

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "error: needs nightly and cargo-fuzz: rustup toolchain install nightly && cargo install cargo-fuzz" >&2
  exit 1
fi

# Seed corpus: the fixtures and the small embedded layers (big files only slow libFuzzer down).
seed() { # TARGET FILE...
  local dir="fuzz/corpus/$1"
  shift
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] && [ "$(wc -c <"$f")" -le 65536 ] && cp -n "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"
  done
  return 0
}
shopt -s nullglob
GEOJSON=(tests/fixtures/*/*.geojson tests/fixtures/*/*.json geodata/*.geojson)
seed geojson "${GEOJSON[@]}"
seed validate "${GEOJSON[@]}"
seed acled_csv tests/fixtures/acled/*.csv
seed points_csv fuzz/seeds/points_csv/* tests/fixtures/*/*.csv
seed wkb fuzz/seeds/wkb/*
seed gpkg fuzz/seeds/gpkg/*
seed project tests/fixtures/project/* fuzz/seeds/project/*

SANITIZER="${FUZZ_SANITIZER:-none}"
echo "== building the fuzz targets (sanitizer: $SANITIZER, debug assertions on)"
(cd fuzz && cargo +nightly fuzz build -s "$SANITIZER" -a)
BIN="target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

declare -a SUMMARY
mkdir -p fuzz/logs
for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/artifacts/$t"
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  log="fuzz/logs/$t.log"
  echo "== $t: $MINUTES min"
  start=$(date +%s)
  set +e
  # The binaries built above, run directly: `cargo fuzz run` would rebuild whenever a source
  # file changed since, and the build time would eat into the minutes.
  (cd fuzz && "$BIN/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" -max_total_time=$((MINUTES * 60)) \
    -timeout=20 -rss_limit_mb=2048 -print_final_stats=1) >"$log" 2>&1
  status=$?
  set -e
  secs=$(($(date +%s) - start))
  after=$(find "fuzz/artifacts/$t" -type f | wc -l)
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  line="$t: ${secs}s, ${runs:-?} runs, exit $status, $((after - before)) new artifact(s)"
  if [ "$status" -ne 0 ]; then
    line="$line: $(grep -m1 -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" || echo 'see the log')"
  fi
  echo "   $line (log: $log)"
  SUMMARY+=("$line")
done

echo "== summary"
printf '  %s\n' "${SUMMARY[@]}"
