// C += A·Bᵀ for a few rows of A: the product a classifier's dense layer computes for a small
// batch (a served batch: 1 to 32 rows against a 100 × 1568 weight, say). A general sgemm packs
// the whole weight into its own layout on every call, which for so few rows costs more than the
// arithmetic; this kernel reads each weight row once, in place, for up to four rows of A at a
// time, with fused multiply-adds eight lanes wide.
#include "CBulwarkKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

/// One MR × NR block of C: rows i of A (length k) against rows j of B. Each entry is the sum of
/// eight lane-wise partial sums over k rounded down to a multiple of eight, added pairwise, then
/// the remaining terms in order: the same for every block shape, so a row's result does not
/// depend on how many rows were computed with it.
static inline __attribute__((always_inline)) TARGET void block(int mr, int nr, size_t k, const float *a, size_t lda,
                                                                const float *b, size_t ldb, float *c, size_t ldc) {
    __m256 acc[4][3];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) acc[i][j] = _mm256_setzero_ps();
    size_t p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 bv[3];
        for (int j = 0; j < nr; j++) bv[j] = _mm256_loadu_ps(b + j * ldb + p);
        for (int i = 0; i < mr; i++) {
            __m256 av = _mm256_loadu_ps(a + i * lda + p);
            for (int j = 0; j < nr; j++) acc[i][j] = _mm256_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < mr; i++) {
        for (int j = 0; j < nr; j++) {
            __m128 half = _mm_add_ps(_mm256_castps256_ps128(acc[i][j]), _mm256_extractf128_ps(acc[i][j], 1));
            half = _mm_add_ps(half, _mm_movehl_ps(half, half));
            half = _mm_add_ss(half, _mm_shuffle_ps(half, half, 1));
            float sum = _mm_cvtss_f32(half);
            for (size_t q = p; q < k; q++) sum += a[i * lda + q] * b[j * ldb + q];
            c[i * ldc + j] += sum;
        }
    }
}

#define BLOCK(MR, NR) block(MR, NR, k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc)

static TARGET void small_nt(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                            float *c, size_t ldc) {
    // Three rows of B stay in L1 while every block of four rows of A passes over them, so B (the
    // weight, often larger than L2) is read from memory once.
    for (size_t j = 0; j < n; j += 3) {
        size_t nr = n - j < 3 ? n - j : 3;
        for (size_t i = 0; i < m; i += 4) {
            size_t mr = m - i < 4 ? m - i : 4;
            switch (mr * 4 + nr) {
            case 4 * 4 + 3: BLOCK(4, 3); break;
            case 4 * 4 + 2: BLOCK(4, 2); break;
            case 4 * 4 + 1: BLOCK(4, 1); break;
            case 3 * 4 + 3: BLOCK(3, 3); break;
            case 3 * 4 + 2: BLOCK(3, 2); break;
            case 3 * 4 + 1: BLOCK(3, 1); break;
            case 2 * 4 + 3: BLOCK(2, 3); break;
            case 2 * 4 + 2: BLOCK(2, 2); break;
            case 2 * 4 + 1: BLOCK(2, 1); break;
            case 1 * 4 + 3: BLOCK(1, 3); break;
            case 1 * 4 + 2: BLOCK(1, 2); break;
            default: BLOCK(1, 1); break;
            }
        }
    }
}

int bulwark_sgemm_small_nt(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                           float *c, size_t ldc) {
    static int supported = -1;  // -1 until the first call asks the CPU
    int known = __atomic_load_n(&supported, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        __atomic_store_n(&supported, known, __ATOMIC_RELAXED);
    }
    if (!known) return 0;
    small_nt(m, n, k, a, lda, b, ldb, c, ldc);
    return 1;
}

#else

int bulwark_sgemm_small_nt(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                           float *c, size_t ldc) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc;
    return 0;
}

#endif
