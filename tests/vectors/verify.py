#!/usr/bin/env python3
"""Independent reader of the secstream v1 test vectors (docs/format.md).

Written from the contract, sharing no code with the Rust core: checks every
`<name>.bin` decodes to `<name>.payloads`. Needs Python 3 with `cryptography`
(HKDF, ChaCha20Poly1305) and `xxhash` (XXH3-64); zlib and CRC-16/32 are from the
standard library, CRC-32C is computed bitwise here.

    python3 tests/vectors/verify.py
"""
import binascii
import os
import sys
import zlib

import xxhash
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MASTER = bytes(range(32))
STREAM_NONCE = bytes(range(0x40, 0x50))


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


CHECKSUMS = {
    "none": (0, 0, lambda d: 0),
    "crc16": (1, 2, lambda d: binascii.crc_hqx(d, 0)),
    "crc32": (2, 4, zlib.crc32),
    "crc32c": (3, 4, crc32c),
    "xxh3": (4, 8, xxhash.xxh3_64_intdigest),
}
BY_ID = {v[0]: k for k, v in CHECKSUMS.items()}


def checked(kind, payload, stored):
    _, width, fn = CHECKSUMS[kind]
    assert int.from_bytes(stored, "little") == fn(payload), "bad checksum"


def read_frames(kind, data, pos=0):
    width = CHECKSUMS[kind][1]
    out = []
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "little")
        stored = data[pos + 4:pos + 4 + width]
        payload = data[pos + 4 + width:pos + 4 + width + n]
        assert len(payload) == n, "truncated"
        checked(kind, payload, stored)
        out.append(payload)
        pos += 4 + width + n
    return out


def cobs_decode(enc):
    out = bytearray()
    i = 0
    while i < len(enc):
        code = enc[i]
        assert code != 0
        block = enc[i + 1:i + code]
        assert len(block) == code - 1 and 0 not in block
        out += block
        i += code
        if code != 0xFF and i < len(enc):
            out.append(0)
    return bytes(out)


def read_cobs(kind, data):
    width = CHECKSUMS[kind][1]
    out = []
    assert data.endswith(b"\0")
    for enc in data[:-1].split(b"\0"):
        dec = cobs_decode(enc)
        payload, stored = dec[:len(dec) - width], dec[len(dec) - width:]
        checked(kind, payload, stored)
        out.append(payload)
    return out


def read_container(data):
    h = data[:16]
    assert h[:4] == b"SSTM" and h[4] == 1 and h[7] == 0
    assert int.from_bytes(h[12:16], "little") == crc32c(h[:12])
    kind = BY_ID[h[5]]
    deflate, sealed = bool(h[6] & 1), bool(h[6] & 2)
    assert h[6] & ~3 == 0
    max_len = int.from_bytes(h[8:12], "little")
    pos = 16
    if sealed:
        assert data[16:32] == STREAM_NONCE
        aad = data[:32]
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=STREAM_NONCE,
                   info=b"secstream v1 payload").derive(MASTER)
        aead = ChaCha20Poly1305(key)
        pos = 32
    frames = read_frames(kind, data, pos)
    out = []
    for counter, stored in enumerate(frames):
        assert len(stored) <= max_len
        if sealed:
            final = counter == len(frames) - 1
            nonce = counter.to_bytes(11, "big") + bytes([1 if final else 0])
            stored = aead.decrypt(nonce, stored, aad)
        if deflate:
            d = zlib.decompressobj(-15)
            stored = d.decompress(stored)
            assert d.eof and not d.unused_data
        if sealed and counter == len(frames) - 1:
            assert stored == b"", "final frame of the vectors is empty"
            continue
        out.append(stored)
    return out


def payloads(data):
    out, pos = [], 0
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "little")
        out.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    count = 0
    for name in sorted(os.listdir(here)):
        if not name.endswith(".bin"):
            continue
        stem = name[:-4]
        data = open(os.path.join(here, name), "rb").read()
        want = payloads(open(os.path.join(here, stem + ".payloads"), "rb").read())
        fmt, kind = stem.rsplit("-", 1)
        if fmt == "frames":
            got = read_frames(kind, data)
        elif fmt == "cobs":
            got = read_cobs(kind, data)
        else:
            got = read_container(data)
            assert data[5] == CHECKSUMS[kind][0]
        assert got == want, stem
        count += 1
    print(f"{count} vectors ok")
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main())
