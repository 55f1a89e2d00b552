// The output stage: portable code, and an AVX-512 version (8 pixels in 64-bit lanes per step:
// vpmaxsq/vpminsq clamp, vpsraq round, vpmovsqb saturates to int8 on the store) used with the
// VNNI kernel variant. Both follow docs/isa.md literally, so they agree bit for bit.
#include "ip/cnn/output_kernel.h"

#include <algorithm>
#include <cstring>

#include "ip/cnn/simd.h"

namespace dlvp::cnn::kernels {
namespace {

int64_t round_shift(int64_t v, int shift) {
  if (shift > 0) return (v + (int64_t{1} << (shift - 1))) >> shift;
  if (shift < 0) return v * (int64_t{1} << -shift);
  return v;
}

template <typename T>
void finish_row_scalar(const OutputRow& stage, const T* sum, const uint8_t* psum_in, int64_t base, uint32_t n,
                       uint8_t* psum_out, int8_t* y) {
  for (uint32_t i = 0; i < n; ++i) {
    const int64_t start = psum_in ? load_i32(psum_in + 4 * i) : base;
    const auto acc = static_cast<int32_t>(std::clamp<int64_t>(start + sum[i], stage.acc_lo, stage.acc_hi));
    if (psum_out) {
      std::memcpy(psum_out + 4 * i, &acc, sizeof acc);
      continue;
    }
    int64_t v = std::clamp<int64_t>(round_shift(acc, stage.output_shift), -128, 127);
    if (stage.relu) v = std::max<int64_t>(v, 0);
    y[i] = static_cast<int8_t>(v);
  }
}

#if DLVP_CNN_X86
DLVP_TARGET_AVX512 void finish_row_avx512(const OutputRow& stage, const int32_t* sum, const uint8_t* psum_in,
                                          int64_t base, uint32_t n, uint8_t* psum_out, int8_t* y) {
  const __m512i lo = _mm512_set1_epi64(stage.acc_lo), hi = _mm512_set1_epi64(stage.acc_hi);
  const __m512i start_const = _mm512_set1_epi64(base);
  const int shift = stage.output_shift;
  const __m512i half = _mm512_set1_epi64(shift > 0 ? int64_t{1} << (shift - 1) : 0);
  const __m128i right = _mm_cvtsi32_si128(shift > 0 ? shift : 0), left = _mm_cvtsi32_si128(shift < 0 ? -shift : 0);
  const __m512i floor = _mm512_set1_epi64(stage.relu ? 0 : -128);
  for (uint32_t i = 0; i < n; i += 8) {
    const __mmask8 m = n - i >= 8 ? __mmask8(0xFF) : __mmask8((1u << (n - i)) - 1);
    const __m512i s = _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(m, sum + i));
    const __m512i start =
        psum_in ? _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(m, psum_in + 4 * i)) : start_const;
    const __m512i acc = _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(start, s), lo), hi);
    if (psum_out) {
      _mm512_mask_cvtepi64_storeu_epi32(psum_out + 4 * i, m, acc);  // in range: plain truncation
      continue;
    }
    // round_shift: a left shift stays below 2^62 (|acc| < 2^31, shift <= 31).
    const __m512i v = _mm512_sll_epi64(_mm512_sra_epi64(_mm512_add_epi64(acc, half), right), left);
    _mm512_mask_cvtsepi64_storeu_epi8(y + i, m, _mm512_max_epi64(v, floor));  // ReLU, then saturate
  }
}
#endif

}  // namespace

void finish_row(KernelIsa isa, const OutputRow& stage, const int32_t* sum, const uint8_t* psum_in, int64_t base,
                uint32_t n, uint8_t* psum_out, int8_t* y) {
#if DLVP_CNN_X86
  if (isa == KernelIsa::kAvx512Vnni) {
    finish_row_avx512(stage, sum, psum_in, base, n, psum_out, y);
    return;
  }
#endif
  finish_row_scalar(stage, sum, psum_in, base, n, psum_out, y);
}

void max_pool_2x2_row(const int8_t* a, const int8_t* b, uint32_t n, int8_t* out) {
  uint32_t i = 0;
#if defined(__SSE2__)
  // In the biased domain u = v ^ 0x80 the signed order is the unsigned one (SSE2 has pmaxub).
  // Pairs of neighbours are the two bytes of a 16-bit lane.
  const __m128i bias = _mm_set1_epi8(static_cast<char>(0x80)), low = _mm_set1_epi16(0x00FF);
  for (; i + 16 <= n; i += 16) {
    __m128i pair_max[2];
    for (int h = 0; h < 2; ++h) {
      const __m128i ra = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 2 * i + 16 * h));
      const __m128i rb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2 * i + 16 * h));
      const __m128i v = _mm_max_epu8(_mm_xor_si128(ra, bias), _mm_xor_si128(rb, bias));
      pair_max[h] = _mm_max_epi16(_mm_and_si128(v, low), _mm_srli_epi16(v, 8));
    }
    const __m128i packed = _mm_packus_epi16(pair_max[0], pair_max[1]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_xor_si128(packed, bias));
  }
#endif
  for (; i < n; ++i) out[i] = std::max(std::max(a[2 * i], a[2 * i + 1]), std::max(b[2 * i], b[2 * i + 1]));
}

void finish_row_wide(const OutputRow& stage, const int64_t* sum, const uint8_t* psum_in, int64_t base, uint32_t n,
                     uint8_t* psum_out, int8_t* y) {
  finish_row_scalar(stage, sum, psum_in, base, n, psum_out, y);
}

}  // namespace dlvp::cnn::kernels
