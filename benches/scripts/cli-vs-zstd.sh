#!/usr/bin/env bash
# The secstream CLI against zstd on one mixed file, single-threaded, in /dev/shm
# (so the disk is not measured): pack --compress lz4 vs zstd -1 -T1, unpack vs zstd -d.
# Prints the median of RUNS wall-clock runs of each and the ratio (throughput of
# secstream / throughput of zstd; above 1 is faster).
#
#   bash benches/scripts/cli-vs-zstd.sh [SIZE_MB] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MB=${1:-200}
RUNS=${2:-5}
command -v zstd >/dev/null || { echo "needs zstd (apt-get install zstd)"; exit 1; }
cargo build -q --release -p secstream-cli
BIN=target/release/secstream
DIR=$(mktemp -d /dev/shm/secstream-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

# Mixed input: 45% binary (executables), 45% text (sources and docs), 10% random.
binary=$((SIZE_MB * 45 / 100)); text=$((SIZE_MB * 45 / 100)); random=$((SIZE_MB - binary - text))
# `head` ends the endless producers with SIGPIPE: not a failure here.
set +o pipefail
{
  while :; do cat "$(command -v cargo)" target/release/secstream; done | head -c $((binary << 20))
  while :; do find core host-std docs -name '*.rs' -o -name '*.md' | sort | xargs cat; done | head -c $((text << 20))
  head -c $((random << 20)) /dev/urandom
} > "$DIR/in"
set -o pipefail

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# time_cmd NAME CMD...: runs RUNS times, each writing a fresh output name (tmpfs frees
# replaced files slowly, see TOOLCHAIN.md), prints the median seconds.
time_cmd() {
  local times=()
  for i in $(seq "$RUNS"); do
    local s e
    s=$(date +%s.%N)
    "$@" "$DIR/out.$i"
    e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc)")
    rm -f "$DIR/out.$i"
  done
  printf '%s\n' "${times[@]}" | median
}
pack_ss() { "$BIN" pack "$DIR/in" --compress lz4 --checksum crc32c -o "$1"; }
pack_zstd() { zstd -q -1 -T1 "$DIR/in" -o "$1"; }
"$BIN" pack "$DIR/in" --compress lz4 --checksum crc32c -o "$DIR/in.sst"
zstd -q -1 -T1 "$DIR/in" -o "$DIR/in.zst"
unpack_ss() { "$BIN" unpack "$DIR/in.sst" -o "$1"; }
unpack_zstd() { zstd -q -d -T1 "$DIR/in.zst" -o "$1"; }

in_size=$(stat -c %s "$DIR/in")
echo "input: $SIZE_MB MiB mixed; secstream lz4: $(stat -c %s "$DIR/in.sst") bytes, zstd -1: $(stat -c %s "$DIR/in.zst") bytes"
p1=$(time_cmd pack_ss); p2=$(time_cmd pack_zstd)
u1=$(time_cmd unpack_ss); u2=$(time_cmd unpack_zstd)
mbs() { echo "scale=0; $in_size / $1 / 1048576" | bc; }
echo "pack   secstream lz4 $(mbs "$p1") MiB/s, zstd -1 -T1 $(mbs "$p2") MiB/s, ratio $(echo "scale=2; $p2 / $p1" | bc)"
echo "unpack secstream     $(mbs "$u1") MiB/s, zstd -d      $(mbs "$u2") MiB/s, ratio $(echo "scale=2; $u2 / $u1" | bc)"
