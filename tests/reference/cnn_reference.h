// The reference model of the accelerator's fixed-point arithmetic (docs/isa.md, "Arithmetic").
//
// Plain C++ written from docs/isa.md and ip/ifu/isa.h only — independently of ip/cnn — so that
// comparing the two catches mistakes in either. Obvious nested loops over int64 values, every
// buffer access bounds-checked (a reference that silently read past a buffer would prove nothing).
// Slow on purpose: it is a golden model for tests, never on a simulation path.
//
// Two levels:
//   - per instruction (conv, fc, pool, eltwise): the effect of one checked compute instruction on
//     the engine's three buffers, what dlvp::cnn::execute must reproduce byte for byte;
//   - per layer (conv2d, fully_connected, pool2d, eltwise_add): what a whole layer should produce
//     on full tensors, as one pass with AccFirst|AccLast semantics — the golden model of the
//     builder's and the compiler's programs.
#pragma once
#include "ip/ifu/isa.h"

#include <array>
#include <cstdint>
#include <vector>

namespace dlvp::ref {

// ---------------------------------------------------------------------------------------------
// Scalar rules (docs/isa.md). Exact in int64 for every value the ISA can produce.

// round_shift(v, s): s > 0: floor((v + 2^(s-1)) / 2^s) (round half up); s = 0: v; s < 0: v * 2^-s.
// Valid for |s| <= 31 and |v| < 2^31 when s < 0.
int64_t round_shift(int64_t v, int shift);
// floor(a / b) for b > 0 (C++ division truncates toward zero).
int64_t floor_div(int64_t a, int64_t b);
int8_t sat8(int64_t v);
// Clamp to the signed range of an accumulator_bits-wide register (1..63 bits).
int64_t sat_acc(int64_t v, uint32_t accumulator_bits);
// round_half_up(sum / n) = floor((2 sum + n) / (2 n)), n >= 1: the average pool's divisor.
int64_t average_half_up(int64_t sum, int64_t n);

// ---------------------------------------------------------------------------------------------
// Per instruction, on the engine's buffers.

// The engine's input, weight and output buffers (indexed by isa::Buffer) as raw bytes.
struct Buffers {
  std::array<uint8_t*, isa::kBufCount> data{};
  std::array<uint64_t, isa::kBufCount> size{};
};

// Field and buffer checks of a compute instruction (CONV, FC, POOL, ELTWISE): kErrNone,
// kErrBadField (checked first) or kErrBufferOverrun (an access the instruction would make lies
// outside its buffer; regions it does not touch under its flags are not checked).
// Any other opcode: kErrUnknownOpcode.
isa::ErrorCode check_compute(const isa::Instruction& instruction, const Buffers& buffers);

// Each executes one instruction that passed check_compute. Every input is read before any output
// is written, so overlapping source and destination regions behave as "read all, then write".
// Throws std::out_of_range if an access leaves a buffer (i.e. the instruction was not checked).
void conv(const isa::Conv& instruction, const Buffers& buffers, uint32_t accumulator_bits);
void fc(const isa::Fc& instruction, const Buffers& buffers, uint32_t accumulator_bits);
void pool(const isa::Pool& instruction, const Buffers& buffers);
void eltwise(const isa::Eltwise& instruction, const Buffers& buffers);

// check_compute, then (if kErrNone) the matching function above. Returns the check's result.
isa::ErrorCode execute_compute(const isa::Instruction& instruction, const Buffers& buffers,
                               uint32_t accumulator_bits);

// Derived sizes (no checks; meaningful only for instructions with valid fields).
struct ConvDims {
  uint32_t out_h = 0, out_w = 0;    // convolution output
  uint32_t pool_h = 0, pool_w = 0;  // stored int8 output (= out_h x out_w without kFlagPool)
};
ConvDims conv_dims(const isa::Conv& instruction);
struct PoolDims {
  uint32_t out_h = 0, out_w = 0;
};
PoolDims pool_dims(const isa::Pool& instruction);

// ---------------------------------------------------------------------------------------------
// The output stage's activation unit (version 3): after sat8 and ReLU, clip to [clip_min,
// clip_max], then y = table[y + 128].
struct Activation {
  bool clip = false;
  int clip_min = -128, clip_max = 127;
  std::vector<int8_t> table;  // 256 entries, or empty: no table
};
int8_t activate(const Activation& activation, int8_t y);

// ---------------------------------------------------------------------------------------------
// Whole layers on full tensors (row-major, the same layouts as the instructions). Each throws
// std::invalid_argument when a tensor's size does not match its shape or the shape is impossible.

struct ConvLayer {
  uint32_t in_c = 1, in_h = 1, in_w = 1, out_c = 1;
  uint32_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  uint32_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  uint32_t groups = 1;   // output channel oc reads input channels [g x in_c/groups, (g+1) x in_c/groups), g = oc / (out_c/groups)
  int bias_shift = 0;    // bias << bias_shift enters the accumulator
  int output_shift = 0;  // round_shift of the accumulator to int8
  std::vector<int8_t> channel_shifts;  // ISA v3: when not empty, channel c's shift instead of output_shift
  bool relu = false;
  bool pool = false;  // max pooling after ReLU, windows entirely inside the map
  uint32_t pool_size = 2, pool_stride = 2;
  uint32_t accumulator_bits = 32;
  Activation activation;  // before pooling

  uint32_t out_h() const;  // convolution output (0 if the kernel does not fit)
  uint32_t out_w() const;
  uint32_t result_h() const;  // after pooling
  uint32_t result_w() const;
};

// Accumulators [out_c][out_h][out_w] of a convolution: sat_acc(start + sum(in x w)), where
// `start` (same shape) is the bias << bias_shift or the partial sums. The core of conv2d and conv.
std::vector<int64_t> conv_accumulate(const ConvLayer& layer, const std::vector<int8_t>& input,
                                     const std::vector<int8_t>& weights, const std::vector<int64_t>& start);

// input [in_c][in_h][in_w], weights [out_c][in_c/groups][kernel_h][kernel_w], bias [out_c]
// -> int8 [out_c][result_h][result_w].
std::vector<int8_t> conv2d(const ConvLayer& layer, const std::vector<int8_t>& input,
                           const std::vector<int8_t>& weights, const std::vector<int32_t>& bias);

struct FcLayer {
  uint32_t n_in = 1, n_out = 1;
  int bias_shift = 0, output_shift = 0;
  std::vector<int8_t> channel_shifts;  // ISA v3: when not empty, output o's shift instead of output_shift
  bool relu = false;
  uint32_t accumulator_bits = 32;
  Activation activation;
};
// input [n_in], weights [n_out][n_in], bias [n_out] -> int8 [n_out].
std::vector<int8_t> fully_connected(const FcLayer& layer, const std::vector<int8_t>& input,
                                    const std::vector<int8_t>& weights, const std::vector<int32_t>& bias);

struct PoolLayer {
  uint32_t c = 1, in_h = 1, in_w = 1;
  uint32_t size = 2, stride = 2;
  uint32_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool average = false;  // else max; padding never wins a max and is not counted in an average
  bool relu = false;

  uint32_t out_h() const;  // 0 if the window does not fit
  uint32_t out_w() const;
};
// input [c][in_h][in_w] -> int8 [c][out_h][out_w].
std::vector<int8_t> pool2d(const PoolLayer& layer, const std::vector<int8_t>& input);

struct EltwiseLayer {
  int a_shift = 0, b_shift = 0, output_shift = 0;
  bool relu = false;
  bool mul = false;        // version 3: a[i] x b[j] instead of the shifted sum
  uint32_t broadcast = 1;  // version 3: j = i / broadcast; b holds ceil(a.size() / broadcast)
  Activation activation;
};
// With j = i / broadcast: y[i] = sat8(round_shift((a[i] << a_shift) + (b[j] << b_shift),
// output_shift)) (mul: a[i] x b[j]), then ReLU, then the activation.
std::vector<int8_t> eltwise_add(const EltwiseLayer& layer, const std::vector<int8_t>& a,
                                const std::vector<int8_t>& b);

}  // namespace dlvp::ref
