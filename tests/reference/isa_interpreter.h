// A functional (untimed) interpreter of an accelerator job: the golden model of whole programs.
//
// Executes an instruction stream in program order — a valid schedule of the three queues whenever
// every POP's token was pushed earlier in program order, which is how the builder and compiler
// emit programs — with LOAD/STORE as 3-D strided copies between a DDR image and the engine's
// buffers, and compute instructions through the reference arithmetic (cnn_reference.h). Returns
// the job's outcome exactly per docs/isa.md's error rules: the first faulting instruction's code
// and index; nothing from that instruction on executes.
//
// Per instruction, the checks run in this order (the first failing one is reported):
//   unknown opcode -> bad deps (LOAD: any *Prev bit; STORE: any *Next bit) -> bad field ->
//   buffer overrun -> address window (LOAD/STORE) -> DMA error (the block leaves the DDR image).
// END ends the job (its deps and flags are ignored); no END among the instructions is kErrNoEnd
// with index = instruction count, after every instruction has executed.
//
// Not modelled: timing, queue depths, and so token deadlock. Token order is only observed: the
// result names the first POP that finds no token in program order, where the real queues could
// still have run the program (a later-dispatched push may satisfy it) but this interpreter's
// in-order results may then differ from the hardware's.
#pragma once
#include "ip/ifu/isa.h"
#include "tests/reference/cnn_reference.h"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace dlvp::ref {

// One job argument: DDR window [base, base + size).
struct ArgWindow {
  uint64_t base = 0;
  uint64_t size = 0;
};
using ArgWindows = std::array<ArgWindow, isa::kArgCount>;

// DDR contents: bytes[i] is the byte at address base + i. Accesses outside it are bus errors.
struct DdrImage {
  uint64_t base = 0;
  std::vector<uint8_t> bytes;
};

struct MachineConfig {
  std::array<uint64_t, isa::kBufCount> buffer_bytes{};  // input, weight, output buffer sizes
  uint32_t accumulator_bits = 32;                       // 2..32
};

struct RunResult {
  isa::ErrorCode error = isa::kErrNone;
  uint32_t error_index = 0;  // faulting instruction (instruction count for kErrNoEnd); 0 without error
  uint32_t executed = 0;     // instructions completed before END or the fault (END not counted)
  std::optional<uint32_t> token_underflow_index;  // first POP with no token pushed before it in program order
};

// Checks of one LOAD/STORE after its deps: bad field, buffer overrun, address window, DMA error.
isa::ErrorCode check_transfer(const isa::Transfer& transfer, const std::array<uint64_t, isa::kBufCount>& buffer_bytes,
                              const ArgWindows& args, const DdrImage& ddr);
// kErrBadDeps if a POP/PUSH bit names a neighbour queue the instruction's queue does not have.
isa::ErrorCode check_deps(const isa::Header& header);

// The engine's buffers persist across jobs, as in the hardware: load them, run jobs, inspect them.
class IsaInterpreter {
 public:
  explicit IsaInterpreter(const MachineConfig& config);

  std::vector<uint8_t>& buffer(isa::Buffer which) { return buffers_[which]; }
  const std::vector<uint8_t>& buffer(isa::Buffer which) const { return buffers_[which]; }

  // Runs one job (`program` = INSTR_COUNT instructions) against `ddr`, which STOREs modify.
  RunResult run(const std::vector<isa::Instruction>& program, DdrImage& ddr, const ArgWindows& args);

 private:
  isa::ErrorCode execute(const isa::Instruction& instruction, DdrImage& ddr, const ArgWindows& args);
  void copy_block(const isa::Transfer& t, DdrImage& ddr, const ArgWindows& args, bool to_buffer);
  Buffers views();

  MachineConfig config_;
  std::array<std::vector<uint8_t>, isa::kBufCount> buffers_;
};

}  // namespace dlvp::ref
