#include "ip/lstm/lstm_config.h"

#include "ip/common/config_error.h"

namespace dlvp::lstm {

void validate(const LstmConfig& c, const std::string& owner) {
  auto require = [&](bool ok, const char* key, uint64_t value, const char* range) {
    if (!ok) throw ConfigError(owner + ": lstm." + key + " = " + std::to_string(value) + " is out of range " + range);
  };
  require(c.pes >= 1 && c.pes <= 256, "pes", c.pes, "[1, 256]");
  require(c.weight_memory_bytes >= 256 && c.weight_memory_bytes <= (16ull << 20) && c.weight_memory_bytes % 4 == 0,
          "weight_memory_bytes", c.weight_memory_bytes, "[256, 16777216], a multiple of 4");
  require(c.vector_buffer_bytes >= 1024 && c.vector_buffer_bytes <= (64ull << 20), "vector_buffer_bytes",
          c.vector_buffer_bytes, "[1024, 67108864]");
  require(c.buffer_port_bytes >= 1 && c.buffer_port_bytes <= 4096, "buffer_port_bytes", c.buffer_port_bytes,
          "[1, 4096]");
  require(c.fifo_depth >= 1 && c.fifo_depth <= 1024, "fifo_depth", c.fifo_depth, "[1, 1024]");
  require(c.accumulator_bits >= kMinAccumulatorBits && c.accumulator_bits <= kMaxAccumulatorBits, "accumulator_bits",
          c.accumulator_bits, "[24, 48]");
  require(c.macs_per_pe >= 1 && c.macs_per_pe <= 64, "macs_per_pe", c.macs_per_pe, "[1, 64]");
  require(c.multiplier_latency <= 64, "multiplier_latency", c.multiplier_latency, "[0, 64]");
  require(c.adder_latency <= 64, "adder_latency", c.adder_latency, "[0, 64]");
  require(c.elementwise_lanes >= 1 && c.elementwise_lanes <= 4096, "elementwise_lanes", c.elementwise_lanes,
          "[1, 4096]");
  require(c.elementwise_latency <= 1000, "elementwise_latency", c.elementwise_latency, "[0, 1000]");
  if (!(c.clock_mhz >= 1.0 && c.clock_mhz <= 10000.0))
    throw ConfigError(owner + ": lstm.clock_mhz = " + std::to_string(c.clock_mhz) + " is out of range [1, 10000]");
}

}  // namespace dlvp::lstm
