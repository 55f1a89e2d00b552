#include "tools/dlvpc/lstm_cycles.h"

#include "ip/common/config_error.h"
#include "ip/lstm/lstm_arith.h"

#include <algorithm>
#include <cstring>

namespace dlvp::dlvpc {
namespace {

// The PEs' weight memories as a LOAD from the constants leaves them.
void replay_weight_load(const isa::Transfer& t, const std::vector<uint8_t>& constants, std::vector<uint8_t>& weight,
                        size_t index) {
  for (uint64_t plane = 0; plane < std::max<uint32_t>(t.planes, 1); ++plane)
    for (uint64_t row = 0; row < t.rows; ++row) {
      const uint64_t from = t.ddr_offset + plane * t.ddr_plane_stride + row * t.ddr_row_stride;
      const uint64_t to = t.buffer_offset + plane * t.buffer_plane_stride + row * t.buffer_row_stride;
      if (from > constants.size() || t.row_bytes > constants.size() - from || to > weight.size() ||
          t.row_bytes > weight.size() - to)
        throw ConfigError("dlvpc: LOAD #" + std::to_string(index) +
                          ": a weight LOAD outside the constants or the weight memories");
      std::memcpy(weight.data() + to, constants.data() + from, t.row_bytes);
    }
}

}  // namespace

std::vector<lstm::LstmTiming> lstm_instruction_timings(const std::vector<isa::Instruction>& program,
                                                       const std::vector<uint8_t>& constants, uint32_t constants_arg,
                                                       const LstmConfig& hw) {
  std::vector<uint8_t> weight(hw.weight_buffer_bytes(), 0);
  lstm::EngineMemory memory;
  memory.weight = weight.data();
  memory.slice_bytes = hw.weight_memory_bytes;
  memory.pes = hw.pes;
  memory.vector_bytes = hw.vector_buffer_bytes;  // the checks read the sizes only, never the vector
  memory.accumulator_bits = hw.accumulator_bits;
  std::vector<lstm::LstmTiming> timings(program.size());
  for (size_t k = 0; k < program.size(); ++k) {
    const isa::Instruction& in = program[k];
    if (in.header.opcode == isa::kOpLoad && in.transfer.buffer == isa::kBufLstmWeight &&
        in.transfer.arg == constants_arg) {
      replay_weight_load(in.transfer, constants, weight, k);
    } else if (in.header.opcode == isa::kOpLstmSpmv) {
      lstm::SpmvWork work;
      lstm::StreamFault fault;
      const lstm::Verdict verdict = lstm::check_spmv(in.lstm_spmv, memory, work, fault);
      if (!verdict.ok()) throw ConfigError("dlvpc: LSTM_SPMV #" + std::to_string(k) + ": " + verdict.reason);
      timings[k] = lstm::spmv_timing(hw, work);
    } else if (in.header.opcode == isa::kOpLstmGates) {
      const lstm::Verdict verdict = lstm::check_gates(in.lstm_gates, memory);
      if (!verdict.ok()) throw ConfigError("dlvpc: LSTM_GATES #" + std::to_string(k) + ": " + verdict.reason);
      timings[k] = lstm::gates_timing(hw, in.lstm_gates.hidden, in.lstm_gates.channels);
    } else if (in.header.opcode == isa::kOpGruGates) {
      const lstm::Verdict verdict = lstm::check_gru_gates(in.gru_gates, memory);
      if (!verdict.ok()) throw ConfigError("dlvpc: GRU_GATES #" + std::to_string(k) + ": " + verdict.reason);
      timings[k] = lstm::gates_timing(hw, in.gru_gates.hidden, in.gru_gates.channels);
    }
  }
  return timings;
}

}  // namespace dlvp::dlvpc
