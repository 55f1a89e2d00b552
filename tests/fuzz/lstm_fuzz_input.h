// The input format of fuzz_lstm_instruction, shared by the target (which decodes it) and
// fuzz_lstm_seeds (which encodes hand-built seeds):
//   bytes  0..63  the instruction; the low bit of its opcode byte picks LSTM_SPMV (0) or
//                 LSTM_GATES (1), so 0x20 and 0x21 keep their meaning
//   bytes 64..71  the engine's geometry, one field per byte or two, folded into small ranges
//   bytes 72..    the weight memory (pes slices of slice_bytes), then the vector buffer;
//                 bytes the input does not reach are zero
#pragma once
#include "ip/ifu/isa.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace dlvp::fuzz_lstm {

constexpr size_t kGeometryOffset = isa::kInstructionBytes;
constexpr size_t kGeometryBytes = 8;
constexpr size_t kMemoryOffset = kGeometryOffset + kGeometryBytes;

// Small enough that every input runs in microseconds, large enough for multi-PE chunks.
constexpr uint32_t kMaxPes = 4;
constexpr uint32_t kMaxSliceBytes = 1024;
constexpr uint32_t kMaxVectorBytes = 4096;
constexpr uint32_t kMinAccumulatorBits = 24, kAccumulatorBitsRange = 25;  // 24..48, as LstmConfig
constexpr uint32_t kMaxFifoDepth = 16;
constexpr uint32_t kMaxMacsPerPe = 4;

struct Geometry {
  uint32_t pes = 1;
  uint32_t slice_bytes = 256;
  uint32_t vector_bytes = 1024;
  uint32_t accumulator_bits = 32;
  uint32_t fifo_depth = 8;
  uint32_t macs_per_pe = 1;

  uint64_t weight_bytes() const { return uint64_t{pes} * slice_bytes; }
};

inline uint32_t u16_at(const uint8_t* p) { return uint32_t{p[0]} | uint32_t{p[1]} << 8; }

// Any 8 bytes are a valid geometry.
inline Geometry decode_geometry(const uint8_t* b) {
  Geometry g;
  g.pes = 1 + b[0] % kMaxPes;
  g.slice_bytes = 1 + u16_at(b + 1) % kMaxSliceBytes;
  g.vector_bytes = 1 + u16_at(b + 3) % kMaxVectorBytes;
  g.accumulator_bits = kMinAccumulatorBits + b[5] % kAccumulatorBitsRange;
  g.fifo_depth = 1 + b[6] % kMaxFifoDepth;
  g.macs_per_pe = 1 + b[7] % kMaxMacsPerPe;
  return g;
}

// The inverse of decode_geometry for a geometry inside the ranges above.
inline std::array<uint8_t, kGeometryBytes> encode_geometry(const Geometry& g) {
  const uint32_t slice = g.slice_bytes - 1, vector = g.vector_bytes - 1;
  return {static_cast<uint8_t>(g.pes - 1),
          static_cast<uint8_t>(slice),
          static_cast<uint8_t>(slice >> 8),
          static_cast<uint8_t>(vector),
          static_cast<uint8_t>(vector >> 8),
          static_cast<uint8_t>(g.accumulator_bits - kMinAccumulatorBits),
          static_cast<uint8_t>(g.fifo_depth - 1),
          static_cast<uint8_t>(g.macs_per_pe - 1)};
}

}  // namespace dlvp::fuzz_lstm
