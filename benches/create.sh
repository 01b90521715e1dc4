#!/usr/bin/env bash
# Torrent creation speed: `privateindexer create` against Debian's mktorrent (at
# its best thread count) on the same data with the page cache warm, and against
# the raw SHA-1 throughput of this machine on every core.
#
#   benches/create.sh [BIG_MIB] [SMALL_FILES] [SMALL_KIB]    (default: 4096 2000 512)
#
# Env: BENCH_DIR (data, default /tmp/privateindexer-bench), ROUNDS (default 3).
# Every figure is the best of ROUNDS runs. "MiB/s" is wall-clock; "MiB/CPU-s" is
# per second of CPU time (user + sys), which stays meaningful when other work
# shares the machine.
set -euo pipefail

BIG_MIB=${1:-4096}
SMALL_FILES=${2:-2000}
SMALL_KIB=${3:-512}
ROUNDS=${ROUNDS:-3}
DIR=${BENCH_DIR:-/tmp/privateindexer-bench}
CORES=$(nproc)

cd "$(dirname "$0")/.."
command -v mktorrent >/dev/null || { echo "mktorrent is missing: apt-get install mktorrent" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install time" >&2; exit 1; }

cargo build --release --quiet
BIN=target/release/privateindexer
RAW=$(cargo bench --bench sha1_raw --no-run 2>&1 | grep -o 'target/release/deps/sha1_raw-[0-9a-f]*' | head -1)

mkdir -p "$DIR"
BIG="$DIR/big-${BIG_MIB}M.bin"
SMALL="$DIR/small-${SMALL_FILES}x${SMALL_KIB}K"
if [ ! -f "$BIG" ]; then
    head -c "${BIG_MIB}M" /dev/urandom >"$BIG.tmp" && mv "$BIG.tmp" "$BIG"
fi
if [ ! -d "$SMALL" ]; then
    mkdir -p "$SMALL.tmp"
    head -c "$((SMALL_FILES * SMALL_KIB))K" /dev/urandom | split -b "${SMALL_KIB}K" -a 5 - "$SMALL.tmp/file-"
    mv "$SMALL.tmp" "$SMALL"
fi

# Runs a command under /usr/bin/time; prints "wall cpu".
timed() {
    /usr/bin/time -f "%e %U %S" -o "$DIR/time.txt" "$@" >/dev/null 2>&1
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$DIR/time.txt"
}

# Best wall and best CPU time of ROUNDS runs; prints "wall cpu".
best() {
    local w c bw=999999 bc=999999
    for _ in $(seq "$ROUNDS"); do
        read -r w c < <(timed "$@")
        bw=$(awk -v a="$w" -v b="$bw" 'BEGIN { print (a < b) ? a : b }')
        bc=$(awk -v a="$c" -v b="$bc" 'BEGIN { print (a < b) ? a : b }')
    done
    echo "$bw $bc"
}

mibs() { awk -v m="$1" -v s="$2" 'BEGIN { printf "%.0f", m / s }'; }

echo "machine: $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), sha_ni: $(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# Raw SHA-1 on every core, wall and CPU time.
read -r raw_wall raw_cpu < <(
    /usr/bin/time -f "%e %U %S" -o "$DIR/time.txt" "$RAW" "$CORES" >"$DIR/raw.txt"
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$DIR/time.txt"
)
raw_bytes=$(grep -o '[0-9]* bytes in' "$DIR/raw.txt" | cut -d' ' -f1)
raw_mib=$(awk -v b="$raw_bytes" 'BEGIN { print b / 1048576 }')
RAW_WALL=$(mibs "$raw_mib" "$raw_wall")
RAW_CPU=$(mibs "$raw_mib" "$raw_cpu")
echo
echo "raw SHA-1 ($CORES threads, sha1 crate): $RAW_WALL MiB/s, $RAW_CPU MiB/CPU-s"
echo
echo "| data | tool | best wall | MiB/s | MiB/CPU-s | vs mktorrent | vs raw SHA-1 |"
echo "|---|---|---|---|---|---|---|"

for data in "$BIG" "$SMALL"; do
    cat "$data" >/dev/null 2>&1 || find "$data" -type f -exec cat {} + >/dev/null
    mib=$(du -sbL "$data" | awk '{ print $1 / 1048576 }')
    label="$(basename "$data") ($(printf '%.0f' "$mib") MiB)"
    # The automatic piece size, given to mktorrent too.
    kib=$("$BIN" create --no-hash-cache --force --torrent-source BENCH -o "$DIR/ours.torrent" "$data" | sed -E 's/.*pieces of ([0-9]+) KiB.*/\1/')
    log2=$(awk -v k="$kib" 'BEGIN { print int(log(k * 1024) / log(2) + 0.5) }')

    read -r ow oc < <(best "$BIN" create --no-hash-cache --force --torrent-source BENCH -o "$DIR/ours.torrent" "$data")
    # Both tools also at their best thread count: when other work shares the
    # machine, more threads win a bigger share of the CPU.
    ob_w=999999 ob_c=999999 ob_t=0
    for t in $(seq 1 $((CORES * 2))); do
        read -r w c < <(best "$BIN" create --no-hash-cache --force --torrent-source BENCH --hash-threads "$t" -o "$DIR/ours.torrent" "$data")
        if awk -v a="$w" -v b="$ob_w" 'BEGIN { exit !(a < b) }'; then ob_w=$w ob_c=$c ob_t=$t; fi
    done
    mk_best_w=999999 mk_best_c=999999 mk_t=0
    for t in $(seq 1 $((CORES * 2))); do
        read -r w c < <(best sh -c "rm -f '$DIR/mk.torrent'; exec mktorrent -p -s BENCH -l $log2 -t $t -o '$DIR/mk.torrent' '$data'")
        if awk -v a="$w" -v b="$mk_best_w" 'BEGIN { exit !(a < b) }'; then mk_best_w=$w mk_best_c=$c mk_t=$t; fi
    done
    same=""
    if command -v transmission-show >/dev/null; then
        h1=$(transmission-show "$DIR/ours.torrent" | awk '/Hash:/ && !h { print $2; h = 1 }')
        h2=$(transmission-show "$DIR/mk.torrent" | awk '/Hash:/ && !h { print $2; h = 1 }')
        [ "$h1" = "$h2" ] && same=" (same info-hash)" || same=" (INFO-HASH DIFFERS: $h1 vs $h2)"
    fi
    ours_w=$(mibs "$mib" "$ow") ours_c=$(mibs "$mib" "$oc")
    mk_w=$(mibs "$mib" "$mk_best_w") mk_c=$(mibs "$mib" "$mk_best_c")
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
    echo "| $label, $kib KiB pieces | privateindexer create ($CORES threads)$same | ${ow} s | $ours_w | $ours_c | $(ratio "$ours_w" "$mk_w") wall, $(ratio "$ours_c" "$mk_c") CPU | $(ratio "$ours_w" "$RAW_WALL") wall, $(ratio "$ours_c" "$RAW_CPU") CPU |"
    ob_wm=$(mibs "$mib" "$ob_w") ob_cm=$(mibs "$mib" "$ob_c")
    echo "| | privateindexer create --hash-threads $ob_t (best of 1..$((CORES * 2))) | ${ob_w} s | $ob_wm | $ob_cm | $(ratio "$ob_wm" "$mk_w") wall, $(ratio "$ob_cm" "$mk_c") CPU | $(ratio "$ob_wm" "$RAW_WALL") wall, $(ratio "$ob_cm" "$RAW_CPU") CPU |"
    echo "| | mktorrent -t $mk_t (best of 1..$((CORES * 2))) | ${mk_best_w} s | $mk_w | $mk_c | | $(ratio "$mk_w" "$RAW_WALL") wall, $(ratio "$mk_c" "$RAW_CPU") CPU |"
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
