/*
 * What the agent's Adam pass costs as a plain C loop on this machine (issue 13, goal a): the same per-element
 * arithmetic as mnemonet's `Adam.fastDivision` outer-product path (m, v as PyTorch; the quotient as m * rcp(√v + ε√bc₂)
 * refined by one Newton step) and as its exact path (two divisions), over 91,968 parameters in rows of 64 with the
 * gradient formed as d_i x_j, 8 lanes of AVX2. A measurement only: mnemonet does not use it.
 *
 *     cc -O2 -march=haswell bench/floor_adam.c -o /tmp/floor_adam && /tmp/floor_adam
 *     cc -O2 -march=haswell -ffp-contract=off bench/floor_adam.c -o /tmp/floor_adam_nofma && /tmp/floor_adam_nofma
 *
 * (GCC contracts a*b + c into FMA by default; Swift does not, so the second build is the like-for-like one.) Each
 * row places p, m and v at the given byte offsets mod 4096; the first row is mnemonet's W_ih block as measured, the
 * last two are aligned-and-staggered and everything-at-one-misaligned-offset. CPU µs per pass, best of 7 × 300.
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double pass_us(long n, int fast, long po, long mo, long vo) {
    long span = ((n * 4 + 4095) / 4096) * 4096 + 8192;
    char *base = aligned_alloc(4096, 3 * span);
    float *p = (float *)(base + po), *m = (float *)(base + span + mo), *v = (float *)(base + 2 * span + vo);
    float x[64];
    for (int j = 0; j < 64; j++) x[j] = 0.01f * (j + 1);
    for (long i = 0; i < n; i++) { p[i] = 0.1f; m[i] = 0; v[i] = 0; }
    const __m256 w1 = _mm256_set1_ps(0.1f), b2 = _mm256_set1_ps(0.999f), w2 = _mm256_set1_ps(0.001f);
    const __m256 eb = _mm256_set1_ps(1e-8f * 0.03f), ss = _mm256_set1_ps(-1e-3f * 0.03f), one = _mm256_set1_ps(1);
    const __m256 bc = _mm256_set1_ps(0.03f), ep = _mm256_set1_ps(1e-8f), st = _mm256_set1_ps(-1e-3f);
    double best = 1e30;
    for (int rep = 0; rep < 7; rep++) {
        double t0 = cpu_s();
        for (int s = 0; s < 300; s++) {
            for (long b = 0; b < n / 64; b++) {
                __m256 d = _mm256_set1_ps(0.001f * ((b & 7) + 1));
                for (int j = 0; j < 64; j += 8) {
                    long i = b * 64 + j;
                    __m256 g = _mm256_mul_ps(d, _mm256_loadu_ps(x + j));
                    __m256 m0 = _mm256_loadu_ps(m + i), v0 = _mm256_loadu_ps(v + i), p0 = _mm256_loadu_ps(p + i);
                    __m256 m1 = _mm256_add_ps(m0, _mm256_mul_ps(w1, _mm256_sub_ps(g, m0)));
                    __m256 v1 = _mm256_add_ps(_mm256_mul_ps(v0, b2), _mm256_mul_ps(w2, _mm256_mul_ps(g, g)));
                    __m256 p1;
                    if (fast) {
                        __m256 den = _mm256_add_ps(_mm256_sqrt_ps(v1), eb), r = _mm256_rcp_ps(den);
                        r = _mm256_add_ps(r, _mm256_mul_ps(r, _mm256_sub_ps(one, _mm256_mul_ps(den, r))));
                        p1 = _mm256_add_ps(p0, _mm256_mul_ps(ss, _mm256_mul_ps(m1, r)));
                    } else {
                        __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(v1), bc), ep);
                        p1 = _mm256_add_ps(p0, _mm256_mul_ps(st, _mm256_div_ps(m1, den)));
                    }
                    _mm256_storeu_ps(p + i, p1);
                    _mm256_storeu_ps(m + i, m1);
                    _mm256_storeu_ps(v + i, v1);
                }
            }
            __asm__ volatile("" ::: "memory");
        }
        double t = (cpu_s() - t0) / 300 * 1e6;
        if (t < best) best = t;
    }
    free(base);
    return best;
}

int main(void) {
    const long n = 91968;
    const long offsets[][3] = {{16, 3600, 384}, {16, 1568, 16}, {292, 3632, 3648}, {0, 64, 128}, {16, 16, 16}};
    for (int k = 0; k < 5; k++)
        for (int fast = 1; fast >= 0; fast--)
            printf("p/m/v at %4ld/%4ld/%4ld mod 4096, %s: %.1f us per pass\n", offsets[k][0], offsets[k][1],
                   offsets[k][2], fast ? "fast (rcp + Newton)" : "exact (two divisions)",
                   pass_us(n, fast, offsets[k][0], offsets[k][1], offsets[k][2]));
    return 0;
}
