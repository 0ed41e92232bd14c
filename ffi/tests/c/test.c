/*
 * C99 test of the secstream C interface, built with -fsanitize=address,undefined
 * against the static library (cargo xtask test, step "ffi").
 *
 * usage: test <tests/vectors directory>
 *
 * Decodes every frames-*, cobs-*, container-* and edge-* vector (deflate ones
 * must be refused, and verified keyless when sealed), re-encodes the
 * deterministic ones byte for byte, and feeds every decoder truncations, bit
 * flips and garbage. Last line: "N passed, N failed".
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secstream.h"

static unsigned long passed, failed, decodes;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (cond) {                                                            \
            passed++;                                                          \
        } else {                                                               \
            failed++;                                                          \
            if (failed <= 50) {                                                \
                printf("FAIL %s:%d: ", __FILE__, __LINE__);                    \
                printf(__VA_ARGS__);                                           \
                printf("\n");                                                  \
            }                                                                  \
        }                                                                      \
    } while (0)

/* Aligned state memory for any of the types. */
typedef union {
    uint64_t align;
    uint8_t bytes[SECSTREAM_READER_STATE_SIZE + SECSTREAM_WRITER_STATE_SIZE];
} state_mem;

#define MAX_PAYLOADS 64
#define MAX_DATA 65536

typedef struct {
    size_t count;
    size_t lens[MAX_PAYLOADS];
    size_t offs[MAX_PAYLOADS];
    size_t used;
    uint8_t data[MAX_DATA];
    int overflow;
} payloads;

static void payloads_clear(payloads *p) {
    p->count = 0;
    p->used = 0;
    p->overflow = 0;
}

static void payloads_add(payloads *p, const uint8_t *d, size_t n) {
    if (p->count >= MAX_PAYLOADS || MAX_DATA - p->used < n) {
        p->overflow = 1;
        return;
    }
    if (n > 0) {
        memcpy(p->data + p->used, d, n);
    }
    p->offs[p->count] = p->used;
    p->lens[p->count] = n;
    p->used += n;
    p->count++;
}

/* Whether the first a->count payloads of b equal a's (a is a prefix of b). */
static int payloads_prefix(const payloads *a, const payloads *b) {
    size_t i;
    if (a->overflow || b->overflow || a->count > b->count) {
        return 0;
    }
    for (i = 0; i < a->count; i++) {
        if (a->lens[i] != b->lens[i] ||
            memcmp(a->data + a->offs[i], b->data + b->offs[i], a->lens[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

static int payloads_equal(const payloads *a, const payloads *b) {
    return a->count == b->count && payloads_prefix(a, b);
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int parse_payloads(const uint8_t *d, size_t n, payloads *p) {
    size_t off = 0;
    payloads_clear(p);
    while (off < n) {
        uint32_t len;
        if (n - off < 4) {
            return 0;
        }
        len = (uint32_t)d[off] | (uint32_t)d[off + 1] << 8 | (uint32_t)d[off + 2] << 16 |
              (uint32_t)d[off + 3] << 24;
        off += 4;
        if (n - off < len) {
            return 0;
        }
        payloads_add(p, d + off, len);
        off += len;
    }
    return !p->overflow;
}

static const uint8_t KEY[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
static const uint8_t NONCE[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                  0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};

enum kind { FRAMES, COBS, READER, READER_SEALED, VERIFIER };

typedef struct {
    secstream_error err;  /* first error of feed, else of finish */
    int no_progress;      /* a decoder event used no input more than once in a row */
    int rejected;         /* COBS rejections */
    secstream_feed header; /* the container header event */
    int got_header;
    int got_end;
} outcome;

static uint8_t frame_buf[8192];
/* The frame buffer length decode() gives decoders (tests shrink it). */
static size_t frame_buf_len = sizeof frame_buf;
static uint8_t plain_buf[4096];
static uint8_t scratch[1 << 16];

/*
 * Decodes `len` bytes of `in` with a decoder of `kind` fed `chunk` bytes at a
 * time; collects the payloads.
 */
static outcome decode(enum kind kind, uint8_t ck, const uint8_t *in, size_t len, size_t chunk,
                      payloads *out) {
    state_mem st;
    outcome o;
    secstream_error e = SECSTREAM_OK;
    size_t off = 0;
    memset(&o, 0, sizeof o);
    payloads_clear(out);
    decodes++;
    if (len > sizeof scratch) {
        o.err = SECSTREAM_ERR_OTHER;
        return o;
    }
    if (len > 0) {
        memcpy(scratch, in, len);
    }
    switch (kind) {
    case FRAMES:
        e = secstream_frame_decoder_open(&st, sizeof st, ck, 1u << 20, frame_buf, frame_buf_len);
        break;
    case COBS:
        e = secstream_cobs_decoder_open(&st, sizeof st, ck, 1u << 20, frame_buf, frame_buf_len);
        break;
    case READER:
        e = secstream_reader_open(&st, sizeof st, frame_buf, frame_buf_len, plain_buf,
                                  sizeof plain_buf, 0);
        break;
    case READER_SEALED:
        e = secstream_reader_open_sealed(&st, sizeof st, KEY, frame_buf, frame_buf_len,
                                         plain_buf, sizeof plain_buf, 0);
        break;
    case VERIFIER:
        e = secstream_verifier_open(&st, sizeof st, frame_buf, frame_buf_len, plain_buf,
                                    sizeof plain_buf, 0);
        break;
    }
    if (e != SECSTREAM_OK) {
        o.err = e;
        return o;
    }
    while (off < len && e == SECSTREAM_OK) {
        size_t n = len - off < chunk ? len - off : chunk;
        uint8_t *p = scratch + off;
        size_t rem = n;
        int idle = 0;
        while (rem > 0) {
            secstream_feed f;
            switch (kind) {
            case FRAMES:
                e = secstream_frame_decoder_feed(&st, p, rem, &f);
                break;
            case COBS:
                e = secstream_cobs_decoder_feed(&st, p, rem, &f);
                break;
            default:
                e = secstream_reader_feed(&st, p, rem, &f);
                break;
            }
            if (e != SECSTREAM_OK) {
                break;
            }
            if (f.consumed > rem) {
                o.no_progress = 1;
                break;
            }
            if (f.consumed == 0 && ++idle > 2) {
                o.no_progress = 1;
                break;
            }
            if (f.consumed != 0) {
                idle = 0;
            }
            if (f.event == SECSTREAM_FRAME) {
                payloads_add(out, f.payload, f.payload_len);
            } else if (f.event == SECSTREAM_REJECTED) {
                o.rejected++;
            } else if (f.event == SECSTREAM_HEADER) {
                o.header = f;
                o.got_header = 1;
            } else if (f.event == SECSTREAM_END) {
                o.got_end = 1;
            }
            p += f.consumed;
            rem -= f.consumed;
            if (f.event == SECSTREAM_NEED_MORE) {
                break;
            }
        }
        if (o.no_progress) {
            break;
        }
        off += n;
    }
    if (e == SECSTREAM_OK) {
        switch (kind) {
        case FRAMES:
            e = secstream_frame_decoder_finish(&st);
            break;
        case COBS:
            e = secstream_cobs_decoder_finish(&st);
            break;
        default:
            e = secstream_reader_finish(&st);
            break;
        }
    }
    o.err = e;
    switch (kind) {
    case FRAMES:
        e = secstream_frame_decoder_close(&st);
        break;
    case COBS:
        e = secstream_cobs_decoder_close(&st);
        break;
    default:
        e = secstream_reader_close(&st);
        break;
    }
    if (e != SECSTREAM_OK) {
        o.no_progress = 1;
    }
    return o;
}

static uint32_t rng = 0x12345678u;
static uint32_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static uint8_t ck_of(const char *name) {
    const char *dash = strrchr(name, '-');
    static const char *names[] = {"none", "crc16", "crc32", "crc32c", "xxh3"};
    uint8_t i;
    for (i = 0; i < 5 && dash; i++) {
        if (strcmp(dash + 1, names[i]) == 0) {
            return i;
        }
    }
    return 0xff;
}

static uint8_t enc[1 << 16];

/* Re-encodes frames or COBS payloads and compares with the vector. */
static void reencode_frames(int cobs, uint8_t ck, const payloads *want, const uint8_t *bin,
                            size_t len, const char *name) {
    size_t i, n = 0;
    for (i = 0; i < want->count; i++) {
        size_t w = 0, bound = 0;
        secstream_error e;
        if (cobs) {
            e = secstream_cobs_max_encoded_len(ck, want->lens[i], &bound);
            e = e ? e
                  : secstream_cobs_encode(ck, want->data + want->offs[i], want->lens[i],
                                          enc + n, sizeof enc - n, &w);
        } else {
            e = secstream_frame_encoded_len(ck, want->lens[i], &bound);
            e = e ? e
                  : secstream_frame_encode(ck, want->data + want->offs[i], want->lens[i],
                                           enc + n, sizeof enc - n, &w);
        }
        CHECK(e == SECSTREAM_OK && w <= bound, "%s: encode payload %zu: %s", name, i,
              secstream_error_name(e));
        n += w;
    }
    CHECK(n == len && memcmp(enc, bin, len) == 0, "%s: re-encoding differs", name);
}

/* The checksum stored in each frame of a frames-* vector equals secstream_checksum. */
static void check_checksums(uint8_t ck, const payloads *want, const uint8_t *bin, const char *name) {
    size_t i, off = 0, width = 0;
    CHECK(secstream_checksum_width(ck, &width) == SECSTREAM_OK, "%s: width", name);
    for (i = 0; i < want->count; i++) {
        uint64_t sum = 0, stored = 0;
        size_t b;
        CHECK(secstream_checksum(ck, want->data + want->offs[i], want->lens[i], &sum) ==
                  SECSTREAM_OK,
              "%s: checksum", name);
        for (b = 0; b < width; b++) {
            stored |= (uint64_t)bin[off + 4 + b] << (8 * b);
        }
        CHECK(sum == stored, "%s: checksum of payload %zu", name, i);
        off += 4 + width + want->lens[i];
    }
}

static payloads want, got;

/* Truncations and one bit flip per byte: never a clean decode of the original. */
/*
 * `lenient`: an LZ4 stream without checksum or seal. The match-length nibble of
 * an LZ4 block's last token is ignored (as by liblz4), so flipping one of its
 * bits gives other stored bytes with the same plaintext, and nothing checks
 * them: such flips may decode to the original.
 */
static void damage(enum kind kind, uint8_t ck, const uint8_t *bin, size_t len, const char *name,
                   int compare, int lenient) {
    static uint8_t copy[1 << 16];
    size_t cut, i;
    unsigned long bad = 0;
    for (cut = 0; cut < len; cut++) {
        outcome o = decode(kind, ck, bin, cut, cut + 1, &got);
        /* Every payload decoded from a prefix is one of the stream's, in order. */
        if (o.no_progress || (compare && !payloads_prefix(&got, &want)) ||
            (o.err == SECSTREAM_OK && kind >= READER) ||
            (o.err == SECSTREAM_OK && got.count == want.count && want.count > 0 &&
             want.lens[want.count - 1] > 0)) {
            bad++;
        }
    }
    CHECK(bad == 0, "%s: %lu of %zu truncations decoded wrongly", name, bad, len);
    bad = 0;
    memcpy(copy, bin, len);
    for (i = 0; i < len; i++) {
        outcome o;
        copy[i] ^= (uint8_t)(1u << (i % 8));
        o = decode(kind, ck, copy, len, len, &got);
        if (o.no_progress ||
            (!lenient && o.err == SECSTREAM_OK && o.rejected == 0 && payloads_equal(&got, &want))) {
            bad++;
        }
        copy[i] ^= (uint8_t)(1u << (i % 8));
    }
    CHECK(bad == 0, "%s: %lu of %zu bit flips decoded to the original", name, bad, len);
}

static void garbage(enum kind kind, uint8_t ck, const uint8_t *prefix, size_t prefix_len,
                    const char *what) {
    static uint8_t buf[4096];
    unsigned long bad = 0;
    int round;
    for (round = 0; round < 300; round++) {
        size_t n = next_rand() % sizeof buf, i;
        outcome o;
        for (i = 0; i < n; i++) {
            buf[i] = (uint8_t)next_rand();
        }
        if (prefix_len > 0 && prefix_len <= n) {
            memcpy(buf, prefix, prefix_len);
        }
        o = decode(kind, ck, buf, n, 1 + next_rand() % 64, &got);
        if (o.no_progress || (kind >= READER && o.err == SECSTREAM_OK)) {
            bad++;
        }
    }
    CHECK(bad == 0, "garbage to %s: %lu bad outcomes", what, bad);
}

static void test_frames(const char *name, const uint8_t *bin, size_t len, int cobs) {
    uint8_t ck = ck_of(name);
    enum kind kind = cobs ? COBS : FRAMES;
    static const size_t chunks[] = {1, 3, 7, 64, 1 << 20};
    size_t c;
    for (c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        outcome o = decode(kind, ck, bin, len, chunks[c], &got);
        CHECK(o.err == SECSTREAM_OK && !o.no_progress && o.rejected == 0 &&
                  payloads_equal(&got, &want),
              "%s: decode in chunks of %zu: %s", name, chunks[c], secstream_error_name(o.err));
    }
    reencode_frames(cobs, ck, &want, bin, len, name);
    if (!cobs) {
        check_checksums(ck, &want, bin, name);
    }
    damage(kind, ck, bin, len, name, 1, 0);
}

static void test_container(const char *name, const uint8_t *bin, size_t len) {
    int sealed = strstr(name, "-sealed") != NULL;
    int deflate = strstr(name, "deflate") != NULL;
    /* The end section's length (its last 8 bytes: length, CRC-32C) says whether
     * it holds an index. */
    int index = len < 8 || (bin[len - 8] | bin[len - 7] << 8) != 36 || bin[len - 6] || bin[len - 5];
    enum kind kind = sealed ? READER_SEALED : READER;
    outcome o;
    if (deflate) {
        o = decode(kind, 0, bin, len, len, &got);
        CHECK(o.err == SECSTREAM_ERR_COMPRESSION_UNAVAILABLE, "%s: deflate refused: %s", name,
              secstream_error_name(o.err));
        if (sealed) {
            o = decode(VERIFIER, 0, bin, len, 5, &got);
            CHECK(o.err == SECSTREAM_OK && o.got_end && got.count == want.count,
                  "%s: keyless verify: %s", name, secstream_error_name(o.err));
        }
        return;
    }
    {
        static const size_t chunks[] = {1, 5, 100, 1 << 20};
        size_t c;
        for (c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            o = decode(kind, 0, bin, len, chunks[c], &got);
            CHECK(o.err == SECSTREAM_OK && !o.no_progress && o.got_header && o.got_end &&
                      payloads_equal(&got, &want),
                  "%s: read in chunks of %zu: %s", name, chunks[c], secstream_error_name(o.err));
        }
    }
    /* A frame buffer of exactly the stream's largest stored frame is enough in
     * any chunking. */
    if (o.got_header) {
        size_t max_stored = 0;
        CHECK(secstream_container_max_stored(o.header.compression_id, o.header.sealed,
                                             o.header.max_plain, &max_stored) == SECSTREAM_OK,
              "%s: max_stored", name);
        frame_buf_len = max_stored;
        o = decode(kind, 0, bin, len, 1, &got);
        CHECK(o.err == SECSTREAM_OK && payloads_equal(&got, &want),
              "%s: read byte by byte with a %zu-byte frame buffer: %s", name, max_stored,
              secstream_error_name(o.err));
        frame_buf_len = sizeof frame_buf;
    }
    o = decode(VERIFIER, 0, bin, len, 7, &got);
    CHECK(o.err == SECSTREAM_OK && o.got_end && got.count == want.count &&
              (sealed || payloads_equal(&got, &want)),
          "%s: keyless verify: %s", name, secstream_error_name(o.err));
    o = decode(sealed ? READER : READER_SEALED, 0, bin, len, len, &got);
    CHECK(o.err == (sealed ? SECSTREAM_ERR_KEY_REQUIRED : SECSTREAM_ERR_NOT_SEALED),
          "%s: wrong reader kind: %s", name, secstream_error_name(o.err));
    /* Re-encode: every stream without an index (the writer keeps none without an
     * allocator). */
    o = decode(kind, 0, bin, len, len, &got);
    if (!index && o.got_header) {
        state_mem st;
        size_t i, n = 0, w = 0, bound = 0;
        secstream_error e;
        memset(&st, 0, sizeof st);
        e = secstream_writer_open(
            &st, sizeof st, o.header.checksum_id, o.header.compression_id, o.header.max_plain,
            sealed ? KEY : NULL, sealed ? NONCE : NULL);
        for (i = 0; i < want.count && e == SECSTREAM_OK; i++) {
            int last = sealed && i + 1 == want.count;
            e = secstream_writer_max_encoded_len(&st, want.lens[i], &bound);
            if (e == SECSTREAM_OK) {
                e = (last ? secstream_writer_encode_last : secstream_writer_encode_frame)(
                    &st, want.data + want.offs[i], want.lens[i], enc + n, bound, &w);
                n += w;
            }
        }
        if (e == SECSTREAM_OK) {
            e = secstream_writer_max_finish_len(&st, &bound);
        }
        if (e == SECSTREAM_OK) {
            e = secstream_writer_finish(&st, enc + n, bound, &w);
            n += w;
        }
        CHECK(e == SECSTREAM_OK && n == len && memcmp(enc, bin, len) == 0,
              "%s: re-encoding differs (%s, %zu vs %zu bytes)", name, secstream_error_name(e), n,
              len);
        if (sealed) {
            /* Closing wipes the state, the stream key included. */
            size_t z, nonzero = 0;
            CHECK(secstream_writer_close(&st) == SECSTREAM_OK, "%s: writer close", name);
            for (z = 0; z < sizeof st.bytes; z++) {
                nonzero += st.bytes[z] != 0;
            }
            CHECK(nonzero == 0, "%s: %zu state bytes left after close", name, nonzero);
        } else {
            CHECK(secstream_writer_close(&st) == SECSTREAM_OK, "%s: writer close", name);
        }
    }
    {
        int lenient = !sealed && strstr(name, "lz4") != NULL && ck_of(name) == 0;
        damage(kind, 0, bin, len, name, 1, lenient);
        damage(VERIFIER, 0, bin, len, name, !sealed, lenient);
    }
    garbage(kind, 0, bin, len < 40 ? len : 40, name);
}

static void test_api(void) {
    state_mem st;
    uint8_t key[32];
    secstream_feed f;
    uint64_t sum = 0;
    int code;
    memset(&st, 0, sizeof st);
    /* Check values of the CRCs ("123456789"). */
    CHECK(secstream_checksum(1, (const uint8_t *)"123456789", 9, &sum) == SECSTREAM_OK &&
              sum == 0x31C3,
          "crc16 check value");
    CHECK(secstream_checksum(2, (const uint8_t *)"123456789", 9, &sum) == SECSTREAM_OK &&
              sum == 0xCBF43926u,
          "crc32 check value");
    CHECK(secstream_checksum(3, (const uint8_t *)"123456789", 9, &sum) == SECSTREAM_OK &&
              sum == 0xE3069283u,
          "crc32c check value");
    CHECK(secstream_checksum(5, NULL, 0, &sum) == SECSTREAM_ERR_UNKNOWN_CHECKSUM, "unknown id");
    CHECK(secstream_checksum(2, NULL, 3, &sum) == SECSTREAM_ERR_NULL_POINTER, "null data");
    CHECK(secstream_checksum(2, NULL, 0, NULL) == SECSTREAM_ERR_NULL_POINTER, "null out");
    /* Every code has a distinct name; non-codes get a fixed one. */
    for (code = 0; code <= SECSTREAM_ERR_PASSPHRASE_ENVELOPE; code++) {
        int other;
        for (other = 0; other < code; other++) {
            CHECK(strcmp(secstream_error_name(code), secstream_error_name(other)) != 0,
                  "names of %d and %d", code, other);
        }
    }
    CHECK(strcmp(secstream_error_name(-1), "unknown error code") == 0, "name of -1");
    CHECK(strcmp(secstream_error_name(SECSTREAM_ERR_PASSPHRASE_ENVELOPE + 1), "unknown error code") == 0,
          "name past the end");
    /* State checks. */
    CHECK(secstream_frame_decoder_open(&st, SECSTREAM_FRAME_DECODER_STATE_SIZE - 1, 0, 10, NULL,
                                       0) == SECSTREAM_ERR_STATE_TOO_SMALL,
          "state too small");
    CHECK(secstream_frame_decoder_open(st.bytes + 1, 200, 0, 10, NULL, 0) ==
              SECSTREAM_ERR_STATE_MISALIGNED,
          "misaligned state");
    CHECK(secstream_frame_decoder_open(NULL, 200, 0, 10, NULL, 0) == SECSTREAM_ERR_NULL_POINTER,
          "null state");
    CHECK(secstream_frame_decoder_open(&st, sizeof st, 0, 10, NULL, 5) ==
              SECSTREAM_ERR_NULL_POINTER,
          "null buffer with a length");
    CHECK(secstream_frame_decoder_feed(&st, (const uint8_t *)"x", 1, &f) ==
              SECSTREAM_ERR_BAD_STATE,
          "feed of an unopened state");
    CHECK(secstream_cobs_decoder_open(&st, sizeof st, 0, 10, frame_buf, 64) == SECSTREAM_OK,
          "cobs open");
    CHECK(secstream_frame_decoder_feed(&st, (const uint8_t *)"x", 1, &f) ==
              SECSTREAM_ERR_BAD_STATE,
          "frame feed of a cobs state");
    CHECK(secstream_cobs_decoder_feed(&st, NULL, 1, &f) == SECSTREAM_ERR_NULL_POINTER,
          "null input");
    CHECK(secstream_cobs_decoder_feed(&st, NULL, 0, NULL) == SECSTREAM_ERR_NULL_POINTER,
          "null out");
    CHECK(secstream_cobs_decoder_close(&st) == SECSTREAM_OK, "cobs close");
    CHECK(secstream_cobs_decoder_close(&st) == SECSTREAM_ERR_BAD_STATE, "double close");
    CHECK(secstream_writer_open(&st, sizeof st, 3, 1, 1024, NULL, NULL) ==
              SECSTREAM_ERR_COMPRESSION_UNAVAILABLE,
          "deflate writer");
    CHECK(secstream_writer_open(&st, sizeof st, 3, 9, 1024, NULL, NULL) ==
              SECSTREAM_ERR_UNKNOWN_COMPRESSION,
          "unknown compression");
    CHECK(secstream_writer_open(&st, sizeof st, 3, 0, 0, NULL, NULL) == SECSTREAM_ERR_BAD_MAX_PLAIN,
          "max_plain 0");
    CHECK(secstream_writer_open(&st, sizeof st, 3, 0, 16, KEY, NULL) == SECSTREAM_ERR_NULL_POINTER,
          "key without nonce");
    /* Writer: too small an output, then too long a plaintext. */
    CHECK(secstream_writer_open(&st, sizeof st, 3, 2, 16, KEY, NONCE) == SECSTREAM_OK,
          "writer open");
    {
        size_t w = 0;
        CHECK(secstream_writer_encode_frame(&st, (const uint8_t *)"hello", 5, enc, 10, &w) ==
                  SECSTREAM_ERR_BUFFER_TOO_SMALL,
              "small output");
        CHECK(secstream_writer_encode_frame(&st, enc, 17, enc + 100, 1000, &w) ==
                  SECSTREAM_ERR_PLAIN_TOO_LONG,
              "plaintext over max_plain");
        CHECK(secstream_writer_encode_last(&st, (const uint8_t *)"hi", 2, enc, 1000, &w) ==
                  SECSTREAM_OK,
              "last frame");
        CHECK(secstream_writer_encode_frame(&st, (const uint8_t *)"hi", 2, enc, 1000, &w) ==
                  SECSTREAM_ERR_FINISHED,
              "frame after the last");
    }
    CHECK(secstream_writer_close(&st) == SECSTREAM_OK, "writer close");
    memcpy(key, KEY, sizeof key);
    CHECK(secstream_wipe(key, sizeof key) == SECSTREAM_OK, "wipe");
    {
        size_t i, nonzero = 0;
        for (i = 0; i < sizeof key; i++) {
            nonzero += key[i] != 0;
        }
        CHECK(nonzero == 0, "wiped key has %zu nonzero bytes", nonzero);
    }
    CHECK(secstream_wipe(NULL, 0) == SECSTREAM_OK, "wipe nothing");
    CHECK(secstream_wipe(NULL, 1) == SECSTREAM_ERR_NULL_POINTER, "wipe null");
}

/* A passphrase file: the reader names the envelope instead of "bad magic". */
static void test_passphrase_refused(const char *name, const uint8_t *bin, size_t len) {
    state_mem st;
    secstream_feed f;
    secstream_error e;
    memcpy(scratch, bin, len);
    e = secstream_reader_open_sealed(&st, sizeof st, KEY, frame_buf, frame_buf_len, plain_buf,
                                     sizeof plain_buf, 0);
    CHECK(e == SECSTREAM_OK, "%s: open", name);
    e = secstream_reader_feed(&st, scratch, len, &f);
    CHECK(e == SECSTREAM_ERR_PASSPHRASE_ENVELOPE, "%s: %s", name, secstream_error_name(e));
    CHECK(strstr(secstream_error_name(e), "passphrase") != NULL, "%s: error name", name);
    CHECK(secstream_reader_close(&st) == SECSTREAM_OK, "%s: close after error", name);
}

static void test_wrong_key(const uint8_t *bin, size_t len) {
    state_mem st;
    uint8_t key[32];
    secstream_feed f;
    secstream_error e;
    size_t off = 0;
    memcpy(key, KEY, sizeof key);
    key[31] ^= 0x80;
    memcpy(scratch, bin, len);
    e = secstream_reader_open_sealed(&st, sizeof st, key, frame_buf, frame_buf_len, plain_buf,
                                     sizeof plain_buf, 0);
    while (e == SECSTREAM_OK && off < len) {
        e = secstream_reader_feed(&st, scratch + off, len - off, &f);
        if (e == SECSTREAM_OK) {
            CHECK(f.event != SECSTREAM_FRAME, "a frame released under the wrong key");
            off += f.consumed;
            if (f.event == SECSTREAM_NEED_MORE) {
                break;
            }
        }
    }
    CHECK(e == SECSTREAM_ERR_AUTHENTICATION, "wrong key: %s", secstream_error_name(e));
    CHECK(secstream_reader_close(&st) == SECSTREAM_OK, "close after error");
    secstream_wipe(key, sizeof key);
}

int main(int argc, char **argv) {
    DIR *dir;
    struct dirent *ent;
    char path[4096];
    unsigned long files = 0, passphrase_files = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: %s <tests/vectors directory>\n", argv[0]);
        return 2;
    }
    test_api();
    garbage(FRAMES, 3, NULL, 0, "frame decoder");
    garbage(COBS, 4, NULL, 0, "cobs decoder");
    garbage(READER, 0, NULL, 0, "reader");
    garbage(READER_SEALED, 0, NULL, 0, "sealed reader");
    garbage(VERIFIER, 0, NULL, 0, "verifier");
    dir = opendir(argv[1]);
    if (!dir) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    while ((ent = readdir(dir)) != NULL) {
        char name[256];
        size_t nlen = strlen(ent->d_name), len = 0, plen = 0;
        uint8_t *bin, *pl;
        if (nlen < 5 || nlen >= sizeof name || strcmp(ent->d_name + nlen - 4, ".bin") != 0) {
            continue;
        }
        memcpy(name, ent->d_name, nlen - 4);
        name[nlen - 4] = 0;
        snprintf(path, sizeof path, "%s/%s.bin", argv[1], name);
        bin = read_file(path, &len);
        snprintf(path, sizeof path, "%s/%s.payloads", argv[1], name);
        pl = read_file(path, &plen);
        CHECK(bin && pl && parse_payloads(pl, plen, &want), "%s: read vector", name);
        if (bin && pl && !want.overflow) {
            files++;
            if (strncmp(name, "passphrase-", 11) == 0) {
                /* The passphrase envelope is a CLI and host-crate feature: the C
                   interface has no Argon2id, and its reader says so. */
                passphrase_files++;
                test_passphrase_refused(name, bin, len);
            } else if (strncmp(name, "frames-", 7) == 0) {
                test_frames(name, bin, len, 0);
            } else if (strncmp(name, "cobs-", 5) == 0) {
                test_frames(name, bin, len, 1);
            } else {
                test_container(name, bin, len);
                if (strstr(name, "-sealed") && !strstr(name, "deflate")) {
                    test_wrong_key(bin, len);
                }
            }
        }
        free(bin);
        free(pl);
    }
    closedir(dir);
    CHECK(files >= 76, "only %lu vector files", files);
    CHECK(passphrase_files == 2, "%lu passphrase vectors", passphrase_files);
    printf("%lu vector files, %lu decoder runs\n", files, decodes);
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
