// The sparse LSTM engine's datapath on its two buffers: the checks and the exact arithmetic of
// LSTM_SPMV and LSTM_GATES (docs/isa.md version 2, docs/lstm.md "Arithmetic" and "Engine"), and
// what each instruction did (per-PE, per-column entries) for the timing and energy models.
// Independent of SystemC and of timing; written from the docs, not from the reference model
// (tests/reference/lstm_reference.h), which the tests compare it with.
#pragma once
#include "ip/ifu/isa.h"
#include "ip/lstm/lstm_format.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::lstm {

// The engine's buffers as raw memory and the facts the instructions are checked against.
struct EngineMemory {
  uint8_t* weight = nullptr;  // kBufLstmWeight: pes slices of slice_bytes
  uint64_t slice_bytes = 0;
  uint32_t pes = 0;
  uint8_t* vector = nullptr;  // kBufLstmVector
  uint64_t vector_bytes = 0;
  uint32_t accumulator_bits = kDefaultAccumulatorBits;
};

// The first malformed stream chunk of an LSTM_SPMV: its PE and the validator's verdict.
struct StreamFault {
  uint32_t pe = 0;
  StreamCheck check;
};

// What an LSTM_SPMV walks: its shape and the entries (padding included) of every PE in every
// column of its chunk. The timing model's input (lstm_timing.h).
struct SpmvWork {
  uint32_t pes = 0, rows = 0, cols = 0, channels = 0;
  bool acc_first = false, bias = false, acc_last = false;
  std::vector<uint32_t> entries;  // [cols][pes]
  uint64_t nonzeros = 0;          // entries with a non-zero weight
  uint64_t padding = 0;           // entries with weight 0 (padding)

  uint32_t at(uint32_t col, uint32_t pe) const { return entries[uint64_t{col} * pes + pe]; }
  uint64_t total_entries() const { return nonzeros + padding; }
};

// The outcome of checking an instruction: an error code and a sentence (for the log).
struct Verdict {
  isa::ErrorCode code = isa::kErrNone;
  std::string reason;
  bool ok() const { return code == isa::kErrNone; }
};

// LSTM_SPMV: fields (kErrBadField), buffer regions (kErrBufferOverrun), then every PE's chunk by
// lstm::validate_stream (kErrBadStream, with `fault`). On success fills `work`.
Verdict check_spmv(const isa::LstmSpmv& spmv, const EngineMemory& memory, SpmvWork& work, StreamFault& fault);
// The two halves of check_spmv: the fields and buffer regions, then the PEs' stream chunks (which
// depend only on the weight memory and weight_offset, chunk_bytes, rows, cols: an engine may keep
// their verdict and `work` until the weight memory is written).
Verdict check_spmv_operands(const isa::LstmSpmv& spmv, const EngineMemory& memory);
Verdict check_spmv_streams(const isa::LstmSpmv& spmv, const EngineMemory& memory, SpmvWork& work, StreamFault& fault);
// Executes a checked LSTM_SPMV (exact sums in int64, saturation only when the output leaves).
void execute_spmv(const isa::LstmSpmv& spmv, const EngineMemory& memory);

// LSTM_GATES: fields (kErrBadField), buffer regions (kErrBufferOverrun).
Verdict check_gates(const isa::LstmGates& gates, const EngineMemory& memory);
// Executes a checked LSTM_GATES.
void execute_gates(const isa::LstmGates& gates, const EngineMemory& memory);

// GRU_GATES (ISA version 3, GRU): fields (kErrBadField: sizes, radix points, a stage other than 0
// or 1, stage 0 with LinearBeforeReset), buffer regions (kErrBufferOverrun).
Verdict check_gru_gates(const isa::GruGates& gates, const EngineMemory& memory);
// Executes a checked GRU_GATES (docs/isa.md, "Version 3: GRU").
void execute_gru_gates(const isa::GruGates& gates, const EngineMemory& memory);

// The fixed-point rules of docs/lstm.md: round_shift (half up; s <= 0 an exact left shift, a
// result beyond +-2^62 clipped there, which every caller then saturates further), and saturation.
int64_t round_shift(int64_t value, int shift);
int64_t saturate(int64_t value, uint32_t bits);
int16_t saturate16(int64_t value);

}  // namespace dlvp::lstm
