/* The floor of a framing copy on Linux, for the CLI-against-cp goal of issue 14
 * (BENCHMARKS.md, session 5): what a tool that writes an 8-byte header before each
 * 1 MiB frame of a file costs with nothing else to do, by four ways of moving the
 * bytes. Compare with `cp IN OUT` in benches/scripts/cli-pairs.py:
 *
 *     cc -O2 -o /tmp/copy-floor benches/scripts/copy-floor.c
 *     python3 benches/scripts/cli-pairs.py 9 "cp=cp IN o{i}; rm o{i}" \
 *       "read=/tmp/copy-floor read IN o{i}; rm o{i}" \
 *       "mmap=/tmp/copy-floor mmap IN o{i}; rm o{i}" \
 *       "mmap-sum=/tmp/copy-floor mmap-sum IN o{i}; rm o{i}" \
 *       "cfr=/tmp/copy-floor cfr IN o{i}; rm o{i}" \
 *       "cfr-sum=/tmp/copy-floor cfr-sum IN o{i}; rm o{i}" \
 *       "read-sum=/tmp/copy-floor read-sum IN o{i}; rm o{i}" \
 *       "read-sum-128K=/tmp/copy-floor read-sum IN o{i} 131072; rm o{i}"
 *
 * read:     pread into a 1 MiB buffer, writev(header, buffer): two copies.
 * mmap:     the file mapped, each frame's pages populated (MADV_POPULATE_READ),
 *           writev(header, mapping): one copy (what `secstream pack` does now).
 * mmap-sum: as mmap, plus a pass over each frame (a vectorised sum standing in
 *           for a hardware CRC) before its write: the cheapest checksummed frame.
 * cfr:      write(header), then copy_file_range of the frame: the kernel's copy,
 *           as cp does; no byte of it is seen by the program (no checksum).
 *
 * The checksummed ways other than mmap-sum (session 6), each frame's header
 * written last with pwrite at the frame's start, so a frame can go out in
 * pieces of PIECE bytes (the optional last argument, default the whole frame)
 * that are summed while they are in the cache:
 * cfr-sum:  each piece summed through the mapping, then copied by
 *           copy_file_range (the kernel's copy, plus the mapping and the sum).
 * read-sum: each piece read by pread into a buffer, summed there and written
 *           from it by pwrite (two copies, no mapping).
 *
 * And the same pieces in the other order (session 7), to see whether a sum
 * after the kernel's copy finds the bytes in the cache:
 * cfr-after:  copy_file_range of the piece, then the sum through the mapping;
 * mmap-after: pwrite of the piece from the mapping, then the sum.
 * sum:        only the mapping, populated frame by frame, and the sum: no
 *             output. What a checksum alone costs on top of cp's copy. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

enum { FRAME = 1 << 20 };

/* A vectorisable pass over `len` bytes, standing in for a hardware CRC. */
static unsigned long sum_of(const unsigned char *p, size_t len, unsigned long sum) {
  const unsigned long *w = (const unsigned long *)p;
  for (size_t k = 0; k < len / 8; k++) sum += w[k] * (k | 1);
  return sum;
}

/* cfr-sum and read-sum: each frame's pieces summed and written at their
 * place, then the frame's header. */
static int pieces(const char *mode, int in, int out, const unsigned char *map,
                  unsigned char *buf, size_t n, size_t piece) {
  unsigned char hdr[8];
  unsigned long sum = 0;
  loff_t at_out = 0;
  for (size_t off = 0; off < n; off += FRAME) {
    size_t len = n - off < FRAME ? n - off : FRAME;
    loff_t head_at = at_out;
    at_out += sizeof hdr;
    for (size_t p = 0; p < len; p += piece) {
      size_t k = len - p < piece ? len - p : piece;
      if (strcmp(mode, "cfr-after") == 0) {
        loff_t at_in = (loff_t)(off + p);
        for (size_t left = k; left > 0;) {
          ssize_t r = copy_file_range(in, &at_in, out, &at_out, left, 0);
          if (r <= 0) return 1;
          left -= (size_t)r;
        }
        madvise((void *)(map + off + p), k, MADV_POPULATE_READ);
        sum = sum_of(map + off + p, k, sum);
      } else if (strcmp(mode, "mmap-after") == 0) {
        madvise((void *)(map + off + p), k, MADV_POPULATE_READ);
        if (pwrite(out, map + off + p, k, at_out) != (ssize_t)k) return 1;
        at_out += (loff_t)k;
        sum = sum_of(map + off + p, k, sum);
      } else if (strcmp(mode, "cfr-sum") == 0) {
        madvise((void *)(map + off + p), k, MADV_POPULATE_READ);
        sum = sum_of(map + off + p, k, sum);
        loff_t at_in = (loff_t)(off + p);
        for (size_t left = k; left > 0;) {
          ssize_t r = copy_file_range(in, &at_in, out, &at_out, left, 0);
          if (r <= 0) return 1;
          left -= (size_t)r;
        }
      } else {
        if (pread(in, buf, k, (off_t)(off + p)) != (ssize_t)k) return 1;
        sum = sum_of(buf, k, sum);
        if (pwrite(out, buf, k, at_out) != (ssize_t)k) return 1;
        at_out += (loff_t)k;
      }
    }
    memcpy(hdr, &sum, sizeof hdr);
    if (pwrite(out, hdr, sizeof hdr, head_at) != (ssize_t)sizeof hdr) return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: copy-floor read|mmap|mmap-sum|cfr|cfr-sum|read-sum|cfr-after|"
                    "mmap-after|sum IN OUT [PIECE]\n");
    return 2;
  }
  const char *mode = argv[1];
  int in = open(argv[2], O_RDONLY);
  int out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  struct stat st;
  if (in < 0 || out < 0 || fstat(in, &st) != 0) {
    perror("open");
    return 1;
  }
  size_t n = (size_t)st.st_size;
  unsigned char hdr[8] = {0};
  unsigned char *map = NULL;
  static unsigned char buf[FRAME] __attribute__((aligned(4096)));
  if ((strncmp(mode, "mmap", 4) == 0 || strncmp(mode, "cfr-", 4) == 0 ||
       strcmp(mode, "sum") == 0) && n > 0) {
    map = mmap(NULL, n, PROT_READ, MAP_SHARED, in, 0);
    if (map == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
  }
  unsigned long sum = 0;
  if (strcmp(mode, "cfr-sum") == 0 || strcmp(mode, "read-sum") == 0 ||
      strcmp(mode, "cfr-after") == 0 || strcmp(mode, "mmap-after") == 0) {
    size_t piece = argc == 5 ? strtoul(argv[4], NULL, 0) : FRAME;
    if (piece == 0 || piece > FRAME) piece = FRAME;
    return pieces(mode, in, out, map, buf, n, piece) == 0 && close(out) == 0 ? 0 : 1;
  }
  if (strcmp(mode, "sum") == 0) {
    for (size_t off = 0; off < n; off += FRAME) {
      size_t len = n - off < FRAME ? n - off : FRAME;
      madvise(map + off, len, MADV_POPULATE_READ);
      sum = sum_of(map + off, len, sum);
    }
    memcpy(hdr, &sum, sizeof hdr);
    return write(out, hdr, sizeof hdr) == sizeof hdr && close(out) == 0 ? 0 : 1;
  }
  for (size_t off = 0; off < n; off += FRAME) {
    size_t len = n - off < FRAME ? n - off : FRAME;
    const unsigned char *src = buf;
    if (map) {
      madvise(map + off, len, MADV_POPULATE_READ);
      src = map + off;
    } else if (strcmp(mode, "read") == 0) {
      if (pread(in, buf, len, (off_t)off) != (ssize_t)len) return 1;
    }
    if (strcmp(mode, "mmap-sum") == 0) {
      sum = sum_of(src, len, sum);
      memcpy(hdr, &sum, sizeof hdr);
    }
    if (strcmp(mode, "cfr") == 0) {
      if (write(out, hdr, sizeof hdr) != sizeof hdr) return 1;
      loff_t at = (loff_t)off;
      for (size_t left = len; left > 0;) {
        ssize_t r = copy_file_range(in, &at, out, NULL, left, 0);
        if (r <= 0) return 1;
        left -= (size_t)r;
      }
    } else {
      struct iovec v[2] = {{hdr, sizeof hdr}, {(void *)src, len}};
      size_t want = sizeof hdr + len;
      if (writev(out, v, 2) != (ssize_t)want) return 1; /* tmpfs writes whole */
    }
  }
  return close(out) == 0 ? 0 : 1;
}
