// The LSTM engine on the IFU test bench: its configuration, the constants window next to the
// bench's input and output windows, a job of an LSTM program, int16 <-> bytes. Shared by the
// single-layer and the stack tests.
#pragma once
#include "tests/unit/ifu/ifu_test_bench.h"
#include "tools/builder/program.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace dlvp::test {

constexpr uint64_t kConstantsWindow = kDdrBase + 0x400000;
constexpr uint64_t kConstantsBytes = 0x800000;

inline BenchOptions lstm_bench(uint32_t pes, uint32_t accumulator_bits = lstm::kDefaultAccumulatorBits,
                               uint64_t weight_memory_bytes = LstmConfig().weight_memory_bytes) {
  BenchOptions o;
  LstmConfig c;
  c.pes = pes;
  c.accumulator_bits = accumulator_bits;
  c.weight_memory_bytes = weight_memory_bytes;
  o.lstm = c;
  return o;
}

// ESE's engine (32 PEs) fed from DDR4-2400 x64 through a 600 MHz x 32 B system bus and DMA
// (scenarios/hw/ddr4-2400.yaml): the memory side that can stream ESE's weights (docs/lstm.md).
inline BenchOptions ddr4_bench() {
  BenchOptions o = lstm_bench(32);
  o.ddr_preset = "ddr4-2400-x64";
  o.bus.clock_mhz = 600, o.bus.width_bytes = 32;
  o.dma.clock_mhz = 600, o.dma.burst_bytes = 256, o.dma.max_outstanding = 16, o.dma.buffer_bytes = 8192;
  return o;
}

// The job of an LSTM program: constants, input and output windows as the builders lay them out.
inline JobSpec lstm_job(const std::vector<isa::Instruction>& program) {
  JobSpec job;
  job.program = program;
  job.args = {};
  job.args[builder::kArgConstants] = {kConstantsWindow, kConstantsBytes};
  job.args[builder::kArgInput] = {kInputWindow, kWindowBytes};
  job.args[builder::kArgOutput] = {kOutputWindow, kWindowBytes};
  return job;
}

inline std::vector<uint8_t> bytes_of(const std::vector<int16_t>& v) {
  std::vector<uint8_t> b(v.size() * 2);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}
inline std::vector<int16_t> int16_of(const std::vector<uint8_t>& b) {
  std::vector<int16_t> v(b.size() / 2);
  std::memcpy(v.data(), b.data(), v.size() * 2);
  return v;
}

}  // namespace dlvp::test
