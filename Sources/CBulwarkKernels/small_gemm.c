// C += A·Bᵀ for a few rows of A: the product a classifier's dense layer computes for a small
// batch (a served batch: 1 to 32 rows against a 100 × 1568 weight, say). A general sgemm packs
// the whole weight into its own layout on every call, which for so few rows costs more than the
// arithmetic; this kernel reads each weight row once, in place, for up to four rows of A at a
// time, with fused multiply-adds eight lanes wide.
#include "CBulwarkKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

/// Adds to *c one entry's sum: its eight lane-wise partial sums (of the terms below p) added
/// pairwise, then the terms from p to k of row `a` and row `b` in order.
static inline __attribute__((always_inline)) TARGET void finish_entry(__m256 lanes, size_t p, size_t k, const float *a,
                                                                       const float *b, float *c) {
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(lanes), _mm256_extractf128_ps(lanes, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    half = _mm_add_ss(half, _mm_shuffle_ps(half, half, 1));
    float sum = _mm_cvtss_f32(half);
    for (size_t q = p; q < k; q++) sum += a[q] * b[q];
    *c += sum;
}

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
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) finish_entry(acc[i][j], p, k, a + i * lda, b + j * ldb, c + i * ldc + j);
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
static int has_avx512f(void);
static int avx512_allowed = 1;

int bulwark_kernels_allow_avx512(int allowed) {
    return __atomic_exchange_n(&avx512_allowed, allowed ? 1 : 0, __ATOMIC_RELAXED);
}

static inline int use_avx512(void) { return __atomic_load_n(&avx512_allowed, __ATOMIC_RELAXED) && has_avx512f(); }

#define TARGET512 __attribute__((target("avx512f,avx2,fma")))

// `small_nt` with AVX-512: each 512-bit register holds the eight lane-wise partial sums of two
// entries of C (rows j and j + 1 of B in its halves, the same eight values of A's row in both),
// so every entry is summed exactly as `block` sums it, in half the instructions: the two kernels
// give the same values bit for bit. Blocks of four rows of A by six rows of B (twelve registers).

/// Two rows of B, eight floats from `p` of each, as one register (row j low, row j + 1 high).
#define PAIR(b, ldb, j, p) _mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm256_loadu_ps((b) + (j) * (ldb) + (p)))), \
                                              _mm256_castps_pd(_mm256_loadu_ps((b) + ((j) + 1) * (ldb) + (p))), 1)

/// One MR × (2·NP) block of C: rows i of A against NP pairs of rows of B.
static inline __attribute__((always_inline)) TARGET512 void block512(int mr, int np, size_t k, const float *a, size_t lda,
                                                                      const float *b, size_t ldb, float *c, size_t ldc) {
    __m512 acc[4][3];
    for (int i = 0; i < mr; i++)
        for (int q = 0; q < np; q++) acc[i][q] = _mm512_setzero_ps();
    size_t p = 0;
    for (; p + 8 <= k; p += 8) {
        __m512 bv[3];
        for (int q = 0; q < np; q++) bv[q] = _mm512_castpd_ps(PAIR(b, ldb, 2 * q, p));
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(a + i * lda + p))));
            for (int q = 0; q < np; q++) acc[i][q] = _mm512_fmadd_ps(av, bv[q], acc[i][q]);
        }
    }
    for (int i = 0; i < mr; i++)
        for (int q = 0; q < np; q++) {
            __m256 low = _mm512_castps512_ps256(acc[i][q]);
            __m256 high = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[i][q]), 1));
            finish_entry(low, p, k, a + i * lda, b + 2 * q * ldb, c + i * ldc + 2 * q);
            finish_entry(high, p, k, a + i * lda, b + (2 * q + 1) * ldb, c + i * ldc + 2 * q + 1);
        }
}

#define BLOCK512(MR, NP) block512(MR, NP, k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc)

static TARGET512 void small_nt512(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                                  float *c, size_t ldc) {
    size_t paired = n & ~(size_t)1;
    for (size_t j = 0; j < paired; j += 6) {
        size_t np = (paired - j < 6 ? paired - j : 6) / 2;
        for (size_t i = 0; i < m; i += 4) {
            size_t mr = m - i < 4 ? m - i : 4;
            switch (mr * 4 + np) {
            case 4 * 4 + 3: BLOCK512(4, 3); break;
            case 4 * 4 + 2: BLOCK512(4, 2); break;
            case 4 * 4 + 1: BLOCK512(4, 1); break;
            case 3 * 4 + 3: BLOCK512(3, 3); break;
            case 3 * 4 + 2: BLOCK512(3, 2); break;
            case 3 * 4 + 1: BLOCK512(3, 1); break;
            case 2 * 4 + 3: BLOCK512(2, 3); break;
            case 2 * 4 + 2: BLOCK512(2, 2); break;
            case 2 * 4 + 1: BLOCK512(2, 1); break;
            case 1 * 4 + 3: BLOCK512(1, 3); break;
            case 1 * 4 + 2: BLOCK512(1, 2); break;
            default: BLOCK512(1, 1); break;
            }
        }
    }
    if (paired < n) small_nt(m, 1, k, a, lda, b + paired * ldb, ldb, c + paired, ldc);  // the odd last row of B
}

int bulwark_sgemm_small_nt(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                           float *c, size_t ldc) {
    if (use_avx512()) {
        small_nt512(m, n, k, a, lda, b, ldb, c, ldc);
        return 1;
    }
    if (!has_avx2_fma()) return 0;
    small_nt(m, n, k, a, lda, b, ldb, c, ldc);
    return 1;
}

// C = A·B for a thin inner dimension: Winograd's 16 products per block of images, each
// outputs × tiles = (outputs × channels)·(channels × tiles) with a few dozen channels. B's rows are
// read in place, 16 columns at a time (a strip of k × 16 floats stays in L1 while every block of
// six rows of A passes over it); nothing is packed. Each entry is Σ_p a[i][p]·b[p][j] summed
// with fused multiply-adds in p order from zero, whatever block it falls in. Blocks are six rows by
// sixteen columns: twelve accumulators, two B vectors and a broadcast fill the sixteen registers.

/// One MR × (8·NV) block of C; with `masked`, the last vector covers only the columns `mask` keeps.
static inline __attribute__((always_inline)) TARGET void nn_block(int mr, int nv, int masked, __m256i mask, size_t k,
                                                                   const float *a, size_t lda, const float *b, size_t ldb,
                                                                   float *c, size_t ldc) {
    __m256 acc[6][2];
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++) acc[i][v] = _mm256_setzero_ps();
    for (size_t p = 0; p < k; p++) {
        __m256 bv[2];
        for (int v = 0; v < nv; v++)
            bv[v] = masked && v == nv - 1 ? _mm256_maskload_ps(b + p * ldb + 8 * v, mask) : _mm256_loadu_ps(b + p * ldb + 8 * v);
        for (int i = 0; i < mr; i++) {
            __m256 av = _mm256_broadcast_ss(a + i * lda + p);
            for (int v = 0; v < nv; v++) acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++) {
            if (masked && v == nv - 1) _mm256_maskstore_ps(c + i * ldc + 8 * v, mask, acc[i][v]);
            else _mm256_storeu_ps(c + i * ldc + 8 * v, acc[i][v]);
        }
}

#define NN_ROWS(NV, MASKED)                                                                                  \
    for (size_t i = 0; i < m; i += 6) {                                                                     \
        const float *ai = a + i * lda;                                                                      \
        float *ci = c + i * ldc + j;                                                                        \
        switch (m - i < 6 ? m - i : 6) {                                                                    \
        case 6: nn_block(6, NV, MASKED, mask, k, ai, lda, b + j, ldb, ci, ldc); break;                      \
        case 5: nn_block(5, NV, MASKED, mask, k, ai, lda, b + j, ldb, ci, ldc); break;                      \
        case 4: nn_block(4, NV, MASKED, mask, k, ai, lda, b + j, ldb, ci, ldc); break;                      \
        case 3: nn_block(3, NV, MASKED, mask, k, ai, lda, b + j, ldb, ci, ldc); break;                      \
        case 2: nn_block(2, NV, MASKED, mask, k, ai, lda, b + j, ldb, ci, ldc); break;                      \
        default: nn_block(1, NV, MASKED, mask, k, ai, lda, b + j, ldb, ci, ldc); break;                     \
        }                                                                                                   \
    }

static TARGET void small_k_nn(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                              float *c, size_t ldc) {
    __m256i mask = _mm256_setzero_si256();
    size_t j = 0;
    for (; j + 16 <= n; j += 16) { NN_ROWS(2, 0) }
    if (n - j >= 8) { NN_ROWS(1, 0) j += 8; }
    if (j < n) {
        int left = (int)(n - j);
        mask = _mm256_setr_epi32(0 < left ? -1 : 0, 1 < left ? -1 : 0, 2 < left ? -1 : 0, 3 < left ? -1 : 0,
                                 4 < left ? -1 : 0, 5 < left ? -1 : 0, 6 < left ? -1 : 0, 7 < left ? -1 : 0);
        NN_ROWS(1, 1)
    }
}

// The same products sixteen lanes wide on CPUs with AVX-512, in blocks of eight rows by 32
// columns: sixteen accumulators, two B vectors and a broadcast, of the 32 registers. The last
// vector of a row is loaded and stored through a lane mask. Every entry is summed exactly as in
// `nn_block` (fused multiply-adds in p order from zero, one lane per entry), so the two kernels
// give the same values bit for bit.

/// One MR × (16·NV) block of C; the last vector covers the columns `last` keeps.
static inline __attribute__((always_inline)) TARGET512 void nn_block512(int mr, int nv, __mmask16 last, size_t k,
                                                                         const float *a, size_t lda, const float *b, size_t ldb,
                                                                         float *c, size_t ldc) {
    __m512 acc[8][2];
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_ps();
    for (size_t p = 0; p < k; p++) {
        __m512 bv[2];
        for (int v = 0; v < nv; v++)
            bv[v] = v == nv - 1 ? _mm512_maskz_loadu_ps(last, b + p * ldb + 16 * v) : _mm512_loadu_ps(b + p * ldb + 16 * v);
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_set1_ps(a[i * lda + p]);
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++) {
            if (v == nv - 1) _mm512_mask_storeu_ps(c + i * ldc + 16 * v, last, acc[i][v]);
            else _mm512_storeu_ps(c + i * ldc + 16 * v, acc[i][v]);
        }
}

#define NN_ROWS512(NV)                                                                                       \
    for (size_t i = 0; i < m; i += 8) {                                                                     \
        const float *ai = a + i * lda;                                                                      \
        float *ci = c + i * ldc + j;                                                                        \
        switch (m - i < 8 ? m - i : 8) {                                                                    \
        case 8: nn_block512(8, NV, last, k, ai, lda, b + j, ldb, ci, ldc); break;                           \
        case 7: nn_block512(7, NV, last, k, ai, lda, b + j, ldb, ci, ldc); break;                           \
        case 6: nn_block512(6, NV, last, k, ai, lda, b + j, ldb, ci, ldc); break;                           \
        case 5: nn_block512(5, NV, last, k, ai, lda, b + j, ldb, ci, ldc); break;                           \
        case 4: nn_block512(4, NV, last, k, ai, lda, b + j, ldb, ci, ldc); break;                           \
        case 3: nn_block512(3, NV, last, k, ai, lda, b + j, ldb, ci, ldc); break;                           \
        case 2: nn_block512(2, NV, last, k, ai, lda, b + j, ldb, ci, ldc); break;                           \
        default: nn_block512(1, NV, last, k, ai, lda, b + j, ldb, ci, ldc); break;                          \
        }                                                                                                   \
    }

static TARGET512 void small_k_nn512(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                                    float *c, size_t ldc) {
    __mmask16 last = 0xFFFF;
    size_t j = 0;
    for (; j + 32 <= n; j += 32) { NN_ROWS512(2) }
    size_t left = n - j;  // below 32
    if (left > 16) {
        last = (__mmask16)((1u << (left - 16)) - 1);
        NN_ROWS512(2)
    } else if (left > 0) {
        last = (__mmask16)(left == 16 ? 0xFFFFu : (1u << left) - 1);
        NN_ROWS512(1)
    }
}

int bulwark_sgemm_small_k_nn(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                             float *c, size_t ldc) {
    if (use_avx512()) {
        small_k_nn512(m, n, k, a, lda, b, ldb, c, ldc);
        return 1;
    }
    if (!has_avx2_fma()) return 0;
    small_k_nn(m, n, k, a, lda, b, ldb, c, ldc);
    return 1;
}

#else

int bulwark_kernels_allow_avx512(int allowed) {
    (void)allowed;
    return 0;
}

int bulwark_sgemm_small_k_nn(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                             float *c, size_t ldc) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc;
    return 0;
}

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

/// One output row of a 3×3 kernel whose nine weights are in w[0…8] (broadcast): from the padded
/// rows r0, r1, r2, eight columns at a time, each block one chain of nine multiply-adds
/// (consecutive blocks are independent, so the CPU overlaps them); the last block overlaps the
/// one before it (it rewrites the same sums). `bias` is added when `with_bias`.
static inline __attribute__((always_inline)) TARGET void conv3x3_row(const __m256 *w, __m256 b, int with_bias, const float *r0,
                                                                      const float *r1, const float *r2, size_t ow, float *dst) {
    for (size_t j = 0;; j += 8) {
        size_t at = j + 8 <= ow ? j : ow - 8;
        __m256 acc = _mm256_mul_ps(w[0], _mm256_loadu_ps(r0 + at));
        acc = _mm256_fmadd_ps(w[1], _mm256_loadu_ps(r0 + at + 1), acc);
        acc = _mm256_fmadd_ps(w[2], _mm256_loadu_ps(r0 + at + 2), acc);
        acc = _mm256_fmadd_ps(w[3], _mm256_loadu_ps(r1 + at), acc);
        acc = _mm256_fmadd_ps(w[4], _mm256_loadu_ps(r1 + at + 1), acc);
        acc = _mm256_fmadd_ps(w[5], _mm256_loadu_ps(r1 + at + 2), acc);
        acc = _mm256_fmadd_ps(w[6], _mm256_loadu_ps(r2 + at), acc);
        acc = _mm256_fmadd_ps(w[7], _mm256_loadu_ps(r2 + at + 1), acc);
        acc = _mm256_fmadd_ps(w[8], _mm256_loadu_ps(r2 + at + 2), acc);
        if (with_bias) acc = _mm256_add_ps(acc, b);
        _mm256_storeu_ps(dst + at, acc);
        if (at + 8 >= ow) break;
    }
}

/// 3×3 kernels: a kernel's nine weights stay in registers for all its rows.
static TARGET void conv3x3_fma(const float *padded, const float *weight, const float *bias, size_t outputs, size_t oh, size_t ow,
                               float *out) {
    size_t pw = ow + 2;
    for (size_t o = 0; o < outputs; o++) {
        __m256 w[9];
        for (int t = 0; t < 9; t++) w[t] = _mm256_broadcast_ss(weight + o * 9 + t);
        __m256 b = _mm256_set1_ps(bias ? bias[o] : 0.0f);
        for (size_t i = 0; i < oh; i++) {
            const float *r0 = padded + i * pw;
            conv3x3_row(w, b, bias != NULL, r0, r0 + pw, r0 + 2 * pw, ow, out + (o * oh + i) * ow);
        }
    }
}

/// The nine-tap sum of output row `r0` (padded rows r0, r0 + pw, r0 + 2·pw) from column `at`,
/// one vector wide, with the vector type VT and its multiply, fused multiply-add and load: one
/// multiply, then eight fused adds, in (ki, kj) order.
#define TAPS_OF(VT, MUL, FMA, LOAD, r0, at) ({                                                  \
    const float *q0_ = (r0) + (at), *q1_ = q0_ + pw, *q2_ = q1_ + pw;                             \
    VT s_ = MUL(w[0], LOAD(q0_));                                                                 \
    s_ = FMA(w[1], LOAD(q0_ + 1), s_);                                                            \
    s_ = FMA(w[2], LOAD(q0_ + 2), s_);                                                            \
    s_ = FMA(w[3], LOAD(q1_), s_);                                                                \
    s_ = FMA(w[4], LOAD(q1_ + 1), s_);                                                            \
    s_ = FMA(w[5], LOAD(q1_ + 2), s_);                                                            \
    s_ = FMA(w[6], LOAD(q2_), s_);                                                                \
    s_ = FMA(w[7], LOAD(q2_ + 1), s_);                                                            \
    FMA(w[8], LOAD(q2_ + 2), s_);                                                                 \
})

/// Eight columns: the chain of `conv3x3_row`, without a bias.
#define TAPS(r0, at) TAPS_OF(__m256, _mm256_mul_ps, _mm256_fmadd_ps, _mm256_loadu_ps, r0, at)

/// Lane-wise `b > a ? b : a` (a when either is NaN), the comparison of `bulwark_max_pool_2x2`.
#define MAX_GT(a, b) ({ __m256 a_ = (a), b_ = (b); _mm256_blendv_ps(a_, b_, _mm256_cmp_ps(b_, a_, _CMP_GT_OQ)); })

/// `conv3x3_fma` without a bias, each pair of output rows pooled (2×2, stride 2) with the bias
/// and the comparisons of `bulwark_max_pool_2x2`: the values of the convolution into a buffer
/// followed by that pooling, bit for bit. Sixteen columns of both rows are summed in registers
/// (four independent chains), split into even and odd columns, and eight pooled outputs stored;
/// the last block of a row overlaps the one before it. Rows narrower than 16 columns go through
/// a two-row buffer (`rows`) and `bulwark_max_pool_2x2`.
static TARGET void conv3x3_pool_fma(const float *padded, const float *weight, const float *bias, size_t outputs, size_t oh,
                                    size_t ow, int relu, float *rows, float *out) {
    size_t pw = ow + 2, ph2 = oh / 2, pw2 = ow / 2;
    __m256 none = _mm256_setzero_ps();
    for (size_t o = 0; o < outputs; o++) {
        __m256 w[9];
        for (int t = 0; t < 9; t++) w[t] = _mm256_broadcast_ss(weight + o * 9 + t);
        float bo = bias ? bias[o] : 0.0f;
        __m256 b8 = _mm256_set1_ps(bo);
        for (size_t i = 0; i < ph2; i++) {
            const float *r0 = padded + 2 * i * pw;
            float *dst = out + (o * ph2 + i) * pw2;
            if (pw2 < 8) {
                conv3x3_row(w, none, 0, r0, r0 + pw, r0 + 2 * pw, ow, rows);
                conv3x3_row(w, none, 0, r0 + pw, r0 + 2 * pw, r0 + 3 * pw, ow, rows + ow);
                bulwark_max_pool_2x2(rows, ow, 1, pw2, bo, relu, dst);
                continue;
            }
            for (size_t j = 0;; j += 8) {
                size_t at = j + 8 <= pw2 ? j : pw2 - 8;  // pooled column; the sums start at 2·at
                __m256 top0 = TAPS(r0, 2 * at), top1 = TAPS(r0, 2 * at + 8);
                __m256 bot0 = TAPS(r0 + pw, 2 * at), bot1 = TAPS(r0 + pw, 2 * at + 8);
                __m256 a = _mm256_add_ps(__builtin_shufflevector(top0, top1, 0, 2, 4, 6, 8, 10, 12, 14), b8);
                __m256 b = _mm256_add_ps(__builtin_shufflevector(top0, top1, 1, 3, 5, 7, 9, 11, 13, 15), b8);
                __m256 c = _mm256_add_ps(__builtin_shufflevector(bot0, bot1, 0, 2, 4, 6, 8, 10, 12, 14), b8);
                __m256 d = _mm256_add_ps(__builtin_shufflevector(bot0, bot1, 1, 3, 5, 7, 9, 11, 13, 15), b8);
                __m256 m = MAX_GT(MAX_GT(a, b), MAX_GT(c, d));
                if (relu) m = _mm256_blendv_ps(none, m, _mm256_cmp_ps(m, none, _CMP_GT_OQ));
                _mm256_storeu_ps(dst + at, m);
                if (at + 8 >= pw2) break;
            }
        }
    }
}

/// Sixteen columns in one 512-bit register: lane for lane the chain of `TAPS`.
#define TAPS16(r0, at) TAPS_OF(__m512, _mm512_mul_ps, _mm512_fmadd_ps, _mm512_loadu_ps, r0, at)

/// `conv3x3_pool_fma` with AVX-512, for rows of at least eight pooled columns: each row's
/// sixteen columns are one chain of `TAPS16`, whose even and odd columns a permutation puts in
/// the two halves; the bias, the comparisons and ReLU are then those of `conv3x3_pool_fma`, so
/// the values are the same bit for bit.
static TARGET512 void conv3x3_pool_fma512(const float *padded, const float *weight, const float *bias, size_t outputs, size_t oh,
                                          size_t ow, int relu, float *out) {
    size_t pw = ow + 2, ph2 = oh / 2, pw2 = ow / 2;
    __m256 none = _mm256_setzero_ps();
    const __m512i split = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    for (size_t o = 0; o < outputs; o++) {
        __m512 w[9];
        for (int t = 0; t < 9; t++) w[t] = _mm512_set1_ps(weight[o * 9 + t]);
        __m512 b16 = _mm512_set1_ps(bias ? bias[o] : 0.0f);
        for (size_t i = 0; i < ph2; i++) {
            const float *r0 = padded + 2 * i * pw;
            float *dst = out + (o * ph2 + i) * pw2;
            for (size_t j = 0;; j += 8) {
                size_t at = j + 8 <= pw2 ? j : pw2 - 8;  // pooled column; the sums start at 2·at
                __m512 top = _mm512_add_ps(_mm512_permutexvar_ps(split, TAPS16(r0, 2 * at)), b16);
                __m512 bot = _mm512_add_ps(_mm512_permutexvar_ps(split, TAPS16(r0 + pw, 2 * at)), b16);
                __m256 a = _mm512_castps512_ps256(top), b = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(top), 1));
                __m256 c = _mm512_castps512_ps256(bot), d = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(bot), 1));
                __m256 m = MAX_GT(MAX_GT(a, b), MAX_GT(c, d));
                if (relu) m = _mm256_blendv_ps(none, m, _mm256_cmp_ps(m, none, _CMP_GT_OQ));
                _mm256_storeu_ps(dst + at, m);
                if (at + 8 >= pw2) break;
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

static int has_avx512f(void) {
    static int supported = -1;  // -1 until the first call asks the CPU
    int known = __atomic_load_n(&supported, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f");
        __atomic_store_n(&supported, known, __ATOMIC_RELAXED);
    }
    return known;
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

// The patch matrix of a block of small images: entry (row, b·pixels + p) is image b's value at
// table[row·pixels + p], or 0 where the table says −1 (padding). The scalar form branches on the
// padding test, which a 4×4 map's patterns mispredict; the vector forms gather with the test as
// a lane mask. Each form fills one run of `pixels` entries (one row, one image); `PATCH_GATHER`
// makes the loop over rows and images around it.

static inline __attribute__((always_inline)) void patch_run_plain(const float *image, const int32_t *t, size_t pixels, float *d) {
    for (size_t p = 0; p < pixels; p++) d[p] = t[p] >= 0 ? image[t[p]] : 0.0f;
}

#define PATCH_GATHER(NAME, ATTRIBUTES, RUN)                                                                        \
    static ATTRIBUTES void NAME(const float *images, size_t image_stride, size_t count, const int32_t *table,        \
                                size_t rows, size_t pixels, float *cols) {                                          \
        size_t width = count * pixels;                                                                              \
        for (size_t row = 0; row < rows; row++)                                                                     \
            for (size_t b = 0; b < count; b++)                                                                      \
                RUN(images + b * image_stride, table + row * pixels, pixels, cols + row * width + b * pixels);      \
    }

PATCH_GATHER(patch_gather_plain, , patch_run_plain)

#if defined(__x86_64__)
static inline __attribute__((always_inline)) TARGET512 void patch_run512(const float *image, const int32_t *t, size_t pixels, float *d) {
    const __m512i minus = _mm512_set1_epi32(-1);
    for (size_t p = 0; p < pixels; p += 16) {
        __mmask16 live = pixels - p >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (pixels - p)) - 1);
        __m512i index = _mm512_maskz_loadu_epi32(live, t + p);
        __mmask16 inside = _mm512_mask_cmpgt_epi32_mask(live, index, minus);
        _mm512_mask_storeu_ps(d + p, live, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), inside, index, image, 4));
    }
}

static inline __attribute__((always_inline)) TARGET void patch_run256(const float *image, const int32_t *t, size_t pixels, float *d) {
    const __m256i minus = _mm256_set1_epi32(-1);
    size_t p = 0;
    for (; p + 8 <= pixels; p += 8) {
        __m256i index = _mm256_loadu_si256((const __m256i *)(t + p));
        __m256 inside = _mm256_castsi256_ps(_mm256_cmpgt_epi32(index, minus));
        _mm256_storeu_ps(d + p, _mm256_mask_i32gather_ps(_mm256_setzero_ps(), image, index, inside, 4));
    }
    patch_run_plain(image, t + p, pixels - p, d + p);
}

PATCH_GATHER(patch_gather512, TARGET512, patch_run512)
PATCH_GATHER(patch_gather256, TARGET, patch_run256)
#endif

void bulwark_patch_gather(const float *images, size_t image_stride, size_t count, const int32_t *table, size_t rows,
                          size_t pixels, float *cols) {
#if defined(__x86_64__)
    if (use_avx512()) { patch_gather512(images, image_stride, count, table, rows, pixels, cols); return; }
    if (has_avx2_fma()) { patch_gather256(images, image_stride, count, table, rows, pixels, cols); return; }
#endif
    patch_gather_plain(images, image_stride, count, table, rows, pixels, cols);
}

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

int bulwark_conv3x3_single_channel_pool(const float *in, size_t h, size_t w, const float *weight, const float *bias,
                                        size_t outputs, size_t pad_top, size_t pad_left, size_t oh, size_t ow, int relu,
                                        float *padded, float *rows, float *out) {
#if defined(__x86_64__)
    if (ow >= 8 && has_avx2_fma()) {
        pad_image(in, h, w, 3, 3, pad_top, pad_left, oh, ow, padded);
        if (ow >= 16 && use_avx512()) conv3x3_pool_fma512(padded, weight, bias, outputs, oh, ow, relu, out);
        else conv3x3_pool_fma(padded, weight, bias, outputs, oh, ow, relu, rows, out);
        return 1;
    }
#endif
    (void)in; (void)h; (void)w; (void)weight; (void)bias; (void)outputs; (void)pad_top; (void)pad_left; (void)oh; (void)ow;
    (void)relu; (void)padded; (void)rows; (void)out;
    return 0;
}
