// Fuzz target: an LSTM_SPMV or LSTM_GATES instruction and the sparse LSTM engine's memory (weight
// slices of a few PEs, a vector buffer; layout in lstm_fuzz_input.h) through what the engine runs
// for it (LstmEngine::execute): the check, and only when it passes the execution and the timing
// model. Under ASan the bytes after each buffer are poisoned; without it they are guard bytes that
// must stay untouched. The weight memory is read-only to the engine and must not change. No input
// may crash, read or write out of bounds, or make the engine's records inconsistent.
#include "ip/ifu/instruction_checks.h"
#include "ip/lstm/lstm_arith.h"
#include "ip/lstm/lstm_timing.h"
#include "tests/fuzz/lstm_fuzz_input.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define DLVP_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DLVP_FUZZ_ASAN 1
#endif
#endif
#ifdef DLVP_FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace {

using namespace dlvp;

constexpr uint64_t kGuardBytes = 64;
constexpr uint8_t kGuard = 0xA5;

// `size` bytes of an engine buffer filled from `source` (zeros past its end), followed by guard
// bytes (poisoned under ASan, so a read of them is reported too).
class GuardedBuffer {
 public:
  GuardedBuffer(uint64_t size, const uint8_t* source, uint64_t available)
      : size_(size), bytes_(size + kGuardBytes, kGuard) {
    const uint64_t copied = std::min(size, available);
    if (copied) std::memcpy(bytes_.data(), source, copied);
    std::fill(bytes_.begin() + static_cast<long>(copied), bytes_.begin() + static_cast<long>(size), uint8_t{0});
#ifdef DLVP_FUZZ_ASAN
    ASAN_POISON_MEMORY_REGION(bytes_.data() + size_, kGuardBytes);
#endif
  }
  ~GuardedBuffer() {
#ifdef DLVP_FUZZ_ASAN
    ASAN_UNPOISON_MEMORY_REGION(bytes_.data() + size_, kGuardBytes);
#endif
  }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  uint8_t* data() { return bytes_.data(); }
  uint64_t size() const { return size_; }
  uint64_t copied_from(uint64_t available) const { return std::min(size_, available); }

  // Aborts when a byte past the buffer changed (an accepted instruction wrote out of bounds).
  void check_guard() {
#ifdef DLVP_FUZZ_ASAN
    ASAN_UNPOISON_MEMORY_REGION(bytes_.data() + size_, kGuardBytes);
#endif
    for (uint64_t i = size_; i < size_ + kGuardBytes; ++i)
      if (bytes_[i] != kGuard) std::abort();
  }
  // Aborts when the buffer no longer equals what it was built from.
  void check_unchanged(const uint8_t* source, uint64_t available) const {
    const uint64_t copied = std::min(size_, available);
    if (copied && std::memcmp(bytes_.data(), source, copied) != 0) std::abort();
    for (uint64_t i = copied; i < size_; ++i)
      if (bytes_[i] != 0) std::abort();
  }

 private:
  uint64_t size_;
  std::vector<uint8_t> bytes_;
};

// What an accepted LSTM_SPMV recorded must add up: the per-column entries, the counts of
// non-zeros and padding, and the timing model's totals.
void check_spmv_records(const lstm::SpmvWork& work, const lstm::LstmTiming& t, uint32_t pes) {
  const uint64_t walked = std::accumulate(work.entries.begin(), work.entries.end(), uint64_t{0});
  const uint64_t per_pe = std::accumulate(t.pe_entries.begin(), t.pe_entries.end(), uint64_t{0});
  if (work.pes != pes || work.entries.size() != uint64_t{work.cols} * pes) std::abort();
  if (walked != work.total_entries() || t.entries != walked || per_pe != walked) std::abort();
  if (t.cycles != t.column_cycles + t.fill_cycles + t.output_cycles || t.column_cycles < t.pe_load().max) std::abort();
}

void run_spmv(const isa::LstmSpmv& spmv, const lstm::EngineMemory& memory, const LstmConfig& config) {
  lstm::SpmvWork work;
  lstm::StreamFault fault;
  const lstm::Verdict verdict = lstm::check_spmv(spmv, memory, work, fault);
  if (verdict.code == isa::kErrBadStream && fault.pe >= memory.pes) std::abort();  // the fault names a PE
  if (!verdict.ok()) return;
  lstm::execute_spmv(spmv, memory);
  check_spmv_records(work, lstm::spmv_timing(config, work), memory.pes);
}

void run_gates(const isa::LstmGates& gates, const lstm::EngineMemory& memory, const LstmConfig& config) {
  if (!lstm::check_gates(gates, memory).ok()) return;
  lstm::execute_gates(gates, memory);
  const lstm::LstmTiming t = lstm::gates_timing(config, gates.hidden, gates.channels);
  if (t.cells != uint64_t{gates.hidden} * gates.channels) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < fuzz_lstm::kMemoryOffset) return 0;
  isa::Instruction instruction;
  std::memcpy(&instruction, data, sizeof instruction);
  instruction.header.opcode = (data[0] & 1) ? isa::kOpLstmGates : isa::kOpLstmSpmv;

  const fuzz_lstm::Geometry g = fuzz_lstm::decode_geometry(data + fuzz_lstm::kGeometryOffset);
  // The IFU decodes every instruction before the engine sees it; its verdict (dependency flags)
  // does not change what the engine checks, so both run on every input.
  ifu::ArgWindows windows{};
  ifu::BufferSizes sizes{};
  sizes[isa::kBufLstmWeight] = g.weight_bytes();
  sizes[isa::kBufLstmVector] = g.vector_bytes;
  (void)ifu::check_instruction(instruction, windows, sizes);

  const uint8_t* memory_bytes = data + fuzz_lstm::kMemoryOffset;
  const uint64_t available = size - fuzz_lstm::kMemoryOffset;
  GuardedBuffer weight(g.weight_bytes(), memory_bytes, available);
  const uint64_t after_weight = available - weight.copied_from(available);
  GuardedBuffer vector(g.vector_bytes, memory_bytes + weight.copied_from(available), after_weight);

  lstm::EngineMemory memory;
  memory.weight = weight.data();
  memory.slice_bytes = g.slice_bytes;
  memory.pes = g.pes;
  memory.vector = vector.data();
  memory.vector_bytes = vector.size();
  memory.accumulator_bits = g.accumulator_bits;
  LstmConfig config;
  config.pes = g.pes;
  config.accumulator_bits = g.accumulator_bits;
  config.fifo_depth = g.fifo_depth;
  config.macs_per_pe = g.macs_per_pe;

  if (instruction.header.opcode == isa::kOpLstmSpmv) run_spmv(instruction.lstm_spmv, memory, config);
  else run_gates(instruction.lstm_gates, memory, config);

  weight.check_guard();
  vector.check_guard();
  weight.check_unchanged(memory_bytes, available);
  return 0;
}
