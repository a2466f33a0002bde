/*
 * An LD_PRELOAD shim that times every OpenBLAS call the engine makes (cblas_sgemm, cblas_sgemv, cblas_sger,
 * cblas_somatcopy), per function and shape, with CLOCK_MONOTONIC (vDSO, ~20 ns a read; a CPU clock would be a
 * system call per read), and forwards each call unchanged to the real
 * library (dlsym(RTLD_NEXT)). It computes nothing itself: it measures how much of a workload is OpenBLAS's own time
 * (interface + kernels), inside the real workload, with OpenBLAS's own kernel choice.
 *
 *     cc -O2 -shared -fPIC bench/blas_timer.c -o /tmp/blas_timer.so -ldl
 *     LD_PRELOAD=/tmp/blas_timer.so python bench/bench_floors.py …
 *
 * From Python (ctypes.CDLL(None)): blas_timer_reset() zeroes the counters; blas_timer_total_ns() returns the total
 * ns (monotonic) inside the intercepted calls; blas_timer_calls() their count; blas_timer_dump(path) writes one line per
 * (function, shape): "name m n k trans calls ns". Each timed call costs two clock_gettime reads (measured
 * by blas_timer_overhead_ns(), which times an empty pair), subtracted by the caller.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ORDER_ROW = 101, TRANS_NO = 111 };
#define SLOTS 512

typedef struct {
    const char *name;
    int m, n, k, trans;
    uint64_t calls, ns;
} slot_t;

static slot_t slots[SLOTS];
static int nslots;
static uint64_t total_ns, total_calls;

static inline uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void account(const char *name, int m, int n, int k, int trans, uint64_t ns) {
    total_ns += ns;
    total_calls++;
    for (int i = 0; i < nslots; i++) {
        slot_t *s = &slots[i];
        if (s->name == name && s->m == m && s->n == n && s->k == k && s->trans == trans) {
            s->calls++;
            s->ns += ns;
            return;
        }
    }
    if (nslots < SLOTS) slots[nslots++] = (slot_t){name, m, n, k, trans, 1, ns};
}

void blas_timer_reset(void) {
    nslots = 0;
    total_ns = 0;
    total_calls = 0;
}
uint64_t blas_timer_total_ns(void) { return total_ns; }
uint64_t blas_timer_calls(void) { return total_calls; }

uint64_t blas_timer_overhead_ns(void) {
    uint64_t t0 = now_ns();
    for (int i = 0; i < 10000; i++) {
        volatile uint64_t a = now_ns(), b = now_ns();
        (void)a; (void)b;
    }
    return (now_ns() - t0) / 10000;
}

int blas_timer_dump(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    for (int i = 0; i < nslots; i++)
        fprintf(f, "%s %d %d %d %d %llu %llu\n", slots[i].name, slots[i].m, slots[i].n, slots[i].k, slots[i].trans,
                (unsigned long long)slots[i].calls, (unsigned long long)slots[i].ns);
    return fclose(f);
}

/* The real function: the next definition in the global scope, else libopenblas's own (CPython loads extensions, and
 * so the libopenblas they depend on, with RTLD_LOCAL, where RTLD_NEXT does not look). */
static void *real_symbol(const char *name) {
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        void *lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
        if (lib) f = dlsym(lib, name);
    }
    if (!f) {
        fprintf(stderr, "blas_timer: cannot find the real %s\n", name);
        abort();
    }
    return f;
}

#define REAL(name, type)                                                                                              \
    static type real_##name;                                                                                          \
    if (!real_##name) real_##name = (type)real_symbol(#name)

typedef void (*sgemm_t)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *,
                        int);
void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                 int ldb, float beta, float *c, int ldc) {
    REAL(cblas_sgemm, sgemm_t);
    uint64_t t0 = now_ns();
    real_cblas_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    account("sgemm", m, n, k, (ta != TRANS_NO) * 2 + (tb != TRANS_NO), now_ns() - t0);
}

typedef void (*sgemv_t)(int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
void cblas_sgemv(int order, int ta, int m, int n, float alpha, const float *a, int lda, const float *x, int incx,
                 float beta, float *y, int incy) {
    REAL(cblas_sgemv, sgemv_t);
    uint64_t t0 = now_ns();
    real_cblas_sgemv(order, ta, m, n, alpha, a, lda, x, incx, beta, y, incy);
    /* Row-major NoTrans runs OpenBLAS's "t" kernel, Trans its "n" kernel: record the kernel letter as seen by it. */
    account(ta == TRANS_NO ? "sgemv_rowmajor_N" : "sgemv_rowmajor_T", m, n, 0, ta != TRANS_NO, now_ns() - t0);
}

typedef void (*sger_t)(int, int, int, float, const float *, int, const float *, int, float *, int);
void cblas_sger(int order, int m, int n, float alpha, const float *x, int incx, const float *y, int incy, float *a,
                int lda) {
    REAL(cblas_sger, sger_t);
    uint64_t t0 = now_ns();
    real_cblas_sger(order, m, n, alpha, x, incx, y, incy, a, lda);
    account("sger", m, n, 0, 0, now_ns() - t0);
}

typedef void (*somatcopy_t)(int, int, int, int, float, const float *, int, float *, int);
void cblas_somatcopy(int order, int trans, int rows, int cols, float alpha, const float *a, int lda, float *b,
                     int ldb) {
    REAL(cblas_somatcopy, somatcopy_t);
    uint64_t t0 = now_ns();
    real_cblas_somatcopy(order, trans, rows, cols, alpha, a, lda, b, ldb);
    account("somatcopy", rows, cols, 0, trans != TRANS_NO, now_ns() - t0);
}
