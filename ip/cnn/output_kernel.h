// The output stage of CONV and FC (docs/isa.md "Arithmetic") on one row of pixels, vectorized:
//   acc = sat_acc(start + sum)                                  start = base or the stored psum
//   then either acc -> int32 psum, or y = max?(sat8(round_shift(acc, output_shift)), 0) -> int8.
// Exact: every step in 64-bit lanes, as the contract's "as if in 64 bits".
#pragma once
#include "ip/cnn/int8_kernels.h"

#include <cstdint>

namespace dlvp::cnn::kernels {

struct OutputRow {
  int64_t acc_lo = 0, acc_hi = 0;  // the accumulator's signed range (fits int32)
  int output_shift = 0;            // -31..31
  bool relu = false;
};

// One row of `n` pixels. `sum` are the exact sums of products. `psum_in` (int32, unaligned;
// null: every pixel starts at `base`). Exactly one of `psum_out` (int32, unaligned; may be
// psum_in itself) and `y` (int8) is non-null.
void finish_row(KernelIsa isa, const OutputRow& stage, const int32_t* sum, const uint8_t* psum_in, int64_t base,
                uint32_t n, uint8_t* psum_out, int8_t* y);

// The same for 64-bit sums (reductions longer than kMaxExactTerms); portable code.
void finish_row_wide(const OutputRow& stage, const int64_t* sum, const uint8_t* psum_in, int64_t base, uint32_t n,
                     uint8_t* psum_out, int8_t* y);

// out[i] = max(a[2i], a[2i + 1], b[2i], b[2i + 1]) for i < n: one output row of 2x2, stride-2 max
// pooling from the two map rows a and b.
void max_pool_2x2_row(const int8_t* a, const int8_t* b, uint32_t n, int8_t* out);

}  // namespace dlvp::cnn::kernels
