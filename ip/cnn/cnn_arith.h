// The CNN engine's arithmetic on its buffers: exactly the contract of docs/isa.md ("Arithmetic"),
// computed with fast integer kernels. Independent of SystemC and of timing: the engine module
// calls these after checking the instruction, and tests compare them with the plain reference
// model (tests/reference/cnn_reference.h).
#pragma once
#include "ip/ifu/isa.h"

#include <cstdint>

namespace dlvp::cnn {

// The engine's three buffers as raw memory.
struct BufferSet {
  uint8_t* data[isa::kBufCount] = {};
  uint64_t size[isa::kBufCount] = {};
};

struct ArithConfig {
  uint32_t accumulator_bits = 32;  // 16..32: width of the accumulators and of psum
};

// Shapes derived from an instruction (no checks).
struct ConvShape {
  uint32_t out_h = 0, out_w = 0;    // convolution output
  uint32_t pool_h = 0, pool_w = 0;  // after pooling (= out when no pooling)
  uint64_t macs = 0;                // out_c x out_h x out_w x (in_c / groups) x kernel_h x kernel_w
};
ConvShape conv_shape(const isa::Conv& c);
struct PoolShape {
  uint32_t out_h = 0, out_w = 0;
};
PoolShape pool_shape(const isa::Pool& p);
// Elements of ELTWISE's b operand: ceil(count / max(broadcast, 1)) (version 3).
uint64_t eltwise_b_count(const isa::Eltwise& e);

// Checks every field range and every buffer access of a compute instruction (CONV, FC, POOL,
// ELTWISE) against `buffers.size`; returns isa::kErrNone, kErrBadField or kErrBufferOverrun. With
// the weight buffer's data (the engine), also a per-channel shift table's entries (ISA v3).
isa::ErrorCode check(const isa::Instruction& instruction, const BufferSet& buffers);

// Executes a checked compute instruction on the buffers. Bit-exact with the reference model.
void execute(const isa::Instruction& instruction, const BufferSet& buffers, const ArithConfig& config);

}  // namespace dlvp::cnn
