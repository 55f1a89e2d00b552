// The int8 kernels in three variants. The SIMD variants are compiled with per-function target
// attributes, so the library runs on any x86-64 and picks the variant with cpuid at run time.
#include "ip/cnn/int8_kernels.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ip/cnn/simd.h"

namespace dlvp::cnn::kernels {
namespace {

// ---- scalar ---------------------------------------------------------------------------------
// uint32 arithmetic: the same modulo-2^32 sums as the SIMD variants, without signed overflow.

void quad_gemm_scalar(const QuadGemm& q, uint64_t p_begin, uint64_t p_end) {
  for (uint32_t rb = 0; rb < q.row_blocks; ++rb) {
    const int8_t* wb = q.weights + uint64_t{rb} * q.groups * kRowBlock * 4;
    for (uint32_t r = 0; r < kRowBlock; ++r) {
      const uint64_t row = uint64_t{rb} * kRowBlock + r;
      uint32_t* c = reinterpret_cast<uint32_t*>(q.c + row * q.c_row_stride);
      std::fill(c + p_begin, c + p_end, static_cast<uint32_t>(q.row_init[row]));
      for (uint32_t g = 0; g < q.groups; ++g) {
        const int8_t* w = wb + (uint64_t{g} * kRowBlock + r) * 4;
        const uint8_t* a = q.act + 4 * uint64_t{q.tap_offset[g]};
        for (uint64_t p = p_begin; p < p_end; ++p)
          for (int j = 0; j < 4; ++j) c[p] += static_cast<uint32_t>(int32_t{w[j]} * a[4 * p + j]);
      }
    }
  }
}

void gemv_scalar(const int8_t* w, uint64_t row_stride, uint32_t rows, const int8_t* x, uint32_t n, int32_t* out) {
  for (uint32_t r = 0; r < rows; ++r) {
    const int8_t* wr = w + r * row_stride;
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; ++i) sum += static_cast<uint32_t>(int32_t{wr[i]} * x[i]);
    out[r] = static_cast<int32_t>(sum);
  }
}

#if DLVP_CNN_X86
// ---- AVX2 -----------------------------------------------------------------------------------
// vpmaddwd on 16-bit lanes: the activation quad (a0 a1 a2 a3) splits into (a0, a2) and (a1, a3)
// zero-extended, the weight quad into (w0, w2) and (w1, w3) sign-extended; two vpmaddwd give
// a0 w0 + a2 w2 and a1 w1 + a3 w3 per pixel. Products fit int16 x int16 -> int32 exactly (no
// saturating vpmaddubsw).

// 4 rows x NV vectors of 8 pixels.
template <int NV>
DLVP_TARGET_AVX2 inline void avx2_tile(const QuadGemm& q, const int8_t* wb, uint32_t r0, uint64_t row0, uint64_t p) {
  __m256i acc[4][NV];
  DLVP_UNROLL
  for (int r = 0; r < 4; ++r)
    DLVP_UNROLL
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_set1_epi32(q.row_init[row0 + r]);
  const __m256i low_bytes = _mm256_set1_epi16(0x00FF);
  const uint8_t* act = q.act + 4 * p;
  for (uint32_t g = 0; g < q.groups; ++g) {
    const uint8_t* a = act + 4 * uint64_t{q.tap_offset[g]};
    __m256i x_even[NV], x_odd[NV];
    DLVP_UNROLL
    for (int v = 0; v < NV; ++v) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 32 * v));
      x_even[v] = _mm256_and_si256(x, low_bytes);
      x_odd[v] = _mm256_srli_epi16(x, 8);
    }
    const int8_t* w = wb + (uint64_t{g} * kRowBlock + r0) * 4;
    DLVP_UNROLL
    for (int r = 0; r < 4; ++r) {
      const __m256i wq = _mm256_set1_epi32(load_i32(w + 4 * r));
      const __m256i w_even = _mm256_srai_epi16(_mm256_slli_epi16(wq, 8), 8);
      const __m256i w_odd = _mm256_srai_epi16(wq, 8);
      DLVP_UNROLL
      for (int v = 0; v < NV; ++v) {
        acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(x_even[v], w_even));
        acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(x_odd[v], w_odd));
      }
    }
  }
  DLVP_UNROLL
  for (int r = 0; r < 4; ++r)
    DLVP_UNROLL
    for (int v = 0; v < NV; ++v)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q.c + (row0 + r) * q.c_row_stride + p + 8 * v), acc[r][v]);
}

DLVP_TARGET_AVX2 void quad_gemm_avx2(const QuadGemm& q, uint64_t p_begin, uint64_t p_end) {
  for (uint64_t p = p_begin; p < p_end; p += 16)  // kPixelGrain = 2 vectors of 8
    for (uint32_t rb = 0; rb < q.row_blocks; ++rb) {
      const int8_t* wb = q.weights + uint64_t{rb} * q.groups * kRowBlock * 4;
      const uint64_t row0 = uint64_t{rb} * kRowBlock;
      avx2_tile<2>(q, wb, 0, row0, p);
      avx2_tile<2>(q, wb, 4, row0 + 4, p);
    }
}

DLVP_TARGET_AVX2 inline int32_t hsum_avx2(__m256i v) {
  const __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i t = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  return _mm_cvtsi128_si32(_mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1)));
}

DLVP_TARGET_AVX2 void gemv_avx2(const int8_t* w, uint64_t row_stride, uint32_t rows, const int8_t* x, uint32_t n,
                                int32_t* out) {
  const uint32_t n_vec = n / 16 * 16;
  for (uint32_t r = 0; r < rows; ++r) {
    const int8_t* wr = w + r * row_stride;
    __m256i acc = _mm256_setzero_si256();
    for (uint32_t i = 0; i < n_vec; i += 16) {
      const __m256i xv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
      const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wr + i)));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(xv, wv));
    }
    uint32_t sum = static_cast<uint32_t>(hsum_avx2(acc));
    for (uint32_t i = n_vec; i < n; ++i) sum += static_cast<uint32_t>(int32_t{wr[i]} * x[i]);
    out[r] = static_cast<int32_t>(sum);
  }
}

// ---- AVX-512 VNNI ---------------------------------------------------------------------------
// vpdpbusd: per 32-bit lane, 4 products of an unsigned activation byte and a signed weight byte
// added to the accumulator (wrapping). Pixels run along the vector, each row's weight quad is
// broadcast. Tile: 8 rows x NV vectors of 16 pixels (24 accumulators for NV = 3).

template <int NV>
DLVP_TARGET_VNNI inline void vnni_tile(const QuadGemm& q, const int8_t* wb, uint64_t row0, uint64_t p) {
  __m512i acc[kRowBlock][NV];
  DLVP_UNROLL
  for (uint32_t r = 0; r < kRowBlock; ++r)
    DLVP_UNROLL
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_set1_epi32(q.row_init[row0 + r]);
  const uint8_t* act = q.act + 4 * p;
  for (uint32_t g = 0; g < q.groups; ++g) {
    const uint8_t* a = act + 4 * uint64_t{q.tap_offset[g]};
    __m512i x[NV];
    DLVP_UNROLL
    for (int v = 0; v < NV; ++v) x[v] = _mm512_loadu_si512(a + 64 * v);
    const int8_t* w = wb + uint64_t{g} * kRowBlock * 4;
    DLVP_UNROLL
    for (uint32_t r = 0; r < kRowBlock; ++r) {
      const __m512i wq = _mm512_set1_epi32(load_i32(w + 4 * r));
      DLVP_UNROLL
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], x[v], wq);
    }
  }
  DLVP_UNROLL
  for (uint32_t r = 0; r < kRowBlock; ++r)
    DLVP_UNROLL
    for (int v = 0; v < NV; ++v) _mm512_storeu_si512(q.c + (row0 + r) * q.c_row_stride + p + 16 * v, acc[r][v]);
}

template <int NV>
DLVP_TARGET_VNNI void vnni_column(const QuadGemm& q, uint64_t p) {
  for (uint32_t rb = 0; rb < q.row_blocks; ++rb)
    vnni_tile<NV>(q, q.weights + uint64_t{rb} * q.groups * kRowBlock * 4, uint64_t{rb} * kRowBlock, p);
}

DLVP_TARGET_VNNI void quad_gemm_vnni(const QuadGemm& q, uint64_t p_begin, uint64_t p_end) {
  uint64_t p = p_begin;
  for (; p + 48 <= p_end; p += 48) vnni_column<3>(q, p);
  if (p_end - p == 32) vnni_column<2>(q, p);
  if (p_end - p == 16) vnni_column<1>(q, p);
}

// Lane sum modulo 2^32 (through memory: GCC 12's _mm512_reduce_add_epi32 trips -Wmaybe-uninitialized).
DLVP_TARGET_VNNI inline uint32_t lane_sum(__m512i v) {
  alignas(64) uint32_t lanes[16];
  _mm512_store_si512(lanes, v);
  uint32_t sum = 0;
  for (uint32_t lane : lanes) sum += lane;
  return sum;
}

DLVP_TARGET_VNNI inline __m512i dpbusd_masked_row(__m512i acc, __m512i x_unsigned, const int8_t* w, __mmask64 mask) {
  return _mm512_dpbusd_epi32(acc, x_unsigned, _mm512_maskz_loadu_epi8(mask, w));
}

// Rows in groups of 4 sharing each activation load. dot(w, x) = dot(w, x + 128) - 128 sum(w),
// with sum(w) = dot(w, 1) from a second vpdpbusd; masked tails read nothing past the rows.
DLVP_TARGET_VNNI void gemv_vnni(const int8_t* w, uint64_t row_stride, uint32_t rows, const int8_t* x, uint32_t n,
                                int32_t* out) {
  const __m512i sign = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i ones = _mm512_set1_epi8(1);
  for (uint32_t r0 = 0; r0 < rows; r0 += 4) {
    const uint32_t nr = std::min<uint32_t>(4, rows - r0);
    __m512i dot[4], wsum[4];
    for (int r = 0; r < 4; ++r) dot[r] = wsum[r] = _mm512_setzero_si512();
    for (uint32_t i = 0; i < n; i += 64) {
      const __mmask64 mask = n - i >= 64 ? ~__mmask64{0} : (__mmask64{1} << (n - i)) - 1;
      const __m512i xu = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, x + i), sign);
      for (uint32_t r = 0; r < nr; ++r) {
        const int8_t* wr = w + (r0 + r) * row_stride + i;
        dot[r] = dpbusd_masked_row(dot[r], xu, wr, mask);
        wsum[r] = dpbusd_masked_row(wsum[r], ones, wr, mask);
      }
    }
    for (uint32_t r = 0; r < nr; ++r) {
      out[r0 + r] = static_cast<int32_t>(lane_sum(dot[r]) - 128u * lane_sum(wsum[r]));
    }
  }
}
#endif  // DLVP_CNN_X86

// ---- dispatch -------------------------------------------------------------------------------

KernelIsa fastest_supported() {
  if (cpu_supports(KernelIsa::kAvx512Vnni)) return KernelIsa::kAvx512Vnni;
  if (cpu_supports(KernelIsa::kAvx2)) return KernelIsa::kAvx2;
  return KernelIsa::kScalar;
}

// The environment's choice if it names a supported variant, else the fastest.
KernelIsa automatic_choice() {
  const char* env = std::getenv("DLVP_CNN_KERNEL");
  if (env) {
    for (int i = 0; i < kKernelIsaCount; ++i) {
      const auto isa = static_cast<KernelIsa>(i);
      if (std::string(env) == kernel_isa_name(isa) && cpu_supports(isa)) return isa;
    }
  }
  return fastest_supported();
}

std::atomic<int>& forced_isa() {
  static std::atomic<int> forced{-1};
  return forced;
}

}  // namespace

const char* kernel_isa_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kScalar: return "scalar";
    case KernelIsa::kAvx2: return "avx2";
    case KernelIsa::kAvx512Vnni: return "vnni";
  }
  return "unknown";
}

bool cpu_supports(KernelIsa isa) {
#if DLVP_CNN_X86
  switch (isa) {
    case KernelIsa::kScalar: return true;
    case KernelIsa::kAvx2: return __builtin_cpu_supports("avx2");
    case KernelIsa::kAvx512Vnni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  }
  return false;
#else
  return isa == KernelIsa::kScalar;
#endif
}

KernelIsa active_kernel_isa() {
  static const KernelIsa automatic = automatic_choice();
  const int forced = forced_isa().load(std::memory_order_relaxed);
  return forced >= 0 ? static_cast<KernelIsa>(forced) : automatic;
}

bool force_kernel_isa(KernelIsa isa) {
  if (!cpu_supports(isa)) return false;
  forced_isa().store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

void reset_kernel_isa() { forced_isa().store(-1, std::memory_order_relaxed); }

void quad_gemm(KernelIsa isa, const QuadGemm& problem, uint64_t p_begin, uint64_t p_end) {
  if (p_begin >= p_end || problem.row_blocks == 0) return;
  switch (isa) {
#if DLVP_CNN_X86
    case KernelIsa::kAvx512Vnni: quad_gemm_vnni(problem, p_begin, p_end); return;
    case KernelIsa::kAvx2: quad_gemm_avx2(problem, p_begin, p_end); return;
#endif
    default: quad_gemm_scalar(problem, p_begin, p_end); return;
  }
}

void pack_quad_weights(const int8_t* source, uint64_t row_stride, uint32_t rows, uint32_t groups, int8_t* packed) {
  const uint32_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  for (uint32_t rb = 0; rb < blocks; ++rb)
    for (uint32_t r = 0; r < kRowBlock; ++r) {
      const uint32_t row = rb * kRowBlock + r;
      int8_t* dst = packed + (uint64_t{rb} * groups * kRowBlock + r) * 4;
      for (uint32_t g = 0; g < groups; ++g, dst += kRowBlock * 4) {
        if (row < rows)
          std::memcpy(dst, source + row * row_stride + 4 * uint64_t{g}, 4);
        else
          std::memset(dst, 0, 4);
      }
    }
}

void gemv(KernelIsa isa, const int8_t* w, uint64_t row_stride, uint32_t rows, const int8_t* x, uint32_t n,
          int32_t* out) {
  switch (isa) {
#if DLVP_CNN_X86
    case KernelIsa::kAvx512Vnni: gemv_vnni(w, row_stride, rows, x, n, out); return;
    case KernelIsa::kAvx2: gemv_avx2(w, row_stride, rows, x, n, out); return;
#endif
    default: gemv_scalar(w, row_stride, rows, x, n, out); return;
  }
}

}  // namespace dlvp::cnn::kernels
