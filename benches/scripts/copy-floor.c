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
 *       "cfr=/tmp/copy-floor cfr IN o{i}; rm o{i}"
 *
 * read:     pread into a 1 MiB buffer, writev(header, buffer): two copies.
 * mmap:     the file mapped, each frame's pages populated (MADV_POPULATE_READ),
 *           writev(header, mapping): one copy (what `secstream pack` does now).
 * mmap-sum: as mmap, plus a pass over each frame (a vectorised sum standing in
 *           for a hardware CRC) before its write: the cheapest checksummed frame.
 * cfr:      write(header), then copy_file_range of the frame: the kernel's copy,
 *           as cp does; no byte of it is seen by the program (no checksum). */
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

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: copy-floor read|mmap|mmap-sum|cfr IN OUT\n");
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
  if (strncmp(mode, "mmap", 4) == 0 && n > 0) {
    map = mmap(NULL, n, PROT_READ, MAP_SHARED, in, 0);
    if (map == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
  }
  unsigned long sum = 0;
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
      const unsigned long *w = (const unsigned long *)src;
      for (size_t k = 0; k < len / 8; k++) sum += w[k] * (k | 1);
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
