/* The cost of `pread` into a destination that is not on a 16-byte boundary, for
 * the sealed `pack` experiments of issue 14 (BENCHMARKS.md, the CLI, session 6):
 * `rep movsb` in the kernel's copy is far slower here when the destination sits
 * a few bytes past a boundary. Reads FILE (at least 256 MiB) in 1 MiB pieces into
 * a page-aligned buffer plus OFFSET bytes, five times, and prints the fastest:
 *
 *     cc -O2 -o /tmp/pread-align benches/scripts/pread-align.c
 *     for off in 0 4 8 16 24 32 64; do /tmp/pread-align /dev/shm/in $off; done
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum { PIECE = 1 << 20, TOTAL = 256 << 20, ROUNDS = 5 };

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: pread-align FILE OFFSET\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  size_t off = strtoul(argv[2], NULL, 0);
  if (fd < 0 || off > 4096) {
    perror("open");
    return 1;
  }
  unsigned char *buf = aligned_alloc(4096, PIECE + 4096);
  if (!buf) return 1;
  double best = 1e9;
  for (int r = 0; r < ROUNDS; r++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t at = 0; at < TOTAL; at += PIECE) {
      if (pread(fd, buf + off, PIECE, (off_t)at) != PIECE) {
        fprintf(stderr, "short read: FILE must hold 256 MiB\n");
        return 1;
      }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    if (t < best) best = t;
  }
  printf("offset %zu: fastest of %d reads of 256 MiB %.1f ms\n", off, ROUNDS, best * 1e3);
  return 0;
}
