#ifndef FW_SEMIHOSTING_H
#define FW_SEMIHOSTING_H
/* Prints a NUL-terminated string on the host (QEMU semihosting). */
void sh_puts(const char *s);
/* Ends the run: QEMU exits with 0 if ok, else 1. */
void sh_exit(int ok);
#endif
