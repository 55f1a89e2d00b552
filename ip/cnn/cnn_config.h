// Parameters of the CNN PE cluster (scenario section `cnn`), with the Aristotle paper's values as
// defaults ([Guo17]: XC7Z020, 2 PEs x 16 convolvers of 3x3 at 214 MHz, 272 KB of BRAM).
#pragma once
#include "ip/common/params.h"

#include <cstdint>

namespace dlvp {

struct CnnConfig {
  uint32_t pes = 2;                    // processing elements; each computes different output channels
  uint32_t convolvers = 16;            // K x K convolvers per PE (one input channel each per pass)
  uint32_t kernel = 3;                 // K: the convolvers' window
  double clock_mhz = 214.0;
  uint64_t input_buffer_bytes = 96 * 1024;   // shared by all PEs
  uint64_t weight_buffer_bytes = 64 * 1024;  // weights and biases
  uint64_t output_buffer_bytes = 96 * 1024;  // int32 partial sums and int8 results
  uint32_t input_port_bytes = 16;      // input buffer read port, bytes per cycle
  uint32_t weight_port_bytes = 32;     // weight buffer read port, bytes per cycle
  uint32_t output_port_bytes = 16;     // output buffer port, bytes per cycle (read-modify-write)
  uint32_t accumulator_bits = 32;      // accumulator and partial-sum width
  uint32_t multiplier_stages = 2;      // pipeline stages of a convolver's multipliers
  uint32_t instruction_overhead_cycles = 8;  // decode/issue/drain around every compute instruction

  static void bind(ParamBinder& b, CnnConfig& c) {
    b.integer("pes", c.pes, "", "processing elements (PEs)", 1, 64);
    b.integer("convolvers", c.convolvers, "", "K x K convolvers per PE", 1, 256);
    b.integer("kernel", c.kernel, "", "convolver window K (K x K multipliers per convolver)", 1, 15);
    b.real("clock_mhz", c.clock_mhz, "MHz", "engine clock", 1, 10000);
    b.integer("input_buffer_bytes", c.input_buffer_bytes, "B", "input buffer (shared by the PEs)", 1024, 64ull << 20);
    b.integer("weight_buffer_bytes", c.weight_buffer_bytes, "B", "weight buffer (weights and biases)", 1024, 64ull << 20);
    b.integer("output_buffer_bytes", c.output_buffer_bytes, "B", "output buffer (partial sums and results)", 1024, 64ull << 20);
    b.integer("input_port_bytes", c.input_port_bytes, "B/cycle", "input buffer read bandwidth", 1, 4096);
    b.integer("weight_port_bytes", c.weight_port_bytes, "B/cycle", "weight buffer read bandwidth", 1, 4096);
    b.integer("output_port_bytes", c.output_port_bytes, "B/cycle", "output buffer bandwidth", 1, 4096);
    b.integer("accumulator_bits", c.accumulator_bits, "bit", "accumulator and partial-sum width", 16, 32);
    b.integer("multiplier_stages", c.multiplier_stages, "cycles", "convolver multiplier pipeline depth", 0, 16);
    b.integer("instruction_overhead_cycles", c.instruction_overhead_cycles, "cycles",
              "decode, issue and drain around each compute instruction", 0, 10000);
  }

  // Peak: every multiplier does one MAC (2 operations) per cycle.
  double peak_ops_per_second() const { return 2.0 * pes * convolvers * kernel * kernel * clock_mhz * 1e6; }
};

}  // namespace dlvp
