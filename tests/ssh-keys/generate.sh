#!/bin/sh
# Regenerates the 100 test keys of this folder with OpenSSH's ssh-keygen:
# unencrypted openssh-key-v1 private files and their .pub lines. They are
# throwaway test keys, committed so the test is reproducible; never use them.
# They live outside tests/vectors/, which holds secstream's own wire format.
set -eu
cd "$(dirname "$0")"
rm -f key-*
i=0
gen() { # type bits count
    n=0
    while [ "$n" -lt "$3" ]; do
        i=$((i + 1)); n=$((n + 1))
        name=$(printf 'key-%03d-%s-%s' "$i" "$1" "$2")
        case $((i % 4)) in
            0) comment="secstream test key $i" ;;
            1) comment="test$i@secstream.example" ;;
            2) comment="clé de test n°$i" ;;
            *) comment="" ;;
        esac
        ssh-keygen -q -t "$1" -b "$2" -N '' -C "$comment" -f "$name" </dev/null
    done
}
gen ed25519 256 28
gen ecdsa 256 16
gen ecdsa 384 16
gen ecdsa 521 16
gen rsa 1024 6
gen rsa 2048 6
gen rsa 3072 6
gen rsa 4096 6
