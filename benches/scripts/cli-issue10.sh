#!/usr/bin/env bash
# Issue 10's CLI figures on one 256 MiB mixed file in /dev/shm (so the disk is not
# measured), every pair run interleaved (A B A B ...) in the same run:
#   1. sealed `pack -j2` against `pack -j1`, with LZ4 and with deflate level 1 (goal >= 1.8x)
#   2. sealed `pack --compress lz4 -j2` against `zstd -1 -T2`, and sealed `unpack -j2`
#      against `zstd -d` (goal >= 1.0x)
#   3. sealed `pack --compress none` against `age` encrypt, `unpack` against `age -d`
#      (goal >= 1.0x)
# and, as a control of what a second thread can give on this machine at the time,
# `zstd -1 -T2` against `zstd -1 -T1`.
# Prints the median wall-clock time of RUNS runs of each, MiB/s of the plaintext, the
# median CPU time (user + system), and the ratio of wall times (time of the other /
# time of secstream; above 1: secstream is faster). On a loaded machine the wall-time
# ratio of -j2 to -j1 cannot reach 2; the CPU times show the work each did.
#
#   bash benches/scripts/cli-issue10.sh [SIZE_MB] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MB=${1:-256}
RUNS=${2:-5}
for tool in zstd age age-keygen bc; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install zstd age bc)"; exit 1; }
done
cargo build -q --release -p secstream-cli
BIN=target/release/secstream
DIR=$(mktemp -d /dev/shm/secstream-bench10.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

# Mixed input: 45% binary (executables), 45% text (sources and docs), 10% random.
binary=$((SIZE_MB * 45 / 100)); text=$((SIZE_MB * 45 / 100)); random=$((SIZE_MB - binary - text))
set +o pipefail # `head` ends the endless producers with SIGPIPE
{
  while :; do cat "$(command -v cargo)" "$BIN"; done | head -c $((binary << 20))
  while :; do find core host-std docs -name "*.rs" -o -name "*.md" | sort | xargs cat 2>/dev/null; done | head -c $((text << 20))
  head -c $((random << 20)) /dev/urandom
} > "$DIR/in"
set -o pipefail
in_size=$(stat -c %s "$DIR/in")

"$BIN" keygen -q "$DIR/key"
age-keygen -o "$DIR/age.key" 2>/dev/null
recipient=$(age-keygen -y "$DIR/age.key")

# The inputs of the decoders.
"$BIN" pack -q "$DIR/in" -o "$DIR/in.lz4.sst" --compress lz4 --key-file "$DIR/key"
"$BIN" pack -q "$DIR/in" -o "$DIR/in.none.sst" --compress none --key-file "$DIR/key"
zstd -q -1 -T2 "$DIR/in" -o "$DIR/in.zst"
age -r "$recipient" -o "$DIR/in.age" "$DIR/in"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# secs CMD...: one run writing "$DIR/out" (removed after); prints "wall cpu" seconds
# (cpu = user + system of the command and its threads).
secs() {
  local TIMEFORMAT='%R %U %S' t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
  rm -f "$DIR/out"
  echo "$t" | awk '{printf "%.3f %.3f\n", $1, $2 + $3}'
}
mibs() { echo "scale=0; $in_size / $1 / 1048576" | bc; }
# pair NAME_A NAME_B FN_A FN_B: RUNS interleaved runs of each; median wall time, MiB/s,
# median cpu time, and the ratio of the wall times B/A.
pair() {
  local a=() b=() ca=() cb=() i r ta tb
  for i in $(seq "$RUNS"); do
    r=$(secs "$3"); a+=("${r% *}"); ca+=("${r#* }")
    r=$(secs "$4"); b+=("${r% *}"); cb+=("${r#* }")
  done
  ta=$(printf '%s\n' "${a[@]}" | median)
  tb=$(printf '%s\n' "${b[@]}" | median)
  printf '%-27s %6.3f s %4s MiB/s cpu %6.3f s | %-16s %6.3f s %4s MiB/s cpu %6.3f s | ratio %s\n' \
    "$1" "$ta" "$(mibs "$ta")" "$(printf '%s\n' "${ca[@]}" | median)" \
    "$2" "$tb" "$(mibs "$tb")" "$(printf '%s\n' "${cb[@]}" | median)" \
    "$(echo "scale=2; $tb / $ta" | bc)"
}

pack_lz4_j2() { "$BIN" pack -q "$DIR/in" -o "$DIR/out" --compress lz4 --key-file "$DIR/key" -j2; }
pack_lz4_j1() { "$BIN" pack -q "$DIR/in" -o "$DIR/out" --compress lz4 --key-file "$DIR/key" -j1; }
pack_def_j2() { "$BIN" pack -q "$DIR/in" -o "$DIR/out" --compress deflate --level 1 --key-file "$DIR/key" -j2; }
pack_def_j1() { "$BIN" pack -q "$DIR/in" -o "$DIR/out" --compress deflate --level 1 --key-file "$DIR/key" -j1; }
zstd_pack() { zstd -q -1 -T2 "$DIR/in" -o "$DIR/out"; }
zstd_pack_t1() { zstd -q -1 -T1 "$DIR/in" -o "$DIR/out"; }
unpack_lz4() { "$BIN" unpack -q "$DIR/in.lz4.sst" -o "$DIR/out" --key-file "$DIR/key" -j2; }
zstd_unpack() { zstd -q -d "$DIR/in.zst" -o "$DIR/out"; }
pack_none() { "$BIN" pack -q "$DIR/in" -o "$DIR/out" --compress none --key-file "$DIR/key" -j2; }
age_enc() { age -r "$recipient" -o "$DIR/out" "$DIR/in"; }
unpack_none() { "$BIN" unpack -q "$DIR/in.none.sst" -o "$DIR/out" --key-file "$DIR/key" -j2; }
age_dec() { age -d -i "$DIR/age.key" -o "$DIR/out" "$DIR/in.age"; }

echo "input: $SIZE_MB MiB mixed in /dev/shm; $RUNS interleaved runs, medians; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "sizes: secstream lz4 $(stat -c %s "$DIR/in.lz4.sst"), zstd -1 $(stat -c %s "$DIR/in.zst"), secstream none $(stat -c %s "$DIR/in.none.sst"), age $(stat -c %s "$DIR/in.age") bytes"
# The control: what a second thread gives zstd on this machine now.
pair "zstd -1 -T2 (control)" "zstd -1 -T1" zstd_pack zstd_pack_t1
pair "pack sealed lz4 -j2" "-j1" pack_lz4_j2 pack_lz4_j1
pair "pack sealed deflate -1 -j2" "-j1" pack_def_j2 pack_def_j1
pair "pack sealed lz4 -j2" "zstd -1 -T2" pack_lz4_j2 zstd_pack
pair "unpack sealed lz4 -j2" "zstd -d" unpack_lz4 zstd_unpack
pair "pack sealed none -j2" "age -r (encrypt)" pack_none age_enc
pair "unpack sealed none -j2" "age -d (decrypt)" unpack_none age_dec
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
