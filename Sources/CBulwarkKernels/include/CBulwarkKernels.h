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

#endif
