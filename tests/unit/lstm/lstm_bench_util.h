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
