/* Latency of one 4 KiB write + fdatasync on the disk holding DIR: what one durable commit
 * (SQLite synchronous=FULL in WAL mode, PostgreSQL synchronous_commit=on) costs at least.
 *
 *   cc -O2 -o /tmp/fsync-latency Benchmarks/audit/fsync-latency.c && /tmp/fsync-latency [DIR] [N]
 *
 * Prints p50/p99/max of N (default 1000) appends, each followed by fdatasync. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    if (n < 100) n = 100;
    char path[4096];
    snprintf(path, sizeof path, "%s/fsync-latency-%d.tmp", dir, (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror(path); return 1; }
    char block[4096];
    memset(block, 0xA5, sizeof block);
    double *samples = malloc(sizeof(double) * (size_t)n);
    if (!samples) return 1;
    for (int i = 0; i < n; i++) {
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block || fdatasync(fd) != 0) { perror("write/fdatasync"); return 1; }
        clock_gettime(CLOCK_MONOTONIC, &end);
        samples[i] = (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6;
    }
    close(fd);
    unlink(path);
    qsort(samples, (size_t)n, sizeof(double), compare);
    printf("fdatasync after a 4 KiB append on %s: n %d, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
           dir, n, samples[n / 2], samples[(n * 99) / 100], samples[n - 1]);
    free(samples);
    return 0;
}
