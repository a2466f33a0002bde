/*
 * The OpenBLAS floor of a workload (issue 13): replays, in a tight loop, exactly the BLAS calls that
 * bench/blas_timer.c recorded for one step of it (function, shape, calls per step), on the same libopenblas with its
 * own kernel choice, with cache-warm operands. The time per step it prints is what those calls cost with no
 * mnemonet code around them at all: a lower bound for the step that no change outside OpenBLAS can beat.
 *
 *     cc -O3 -march=native bench/floor_blas.c -o /tmp/floor_blas -lopenblas
 *     /tmp/floor_blas DUMP STEPS [REPEATS] [TRAFFIC_FLOATS]
 *
 * DUMP is blas_timer_dump's file (lines "name m n k trans calls ns"), STEPS the number of steps it covered. With
 * TRAFFIC_FLOATS > 0 it also times the memory traffic an optimizer step over that many parameters needs at least:
 * read and write three float arrays (parameter, two moments) once, with a multiply-add or two per element (not
 * Adam, which adds a square root and a division: the cost of moving its state, the floor under any Adam).
 * Prints JSON: CPU ns per step of the replayed calls (median of REPEATS), per function, and the traffic floor.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char name[32];
    int m, n, k, trans;
    long long calls;
    float *a, *b, *c;
} call_t;

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *filled(size_t n) {
    float *p = aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64 + 64);
    for (size_t i = 0; i < n; i++) p[i] = (float)((i * 37) % 101) * 0.01f - 0.5f;
    return p;
}

static void issue(const call_t *c) {
    int m = c->m, n = c->n, k = c->k;
    if (!strcmp(c->name, "sgemm")) {
        int ta = c->trans >> 1, tb = c->trans & 1;
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1, c->a,
                    ta ? m : k, c->b, tb ? k : n, 0, c->c, n);
    } else if (!strncmp(c->name, "sgemv", 5)) {
        cblas_sgemv(CblasRowMajor, c->trans ? CblasTrans : CblasNoTrans, m, n, 1, c->a, n, c->b, 1, 0, c->c, 1);
    } else if (!strcmp(c->name, "sger")) {
        cblas_sger(CblasRowMajor, m, n, 1e-3f, c->b, 1, c->c, 1, c->a, n);
    } else if (!strcmp(c->name, "somatcopy")) {
        cblas_somatcopy(CblasRowMajor, c->trans ? CblasTrans : CblasNoTrans, m, n, 1, c->a, n, c->b, c->trans ? m : n);
    }
}

/* One pass over an optimizer's state: p, m, v read and written once, gradient formed from an outer product as the
 * agent's Adam forms it (d_i x_j, rows of 64), a multiply-add or two per array: no division, no square root. */
static void traffic_pass(float *restrict p, float *restrict m, float *restrict v, const float *restrict x, long n) {
    for (long b = 0; b + 64 <= n; b += 64) {
        float d = 1e-3f * (float)((b >> 6) & 7);
        for (int j = 0; j < 64; j++) {
            float g = d * x[j];
            float mi = m[b + j] + 0.1f * (g - m[b + j]), vi = 0.999f * v[b + j] + 0.001f * g * g;
            m[b + j] = mi;
            v[b + j] = vi;
            p[b + j] -= 1e-3f * mi;
        }
    }
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s DUMP STEPS [REPEATS] [TRAFFIC_FLOATS]\n", argv[0]);
        return 2;
    }
    openblas_set_num_threads(1);
    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 1; }
    double steps = atof(argv[2]);
    int repeats = argc > 3 ? atoi(argv[3]) : 7;
    long traffic = argc > 4 ? atol(argv[4]) : 0;
    call_t calls[512];
    int nc = 0;
    unsigned long long ns;
    while (nc < 512 && fscanf(f, "%31s %d %d %d %d %lld %llu", calls[nc].name, &calls[nc].m, &calls[nc].n,
                              &calls[nc].k, &calls[nc].trans, &calls[nc].calls, &ns) == 7) {
        call_t *c = &calls[nc];
        size_t m = c->m, n = c->n, k = c->k > 0 ? c->k : 1;
        size_t big = m * n > m * k ? m * n : m * k;
        if (k * n > big) big = k * n;
        c->a = filled(big + m + n);
        c->b = filled(big + m + n);
        c->c = filled(big + m + n);
        nc++;
    }
    fclose(f);
    /* Per step: each recorded (function, shape) issued round(calls / steps) times, at least once if it occurred. */
    int reps_per_step[512];
    for (int i = 0; i < nc; i++) {
        long long r = (long long)(calls[i].calls / steps + 0.5);
        reps_per_step[i] = r < 1 ? 1 : (int)r;
    }
    const int inner = 2000;
    double *samples = malloc(sizeof(double) * repeats);
    for (int rep = -1; rep < repeats; rep++) {
        double t0 = cpu_s();
        for (int s = 0; s < inner; s++)
            for (int i = 0; i < nc; i++)
                for (int r = 0; r < reps_per_step[i]; r++) issue(&calls[i]);
        if (rep >= 0) samples[rep] = (cpu_s() - t0) / inner * 1e9;
    }
    qsort(samples, repeats, sizeof(double), cmp);
    printf("{\"blas_ns_per_step\": %.1f, \"calls_per_step\": [", samples[repeats / 2]);
    for (int i = 0; i < nc; i++)
        printf("%s[\"%s\", %d, %d, %d, %d, %d]", i ? ", " : "", calls[i].name, calls[i].m, calls[i].n, calls[i].k,
               calls[i].trans, reps_per_step[i]);
    printf("], \"per_call_ns\": [");
    for (int i = 0; i < nc; i++) {
        double best = 1e30;
        for (int rep = 0; rep < 5; rep++) {
            double t0 = cpu_s();
            for (int s = 0; s < inner; s++) issue(&calls[i]);
            double t = (cpu_s() - t0) / inner * 1e9;
            if (t < best) best = t;
        }
        printf("%s%.1f", i ? ", " : "", best);
    }
    printf("]");
    if (traffic > 0) {
        float *p = filled(traffic), *m = filled(traffic), *v = filled(traffic);
        float x[64];
        for (int j = 0; j < 64; j++) x[j] = 0.01f * (j + 1);
        double best = 1e30;
        for (int rep = 0; rep < 7; rep++) {
            double t0 = cpu_s();
            for (int s = 0; s < 200; s++) {
                traffic_pass(p, m, v, x, traffic);
                __asm__ volatile("" ::: "memory");
            }
            double t = (cpu_s() - t0) / 200 * 1e9;
            if (t < best) best = t;
        }
        printf(", \"traffic_floats\": %ld, \"traffic_ns\": %.1f", traffic, best);
    }
    printf("}\n");
    return 0;
}
