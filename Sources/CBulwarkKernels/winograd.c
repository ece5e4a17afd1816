// Winograd F(2×2, 3×3) transforms (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural
// Networks"): a 3×3 convolution with stride 1 and padding 1 computes each 2×2 output tile from a
// 4×4 input tile with 16 multiplications per channel pair instead of 36. The multiplications are
// 16 matrix products (one per transformed position ξ) that the caller hands to BLAS; these are
// the transforms on either side of them, eight tiles at a time.
#include "CBulwarkKernels.h"
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

typedef float f8 __attribute__((ext_vector_type(8)));
typedef int i8 __attribute__((ext_vector_type(8)));

#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

#define LOAD8(pointer) ({ f8 value_; memcpy(&value_, (pointer), sizeof value_); value_; })
#define STORE8(pointer, value) do { f8 value_ = (value); memcpy((pointer), &value_, sizeof value_); } while (0)
#define EVEN(lo, hi) __builtin_shufflevector((lo), (hi), 0, 2, 4, 6, 8, 10, 12, 14)
#define ODD(lo, hi) __builtin_shufflevector((lo), (hi), 1, 3, 5, 7, 9, 11, 13, 15)
/// Lane-wise `mask ? a : b` (mask lanes all ones or zero, as a comparison gives them).
#define SELECT(mask, a, b) ((f8)(((i8)(a) & (mask)) | ((i8)(b) & ~(mask))))

void bulwark_winograd_kernels(const float *weight, size_t outputs, size_t inputs, int flip, float *u) {
    size_t rows = flip ? inputs : outputs, cols = flip ? outputs : inputs;
    for (size_t o = 0; o < outputs; o++) {
        for (size_t c = 0; c < inputs; c++) {
            const float *k = weight + (o * inputs + c) * 9;
            float g[3][3];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) g[i][j] = flip ? k[(2 - i) * 3 + (2 - j)] : k[i * 3 + j];
            // G g: rows g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2
            float a[4][3];
            for (int j = 0; j < 3; j++) {
                a[0][j] = g[0][j];
                a[1][j] = (g[0][j] + g[1][j] + g[2][j]) * 0.5f;
                a[2][j] = (g[0][j] - g[1][j] + g[2][j]) * 0.5f;
                a[3][j] = g[2][j];
            }
            size_t r = flip ? c : o, col = flip ? o : c;
            for (int i = 0; i < 4; i++) {
                float t[4] = {a[i][0], (a[i][0] + a[i][1] + a[i][2]) * 0.5f, (a[i][0] - a[i][1] + a[i][2]) * 0.5f, a[i][2]};
                for (int j = 0; j < 4; j++) u[((size_t)(i * 4 + j) * rows + r) * cols + col] = t[j];
            }
        }
    }
}

/// Copies `count` floats from `src` to `dst` eight at a time, the last eight overlapping the ones
/// before: rows here are a few dozen floats, and a `memcpy` call per row cost as much as the
/// transform.
static inline __attribute__((always_inline)) void copy_row(float *dst, const float *src, size_t count) {
    if (count < 8) {
        for (size_t j = 0; j < count; j++) dst[j] = src[j];
        return;
    }
    size_t j = 0;
    for (; j + 8 <= count; j += 8) STORE8(dst + j, LOAD8(src + j));
    if (j < count) STORE8(dst + count - 8, LOAD8(src + count - 8));
}

CLONES
void bulwark_winograd_input(const float *in, size_t image_stride, size_t channel_stride, size_t images, size_t channels,
                            size_t h, size_t w, float *v, size_t ldv) {
    size_t th = (h + 1) / 2, tw = (w + 1) / 2;
    size_t tw8 = (tw + 7) / 8 * 8;
    size_t pitch = 2 * tw8 + 2;  // input columns −1 … 2·tw8, zero outside the image
    size_t prows = 2 * th + 2;   // input rows −1 … 2·th
    // the plane with its zero border, copied once (a tile row reads four rows, two shared with
    // the next tile row); the border and the columns past the image are zeroed once here
    // (on the heap: a large image's plane would not fit a worker thread's stack)
    float *padded = calloc(prows * pitch, sizeof(float));
    if (!padded) abort();
    for (size_t b = 0; b < images; b++) {
        for (size_t c = 0; c < channels; c++) {
            const float *plane = in + b * image_stride + c * channel_stride;
            for (size_t y = 0; y < h; y++) copy_row(&padded[(y + 1) * pitch + 1], plane + y * w, w);
            for (size_t ty = 0; ty < th; ty++) {
                const float *rows = &padded[2 * ty * pitch];  // input row 2ty − 1
                size_t t0 = (b * th + ty) * tw;
                for (size_t tx = 0; tx < tw; tx += 8) {
                    // d[i][k]: input row 2ty − 1 + i, column 2tx − 1 + k, for eight tiles
                    f8 d[4][4];
                    for (int i = 0; i < 4; i++) {
                        // padded columns 2tx … 2tx + 15, and 2tx + 2 … 2tx + 17 (the last one read)
                        const float *r = rows + (size_t)i * pitch + 2 * tx;
                        f8 a = LOAD8(r), b2 = LOAD8(r + 8), c2 = LOAD8(r + 2), e2 = LOAD8(r + 10);
                        d[i][0] = EVEN(a, b2);
                        d[i][1] = ODD(a, b2);
                        d[i][2] = EVEN(c2, e2);
                        d[i][3] = ODD(c2, e2);
                    }
                    // Bᵀ d B with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
                    f8 s[4][4];
                    for (int k = 0; k < 4; k++) {
                        s[0][k] = d[0][k] - d[2][k];
                        s[1][k] = d[1][k] + d[2][k];
                        s[2][k] = d[2][k] - d[1][k];
                        s[3][k] = d[1][k] - d[3][k];
                    }
                    float *dst = v + c * ldv + t0 + tx;
                    size_t step = channels * ldv;  // from one ξ to the next
                    for (int i = 0; i < 4; i++) {
                        STORE8(dst + (size_t)(i * 4 + 0) * step, s[i][0] - s[i][2]);
                        STORE8(dst + (size_t)(i * 4 + 1) * step, s[i][1] + s[i][2]);
                        STORE8(dst + (size_t)(i * 4 + 2) * step, s[i][2] - s[i][1]);
                        STORE8(dst + (size_t)(i * 4 + 3) * step, s[i][1] - s[i][3]);
                    }
                }
            }
        }
    }
    free(padded);
}

/// The 2×2 output tiles Aᵀ x A of eight tiles, Aᵀ = [1 1 1 0; 0 1 −1 −1], from their products
/// at `src` (position ξ at src + ξ·step): y[r][s] holds output row r, column s of each tile.
/// (Inlined into each target clone; takes its vectors by pointer.)
static inline __attribute__((always_inline)) void output_tiles(const float *src, size_t step, f8 y[2][2]) {
    f8 x[16];
    for (int xi = 0; xi < 16; xi++) x[xi] = LOAD8(src + (size_t)xi * step);
    f8 s0[4], s1[4];
    for (int k = 0; k < 4; k++) {
        s0[k] = x[k] + x[4 + k] + x[8 + k];
        s1[k] = x[4 + k] - x[8 + k] - x[12 + k];
    }
    y[0][0] = s0[0] + s0[1] + s0[2];
    y[0][1] = s0[1] - s0[2] - s0[3];
    y[1][0] = s1[0] + s1[1] + s1[2];
    y[1][1] = s1[1] - s1[2] - s1[3];
}

CLONES
void bulwark_winograd_output(const float *m, size_t ldm, size_t images, size_t channels, size_t h, size_t w,
                             float *out, size_t image_stride, size_t channel_stride) {
    size_t th = (h + 1) / 2, tw = (w + 1) / 2;
    size_t step = channels * ldm;
    for (size_t b = 0; b < images; b++) {
        for (size_t o = 0; o < channels; o++) {
            float *plane = out + b * image_stride + o * channel_stride;
            for (size_t ty = 0; ty < th; ty++) {
                size_t t0 = (b * th + ty) * tw;
                for (size_t tx = 0; tx < tw; tx += 8) {
                    f8 y[2][2];
                    output_tiles(m + o * ldm + t0 + tx, step, y);
                    size_t x0 = 2 * tx;
                    size_t count = w - x0 < 16 ? w - x0 : 16;
                    for (int r = 0; r < 2; r++) {
                        size_t row = 2 * ty + r;
                        if (row >= h) break;
                        f8 lo = __builtin_shufflevector(y[r][0], y[r][1], 0, 8, 1, 9, 2, 10, 3, 11);
                        f8 hi = __builtin_shufflevector(y[r][0], y[r][1], 4, 12, 5, 13, 6, 14, 7, 15);
                        float *line = plane + row * w + x0;
                        if (count == 16) {
                            STORE8(line, lo);
                            STORE8(line + 8, hi);
                        } else {
                            float tmp[16];
                            STORE8(tmp, lo);
                            STORE8(tmp + 8, hi);
                            if (count >= 8) {
                                // the first eight, then the last eight (overlapping): no memcpy call
                                STORE8(line, lo);
                                STORE8(line + count - 8, LOAD8(tmp + count - 8));
                            } else {
                                for (size_t j = 0; j < count; j++) line[j] = tmp[j];
                            }
                        }
                    }
                }
            }
        }
    }
}

CLONES
void bulwark_winograd_output_pool(const float *m, size_t ldm, size_t images, size_t channels, size_t h, size_t w,
                                  const float *bias, int relu, float *out, size_t image_stride, size_t channel_stride) {
    size_t th = (h + 1) / 2, tw = (w + 1) / 2;
    size_t ph = h / 2, pw = w / 2;  // the whole tiles: each one output of the pooling
    size_t step = channels * ldm;
    const f8 zero = 0.0f;
    for (size_t b = 0; b < images; b++) {
        for (size_t o = 0; o < channels; o++) {
            float *plane = out + b * image_stride + o * channel_stride;
            const f8 b8 = bias ? bias[o] : 0.0f;
            for (size_t ty = 0; ty < ph; ty++) {
                size_t t0 = (b * th + ty) * tw;
                for (size_t tx = 0; tx < pw; tx += 8) {
                    // the tile, then the window's maximum
                    f8 y[2][2];
                    output_tiles(m + o * ldm + t0 + tx, step, y);
                    f8 a = y[0][0] + b8, b2 = y[0][1] + b8, c = y[1][0] + b8, d = y[1][1] + b8;
                    // the comparisons of bulwark_max_pool_2x2: within each row, then between rows
                    f8 ab = SELECT(b2 > a, b2, a), cd = SELECT(d > c, d, c);
                    f8 mx = SELECT(cd > ab, cd, ab);
                    if (relu) mx = SELECT(mx > zero, mx, zero);
                    float *line = plane + ty * pw + tx;
                    size_t count = pw - tx < 8 ? pw - tx : 8;
                    if (count == 8) {
                        STORE8(line, mx);
                    } else {
                        float tmp[8];
                        STORE8(tmp, mx);
                        for (size_t j = 0; j < count; j++) line[j] = tmp[j];
                    }
                }
            }
        }
    }
}

CLONES
void bulwark_winograd_error(const float *dy, size_t image_stride, size_t channel_stride, size_t images, size_t channels,
                            size_t h, size_t w, float *e, size_t ldv) {
    size_t th = (h + 1) / 2, tw = (w + 1) / 2;
    size_t tw8 = (tw + 7) / 8 * 8;
    size_t pitch = 2 * tw8, prows = 2 * th;
    // the plane padded with zeros to whole 2×2 tiles and groups of eight tiles
    float *padded = calloc(prows * pitch, sizeof(float));
    if (!padded) abort();
    for (size_t b = 0; b < images; b++) {
        for (size_t c = 0; c < channels; c++) {
            const float *plane = dy + b * image_stride + c * channel_stride;
            for (size_t y = 0; y < h; y++) copy_row(&padded[y * pitch], plane + y * w, w);
            for (size_t ty = 0; ty < th; ty++) {
                size_t t0 = (b * th + ty) * tw;
                for (size_t tx = 0; tx < tw; tx += 8) {
                    // d[r][s]: error row 2ty + r, column 2tx + s, for eight tiles
                    f8 d[2][2];
                    for (int r = 0; r < 2; r++) {
                        const float *row = &padded[(2 * ty + r) * pitch + 2 * tx];
                        f8 a = LOAD8(row), b2 = LOAD8(row + 8);
                        d[r][0] = EVEN(a, b2);
                        d[r][1] = ODD(a, b2);
                    }
                    // A d Aᵀ with A = [1 0; 1 1; 1 −1; 0 −1] (the adjoint of the output transform)
                    f8 p[4][2];
                    for (int s = 0; s < 2; s++) {
                        p[0][s] = d[0][s];
                        p[1][s] = d[0][s] + d[1][s];
                        p[2][s] = d[0][s] - d[1][s];
                        p[3][s] = -d[1][s];
                    }
                    float *dst = e + c * ldv + t0 + tx;
                    size_t step = channels * ldv;
                    for (int i = 0; i < 4; i++) {
                        STORE8(dst + (size_t)(i * 4 + 0) * step, p[i][0]);
                        STORE8(dst + (size_t)(i * 4 + 1) * step, p[i][0] + p[i][1]);
                        STORE8(dst + (size_t)(i * 4 + 2) * step, p[i][0] - p[i][1]);
                        STORE8(dst + (size_t)(i * 4 + 3) * step, -p[i][1]);
                    }
                }
            }
        }
    }
    free(padded);
}

void bulwark_winograd_kernel_gradients(const float *du, size_t outputs, size_t inputs, float *dw) {
    for (size_t o = 0; o < outputs; o++) {
        for (size_t c = 0; c < inputs; c++) {
            float x[4][4];
            for (int xi = 0; xi < 16; xi++) x[xi / 4][xi % 4] = du[((size_t)xi * outputs + o) * inputs + c];
            // Gᵀ X G with Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1] (the adjoint of the kernel transform)
            float a[3][4];
            for (int j = 0; j < 4; j++) {
                a[0][j] = x[0][j] + (x[1][j] + x[2][j]) * 0.5f;
                a[1][j] = (x[1][j] - x[2][j]) * 0.5f;
                a[2][j] = (x[1][j] + x[2][j]) * 0.5f + x[3][j];
            }
            float *k = dw + (o * inputs + c) * 9;
            for (int i = 0; i < 3; i++) {
                k[i * 3 + 0] = a[i][0] + (a[i][1] + a[i][2]) * 0.5f;
                k[i * 3 + 1] = (a[i][1] - a[i][2]) * 0.5f;
                k[i * 3 + 2] = (a[i][1] + a[i][2]) * 0.5f + a[i][3];
            }
        }
    }
}
