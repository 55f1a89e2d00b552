// What the sparse LSTM engine will count for each compute instruction of a program (docs/lstm.md,
// "dlvpc compile"): the program's weight LOADs from the constants replayed in program order into an
// image of the PEs' memories, then every LSTM_SPMV's streams walked and timed by the engine's own
// functions (lstm::check_spmv_streams, lstm::spmv_timing, lstm::gates_timing). Compute cycles only:
// the schedule prediction (schedule_predictor.h) places them among the transfers.
#pragma once
#include "ip/ifu/isa.h"
#include "ip/lstm/lstm_config.h"
#include "ip/lstm/lstm_timing.h"

#include <cstdint>
#include <vector>

namespace dlvp::dlvpc {

// One timing per instruction (zero for all but LSTM_SPMV and LSTM_GATES); `constants` is the
// program's in-package window `constants_arg`. Throws ConfigError naming the instruction when the
// engine would refuse it (its fields, buffer regions, streams: lstm::check_spmv, check_gates) or a
// weight LOAD lies outside the constants or the weight memories.
std::vector<lstm::LstmTiming> lstm_instruction_timings(const std::vector<isa::Instruction>& program,
                                                       const std::vector<uint8_t>& constants, uint32_t constants_arg,
                                                       const LstmConfig& hw);

}  // namespace dlvp::dlvpc
