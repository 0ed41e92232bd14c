#!/usr/bin/env bash
# Writes vectors.S embedding every tests/vectors file except the deflate and passphrase ones
# (the library has no deflate without an allocator) for the C firmware.
#   gen-vectors.sh VECTORS_DIR OUT.S
set -euo pipefail
dir=$(cd "$1" && pwd)
out=$2
names=()
for f in "$dir"/*.bin; do
    n=$(basename "$f" .bin)
    # passphrase-*: the envelope is a CLI and host-crate feature (no Argon2id here).
    case $n in *deflate* | passphrase-*) continue ;; esac
    names+=("$n")
done
{
    echo '    .section .testvectors, "a"'
    i=0
    for n in "${names[@]}"; do
        echo "    .balign 4"
        echo "v${i}_name: .asciz \"$n\""
        echo "    .balign 4"
        echo "v${i}_bin: .incbin \"$dir/$n.bin\""
        echo "v${i}_bin_end:"
        echo "    .balign 4"
        echo "v${i}_pl: .incbin \"$dir/$n.payloads\""
        echo "v${i}_pl_end:"
        i=$((i + 1))
    done
    echo "    .balign 4"
    echo "    .global fw_vectors"
    echo "fw_vectors:"
    i=0
    for n in "${names[@]}"; do
        echo "    .word v${i}_name, v${i}_bin, v${i}_bin_end - v${i}_bin, v${i}_pl, v${i}_pl_end - v${i}_pl"
        i=$((i + 1))
    done
    echo "    .global fw_vector_count"
    echo "fw_vector_count: .word ${#names[@]}"
    echo '    .section .note.GNU-stack, "", %progbits'
} > "$out"
