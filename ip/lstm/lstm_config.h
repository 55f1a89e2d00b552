// Parameters of the sparse LSTM engine (scenario section `lstm`), with the ESE / Descartes paper's
// values as defaults where it gives them (32 PEs at 200 MHz, an activation FIFO of 8 columns).
// SystemC-free: the compiler sizes chunks and predicts cycles from the same struct.
#pragma once
#include "ip/common/params.h"
#include "ip/lstm/lstm_format.h"

#include <cstdint>
#include <string>

namespace dlvp {

struct LstmConfig {
  bool enabled = true;                    // the engine is part of the SoC
  uint32_t pes = lstm::kDefaultPes;       // processing elements; matrix rows interleaved over them
  double clock_mhz = 200.0;
  uint64_t weight_memory_bytes = 32 * 1024;  // per PE: its slice of kBufLstmWeight (streams)
  uint64_t vector_buffer_bytes = 256 * 1024;  // kBufLstmVector
  uint32_t buffer_port_bytes = 16;         // DMA-side port of both buffers, bytes per cycle
  uint32_t fifo_depth = 8;                 // activation FIFO in front of each PE, columns
  uint32_t accumulator_bits = lstm::kDefaultAccumulatorBits;  // gate/projection saturation width
  uint32_t macs_per_pe = 1;                // 12 x 16-bit multipliers per PE (channels share an entry)
  uint32_t multiplier_latency = 2;         // pipeline stages of a PE's multiplier
  uint32_t adder_latency = 1;              // pipeline stages of a PE's accumulator adder
  uint32_t elementwise_lanes = 32;         // cells the element-wise unit finishes per cycle
  uint32_t elementwise_latency = 12;       // its pipeline: LUT, c_t, LUT of tanh(c_t), h_t, rounding

  static void bind(ParamBinder& b, LstmConfig& c) {
    b.flag("enabled", c.enabled, "build the sparse LSTM engine (its registers, buffers and opcodes)");
    b.integer("pes", c.pes, "", "processing elements (matrix rows interleaved over them)", 1, 256);
    b.real("clock_mhz", c.clock_mhz, "MHz", "engine clock", 1, 10000);
    b.integer("weight_memory_bytes", c.weight_memory_bytes, "B", "weight memory per PE (pointers and entries)", 256,
              16ull << 20);
    b.integer("vector_buffer_bytes", c.vector_buffer_bytes, "B",
              "vector buffer (inputs, states, biases, peepholes, gate accumulators)", 1024, 64ull << 20);
    b.integer("buffer_port_bytes", c.buffer_port_bytes, "B/cycle", "DMA-side port of the weight and vector buffers",
              1, 4096);
    b.integer("fifo_depth", c.fifo_depth, "columns", "activation FIFO in front of each PE", 1, 1024);
    b.integer("accumulator_bits", c.accumulator_bits, "bit", "gate and projection accumulator width (saturation)",
              lstm::kMinAccumulatorBits, lstm::kMaxAccumulatorBits);
    b.integer("macs_per_pe", c.macs_per_pe, "", "12 x 16-bit multipliers per PE (one entry, several channels)", 1, 64);
    b.integer("multiplier_latency", c.multiplier_latency, "cycles", "PE multiplier pipeline depth", 0, 64);
    b.integer("adder_latency", c.adder_latency, "cycles", "PE accumulator adder pipeline depth", 0, 64);
    b.integer("elementwise_lanes", c.elementwise_lanes, "cells/cycle", "cells the element-wise unit finishes per cycle",
              1, 4096);
    b.integer("elementwise_latency", c.elementwise_latency, "cycles",
              "element-wise pipeline: gate LUTs, c_t, tanh(c_t) LUT, h_t, rounding", 0, 1000);
  }

  uint64_t weight_buffer_bytes() const { return uint64_t{pes} * weight_memory_bytes; }
};

namespace lstm {
// Throws ConfigError naming `owner` and the key when a parameter is out of range (a config built in
// code skips the scenario's checks).
void validate(const LstmConfig& config, const std::string& owner);
}  // namespace lstm

}  // namespace dlvp
