// What the LSTM engine's bench tests share (LSTM and GRU programs on the IFU test bench): the DDR
// windows of a program's arguments and int16 <-> byte conversions.
#pragma once
#include "tests/unit/ifu/ifu_test_bench.h"
#include "tools/builder/program.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace dlvp::test {

constexpr uint64_t kConstantsWindow = kDdrBase + 0x400000;
constexpr uint64_t kConstantsBytes = 0x800000;

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

// The job of an LstmProgram or a GruProgram: its instructions and the three argument windows.
template <typename Program>
JobSpec job_of(const Program& p) {
  JobSpec job;
  job.program = p.instructions;
  job.args = {};
  job.args[builder::kArgConstants] = {kConstantsWindow, kConstantsBytes};
  job.args[builder::kArgInput] = {kInputWindow, kWindowBytes};
  job.args[builder::kArgOutput] = {kOutputWindow, kWindowBytes};
  return job;
}

}  // namespace dlvp::test
