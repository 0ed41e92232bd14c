#!/usr/bin/env bash
# The secstream CLI on one random file in /dev/shm (so the disk is not measured),
# single-threaded, without compression:
# - unsealed `pack` (checksum crc32c, and none) and `unpack` against `cp`;
# - sealed `pack --key-file` / `unpack --key-file` (checksum crc32c) against
#   `openssl enc -chacha20` (encryption only, no authentication) and `age`
#   (X25519 recipient; ChaCha20-Poly1305 in 64 KiB chunks).
# Prints the median of RUNS wall-clock runs of each and the ratio (throughput of
# secstream / throughput of the peer; above 1 is faster).
#
#   bash benches/scripts/cli-vs-openssl-age.sh [SIZE_MB] [RUNS]
#
# secstream runs single-threaded (`-j1`, issue 14's condition; JOBS='-j2' etc. to
# change it). RUSTFLAGS is passed through to the build (e.g. RUSTFLAGS='-C target-cpu=native'
# with CARGO_TARGET_DIR=target/native to keep the default build's artifacts).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MB=${1:-256}
RUNS=${2:-5}
for tool in openssl age age-keygen bc; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install openssl age bc)"; exit 1; }
done
cargo build -q --release -p secstream-cli
BIN=${CARGO_TARGET_DIR:-target}/release/secstream
JOBS=${JOBS:--j1}
DIR=$(mktemp -d /dev/shm/secstream-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

head -c $((SIZE_MB << 20)) /dev/urandom > "$DIR/in"
head -c 32 /dev/urandom > "$DIR/key"
KEY_HEX=$(od -An -tx1 -v "$DIR/key" | tr -d ' \n' | head -c 64)
IV_HEX=000102030405060708090a0b0c0d0e0f
age-keygen -o "$DIR/age-id" 2>/dev/null
AGE_RCPT=$(age-keygen -y "$DIR/age-id")

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# time_cmd CMD: runs RUNS times, each writing a fresh output name (tmpfs frees
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

cp_in() { cp "$DIR/in" "$1"; }
pack_crc() { "$BIN" pack $JOBS "$DIR/in" --compress none --checksum crc32c -o "$1"; }
pack_none() { "$BIN" pack $JOBS "$DIR/in" --compress none --checksum none -o "$1"; }
unpack_crc() { "$BIN" unpack $JOBS "$DIR/in.crc.sst" -o "$1"; }
unpack_none() { "$BIN" unpack $JOBS "$DIR/in.none.sst" -o "$1"; }
pack_sealed() { "$BIN" pack $JOBS "$DIR/in" --compress none --checksum crc32c --key-file "$DIR/key" -o "$1"; }
unpack_sealed() { "$BIN" unpack $JOBS "$DIR/in.sealed.sst" --key-file "$DIR/key" -o "$1"; }
openssl_enc() { openssl enc -chacha20 -K "$KEY_HEX" -iv "$IV_HEX" -in "$DIR/in" -out "$1"; }
openssl_dec() { openssl enc -d -chacha20 -K "$KEY_HEX" -iv "$IV_HEX" -in "$DIR/in.ossl" -out "$1"; }
age_enc() { age -e -r "$AGE_RCPT" -o "$1" "$DIR/in"; }
age_dec() { age -d -i "$DIR/age-id" -o "$1" "$DIR/in.age"; }

pack_crc "$DIR/in.crc.sst"; pack_none "$DIR/in.none.sst"; pack_sealed "$DIR/in.sealed.sst"
openssl_enc "$DIR/in.ossl"; age_enc "$DIR/in.age"

in_size=$(stat -c %s "$DIR/in")
mbs() { echo "scale=0; $in_size / $1 / 1048576" | bc; }
ratio() { echo "scale=2; $2 / $1" | bc; }
echo "input: $SIZE_MB MiB random in /dev/shm; median of $RUNS runs; secstream $JOBS; RUSTFLAGS='${RUSTFLAGS:-}'; load $(cut -d' ' -f1-3 /proc/loadavg)"
t_cp=$(time_cmd cp_in)
t_pc=$(time_cmd pack_crc); t_pn=$(time_cmd pack_none)
t_uc=$(time_cmd unpack_crc); t_un=$(time_cmd unpack_none)
t_ps=$(time_cmd pack_sealed); t_us=$(time_cmd unpack_sealed)
t_oe=$(time_cmd openssl_enc); t_od=$(time_cmd openssl_dec)
t_ae=$(time_cmd age_enc); t_ad=$(time_cmd age_dec)
echo "cp                               $(mbs "$t_cp") MiB/s"
echo "pack crc32c                      $(mbs "$t_pc") MiB/s  vs cp $(ratio "$t_pc" "$t_cp")x"
echo "pack checksum none               $(mbs "$t_pn") MiB/s  vs cp $(ratio "$t_pn" "$t_cp")x"
echo "unpack crc32c                    $(mbs "$t_uc") MiB/s  vs cp $(ratio "$t_uc" "$t_cp")x"
echo "unpack checksum none             $(mbs "$t_un") MiB/s  vs cp $(ratio "$t_un" "$t_cp")x"
echo "openssl enc -chacha20            $(mbs "$t_oe") MiB/s"
echo "openssl enc -d -chacha20         $(mbs "$t_od") MiB/s"
echo "age -e                           $(mbs "$t_ae") MiB/s"
echo "age -d                           $(mbs "$t_ad") MiB/s"
echo "pack sealed crc32c               $(mbs "$t_ps") MiB/s  vs openssl $(ratio "$t_ps" "$t_oe")x, vs age $(ratio "$t_ps" "$t_ae")x"
echo "unpack sealed crc32c             $(mbs "$t_us") MiB/s  vs openssl $(ratio "$t_us" "$t_od")x, vs age $(ratio "$t_us" "$t_ad")x"
