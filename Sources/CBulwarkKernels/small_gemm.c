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

static int has_avx2_fma(void);

int bulwark_sgemm_small_nt(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                           float *c, size_t ldc) {
    if (!has_avx2_fma()) return 0;
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

// Direct convolution of a single-channel image (a grayscale model's first layer): im2col would
// make a product with an inner dimension of kh·kw, too thin for a matrix product to pay for the
// lowering. The image is copied once into a zero-bordered buffer; then per output row, eight
// columns and four kernels at a time, each tap's input vector is loaded once and multiplied into
// four accumulators, and each output vector is stored once.

/// Zero-borders the image into `padded` ((oh + kh − 1) × (ow + kw − 1)).
static void pad_image(const float *in, size_t h, size_t w, size_t kh, size_t kw, size_t pad_top, size_t pad_left,
                      size_t oh, size_t ow, float *padded) {
    size_t ph = oh + kh - 1, pw = ow + kw - 1;
    for (size_t q = 0; q < ph * pw; q++) padded[q] = 0;
    for (size_t i = 0; i < h && pad_top + i < ph; i++) {
        size_t count = w < pw - pad_left ? w : pw - pad_left;
        for (size_t j = 0; j < count; j++) padded[(pad_top + i) * pw + pad_left + j] = in[i * w + j];
    }
}

/// The same sums one output at a time, the taps in (ki, kj) order: CPUs without AVX2 and FMA.
static void conv_single_channel_plain(const float *padded, const float *weight, const float *bias, size_t outputs, size_t kh,
                                      size_t kw, size_t oh, size_t ow, float *out) {
    size_t pw = ow + kw - 1;
    for (size_t o = 0; o < outputs; o++)
        for (size_t i = 0; i < oh; i++)
            for (size_t j = 0; j < ow; j++) {
                float sum = 0;
                for (size_t ki = 0; ki < kh; ki++)
                    for (size_t kj = 0; kj < kw; kj++) sum += weight[(o * kh + ki) * kw + kj] * padded[(i + ki) * pw + j + kj];
                out[(o * oh + i) * ow + j] = bias ? sum + bias[o] : sum;
            }
}

#if defined(__x86_64__)
/// MR kernels (≤ 4) from `o`, eight columns from `j` of output row `i`.
static inline __attribute__((always_inline)) TARGET void conv_block(int mr, const float *padded, size_t pw, const float *weight,
                                                                    const float *bias, size_t o, size_t kh, size_t kw, size_t i,
                                                                    size_t j, size_t oh, size_t ow, float *out) {
    __m256 acc[4];
    for (int r = 0; r < mr; r++) acc[r] = _mm256_setzero_ps();
    for (size_t ki = 0; ki < kh; ki++) {
        const float *row = padded + (i + ki) * pw + j;
        for (size_t kj = 0; kj < kw; kj++) {
            __m256 x = _mm256_loadu_ps(row + kj);
            for (int r = 0; r < mr; r++)
                acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(weight + ((o + r) * kh + ki) * kw + kj), x, acc[r]);
        }
    }
    for (int r = 0; r < mr; r++) {
        if (bias) acc[r] = _mm256_add_ps(acc[r], _mm256_broadcast_ss(bias + o + r));
        _mm256_storeu_ps(out + ((o + r) * oh + i) * ow + j, acc[r]);
    }
}

/// 3×3 kernels: a kernel's nine weights stay in registers for all its rows; each eight-column
/// block is one chain of nine multiply-adds (consecutive blocks are independent, so the CPU
/// overlaps them).
static TARGET void conv3x3_fma(const float *padded, const float *weight, const float *bias, size_t outputs, size_t oh, size_t ow,
                               float *out) {
    size_t pw = ow + 2;
    for (size_t o = 0; o < outputs; o++) {
        const float *k = weight + o * 9;
        __m256 w0 = _mm256_broadcast_ss(k), w1 = _mm256_broadcast_ss(k + 1), w2 = _mm256_broadcast_ss(k + 2);
        __m256 w3 = _mm256_broadcast_ss(k + 3), w4 = _mm256_broadcast_ss(k + 4), w5 = _mm256_broadcast_ss(k + 5);
        __m256 w6 = _mm256_broadcast_ss(k + 6), w7 = _mm256_broadcast_ss(k + 7), w8 = _mm256_broadcast_ss(k + 8);
        __m256 b = _mm256_set1_ps(bias ? bias[o] : 0.0f);
        for (size_t i = 0; i < oh; i++) {
            const float *r0 = padded + i * pw, *r1 = r0 + pw, *r2 = r1 + pw;
            float *dst = out + (o * oh + i) * ow;
            for (size_t j = 0;; j += 8) {
                size_t at = j + 8 <= ow ? j : ow - 8;
                __m256 acc = _mm256_mul_ps(w0, _mm256_loadu_ps(r0 + at));
                acc = _mm256_fmadd_ps(w1, _mm256_loadu_ps(r0 + at + 1), acc);
                acc = _mm256_fmadd_ps(w2, _mm256_loadu_ps(r0 + at + 2), acc);
                acc = _mm256_fmadd_ps(w3, _mm256_loadu_ps(r1 + at), acc);
                acc = _mm256_fmadd_ps(w4, _mm256_loadu_ps(r1 + at + 1), acc);
                acc = _mm256_fmadd_ps(w5, _mm256_loadu_ps(r1 + at + 2), acc);
                acc = _mm256_fmadd_ps(w6, _mm256_loadu_ps(r2 + at), acc);
                acc = _mm256_fmadd_ps(w7, _mm256_loadu_ps(r2 + at + 1), acc);
                acc = _mm256_fmadd_ps(w8, _mm256_loadu_ps(r2 + at + 2), acc);
                if (bias) acc = _mm256_add_ps(acc, b);
                _mm256_storeu_ps(dst + at, acc);
                if (at + 8 >= ow) break;
            }
        }
    }
}

static TARGET void conv_single_channel_fma(const float *padded, const float *weight, const float *bias, size_t outputs, size_t kh,
                                           size_t kw, size_t oh, size_t ow, float *out) {
    if (kh == 3 && kw == 3) {
        conv3x3_fma(padded, weight, bias, outputs, oh, ow, out);
        return;
    }
    size_t pw = ow + kw - 1;
    for (size_t o = 0; o < outputs; o += 4) {
        size_t mr = outputs - o < 4 ? outputs - o : 4;
        for (size_t i = 0; i < oh; i++) {
            // The last block of a row overlaps the one before it (it rewrites the same sums).
            for (size_t j = 0;; j += 8) {
                size_t at = j + 8 <= ow ? j : ow - 8;
                switch (mr) {
                case 4: conv_block(4, padded, pw, weight, bias, o, kh, kw, i, at, oh, ow, out); break;
                case 3: conv_block(3, padded, pw, weight, bias, o, kh, kw, i, at, oh, ow, out); break;
                case 2: conv_block(2, padded, pw, weight, bias, o, kh, kw, i, at, oh, ow, out); break;
                default: conv_block(1, padded, pw, weight, bias, o, kh, kw, i, at, oh, ow, out); break;
                }
                if (at + 8 >= ow) break;
            }
        }
    }
}

static int has_avx2_fma(void) {
    static int supported = -1;  // -1 until the first call asks the CPU
    int known = __atomic_load_n(&supported, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        __atomic_store_n(&supported, known, __ATOMIC_RELAXED);
    }
    return known;
}
#endif

void bulwark_conv_single_channel(const float *in, size_t h, size_t w, const float *weight, const float *bias, size_t outputs,
                                 size_t kh, size_t kw, size_t pad_top, size_t pad_left, size_t oh, size_t ow,
                                 float *padded, float *out) {
    pad_image(in, h, w, kh, kw, pad_top, pad_left, oh, ow, padded);
#if defined(__x86_64__)
    if (ow >= 8 && has_avx2_fma()) {
        conv_single_channel_fma(padded, weight, bias, outputs, kh, kw, oh, ow, out);
        return;
    }
#endif
    conv_single_channel_plain(padded, weight, bias, outputs, kh, kw, oh, ow, out);
}
