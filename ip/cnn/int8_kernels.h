// Exact int8 x int8 -> int32 kernels of the CNN engine's arithmetic, in three instruction-set
// variants chosen at run time: AVX-512 VNNI (vpdpbusd), AVX2 (vpmaddwd on 16-bit values) and
// portable scalar C++. All variants give bit-identical results (docs/cnn_kernels.md).
//
// The convolution kernel is an implicit GEMM over "quads": groups of 4 consecutive reduction
// terms. Activations are stored as unsigned bytes a + 128 (so vpdpbusd can take them); every
// accumulator starts from a caller-given value (typically -128 x the sum of that row's weights,
// which removes the offset again). All sums wrap modulo 2^32, so a result is exact whenever the
// true value fits in int32 — the caller's job (see kMaxExactTerms).
#pragma once
#include <cstddef>
#include <cstdint>

namespace dlvp::cnn::kernels {

enum class KernelIsa : uint8_t { kScalar = 0, kAvx2 = 1, kAvx512Vnni = 2 };
constexpr int kKernelIsaCount = 3;

const char* kernel_isa_name(KernelIsa isa);
// Whether this CPU (and this build) can run the variant; kScalar always can.
bool cpu_supports(KernelIsa isa);
// The variant execute() uses: the fastest supported one, unless overridden (tests, benchmarks)
// by force_kernel_isa or the environment variable DLVP_CNN_KERNEL=scalar|avx2|vnni.
KernelIsa active_kernel_isa();
// Forces a variant (must be supported); returns false and changes nothing if it is not.
bool force_kernel_isa(KernelIsa isa);
// Back to automatic choice.
void reset_kernel_isa();

// int8 x int8 products are at most 128 x 128 = 2^14 in magnitude, so a sum of up to this many
// terms cannot leave int32 (2^14 x 131071 < 2^31). Longer sums are split by the callers.
constexpr uint64_t kMaxExactTerms = 131071;

// Output rows (channels) per packed weight block, and the granularity of the pixel dimension.
constexpr uint32_t kRowBlock = 8;
constexpr uint32_t kPixelGrain = 16;

// ---- implicit GEMM over quads ---------------------------------------------------------------
//   c[r][p] = row_init[r] + sum_{g < groups} sum_{j < 4} w[r][g][j] * act[4 * (tap_offset[g] + p) + j]
// for rows r < row_blocks * kRowBlock and pixels p in [p_begin, p_end), modulo 2^32.
//   act:  unsigned quads (value + 128); must be readable up to quad tap_offset[g] + p_end - 1.
//   w:    packed by pack_quad_weights: [row_block][group][kRowBlock][4] int8.
//   c:    int32 rows of `c_row_stride` elements.
// p_begin and p_end must be multiples of kPixelGrain.
struct QuadGemm {
  const uint8_t* act = nullptr;
  const uint32_t* tap_offset = nullptr;  // [groups], in quads
  uint32_t groups = 0;
  const int8_t* weights = nullptr;
  uint32_t row_blocks = 0;
  const int32_t* row_init = nullptr;  // [row_blocks * kRowBlock]
  int32_t* c = nullptr;
  uint64_t c_row_stride = 0;
};
void quad_gemm(KernelIsa isa, const QuadGemm& problem, uint64_t p_begin, uint64_t p_end);

// Bytes of packed weights for `rows` output rows and `groups` quads.
inline uint64_t packed_quad_weight_bytes(uint32_t rows, uint32_t groups) {
  return uint64_t{(rows + kRowBlock - 1) / kRowBlock} * groups * kRowBlock * 4;
}
// Packs w(r, g, j) = source[r * row_stride + g * 4 + j] (a dense [rows][groups][4] matrix) into
// the blocked layout; rows beyond `rows` in the last block are zero.
void pack_quad_weights(const int8_t* source, uint64_t row_stride, uint32_t rows, uint32_t groups, int8_t* packed);

// ---- matrix-vector product ------------------------------------------------------------------
//   out[r] = sum_{i < n} w[r * row_stride + i] * x[i]   for r < rows, modulo 2^32
// (exact for n <= kMaxExactTerms).
void gemv(KernelIsa isa, const int8_t* w, uint64_t row_stride, uint32_t rows, const int8_t* x, uint32_t n,
          int32_t* out);

}  // namespace dlvp::cnn::kernels
