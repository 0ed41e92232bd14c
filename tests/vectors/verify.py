#!/usr/bin/env python3
"""Independent reader of the secstream test vectors (frames v1, container v2).

Written from the wire contract alone (docs/format.md, sections 1 to 4), sharing no
code with the Rust core. It checks that every `<name>.bin` in this directory decodes
to exactly `<name>.payloads`, reads every indexed container through its index
(random access), and checks that damaged containers are refused: every truncation,
a trailing byte, and bit flips at sampled positions.

Needs Python 3 with `cryptography` (HKDF-SHA256, ChaCha20-Poly1305) and `xxhash`
(XXH3-64). CRC-16/XMODEM, CRC-32 and raw deflate come from the standard library
(binascii, zlib); CRC-32C and the LZ4 block decoder are written here.

    python3 tests/vectors/verify.py

The last line is `verify.py: N passed, M failed`; the exit status is non-zero when a
check failed.
"""
import binascii
import os
import sys
import traceback
import zlib

import xxhash
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Fixed test inputs (tests/vectors/README.md); never used in production.
MASTER = bytes(range(32))
STREAM_NONCE = bytes(range(0x40, 0x50))
VECTOR_MAX_PLAIN = 1024

# Contract constants (section 4).
MAGIC = b"SSTM"
VERSION = 2
FLAG_SEALED = 0x01
MAX_MAX_PLAIN = 1 << 30
END_MARK = 0xFFFFFFFF
END_FIXED = 36  # end mark, count, total, entries, end length, CRC
MAX_ENTRIES = (0xFFFFFFFF - END_FIXED) // 8  # 536,870,907: the end length is a u32
TAG = 16
KDF_INFO = b"secstream v2 payload"
# A reader may refuse a `max_plain` above its own limit; this one uses the limit
# every secstream binding uses by default (16 MiB).
DEFAULT_READ_LIMIT = 16 << 20


# ---------------------------------------------------------------- errors


class Reject(Exception):
    """Input the contract says to refuse."""


class Truncated(Reject):
    pass


class ChecksumMismatch(Reject):
    pass


class AuthenticationFailed(Reject):
    pass


class Unsupported(Reject):
    pass


class LimitExceeded(Reject):
    pass


class Malformed(Reject):
    pass


class TrailingData(Reject):
    pass


class NotIndexed(Reject):
    pass


# ---------------------------------------------------------------- section 1


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    """CRC-32/ISCSI (Castagnoli), reflected, init and xorout 0xFFFFFFFF."""
    crc = 0xFFFFFFFF
    table = _CRC32C
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc16_xmodem(data):
    """CRC-16/XMODEM: poly 0x1021, init 0, no reflection, xorout 0."""
    return binascii.crc_hqx(data, 0)


class Checksum:
    def __init__(self, cid, name, width, fn, check):
        self.id, self.name, self.width, self.fn, self.check = cid, name, width, fn, check

    def verify(self, data, stored):
        """Compares the stored little-endian value with the checksum of `data`."""
        if self.width and int.from_bytes(stored, "little") != self.fn(data):
            raise ChecksumMismatch(f"{self.name} mismatch")

    def encode(self, data):
        return self.fn(data).to_bytes(self.width, "little") if self.width else b""


CHECKSUMS = [
    Checksum(0, "none", 0, lambda d: 0, None),
    Checksum(1, "crc16", 2, crc16_xmodem, 0x31C3),
    Checksum(2, "crc32", 4, zlib.crc32, 0xCBF43926),
    Checksum(3, "crc32c", 4, crc32c, 0xE3069283),
    Checksum(4, "xxh3", 8, xxhash.xxh3_64_intdigest, 0x72DCB18B67A17DFF),
]
BY_NAME = {c.name: c for c in CHECKSUMS}


def u32(data, pos):
    return int.from_bytes(data[pos:pos + 4], "little")


def u64(data, pos):
    return int.from_bytes(data[pos:pos + 8], "little")


# ---------------------------------------------------------------- section 2


def read_frames(ck, data, max_len=None):
    """Length-prefixed frames; a clean end is only between frames."""
    out, pos = [], 0
    while pos < len(data):
        if pos + 4 > len(data):
            raise Truncated("inside a length")
        n = u32(data, pos)
        if max_len is not None and n > max_len:
            raise LimitExceeded(f"frame of {n} bytes, maximum {max_len}")
        start = pos + 4 + ck.width
        if start + n > len(data):
            raise Truncated("inside a frame")
        payload = data[start:start + n]
        ck.verify(payload, data[pos + 4:start])
        out.append(payload)
        pos = start + n
    return out


# ---------------------------------------------------------------- section 3


def cobs_decode(enc):
    out = bytearray()
    i = 0
    while i < len(enc):
        code = enc[i]
        if code == 0:
            raise Malformed("cobs: zero byte inside a frame")
        block = enc[i + 1:i + code]
        if len(block) != code - 1:
            raise Malformed("cobs: block runs past the frame")
        out += block
        i += code
        if code != 0xFF and i < len(enc):
            out.append(0)
    return bytes(out)


def read_cobs(ck, data, resync=False):
    """COBS frames. With `resync`, a bad frame is dropped and reading goes on after
    the next delimiter (section 3); without it, any bad frame is an error."""
    out = []
    chunks = data.split(b"\0")
    if chunks[-1]:
        if not resync:
            raise Truncated("cobs: no delimiter after the last frame")
    for enc in chunks[:-1]:
        try:
            if not enc:
                raise Malformed("cobs: empty frame")
            dec = cobs_decode(enc)
            if len(dec) < ck.width:
                raise Malformed("cobs: frame shorter than its checksum")
            payload, stored = dec[:len(dec) - ck.width], dec[len(dec) - ck.width:]
            ck.verify(payload, stored)
        except Reject:
            if resync:
                continue
            raise
        out.append(payload)
    return out


# ---------------------------------------------------------------- section 4: codecs


def bound(compression, n):
    """Largest compressed size of an n-byte plaintext (contract section 4)."""
    if compression == 0:
        return n
    if compression == 1:
        return n + 5 * max(1, -(-n // 65535))
    return n + n // 255 + 16


def inflate(data, max_plain):
    """Exactly one raw deflate stream ending at the end of the frame."""
    d = zlib.decompressobj(-15)
    try:
        out = d.decompress(data, max_plain + 1)
    except zlib.error as e:
        raise Malformed(f"deflate: {e}") from None
    if len(out) > max_plain:
        raise LimitExceeded(f"deflate plaintext over max_plain {max_plain}")
    if not d.eof:
        raise Malformed("deflate: stream does not end (no final block) within the frame")
    if d.unused_data:
        raise Malformed("deflate: bytes after the end of the stream")
    return out


def _lz4_length(src, i, n):
    total = 0
    while True:
        if i >= n:
            raise Malformed("lz4: block ends inside a length")
        b = src[i]
        i += 1
        total += b
        if b != 255:
            return total, i


def lz4_decode(src, max_plain):
    """LZ4 block format: sequences of (token, literals, offset, match); the last
    sequence holds literals only and the block ends right after them. Output never
    exceeds `max_plain`. Also checks the format's end-of-block conditions: the last
    match starts at least 12 bytes before the end and the last 5 bytes are literals."""
    n = len(src)
    if n == 0:
        raise Malformed("lz4: empty block (an empty plaintext is the block 00)")
    out = bytearray()
    i = 0
    last_match = None
    while True:
        if i >= n:
            raise Malformed("lz4: block ends after a match (last sequence must be literals)")
        token = src[i]
        i += 1
        lit = token >> 4
        if lit == 15:
            extra, i = _lz4_length(src, i, n)
            lit += extra
        if i + lit > n:
            raise Malformed("lz4: literals run past the block")
        if len(out) + lit > max_plain:
            raise LimitExceeded(f"lz4 plaintext over max_plain {max_plain}")
        out += src[i:i + lit]
        i += lit
        if i == n:
            break
        if i + 2 > n:
            raise Malformed("lz4: block ends inside an offset")
        offset = src[i] | src[i + 1] << 8
        i += 2
        if offset == 0:
            raise Malformed("lz4: match offset 0")
        if offset > len(out):
            raise Malformed("lz4: match offset before the start of the block")
        mlen = token & 15
        if mlen == 15:
            extra, i = _lz4_length(src, i, n)
            mlen += extra
        mlen += 4
        if len(out) + mlen > max_plain:
            raise LimitExceeded(f"lz4 plaintext over max_plain {max_plain}")
        start = len(out) - offset
        at = len(out)
        if offset >= mlen:
            out += out[start:start + mlen]
        else:
            pattern = bytes(out[start:])
            out += (pattern * (mlen // offset + 1))[:mlen]
        last_match = (at, len(out))
    if last_match is not None:
        if last_match[0] + 12 > len(out):
            raise Malformed("lz4: last match starts less than 12 bytes before the end")
        if last_match[1] + 5 > len(out):
            raise Malformed("lz4: last 5 bytes are not literals")
    return bytes(out)


# ---------------------------------------------------------------- section 4: preamble


class Preamble:
    def __init__(self, raw, ck, compression, sealed, max_plain, nonce):
        self.raw = raw
        self.ck = ck
        self.compression = compression
        self.sealed = sealed
        self.max_plain = max_plain
        self.nonce = nonce
        self.max_stored = bound(compression, max_plain) + (TAG if sealed else 0)

    def __len__(self):
        return len(self.raw)


def parse_preamble(data, limit=DEFAULT_READ_LIMIT):
    if len(data) < 8:
        raise Truncated("inside the preamble")
    if data[:4] != MAGIC:
        raise Malformed("not a secstream container (bad magic)")
    if data[4] == 1:
        raise Unsupported("container version 1 is no longer supported: re-pack it with a "
                          "current secstream (version 2)")
    if data[4] != VERSION:
        raise Unsupported(f"container version {data[4]} is not supported")
    flags = data[7]
    if flags & ~FLAG_SEALED:
        raise Unsupported(f"unknown flag bits {flags:#04x}")
    sealed = bool(flags & FLAG_SEALED)
    size = 32 if sealed else 16
    if len(data) < size:
        raise Truncated("inside the preamble")
    body = data[:size - 4]
    if u32(data, size - 4) != crc32c(body):
        raise ChecksumMismatch("preamble CRC-32C mismatch")
    if data[5] >= len(CHECKSUMS):
        raise Unsupported(f"unknown checksum id {data[5]}")
    if data[6] > 2:
        raise Unsupported(f"unknown compression id {data[6]}")
    max_plain = u32(data, 8)
    if not 1 <= max_plain <= MAX_MAX_PLAIN:
        raise Malformed(f"max_plain {max_plain} outside 1..2^30")
    if max_plain > limit:
        raise LimitExceeded(f"max_plain {max_plain} is above this reader's limit {limit}")
    nonce = bytes(data[12:28]) if sealed else None
    return Preamble(bytes(data[:size]), CHECKSUMS[data[5]], data[6], sealed, max_plain, nonce)


def stream_aead(pre, master):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=pre.nonce,
               info=KDF_INFO).derive(master)
    return ChaCha20Poly1305(key)


def frame_nonce(counter, final):
    return counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def unseal(aead, counter, final, stored, aad):
    """Opens one sealed frame; one opaque error, no plaintext on failure."""
    if len(stored) < TAG:
        raise AuthenticationFailed("authentication failed")
    try:
        return aead.decrypt(frame_nonce(counter, final), bytes(stored), aad)
    except InvalidTag:
        raise AuthenticationFailed("authentication failed") from None


def decode(pre, body):
    """Decompresses one frame's (unsealed) body, never past `max_plain`."""
    if pre.compression == 0:
        if len(body) > pre.max_plain:
            raise LimitExceeded("plaintext over max_plain")
        return bytes(body)
    if pre.compression == 1:
        return inflate(body, pre.max_plain)
    return lz4_decode(body, pre.max_plain)


def open_frame(pre, aead, counter, final, stored):
    """Stored bytes of one frame (checksum already checked) to its plaintext."""
    if pre.sealed:
        stored = unseal(aead, counter, final, stored, pre.raw)
    return decode(pre, stored)


# ---------------------------------------------------------------- section 4: sequential


class Stream:
    """What a sequential read found. `payloads` is None for a keyless read of a
    sealed stream (nothing can be decrypted)."""

    def __init__(self, pre, payloads, stored_lens, indexed):
        self.pre = pre
        self.payloads = payloads
        self.stored_lens = stored_lens
        self.indexed = indexed


def read_container(data, master=MASTER, limit=DEFAULT_READ_LIMIT):
    """Reads a whole container front to back. `master=None` is the keyless
    verifier: checksums, layout and the end section only."""
    pre = parse_preamble(data, limit)
    ck = pre.ck
    keyed = pre.sealed and master is not None
    aead = stream_aead(pre, master) if keyed else None
    n = len(data)
    pos = len(pre)
    payloads = [] if (keyed or not pre.sealed) else None
    stored_lens = []
    final_seen = False
    while True:
        if pos + 4 > n:
            raise Truncated("inside a frame length or before the end section")
        length = u32(data, pos)
        if length == END_MARK:
            break
        if final_seen:
            raise Malformed("a frame after the final frame")
        if length > pre.max_stored:
            raise LimitExceeded(f"stored length {length} over max_stored {pre.max_stored}")
        start = pos + 4 + ck.width
        end = start + length
        if end > n:
            raise Truncated("inside a frame")
        stored = data[start:end]
        ck.verify(stored, data[pos + 4:start])
        counter = len(stored_lens)
        if keyed:
            at_end = end + 4 <= n and u32(data, end) == END_MARK
            try:
                body = unseal(aead, counter, at_end, stored, pre.raw)
                final_seen = at_end
            except AuthenticationFailed:
                # Only to name the failure: the frame may be authentic with the
                # other final bit.
                body = unseal(aead, counter, not at_end, stored, pre.raw)
                if at_end:
                    raise Truncated("end mark before the final frame") from None
                # Authentic as the final frame, yet more follows: refused at
                # the next length unless that is the end mark.
                final_seen = True
            payloads.append(decode(pre, body))
        elif pre.sealed:
            if length < TAG:
                raise AuthenticationFailed("sealed frame shorter than its tag")
        else:
            payloads.append(open_frame(pre, None, counter, False, stored))
        stored_lens.append(length)
        pos = end
    # With frames, the last one was followed by the end mark: it opened as the
    # final frame or Truncated was raised above. Without frames there is none.
    if pre.sealed and not stored_lens:
        raise Truncated("sealed stream without its final frame")
    return Stream(pre, payloads, stored_lens, _read_end(data, pos, pre, stored_lens, payloads))


def _read_end(data, pos, pre, stored_lens, payloads):
    """Checks the end section at `pos` against what was read; returns whether it
    holds an index."""
    n = len(data)
    count = len(stored_lens)
    if pos + 28 > n:
        raise Truncated("inside the end section")
    if u64(data, pos + 4) != count:
        raise Malformed(f"end section counts {u64(data, pos + 4)} frames, read {count}")
    if payloads is not None:
        total = sum(len(p) for p in payloads)
        if u64(data, pos + 12) != total:
            raise Malformed(f"end section total {u64(data, pos + 12)}, read {total}")
    entries = u64(data, pos + 20)
    if entries not in (0, count) or entries > MAX_ENTRIES:
        raise Malformed(f"index of {entries} entries for {count} frames")
    end_len = END_FIXED + 8 * entries
    if pos + end_len > n:
        raise Truncated("inside the end section")
    for i in range(entries):
        at = pos + 28 + 8 * i
        if u32(data, at) != stored_lens[i]:
            raise Malformed(f"index entry {i}: stored length differs from the frame")
        if payloads is not None and u32(data, at + 4) != len(payloads[i]):
            raise Malformed(f"index entry {i}: plaintext length differs from the frame")
    if u32(data, pos + end_len - 8) != end_len:
        raise Malformed("end length mismatch")
    if u32(data, pos + end_len - 4) != crc32c(data[pos:pos + end_len - 4]):
        raise ChecksumMismatch("end section CRC-32C mismatch")
    if pos + end_len != n:
        raise TrailingData(f"{n - pos - end_len} bytes after the end section")
    return entries == count


# ---------------------------------------------------------------- section 4: random access


class IndexedReader:
    """Random access (keyed when sealed): opens through the last 8 bytes and the
    index, then reads any frame directly."""

    def __init__(self, data, master=MASTER, limit=DEFAULT_READ_LIMIT):
        self.data = data
        self.pre = pre = parse_preamble(data, limit)
        self.aead = stream_aead(pre, master) if pre.sealed else None
        n = len(data)
        if n < len(pre) + END_FIXED:
            raise Truncated("too short for an end section")
        end_len = u32(data, n - 8)
        if end_len < END_FIXED or (end_len - END_FIXED) % 8 or end_len > n - len(pre):
            raise Malformed(f"end length {end_len} impossible here (truncated or trailing bytes?)")
        at = n - end_len
        if u32(data, n - 4) != crc32c(data[at:n - 4]):
            raise ChecksumMismatch("end section CRC-32C mismatch")
        if u32(data, at) != END_MARK:
            raise Malformed("no end mark where the end length points")
        count, total, entries = u64(data, at + 4), u64(data, at + 12), u64(data, at + 20)
        if end_len != END_FIXED + 8 * entries:
            raise Malformed("end length does not match the index entries")
        if entries != count:
            if entries == 0:
                raise NotIndexed("stream has no index")
            raise Malformed(f"index of {entries} entries for {count} frames")
        self.count = count
        self.entries = []
        offsets = []
        off = len(pre)
        plain_sum = 0
        for i in range(count):
            e = at + 28 + 8 * i
            stored, plain = u32(data, e), u32(data, e + 4)
            if pre.sealed and stored < TAG:
                raise Malformed(f"index entry {i}: sealed stored length {stored} below 16")
            self.entries.append((stored, plain))
            offsets.append(off)
            off += 4 + pre.ck.width + stored
            plain_sum += plain
        if off != at:
            raise Malformed("index offsets do not end at the end mark")
        if plain_sum != total:
            raise Malformed("index plaintext lengths do not sum to the total")
        self.offsets = offsets
        if pre.sealed:
            if count == 0:
                raise Truncated("sealed stream without its final frame")
            self.read(count - 1)  # authenticates the final frame

    def read(self, i):
        if not 0 <= i < self.count:
            raise IndexError(i)
        pre, data = self.pre, self.data
        pos = self.offsets[i]
        stored_len, plain_len = self.entries[i]
        length = u32(data, pos)
        if length > pre.max_stored:
            raise LimitExceeded(f"stored length {length} over max_stored {pre.max_stored}")
        if length != stored_len:
            raise Malformed(f"frame {i}: length {length}, index says {stored_len}")
        start = pos + 4 + pre.ck.width
        stored = data[start:start + length]
        pre.ck.verify(stored, data[pos + 4:start])
        plain = open_frame(pre, self.aead, i, i == self.count - 1, stored)
        if len(plain) != plain_len:
            raise Malformed(f"frame {i}: {len(plain)} plaintext bytes, index says {plain_len}")
        return plain


# ---------------------------------------------------------------- a small writer


def write_container(payloads, ck, compression=0, sealed=False, index=False,
                    max_plain=VECTOR_MAX_PLAIN, nonce=STREAM_NONCE, master=MASTER,
                    compress=None):
    """A container writer for building test inputs. `compress` maps a plaintext to
    its compressed frame (required for compression 1 and 2)."""
    head = MAGIC + bytes([VERSION, ck.id, compression, FLAG_SEALED if sealed else 0])
    head += max_plain.to_bytes(4, "little") + (nonce if sealed else b"")
    pre = head + crc32c(head).to_bytes(4, "little")
    aead = stream_aead(Preamble(pre, ck, compression, sealed, max_plain, nonce), master) \
        if sealed else None
    out = bytearray(pre)
    entries = []
    for i, p in enumerate(payloads):
        body = compress(p) if compression else p
        if sealed:
            body = aead.encrypt(frame_nonce(i, i == len(payloads) - 1), body, pre)
        out += len(body).to_bytes(4, "little") + ck.encode(body) + body
        entries.append((len(body), len(p)))
    out += end_section(len(payloads), sum(len(p) for p in payloads), entries if index else [])
    return bytes(out)


def end_section(count, total, entries, end_len=None):
    """An end section with a valid CRC; `end_len` overrides the end length field."""
    end = bytearray(END_MARK.to_bytes(4, "little"))
    end += count.to_bytes(8, "little") + total.to_bytes(8, "little")
    end += len(entries).to_bytes(8, "little")
    for s, p in entries:
        end += s.to_bytes(4, "little") + p.to_bytes(4, "little")
    if end_len is None:
        end_len = END_FIXED + 8 * len(entries)
    end += end_len.to_bytes(4, "little")
    return bytes(end + crc32c(end).to_bytes(4, "little"))


def deflate_raw(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def lz4_literals(data):
    """The literal-only LZ4 block of `data` (valid, if not compressed)."""
    n = len(data)
    if n < 15:
        return bytes([n << 4]) + data
    rest, ext = n - 15, bytearray()
    while rest >= 255:
        ext.append(255)
        rest -= 255
    ext.append(rest)
    return bytes([0xF0]) + bytes(ext) + data


# ---------------------------------------------------------------- the checks


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, fn, *args):
        try:
            fn(*args)
        except Exception as e:  # any failure, including a reader crash, is a failed check
            self.failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            if not isinstance(e, AssertionError):
                traceback.print_exc()
        else:
            self.passed += 1


def parse_payloads(data):
    out, pos = [], 0
    while pos < len(data):
        assert pos + 4 <= len(data), "payloads file: truncated length"
        n = u32(data, pos)
        assert pos + 4 + n <= len(data), "payloads file: truncated payload"
        out.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def expect_reject(fn, *args, kinds=(Reject,)):
    try:
        fn(*args)
    except kinds:
        return
    except Reject as e:
        raise AssertionError(f"refused with {type(e).__name__} ({e}), wanted {kinds}")
    raise AssertionError("accepted")


def check_values():
    for ck in CHECKSUMS[1:]:
        got = ck.fn(b"123456789")
        assert got == ck.check, f"{ck.name} check value {got:#x}, want {ck.check:#x}"


def name_config(stem):
    """`container-<none|deflate|lz4>[-sealed][-index]-<checksum>` to its settings."""
    parts = stem.split("-")
    assert parts[0] == "container" and parts[1] in ("none", "deflate", "lz4"), stem
    return {
        "compression": ("none", "deflate", "lz4").index(parts[1]),
        "sealed": "sealed" in parts[2:-1],
        "index": "index" in parts[2:-1],
        "ck": BY_NAME[parts[-1]],
    }


def check_edge_names(stem, s):
    """What each edge-* vector is there to show (tests/vectors/README.md)."""
    pre = s.pre
    if stem == "edge-empty-stream":
        assert not pre.sealed and s.payloads == [] and s.indexed, stem
    elif stem == "edge-sealed-only-final":
        assert pre.sealed and s.payloads == [b""], stem
    elif stem.startswith("edge-max-plain-"):
        rest = stem[len("edge-max-plain-"):].split("-")
        assert pre.compression == ("none", "deflate", "lz4").index(rest[0]), stem
        assert pre.sealed == (rest[1:] == ["sealed"]), stem
        assert s.payloads and all(len(p) == pre.max_plain for p in s.payloads), stem
        tag = TAG if pre.sealed else 0
        assert max(s.stored_lens) <= pre.max_stored, stem
        if pre.compression == 1:
            # The incompressible frame is stored blocks: exactly the bound.
            assert s.stored_lens[0] == bound(1, pre.max_plain) + tag, stem
    else:
        raise AssertionError(f"unknown edge vector {stem}")


def check_container_vector(stem, data, want):
    s = read_container(data)
    assert s.payloads == want, "payloads differ"
    assert s.pre.max_plain == VECTOR_MAX_PLAIN, "max_plain"
    if s.pre.sealed:
        assert s.pre.nonce == STREAM_NONCE, "stream nonce"
        k = read_container(data, master=None)
        assert k.stored_lens == s.stored_lens and k.indexed == s.indexed, "keyless verify"
    if stem.startswith("container-"):
        cfg = name_config(stem)
        assert s.pre.compression == cfg["compression"], "compression id"
        assert s.pre.sealed == cfg["sealed"], "sealed flag"
        assert s.indexed == cfg["index"], "index presence"
        assert s.pre.ck is cfg["ck"], "checksum id"
    if stem.startswith("edge-"):
        check_edge_names(stem, s)
    if s.indexed:
        r = IndexedReader(data)
        assert r.count == len(want)
        for i in reversed(range(r.count)):
            assert r.read(i) == want[i], f"random access frame {i}"
    else:
        expect_reject(IndexedReader, data, kinds=(NotIndexed,))


def check_rewrite(stem, data, want):
    """Compression none is deterministic, sealed too (fixed nonce): the small writer
    here must produce the vector byte for byte. Compressed vectors round-trip."""
    s = read_container(data)
    pre = s.pre
    compress = {0: None, 1: deflate_raw, 2: lz4_literals}[pre.compression]
    again = write_container(want, pre.ck, pre.compression, pre.sealed, s.indexed,
                            pre.max_plain, compress=compress)
    if pre.compression == 0:
        assert again == data, "python writer differs from the vector"
    assert read_container(again).payloads == want, "round trip"


def check_truncations(data, keyless):
    master = None if keyless else MASTER
    for cut in range(len(data)):
        try:
            read_container(data[:cut], master)
        except Truncated:
            continue
        except Reject as e:
            raise AssertionError(f"cut at {cut}: {type(e).__name__} ({e}), wanted Truncated")
        raise AssertionError(f"cut at {cut} of {len(data)} accepted")


def check_truncations_indexed(data):
    for cut in range(len(data)):
        try:
            IndexedReader(data[:cut])
        except Reject:
            continue
        raise AssertionError(f"random access: cut at {cut} of {len(data)} accepted")


def check_trailing(data, indexed):
    for extra in (b"\0", b"\xff", data[-1:]):
        expect_reject(read_container, data + extra, kinds=(TrailingData,))
        if indexed:
            expect_reject(IndexedReader, data + extra)


def frame_payload_ranges(data):
    """Byte ranges of the frames' stored payloads (not lengths, not checksums)."""
    pre = parse_preamble(data)
    ranges, pos = [], len(pre)
    while u32(data, pos) != END_MARK:
        start = pos + 4 + pre.ck.width
        ranges.append((start, start + u32(data, pos)))
        pos = start + u32(data, pos)
    return ranges


def read_all_indexed(data):
    r = IndexedReader(data)
    return [r.read(i) for i in range(r.count)]


def check_flips(data, want, stats):
    """One bit flipped in every byte in turn (bit = position mod 8) is refused by the
    sequential reader, the keyless verifier (when a checksum covers the frames) and
    random access (when indexed). With checksum none and no seal the contract gives
    payload bytes no integrity: there a flip must be refused or change the output,
    except for bits the codec ignores (deflate padding, the unused match nibble of
    an LZ4 block's last token), which give the same output (counted, reported)."""
    pre = parse_preamble(data)
    indexed = read_container(data).indexed
    in_payload = set()
    for a, b in frame_payload_ranges(data):
        in_payload.update(range(a, b))
    unprotected = pre.ck.width == 0 and not pre.sealed
    readers = [lambda d: read_container(d).payloads]
    if pre.sealed and pre.ck.width:
        readers.append(lambda d: read_container(d, master=None).stored_lens)
    if indexed:
        readers.append(read_all_indexed)
    for pos in range(len(data)):
        bad = bytearray(data)
        bad[pos] ^= 1 << (pos % 8)
        bad = bytes(bad)
        stats["flips"] += 1
        for read in readers:
            try:
                got = read(bad)
            except Reject:
                continue
            if unprotected and pos in in_payload:
                if got != want:
                    continue
                if pre.compression != 0:
                    stats["ignored"] += 1
                    continue
            raise AssertionError(f"bit {pos % 8} of byte {pos} flipped: accepted")


def check_frames_truncations(ck, data, want):
    boundaries = {0}
    pos = 0
    for p in want:
        pos += 4 + ck.width + len(p)
        boundaries.add(pos)
    for cut in range(len(data)):
        if cut in boundaries:
            got = read_frames(ck, data[:cut])
            assert got == want[:len(got)], f"cut at boundary {cut}"
        else:
            expect_reject(read_frames, ck, data[:cut], kinds=(Truncated,))


def check_cobs_flips(ck, data, want, stats):
    """With a checksum, a flipped bit costs only the frame it hits (two if it hits a
    delimiter): every other frame comes out intact, in order. The hit frame is
    dropped, except where the checksum cannot see the change (counted, reported; a
    failure for the 32- and 64-bit checksums)."""
    spans, start = [], 0
    for k, enc in enumerate(data.split(b"\0")[:-1]):
        spans.append((start, start + len(enc)))  # frame k, its delimiter at the end
        start += len(enc) + 1
    for pos in range(len(data)):
        k = next(i for i, (a, b) in enumerate(spans) if a <= pos <= b)
        last = k + 1 if pos == spans[k][1] and k + 1 < len(spans) else k
        bad = bytearray(data)
        bad[pos] ^= 1 << (pos % 8)
        got = read_cobs(ck, bytes(bad), resync=True)
        head, tail = want[:k], want[last + 1:]
        assert got[:len(head)] == head, f"flip at {pos}: a frame before it was lost"
        assert len(got) >= len(head) + len(tail) and got[len(got) - len(tail):] == tail, \
            f"flip at {pos}: a frame after it was lost"
        accepted = got[len(head):len(got) - len(tail)]
        if accepted:
            stats["cobs_accepted"].append((ck.name, pos, accepted))
            assert ck.width < 4, f"flip at {pos}: {ck.name} accepted {accepted!r}"


def frame_bytes(stream):
    """Each frame of a container as stored (length, checksum, payload)."""
    pre = parse_preamble(stream)
    frames, pos = [], len(pre)
    while u32(stream, pos) != END_MARK:
        end = pos + 4 + pre.ck.width + u32(stream, pos)
        frames.append(stream[pos:end])
        pos = end
    return frames


def check_constructed():
    """Inputs built here for the checks the vectors do not reach."""
    ck = BY_NAME["crc32c"]
    # Version 1 is refused with a message that says to re-pack.
    v1 = bytearray(write_container([b"x"], ck))
    v1[4] = 1
    v1[12:16] = crc32c(bytes(v1[:12])).to_bytes(4, "little")
    try:
        read_container(bytes(v1))
        raise AssertionError("version 1 accepted")
    except Unsupported as e:
        assert "re-pack" in str(e), str(e)
    # Unknown flag bits, checksum and compression ids, version 3 (preamble CRC fixed up).
    for at, value in ((7, 0x02), (5, 5), (6, 3), (4, 3)):
        bad = bytearray(write_container([b"x"], ck))
        bad[at] = value
        bad[12:16] = crc32c(bytes(bad[:12])).to_bytes(4, "little")
        expect_reject(read_container, bytes(bad), kinds=(Unsupported,))
    # max_plain 0 and 2^30 + 1 are refused; 2^30 is a valid value a reader may refuse
    # against its limit, with both numbers in the message.
    for mp in (0, MAX_MAX_PLAIN + 1):
        expect_reject(read_container, write_container([], ck, max_plain=mp), kinds=(Malformed,))
    big = write_container([b"x"], ck, max_plain=MAX_MAX_PLAIN)
    assert read_container(big, limit=MAX_MAX_PLAIN).payloads == [b"x"]
    try:
        read_container(big)
        raise AssertionError("max_plain over the limit accepted")
    except LimitExceeded as e:
        assert str(MAX_MAX_PLAIN) in str(e) and str(DEFAULT_READ_LIMIT) in str(e), str(e)
    # A length over max_stored is refused with only its 4 bytes in, for every
    # compression and sealed or not.
    for comp in (0, 1, 2):
        for sealed in (False, True):
            s = write_container([b"x"], ck, comp, sealed,
                                compress={0: None, 1: deflate_raw, 2: lz4_literals}[comp])
            pre = parse_preamble(s)
            over = (pre.max_stored + 1).to_bytes(4, "little")
            cut = s[:len(pre)] + over
            expect_reject(read_container, cut, kinds=(LimitExceeded,))
            at_max = s[:len(pre)] + pre.max_stored.to_bytes(4, "little")
            expect_reject(read_container, at_max, kinds=(Truncated,))
    # Decompression bombs: a frame one byte over max_plain, each compression.
    mp = 64
    for comp, fn in ((1, deflate_raw), (2, lz4_literals)):
        s = write_container([b"a" * (mp + 1)], ck, comp, max_plain=mp, compress=fn)
        expect_reject(read_container, s, kinds=(LimitExceeded,))
        s = write_container([b"a" * mp], ck, comp, max_plain=mp, compress=fn)
        assert read_container(s).payloads == [b"a" * mp]
    # An LZ4 match that overlaps its output, a match past max_plain, offset 0.
    rep = bytes([0x1F, 0x61, 0x01, 0x00, 0x0A]) + bytes([0x50]) + b"bcdef"
    assert lz4_decode(rep, 1024) == b"a" + b"a" * 29 + b"bcdef"
    expect_reject(lz4_decode, rep, 34, kinds=(LimitExceeded,))  # at the literals
    expect_reject(lz4_decode, rep, 29, kinds=(LimitExceeded,))  # at the match
    bomb = bytes([0x1F, 0x61, 0x01, 0x00, 0xFF, 0xFF, 0x10, 0x00])  # 1 + 545 bytes
    expect_reject(lz4_decode, bomb, 100, kinds=(LimitExceeded,))
    # End-of-block conditions: the last match starts 12 or more bytes before the end
    # and ends 5 or more bytes before it.
    ok = bytes([0x10, 0x61, 0x01, 0x00, 0xC0]) + b"bcdefghijklm"
    assert lz4_decode(ok, 1024) == b"aaaaa" + b"bcdefghijklm"
    expect_reject(lz4_decode, bytes([0x10, 0x61, 0x01, 0x00, 0x50]) + b"bcdef", 1024,
                  kinds=(Malformed,))  # starts 9 bytes before the end
    expect_reject(lz4_decode, bytes([0x1B, 0x61, 0x01, 0x00, 0x40]) + b"bcde", 1024,
                  kinds=(Malformed,))  # starts 19 before, ends 4 before the end
    # Offsets 0 and 2 (with one byte of output) in blocks valid otherwise.
    assert lz4_decode(bytes([0x14, 0x61, 0x01, 0x00, 0xC0]) + b"bcdefghijklm", 1024) \
        == b"a" * 9 + b"bcdefghijklm"
    expect_reject(lz4_decode, bytes([0x14, 0x61, 0x00, 0x00, 0xC0]) + b"bcdefghijklm",
                  1024, kinds=(Malformed,))
    expect_reject(lz4_decode, bytes([0x14, 0x61, 0x02, 0x00, 0xC0]) + b"bcdefghijklm",
                  1024, kinds=(Malformed,))
    expect_reject(lz4_decode, b"", 1024, kinds=(Malformed,))
    expect_reject(lz4_decode, bytes([0x1F, 0x61, 0x01, 0x00]), 1024, kinds=(Malformed,))
    # The contract's empty frames: deflate 03 00 and the stored form 01 00 00 FF FF,
    # LZ4 00; len 0 is only valid with compression none and no seal.
    assert inflate(bytes([0x03, 0x00]), 1) == b""
    assert inflate(bytes([0x01, 0x00, 0x00, 0xFF, 0xFF]), 1) == b""
    assert lz4_decode(b"\x00", 1) == b""
    expect_reject(inflate, b"", 1, kinds=(Malformed,))
    expect_reject(inflate, bytes([0x03, 0x00, 0x00]), 1, kinds=(Malformed,))
    expect_reject(inflate, bytes([0x02, 0x00]), 1, kinds=(Malformed,))  # no BFINAL
    for comp in (1, 2):
        s = write_container([b""], ck, comp, compress=lambda p: b"")
        expect_reject(read_container, s, kinds=(Malformed,))
    # Deflate stored blocks: bound(n) exactly.
    for n in (0, 1, 65535, 65536):
        p = os.urandom(n)
        blocks = bytearray()
        for i in range(0, max(n, 1), 65535):
            chunk = p[i:i + 65535]
            last = i + 65535 >= n
            blocks += bytes([1 if last else 0]) + len(chunk).to_bytes(2, "little")
            blocks += (len(chunk) ^ 0xFFFF).to_bytes(2, "little") + chunk
        assert len(blocks) == bound(1, n), (n, len(blocks))
        assert inflate(bytes(blocks), max(n, 1)) == p
    # Sealed: end mark before the final frame (the final frame dropped, the end
    # section rewritten) is truncation; a frame after the final one is an error;
    # reordered and duplicated frames fail; a sealed frame under 16 bytes fails.
    payloads = [b"one", b"two", b"three"]
    s = write_container(payloads, ck, sealed=True, index=True)
    pre = parse_preamble(s)
    frames = frame_bytes(s)

    def assemble(fs, plains):
        return pre.raw + b"".join(fs) + end_section(len(fs), sum(map(len, plains)), [])

    assert read_container(assemble(frames, payloads)).payloads == payloads
    expect_reject(read_container, assemble(frames[:2], payloads[:2]), kinds=(Truncated,))
    expect_reject(read_container, assemble(frames + frames[2:], payloads + payloads[2:]),
                  kinds=(Malformed,))
    expect_reject(read_container, assemble([frames[1], frames[0], frames[2]], payloads),
                  kinds=(AuthenticationFailed,))
    expect_reject(read_container, assemble([frames[0], frames[0], frames[2]], payloads),
                  kinds=(AuthenticationFailed,))
    short = (15).to_bytes(4, "little")
    short += ck.encode(b"\0" * 15) + b"\0" * 15
    expect_reject(read_container, assemble([short], [b""]), kinds=(AuthenticationFailed,))
    expect_reject(read_container, assemble([], []), kinds=(Truncated,))
    # The keyless verifier cannot tell these apart from intact streams except by the
    # index and the structure; it does refuse a sealed frame under 16 bytes.
    expect_reject(read_container, assemble([short], [b""]), None)
    # Another master key: authentication fails.
    expect_reject(read_container, s, bytes(32), kinds=(AuthenticationFailed,))
    # A dropped middle frame; a frame spliced from a stream with another nonce; the
    # same frames under another preamble (another nonce, or another max_plain, each
    # with a valid preamble CRC): authentication fails at the first changed frame.
    expect_reject(read_container, assemble([frames[0], frames[2]], [payloads[0], payloads[2]]),
                  kinds=(AuthenticationFailed,))
    other = write_container(payloads, ck, sealed=True, nonce=bytes(16))
    other_frames = frame_bytes(other)
    expect_reject(read_container, assemble([frames[0], other_frames[1], frames[2]], payloads),
                  kinds=(AuthenticationFailed,))
    for at, value in ((12, 0x41), (8, 0x01)):
        head = bytearray(pre.raw)
        head[at] ^= value
        head[28:32] = crc32c(bytes(head[:28])).to_bytes(4, "little")
        parse_preamble(bytes(head))
        expect_reject(read_container, bytes(head) + s[32:], kinds=(AuthenticationFailed,))
    # Random access: a forged index entry only produces an error.
    r = IndexedReader(s)
    assert [r.read(i) for i in range(3)] == payloads
    at = len(s) - (END_FIXED + 24) + 28
    for field, delta in ((0, 1), (4, 1)):
        bad = bytearray(s)
        bad[at + field] ^= delta
        bad[len(s) - 4:] = crc32c(bytes(bad[len(s) - (END_FIXED + 24):len(s) - 4])) \
            .to_bytes(4, "little")
        expect_reject(read_all_indexed, bytes(bad))
        expect_reject(read_container, bytes(bad), kinds=(Malformed,))
    check_forged_end_sections()


def check_forged_end_sections():
    """End sections that lie, each with a valid CRC, so that only the one check
    aimed at the lie can refuse them (unsealed, crc32c, three frames)."""
    ck = BY_NAME["crc32c"]
    payloads = [b"one", b"two", b"three"]
    good = write_container(payloads, ck, index=True)
    pre = parse_preamble(good)
    body = good[:len(good) - (END_FIXED + 8 * len(payloads))]
    entries = [(len(p), len(p)) for p in payloads]
    total = sum(map(len, payloads))
    assert body + end_section(3, total, entries) == good
    assert read_container(body + end_section(3, total, [])).payloads == payloads
    seq = [  # sequential reader: each refused as Malformed
        end_section(2, total, []),  # frame count
        end_section(4, total, []),
        end_section(3, total + 1, []),  # total plaintext
        end_section(3, total, entries[:2]),  # entries neither 0 nor the count
        end_section(3, total, entries + [(0, 0)]),
        end_section(3, total, [(4, 3)] + entries[1:]),  # an entry's stored length
        end_section(3, total, [(3, 4)] + entries[1:]),  # an entry's plaintext length
        end_section(3, total, entries, END_FIXED),  # end length
        end_section(3, total, [], END_FIXED + 8),
    ]
    for end in seq:
        expect_reject(read_container, body + end, kinds=(Malformed,))
    # Random access: offsets past the end mark, plaintext lengths that miss the
    # total, a sealed stored length under 16, no index.
    opened = [
        end_section(3, total, [(4, 3)] + entries[1:]),
        end_section(3, total, [(3, 4)] + entries[1:]),
        end_section(3, total + 1, entries),
    ]
    for end in opened:
        expect_reject(IndexedReader, body + end, kinds=(Malformed,))
    expect_reject(IndexedReader, body + end_section(3, total, []), kinds=(NotIndexed,))
    # Lies that still add up open, and are caught when the frame is read: its
    # `len` or its plaintext length differs from the entry.
    for end in (end_section(3, total, [(4, 3), (2, 3)] + entries[2:]),
                end_section(3, total, [(3, 4), (3, 2)] + entries[2:])):
        r = IndexedReader(body + end)
        expect_reject(r.read, 0, kinds=(Malformed,))
        expect_reject(r.read, 1)
        assert r.read(2) == payloads[2]
    assert pre.max_stored == VECTOR_MAX_PLAIN
    sealed = write_container([b"x", b""], ck, sealed=True, index=True)
    sbody = sealed[:len(sealed) - (END_FIXED + 16)]
    r = IndexedReader(sbody + end_section(2, 1, [(17, 1), (16, 0)]))
    assert [r.read(0), r.read(1)] == [b"x", b""]
    expect_reject(IndexedReader, sbody + end_section(2, 1, [(33, 1), (0, 0)]),
                  kinds=(Malformed,))
    # The final frame is authenticated at open: the same frames with a count of 1
    # make frame 0 the final one, which it is not.
    one = write_container([b"x"], ck, sealed=True, index=True)
    two = write_container([b"x", b"y"], ck, sealed=True, index=True)
    frame0 = two[32:32 + 4 + 4 + 17]
    assert one[32:32 + 4] == frame0[:4]
    expect_reject(IndexedReader, two[:32] + frame0 + end_section(1, 1, [(17, 1)]),
                  kinds=(AuthenticationFailed,))


# ---------------------------------------------------------------- passphrase envelope
# A project extension (docs/format.md, "Passphrase envelope"): 38 bytes before a
# sealed container whose master key is Argon2id(passphrase, salt, costs).

PASS_MAGIC = b"SSTP"
PASS_VERSION = 1
KDF_ARGON2ID = 1
ENVELOPE_LEN = 38
PASS_MAX_M_KIB = 2 * 1024 * 1024
PASS_MAX_P = 16
PASS_MAX_WORK_KIB = 8 * 1024 * 1024
# Fixed test inputs of the passphrase-* vectors.
VECTOR_PASSPHRASE = b"correct horse battery staple"
VECTOR_SALT = bytes(range(0x60, 0x70))


def parse_envelope(data):
    """(m_cost KiB, t_cost, p_cost, salt), or Reject; the costs are checked
    against the limits before anything is derived."""
    if len(data) >= 4 and data[:4] != PASS_MAGIC:
        raise Malformed("not a passphrase envelope")
    if len(data) < ENVELOPE_LEN:
        raise Truncated("envelope")
    if data[4] != PASS_VERSION:
        raise Unsupported(f"envelope version {data[4]}")
    if crc32c(data[:ENVELOPE_LEN - 4]) != u32(data, ENVELOPE_LEN - 4):
        raise ChecksumMismatch("envelope")
    if data[5] != KDF_ARGON2ID:
        raise Unsupported(f"kdf id {data[5]}")
    m, t, p = u32(data, 6), u32(data, 10), u32(data, 14)
    if not 1 <= p <= PASS_MAX_P:
        raise LimitExceeded(f"parallelism {p}")
    if not 8 * p <= m <= PASS_MAX_M_KIB:
        raise LimitExceeded(f"memory {m} KiB")
    if t < 1:
        raise LimitExceeded("passes 0")
    if m * t > PASS_MAX_WORK_KIB:
        raise LimitExceeded(f"work {m} KiB x {t}")
    return m, t, p, data[18:34]


def passphrase_key(env, passphrase):
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
    m, t, p, salt = env
    return Argon2id(salt=salt, length=32, iterations=t, lanes=p,
                    memory_cost=m).derive(passphrase)


def read_protected(data, passphrase):
    """A passphrase-protected stream: the envelope, then a sealed container."""
    env = parse_envelope(data)
    s = read_container(data[ENVELOPE_LEN:], master=passphrase_key(env, passphrase))
    if not s.pre.sealed:
        raise Malformed("a passphrase envelope before an unsealed container")
    return s


def envelope_bytes(m, t, p, salt, kdf=KDF_ARGON2ID):
    head = PASS_MAGIC + bytes([PASS_VERSION, kdf]) + b"".join(
        x.to_bytes(4, "little") for x in (m, t, p)) + salt
    return head + crc32c(head).to_bytes(4, "little")


def check_passphrase_vector(stem, data, want):
    env = parse_envelope(data)
    m, t, p, salt = env
    assert stem == f"passphrase-argon2id-m{m}-t{t}-p{p}", "name and costs differ"
    assert salt == VECTOR_SALT, "salt"
    s = read_protected(data, VECTOR_PASSPHRASE)
    assert s.payloads == want, "payloads differ"
    assert s.pre.ck is BY_NAME["crc32c"] and s.pre.compression == 0 and s.indexed
    # The python writer: the same bytes.
    key = passphrase_key(env, VECTOR_PASSPHRASE)
    again = envelope_bytes(m, t, p, salt) + write_container(
        want, s.pre.ck, 0, True, True, master=key)
    assert again == data, "python writer differs from the vector"
    expect_reject(read_protected, data, b"correct horse battery stapler",
                  kinds=(AuthenticationFailed,))
    # Every flipped bit of the envelope is refused by its own checks.
    for bit in range(ENVELOPE_LEN * 8):
        t_ = bytearray(data)
        t_[bit // 8] ^= 1 << (bit % 8)
        expect_reject(parse_envelope, bytes(t_))
    # Salt or costs rewritten with a matching CRC: another key.
    for at in (6, 10, 18):
        t_ = bytearray(data[:ENVELOPE_LEN - 4])
        t_[at] ^= 4  # costs stay within the limits
        forged = bytes(t_) + crc32c(bytes(t_)).to_bytes(4, "little") + data[ENVELOPE_LEN:]
        expect_reject(read_protected, forged, VECTOR_PASSPHRASE,
                      kinds=(AuthenticationFailed,))
    # Hostile costs are refused before any derivation.
    for m_, t_, p_ in ((0xFFFFFFFF, 1, 1), (1024, 0xFFFFFFFF, 1), (256, 1, 0),
                       (256, 1, 17), (7, 1, 1), (256, 0, 1)):
        expect_reject(parse_envelope, envelope_bytes(m_, t_, p_, salt),
                      kinds=(LimitExceeded,))
    expect_reject(parse_envelope, envelope_bytes(m, t, p, salt, kdf=2),
                  kinds=(Unsupported,))
    for cut in range(len(data)):
        expect_reject(read_protected, data[:cut], VECTOR_PASSPHRASE)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    res = Results()
    res.check("checksum check values (section 1)", check_values)
    res.check("constructed inputs (section 4 checks)", check_constructed)
    names = sorted(n[:-4] for n in os.listdir(here) if n.endswith(".bin"))
    vectors = {"frames": 0, "cobs": 0, "container": 0, "edge": 0, "passphrase": 0}
    stats = {"flips": 0, "ignored": 0, "cobs_accepted": []}
    for stem in names:
        data = open(os.path.join(here, stem + ".bin"), "rb").read()
        try:
            want = parse_payloads(open(os.path.join(here, stem + ".payloads"), "rb").read())
        except (OSError, AssertionError) as e:
            res.failed += 1
            print(f"FAIL {stem}: payloads: {e}")
            continue
        fmt = stem.split("-", 1)[0]
        if fmt not in vectors:
            res.failed += 1
            print(f"FAIL {stem}: unknown vector kind")
            continue
        vectors[fmt] += 1
        if fmt in ("frames", "cobs"):
            ck = BY_NAME[stem.rsplit("-", 1)[1]]
            reader = read_frames if fmt == "frames" else read_cobs

            def decodes(ck=ck, reader=reader, data=data, want=want):
                assert reader(ck, data) == want, "payloads differ"

            res.check(f"{stem}: decodes", decodes)
            if fmt == "frames":
                res.check(f"{stem}: truncations", check_frames_truncations, ck, data, want)
            elif ck.width:
                res.check(f"{stem}: bit flips resync", check_cobs_flips, ck, data, want,
                          stats)
            continue
        if fmt == "passphrase":
            res.check(f"{stem}: envelope, Argon2id key, container, damage refused",
                      check_passphrase_vector, stem, data, want)
            continue
        res.check(f"{stem}: decodes", check_container_vector, stem, data, want)
        res.check(f"{stem}: python writer", check_rewrite, stem, data, want)
        res.check(f"{stem}: every truncation refused", check_truncations, data, False)
        pre_sealed = len(data) > 7 and data[7] & FLAG_SEALED
        if pre_sealed:
            res.check(f"{stem}: every truncation refused (keyless)", check_truncations,
                      data, True)
        indexed = False
        try:
            indexed = read_container(data).indexed
        except Reject:
            pass
        if indexed:
            res.check(f"{stem}: every truncation refused (random access)",
                      check_truncations_indexed, data)
        res.check(f"{stem}: trailing byte refused", check_trailing, data, indexed)
        res.check(f"{stem}: bit flips refused", check_flips, data, want, stats)
    for fmt, n in vectors.items():
        if n == 0:
            res.failed += 1
            print(f"FAIL no {fmt}-* vectors found")
    print(f"vectors: {vectors}; bit flips tried: {stats['flips']}, of which "
          f"{stats['ignored']} (checksum none, unsealed) gave the original payloads")
    for name, pos, accepted in stats["cobs_accepted"]:
        print(f"note: cobs-{name}, bit flipped in byte {pos}: the resynchronising reader "
              f"accepted {accepted!r} in place of the frame it hit (the checksum cannot "
              f"see the change)")
    print(f"verify.py: {res.passed} passed, {res.failed} failed")
    return 0 if res.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
