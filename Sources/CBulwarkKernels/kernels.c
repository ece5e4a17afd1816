#include "CBulwarkKernels.h"
#include <string.h>

#pragma STDC FP_CONTRACT OFF

typedef float f8 __attribute__((ext_vector_type(8)));
typedef int32_t i8 __attribute__((ext_vector_type(8)));
typedef uint32_t u8 __attribute__((ext_vector_type(8)));

#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

// Macros, not functions: a 256-bit vector passed to or returned from a function changes the
// calling convention between the AVX2 clone and the default one.
#define LOAD(type, pointer) ({ type value_; memcpy(&value_, (pointer), sizeof value_); value_; })
#define STORE(pointer, value) do { __typeof__(value) value_ = (value); memcpy((pointer), &value_, sizeof value_); } while (0)
/// a where mask is all ones, b where it is zero
#define SELECT(mask, a, b) ((f8)(((i8)(a) & (mask)) | ((i8)(b) & ~(mask))))

/// Eight pairs of normals from eight radius and eight angle words, into z0[8] (cosines) and
/// z1[8] (sines).
static inline __attribute__((always_inline)) void normals(const uint32_t *radius_words, const uint32_t *angle_words, float *z0, float *z1) {
    u8 radius = LOAD(u8, radius_words), angle = LOAD(u8, angle_words);
    f8 u = (__builtin_convertvector((i8)(radius >> 1), f8) + 1.0f) * (1.0f / 2147483648.0f);
    // ln u for u in [2⁻³¹, 1]: u = m·2^e with m in [√½, √2), ln m = 2·atanh((m−1)/(m+1)) to z⁹
    u8 bits = (u8)u;
    i8 e = (i8)(bits >> 23) - 127;
    f8 m = (f8)((bits & 0x007FFFFFu) | 0x3F800000u);
    i8 high = m > 1.4142135f;
    m = SELECT(high, m * 0.5f, m);
    e = e - high;  // high is −1 where true
    f8 z = (m - 1.0f) / (m + 1.0f);
    f8 z2 = z * z;
    f8 series = z2 * (1.0f / 9.0f) + (1.0f / 7.0f);
    series = series * z2 + (1.0f / 5.0f);
    series = series * z2 + (1.0f / 3.0f);
    series = series * z2 + 1.0f;
    f8 ef = __builtin_convertvector(e, f8);
    // ln 2 in a part exact in float times small integers, and the rest
    f8 logarithm = ef * 0.693145751953125f + (ef * 1.428606765330187e-6f + 2.0f * z * series);
    f8 rho = __builtin_elementwise_sqrt(-2.0f * logarithm);
    u8 quarter = angle >> 30;
    f8 f = __builtin_convertvector((i8)(angle & 0x3FFFFFFFu), f8) * (1.0f / 1073741824.0f);
    f8 theta = (f - 0.5f) * 1.5707963267948966f;
    f8 t2 = theta * theta;
    f8 ps = t2 * (1.0f / 362880.0f) + (-1.0f / 5040.0f);
    ps = ps * t2 + (1.0f / 120.0f);
    ps = ps * t2 + (-1.0f / 6.0f);
    f8 s = theta + theta * t2 * ps;
    f8 pc = t2 * (-1.0f / 3628800.0f) + (1.0f / 40320.0f);
    pc = pc * t2 + (-1.0f / 720.0f);
    pc = pc * t2 + (1.0f / 24.0f);
    pc = pc * t2 + (-0.5f);
    f8 c = 1.0f + t2 * pc;
    // φ = quarter·π/2 + θ: odd quarters swap sine and cosine; signs follow the quadrant
    i8 odd = (i8)((quarter & 1u) == 1u);
    f8 sine = SELECT(odd, c, s), cosine = SELECT(odd, s, c);
    u8 sine_sign = (quarter & 2u) << 30;                       // quarters 2 and 3
    u8 cosine_sign = ((quarter ^ (quarter >> 1)) & 1u) << 31;  // quarters 1 and 2
    sine = (f8)((u8)sine ^ sine_sign);
    cosine = (f8)((u8)cosine ^ cosine_sign);
    STORE(z0, rho * cosine);
    STORE(z1, rho * sine);
}

CLONES void bulwark_gaussian_add(const uint32_t *radius, const uint32_t *angle, size_t pairs,
                                 float *first, float *second, size_t second_count, float sd, float scale) {
    for (size_t j = 0; j < pairs; j += 8) {
        size_t lanes = pairs - j < 8 ? pairs - j : 8;
        float z0[8], z1[8];
        if (lanes == 8) {
            normals(radius + j, angle + j, z0, z1);
        } else {
            uint32_t r[8] = {0}, a[8] = {0};
            memcpy(r, radius + j, lanes * sizeof(uint32_t));
            memcpy(a, angle + j, lanes * sizeof(uint32_t));
            normals(r, a, z0, z1);
        }
        size_t rest = second_count > j ? (second_count - j < lanes ? second_count - j : lanes) : 0;
        if (lanes == 8 && rest == 8) {
            STORE(first + j, (LOAD(f8, first + j) + sd * LOAD(f8, z0)) * scale);
            STORE(second + j, (LOAD(f8, second + j) + sd * LOAD(f8, z1)) * scale);
        } else {
            for (size_t l = 0; l < lanes; l++) first[j + l] = (first[j + l] + sd * z0[l]) * scale;
            for (size_t l = 0; l < rest; l++) second[j + l] = (second[j + l] + sd * z1[l]) * scale;
        }
    }
}

CLONES void bulwark_adam_step(float *p, const float *g, float *m, float *v, size_t n,
                              float beta1, float beta2, float weight_decay, float step_size, float c2_root, float epsilon) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        f8 pi = LOAD(f8, p + i);
        f8 gi = LOAD(f8, g + i) + weight_decay * pi;
        f8 mi = beta1 * LOAD(f8, m + i) + (1.0f - beta1) * gi;
        f8 vi = beta2 * LOAD(f8, v + i) + (1.0f - beta2) * gi * gi;
        STORE(m + i, mi);
        STORE(v + i, vi);
        STORE(p + i, pi - step_size * mi / (__builtin_elementwise_sqrt(vi) / c2_root + epsilon));
    }
    for (; i < n; i++) {
        float gi = g[i] + weight_decay * p[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * gi;
        v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        p[i] -= step_size * m[i] / (__builtin_sqrtf(v[i]) / c2_root + epsilon);
    }
}

typedef float f16 __attribute__((ext_vector_type(16)));
#define EVEN8(v) __builtin_shufflevector((v), (v), 0, 2, 4, 6, 8, 10, 12, 14)
#define ODD8(v) __builtin_shufflevector((v), (v), 1, 3, 5, 7, 9, 11, 13, 15)
/// b where b > a, else a (a kept when either is NaN), eight lanes
#define MAX_GT(a, b) SELECT((b) > (a), (b), (a))

CLONES void bulwark_max_pool_2x2(const float *src, size_t w, size_t oh, size_t ow, float bias, int relu, float *dst) {
    const f8 b8 = bias, zero = 0.0f;
    for (size_t i = 0; i < oh; i++) {
        const float *r0 = src + 2 * i * w, *r1 = r0 + w;
        float *out = dst + i * ow;
        size_t j = 0;
        if (ow >= 8) {
            // The last block of a row overlaps the one before it (it rewrites the same values).
            for (;;) {
                size_t at = j + 8 <= ow ? j : ow - 8;
                f16 top = LOAD(f16, r0 + 2 * at), bottom = LOAD(f16, r1 + 2 * at);
                f8 a = EVEN8(top) + b8, b = ODD8(top) + b8, c = EVEN8(bottom) + b8, d = ODD8(bottom) + b8;
                f8 ab = MAX_GT(a, b), cd = MAX_GT(c, d);
                f8 m = MAX_GT(ab, cd);
                if (relu) m = SELECT(m > zero, m, zero);
                STORE(out + at, m);
                if (at + 8 >= ow) break;
                j += 8;
            }
            continue;
        }
        for (; j < ow; j++) {
            float a = r0[2 * j] + bias, b = r0[2 * j + 1] + bias, c = r1[2 * j] + bias, d = r1[2 * j + 1] + bias;
            float ab = b > a ? b : a, cd = d > c ? d : c;
            float m = cd > ab ? cd : ab;
            out[j] = relu ? (m > 0 ? m : 0) : m;
        }
    }
}

/// tanh of eight lanes (see bulwark_tanh).
#define TANH8(v) ({                                                                               \
    const f8 one_ = 1.0f;                                                                        \
    i8 bits_ = (i8)(v);                                                                          \
    i8 sign_ = bits_ & (i8)(u8)0x80000000u;                                                      \
    f8 a_ = (f8)(bits_ & ~sign_);                                                                \
    f8 s_ = a_ * a_;                                                                             \
    f8 p_ = (f8)(-1382.0f / 155925.0f);                                                          \
    p_ = p_ * s_ + 62.0f / 2835.0f;                                                              \
    p_ = p_ * s_ + -17.0f / 315.0f;                                                              \
    p_ = p_ * s_ + 2.0f / 15.0f;                                                                 \
    p_ = p_ * s_ + -1.0f / 3.0f;                                                                 \
    f8 near_ = a_ + a_ * s_ * p_;                                                                \
    f8 z_ = -2.0f * a_;                                                                          \
    z_ = SELECT(z_ < -20.0f, (f8)-20.0f, z_);                                                    \
    f8 n_ = __builtin_elementwise_floor(z_ * 1.4426950408889634f + 0.5f);                        \
    f8 r_ = (z_ - n_ * 0.693145751953125f) - n_ * 1.428606765330187e-06f;                        \
    f8 e_ = (f8)(1.0f / 5040.0f);                                                                \
    e_ = e_ * r_ + 1.0f / 720.0f;                                                                \
    e_ = e_ * r_ + 1.0f / 120.0f;                                                                \
    e_ = e_ * r_ + 1.0f / 24.0f;                                                                 \
    e_ = e_ * r_ + 1.0f / 6.0f;                                                                  \
    e_ = e_ * r_ + 0.5f;                                                                         \
    e_ = e_ * r_ + 1.0f;                                                                         \
    e_ = e_ * r_ + 1.0f;                                                                         \
    i8 ni_ = __builtin_convertvector(n_, i8);                                                    \
    f8 t_ = (f8)((i8)e_ + (ni_ << 23));                                                          \
    f8 far_ = (one_ - t_) / (one_ + t_);                                                         \
    f8 m_ = SELECT(a_ < 0.3f, near_, far_);                                                      \
    m_ = SELECT(a_ >= 9.0f, one_, m_);                                                           \
    (f8)((i8)m_ | sign_);                                                                        \
})

CLONES void bulwark_tanh(const float *x, size_t n, float *y) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) STORE(y + i, TANH8(LOAD(f8, x + i)));
    if (i < n) {
        // the last few through the same lanes, so a value's tanh does not depend on its position
        float in[8] = {0}, out[8];
        for (size_t j = i; j < n; j++) in[j - i] = x[j];
        STORE(out, TANH8(LOAD(f8, in)));
        for (size_t j = i; j < n; j++) y[j] = out[j - i];
    }
}
