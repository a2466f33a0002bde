/*
 * The bare-memory floor of a replay buffer's first fill (issue 13, goal c): what it costs this machine just to put
 * N items of B bytes into fresh memory, in batches of 1024, with nothing else (no priorities, no sum-tree, no
 * Python). Any buffer's first fill from empty pays at least this; bench/bench_replay.py --floor runs it in the same
 * rounds as mnemonet and cpprb.
 *
 *     cc -O2 bench/floor_fill.c -o /tmp/floor_fill && /tmp/floor_fill [items 1000000] [bytes_per_item 512]
 *
 * Modes (each on a fresh anonymous mapping, mmap included in the timing, munmap not):
 *   fault     plain memcpy of each batch; every 4 KiB page faults in on first write (kernel zeroes it);
 *   populate  MADV_POPULATE_WRITE 2 MiB ahead of the writes, then memcpy (what mnemonet's ReplayStorage does);
 *   stream    populate as above, then non-temporal (streaming) stores instead of memcpy;
 *   thp       MADV_HUGEPAGE on the mapping (as NumPy advises large arrays), then memcpy;
 *   backed    the whole mapping populated before the clock starts: the copy alone into memory already backed
 *             (not a first fill; the lower bound of the copy itself).
 * Prints one JSON object: CPU (user + system) and wall ns per item for each mode.
 */
#define _GNU_SOURCE
#include <emmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static double clock_s(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void stream_copy(char *dst, const char *src, size_t n) {
    /* dst and src 16-byte aligned, n a multiple of 64 */
    for (size_t i = 0; i < n; i += 64) {
        __m128i a = _mm_load_si128((const __m128i *)(src + i)), b = _mm_load_si128((const __m128i *)(src + i + 16));
        __m128i c = _mm_load_si128((const __m128i *)(src + i + 32)), d = _mm_load_si128((const __m128i *)(src + i + 48));
        _mm_stream_si128((__m128i *)(dst + i), a);
        _mm_stream_si128((__m128i *)(dst + i + 16), b);
        _mm_stream_si128((__m128i *)(dst + i + 32), c);
        _mm_stream_si128((__m128i *)(dst + i + 48), d);
    }
    _mm_sfence();
}

static void run(const char *mode, size_t items, size_t item_bytes, const char *batch, size_t batch_items,
                int last) {
    size_t total = items * item_bytes, chunk = 2u << 20, batch_bytes = batch_items * item_bytes;
    int populate = !strcmp(mode, "populate") || !strcmp(mode, "stream"), streaming = !strcmp(mode, "stream");
    char *m = NULL;
    if (!strcmp(mode, "backed")) {
        m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || madvise(m, total, MADV_POPULATE_WRITE) != 0) memset(m, 0, total);
    }
    double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
    if (!m) {
        m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) { perror("mmap"); exit(1); }
        if (!strcmp(mode, "thp")) madvise(m, total, MADV_HUGEPAGE);
    }
    size_t populated = 0;
    for (size_t off = 0; off < total; off += batch_bytes) {
        size_t n = off + batch_bytes <= total ? batch_bytes : total - off;
        if (populate) {
            while (populated < off + n && populated < total) {
                size_t len = populated + chunk <= total ? chunk : total - populated;
                madvise(m + populated, len, MADV_POPULATE_WRITE);
                populated += len;
            }
        }
        if (streaming) stream_copy(m + off, batch, n);
        else memcpy(m + off, batch, n);
    }
    double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0, wall = clock_s(CLOCK_MONOTONIC) - w0;
    volatile char sink = m[total - 1];
    (void)sink;
    munmap(m, total);
    printf("  \"%s\": {\"cpu_ns_per_item\": %.1f, \"wall_ns_per_item\": %.1f}%s\n", mode, cpu / items * 1e9,
           wall / items * 1e9, last ? "" : ",");
}

int main(int argc, char **argv) {
    size_t items = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    size_t item_bytes = argc > 2 ? strtoull(argv[2], NULL, 10) : 512;
    const char *only = argc > 3 ? argv[3] : NULL;
    size_t batch_items = 1024;
    char *batch = aligned_alloc(64, batch_items * item_bytes);
    for (size_t i = 0; i < batch_items * item_bytes; i++) batch[i] = (char)(i * 7);
    const char *modes[] = {"fault", "populate", "stream", "thp", "backed"};
    int count = 5;
    printf("{\"items\": %zu, \"bytes_per_item\": %zu, \"batch\": %zu,\n", items, item_bytes, batch_items);
    int printed = 0;
    for (int i = 0; i < count; i++) {
        if (only && strcmp(only, modes[i])) continue;
        printed++;
        int last = only ? 1 : i == count - 1;
        run(modes[i], items, item_bytes, batch, batch_items, last);
    }
    printf("}\n");
    free(batch);
    return printed ? 0 : 2;
}
