/*
 * Header-only memory kernels the Swift core cannot express (Swift has no non-temporal store). No learning logic.
 */
#ifndef MNEMONET_KERNELS_H
#define MNEMONET_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

/*
 * Copies n bytes with non-temporal (streaming) stores on x86-64: the destination lines are written without first
 * being read into the cache (no read-for-ownership) and without evicting the caller's working set. For large
 * copies into memory that is not read again soon (a replay buffer's ring). Ends with a store fence. Elsewhere:
 * memcpy.
 */
static inline void mn_stream_copy(void *dst, const void *src, size_t n) {
#if defined(__x86_64__)
    char *d = (char *)dst;
    const char *s = (const char *)src;
    size_t head = (16 - ((uintptr_t)d & 15)) & 15;
    if (head > n)
        head = n;
    memcpy(d, s, head);
    d += head;
    s += head;
    n -= head;
    while (n >= 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)s), b = _mm_loadu_si128((const __m128i *)(s + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(s + 32)), e = _mm_loadu_si128((const __m128i *)(s + 48));
        _mm_stream_si128((__m128i *)d, a);
        _mm_stream_si128((__m128i *)(d + 16), b);
        _mm_stream_si128((__m128i *)(d + 32), c);
        _mm_stream_si128((__m128i *)(d + 48), e);
        d += 64;
        s += 64;
        n -= 64;
    }
    while (n >= 16) {
        _mm_stream_si128((__m128i *)d, _mm_loadu_si128((const __m128i *)s));
        d += 16;
        s += 16;
        n -= 16;
    }
    memcpy(d, s, n);
    _mm_sfence();
#else
    memcpy(dst, src, n);
#endif
}

#endif
