// The CPU operations of a package's CPU stages (docs/cpu_ops.md): what the host CPU runs between
// accelerator jobs for nodes no engine runs. One freestanding C++17 source (no STL, no exceptions,
// no libm) shared by the driver (sw/, native and RV32) and the host-side reference (dlvpc's
// expected output, the tests), so that both compute the same bytes.
//
// Tensors are int8 or int16 in dynamic fixed point (package::CpuTensor). Data movement (Transpose,
// Resize, ReduceMax) is exact and keeps the format. Arithmetic (Softmax, ReduceMean, Add/Sub/Mul/
// Div) is computed in IEEE binary64 with + - * / only (correctly rounded on the host and in RV32's
// soft float; the file is built with -ffp-contract=off), then rounded to the output's format.
#pragma once
#include "platform/model_package.h"

#include <stdint.h>

namespace dlvp::cpu {

// StageRecord::op and the meaning of StageRecord::params.
enum Op : uint32_t {
  kOpTranspose = 1,      // params[0..2]: output axis i is input axis params[i] (a permutation of 0, 1, 2)
  kOpSoftmax = 2,        // params[0]: the axis (0 c, 1 h, 2 w)
  kOpResizeNearest = 3,  // output h, w from the output shape; channels kept (asymmetric, floor)
  kOpReduceMean = 4,     // params[0]: the reduced axes, a mask (bit 0 c, 1 h, 2 w); kept as size 1
  kOpReduceMax = 5,      // likewise
  kOpArithmetic = 6,     // params[0]: Arithmetic; inputs[1] broadcast over inputs[0] (each dim equal or 1)
  kOpLayerNorm = 7,      // CPUC: params[0]: the axis; params[1]: epsilon, IEEE binary32 bits (finite, > 0)
};
constexpr uint32_t kOpLast = kOpLayerNorm;

enum Arithmetic : uint32_t { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3 };

// How many input tensors the operation reads (0: unknown operation).
uint32_t input_count(uint32_t op);
// "transpose", "softmax", ...; "unknown" for another value.
const char* op_name(uint32_t op);

// Runs validated stage `s` (package::validate_stage): inputs[i] holds the bytes of s.inputs[i],
// `output` receives those of s.output. Nothing is read or written outside them.
void run(const package::StageRecord& s, const uint8_t* const inputs[2], uint8_t* output);

// The pieces, exposed for the tests. exp(x) for x <= 0 with + - * / only (relative error below
// 2^-50; 0 below -708); a real value rounded to fixed point: floor(x x 2^frac + 0.5), saturated to
// the element's range (NaN: 0).
double exp_nonpositive(double x);
// sqrt(x) for x > 0 with + - * / only: a first guess from the exponent, then Newton's steps
// y = (y + x / y) / 2 until they stop decreasing (within 1 ulp of the correctly rounded root).
double sqrt_positive(double x);
int32_t to_fixed(double real, int32_t frac_bits, uint32_t element_bytes);

}  // namespace dlvp::cpu
