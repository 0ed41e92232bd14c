#!/usr/bin/env bash
# Runs a firmware ELF under QEMU and decodes its defmt log.
#
#   qemu-run.sh MACHINE ELF
#
# MACHINE is lm3s6965evb (Cortex-M4F, thumbv7em-none-eabihf) or microbit
# (Cortex-M0, thumbv6m-none-eabi). The firmware writes defmt frames to
# semihosting stdout and leaves through semihosting exit, so QEMU's exit
# status is the firmware's. No timestamps and no file paths are printed, so
# the output is the same on every machine (tests/*.out snapshots).
set -euo pipefail

machine=$1
elf=$2
case $machine in
    lm3s6965evb) cpu=(-cpu cortex-m4) ;;
    microbit) cpu=() ;;
    *) echo "qemu-run.sh: unknown machine $machine" >&2; exit 2 ;;
esac

# A hung firmware must not hang the test run.
timeout 60 qemu-system-arm "${cpu[@]}" -machine "$machine" -nographic \
    -monitor none -serial none \
    -semihosting-config enable=on,target=native \
    -kernel "$elf" \
    | defmt-print --log-format '{L} {s}' -e "$elf"
