/*
 * The sgemm rate (GFLOPS, one thread, process CPU time) of the OpenBLAS the engine links, on the shapes of a SNAIL
 * T = 26 training step (batch 32: B·T = 832 rows; a dense block's [832, 2C]·[2C, 2D] and its two backward products).
 * Shows which kernel the library picked by its speed (OPENBLAS_VERBOSE=2 prints the core name).
 *
 *     cc -O2 bench/sgemm_shapes.c -o /tmp/sgemm_shapes -lopenblas && OPENBLAS_VERBOSE=2 /tmp/sgemm_shapes
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
    openblas_set_num_threads(1);
    const int shapes[3][3] = {{832, 64, 490}, {490, 64, 832}, {832, 490, 64}}; /* m, n, k */
    for (int s = 0; s < 3; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n);
        for (int i = 0; i < m * k; i++) a[i] = (float)(i % 7) * 0.1f;
        for (int i = 0; i < k * n; i++) b[i] = (float)(i % 5) * 0.1f;
        const int reps = 200;
        double t0 = cpu_seconds();
        for (int r = 0; r < reps; r++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
        double dt = (cpu_seconds() - t0) / reps;
        printf("[%d, %d]·[%d, %d]: %.3f ms, %.1f GFLOPS\n", m, k, k, n, dt * 1e3, 2.0 * m * n * k / dt / 1e9);
        free(a), free(b), free(c);
    }
    return 0;
}
