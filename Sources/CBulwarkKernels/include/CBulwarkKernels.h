// Element-wise kernels written in C so that they run eight lanes wide on CPUs with AVX2 (picked
// at load time through target clones) and four wide otherwise; Swift's SIMD types compile to
// scalar code for some of these operations.
#ifndef BULWARK_KERNELS_H
#define BULWARK_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Box–Muller on `pairs` pairs of 32-bit words: pair j takes its radius from `radius[j]`
/// (u = (⌊r/2⌋ + 1)·2⁻³¹, ρ = √(−2 ln u)) and its angle from `angle[j]` (top two bits a quarter
/// turn, low 30 bits an offset in (−π/4, π/4)), and updates `first[j] = (first[j] + sd·ρ cos φ)·scale`
/// and, for j < `second_count`, `second[j] = (second[j] + sd·ρ sin φ)·scale`. The logarithm,
/// sine and cosine are polynomials accurate to a few float ulps.
void bulwark_gaussian_add(const uint32_t *radius, const uint32_t *angle, size_t pairs,
                          float *first, float *second, size_t second_count, float sd, float scale);

/// One Adam step on `n` elements, as torch.optim.Adam: g ← g + wd·p; m ← β₁m + (1−β₁)g;
/// v ← β₂v + (1−β₂)g²; p ← p − step·m / (√v / c2_root + ε); no fused multiply-adds, so every
/// lane rounds as the scalar formula does.
void bulwark_adam_step(float *p, const float *g, float *m, float *v, size_t n,
                       float beta1, float beta2, float weight_decay, float step_size, float c2_root, float epsilon);

/// Winograd F(2×2, 3×3) for 3×3 convolutions with stride 1 and padding 1 (output H×W = input
/// H×W). Tiles: ⌈H/2⌉ rows of ⌈W/2⌉ per image; tile t = (image·⌈H/2⌉ + row)·⌈W/2⌉ + column.
/// ξ = 0…15 numbers the positions of a transformed 4×4 tile.
///
/// The transformed kernels U = G g Gᵀ of an `outputs` × `inputs` × 3 × 3 weight: without `flip`,
/// u[(ξ·outputs + o)·inputs + c] (for a convolution's forward pass); with `flip`, of the kernels
/// rotated 180° with inputs and outputs swapped, u[(ξ·inputs + c)·outputs + o] (its input gradient).
void bulwark_winograd_kernels(const float *weight, size_t outputs, size_t inputs, int flip, float *u);

/// The transformed input tiles V = Bᵀ d B of `images` images whose channel c plane (H×W floats)
/// starts at in[image·image_stride + c·channel_stride]: v[(ξ·channels + c)·ldv + t]. Needs
/// ldv ≥ tiles + 8 (the last eight floats of each row are scratch).
void bulwark_winograd_input(const float *in, size_t image_stride, size_t channel_stride, size_t images, size_t channels,
                            size_t h, size_t w, float *v, size_t ldv);

/// The output tiles Aᵀ M A of the products m[(ξ·channels + o)·ldm + t] (ldm ≥ tiles + 8), written
/// as H×W planes at out[image·image_stride + o·channel_stride].
void bulwark_winograd_output(const float *m, size_t ldm, size_t images, size_t channels, size_t h, size_t w,
                             float *out, size_t image_stride, size_t channel_stride);

/// The output tiles of `bulwark_winograd_output`, each pooled at once by a 2×2 max pooling with
/// stride 2 (a tile is one window): out = max over the tile of (y + bias[o]) (bias may be null),
/// with the comparisons of `bulwark_max_pool_2x2`, then, with `relu`, max(out, 0) with NaN giving
/// 0 — bit for bit `bulwark_winograd_output` followed by `bulwark_max_pool_2x2` — written as
/// ⌊H/2⌋ × ⌊W/2⌋ planes at out[image·image_stride + o·channel_stride].
void bulwark_winograd_output_pool(const float *m, size_t ldm, size_t images, size_t channels, size_t h, size_t w,
                                  const float *bias, int relu, float *out, size_t image_stride, size_t channel_stride);

/// The transformed error tiles A d Aᵀ (the adjoint of the output transform) of `images` error
/// maps laid out as for `bulwark_winograd_input`: e[(ξ·channels + o)·ldv + t], ldv ≥ tiles + 8.
/// With the input tiles V of the same images, Σ_t E_ξ[o][t]·V_ξ[c][t] is the gradient of the
/// transformed kernel U_ξ[o][c].
void bulwark_winograd_error(const float *dy, size_t image_stride, size_t channel_stride, size_t images, size_t channels,
                            size_t h, size_t w, float *e, size_t ldv);

/// The weight gradient dw[o][c][3][3] = Gᵀ·dU·G from the gradients of the transformed kernels,
/// du[(ξ·outputs + o)·inputs + c] (the adjoint of `bulwark_winograd_kernels` without flip).
void bulwark_winograd_kernel_gradients(const float *du, size_t outputs, size_t inputs, float *dw);

/// 2×2 max pooling with stride 2 of one plane with rows of `w` floats (2·oh rows, 2·ow ≤ w
/// columns used) into `dst` (oh × ow): out = max over the window of (src + bias), compared
/// across each row's pair first, then between the rows (`b > a ? b : a`, as the scalar loops
/// do); with `relu`, max(out, 0) with NaN giving 0.
void bulwark_max_pool_2x2(const float *src, size_t w, size_t oh, size_t ow, float bias, int relu, float *dst);

/// Direct convolution of one single-channel h × w image with `outputs` kernels of kh × kw
/// (stride 1, no dilation), zero padding `pad_top` rows above and `pad_left` columns to the left
/// (the output, oh × ow per kernel, fixes the rest): out[(o·oh + i)·ow + j] = Σ_{ki,kj}
/// weight[(o·kh + ki)·kw + kj] · x[i + ki − pad_top][j + kj − pad_left], the terms added in
/// (ki, kj) order (fused multiply-adds on CPUs with AVX2 and FMA, separate ones elsewhere), then
/// `bias[o]` added to the sum when `bias` is not null. `padded` is scratch of
/// (oh + kh − 1)·(ow + kw − 1) floats.
void bulwark_conv_single_channel(const float *in, size_t h, size_t w, const float *weight, const float *bias, size_t outputs,
                                 size_t kh, size_t kw, size_t pad_top, size_t pad_left, size_t oh, size_t ow,
                                 float *padded, float *out);

/// `bulwark_conv_single_channel` of a 3×3 kernel (no bias) followed by `bulwark_max_pool_2x2`
/// of each output plane with `bias[o]` (0 when bias is null) and `relu`, bit for bit, written as
/// ⌊oh/2⌋ × ⌊ow/2⌋ planes to `out`; each pair of rows is pooled while it is in L1. Returns 1,
/// or 0 having done nothing (on CPUs without AVX2 and FMA, or when ow < 8): the caller then
/// convolves and pools separately. `padded` is scratch of (oh + 2)·(ow + 2) floats, `rows` of
/// 2·ow.
int bulwark_conv3x3_single_channel_pool(const float *in, size_t h, size_t w, const float *weight, const float *bias,
                                        size_t outputs, size_t pad_top, size_t pad_left, size_t oh, size_t ow, int relu,
                                        float *padded, float *rows, float *out);

/// y[i] = tanh(x[i]) for i < n (x and y may be the same array), within a few float ulps:
/// x + x³·P(x²) (the series to x¹¹) below |x| = 0.3, (1 − t)/(1 + t) with t = e^(−2|x|) from a
/// degree-7 polynomial and an exact power of two up to 9, ±1 beyond; NaN stays NaN. Eight lanes
/// at a time, the last few through the same lanes, so every element is computed the same way.
void bulwark_tanh(const float *x, size_t n, float *y);

/// C[i·ldc + j] += Σ_p A[i·lda + p]·B[j·ldb + p] for i < m, j < n (C += A·Bᵀ, row-major), with
/// fused multiply-adds on CPUs with AVX2 and FMA; returns 1, or 0 having done nothing on other
/// CPUs (the caller then uses BLAS). Meant for a few rows of A (a small batch through a dense
/// layer, up to a few dozen); each entry is summed the same way whatever m is.
int bulwark_sgemm_small_nt(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                           float *c, size_t ldc);

/// C[i·ldc + j] = Σ_p A[i·lda + p]·B[p·ldb + j] for i < m, j < n (C = A·B, row-major; C's old
/// values are overwritten), with fused multiply-adds on CPUs with AVX-512 (sixteen lanes) or AVX2
/// and FMA (eight); returns 1, or 0
/// having done nothing on other CPUs (the caller then uses BLAS). Meant for a thin inner
/// dimension k (a few dozen: Winograd's per-position products); A and B are read in place.
/// Each entry is summed in p order from zero, whatever m and n are.
int bulwark_sgemm_small_k_nn(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                             float *c, size_t ldc);

/// The patch matrix of `count` small images (image b at images + b·image_stride) for a
/// convolution lowered through an offset table: cols[row·(count·pixels) + b·pixels + p] =
/// image b's value at table[row·pixels + p], or 0 where that entry is −1 (padding), for
/// row < rows, p < pixels. Plain copies: the values are the images' own, on every CPU.
void bulwark_patch_gather(const float *images, size_t image_stride, size_t count, const int32_t *table, size_t rows,
                          size_t pixels, float *cols);

/// Whether the kernels may use AVX-512 where the CPU has it (they do by default; the AVX-512 and
/// AVX2 forms of a kernel give the same values, which tests check by turning it off). Returns
/// the previous setting.
int bulwark_kernels_allow_avx512(int allowed);

#endif
