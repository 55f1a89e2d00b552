// Fuzz target: any 64 bytes as an instruction through the IFU's decode checks and the CNN engine's
// checks; an instruction the engine accepts is executed on small buffers with guard bytes after
// each, which must stay untouched. No input may crash or write out of bounds.
#include "ip/cnn/cnn_arith.h"
#include "ip/ifu/instruction_checks.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr uint64_t kBufferBytes[dlvp::isa::kBufCount] = {4096, 4096, 8192};
constexpr uint64_t kGuardBytes = 64;
constexpr uint8_t kGuard = 0xA5;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dlvp;
  if (size < isa::kInstructionBytes) return 0;
  isa::Instruction instruction;
  std::memcpy(&instruction, data, sizeof instruction);

  ifu::ArgWindows windows{};
  for (uint32_t a = 0; a < isa::kArgCount; ++a) windows[a] = {0x80000000ull + a * 0x100000ull, 0x100000ull};
  const ifu::BufferSizes sizes{kBufferBytes[0], kBufferBytes[1], kBufferBytes[2]};
  (void)ifu::check_instruction(instruction, windows, sizes);

  static std::vector<uint8_t> buffers[isa::kBufCount];
  cnn::BufferSet set;
  for (int b = 0; b < isa::kBufCount; ++b) {
    buffers[b].assign(kBufferBytes[b] + kGuardBytes, kGuard);
    // Deterministic contents from the rest of the input.
    for (uint64_t i = 0; i < kBufferBytes[b]; ++i) buffers[b][i] = size > 64 ? data[64 + (i % (size - 64))] : uint8_t(i);
    set.data[b] = buffers[b].data();
    set.size[b] = kBufferBytes[b];
  }
  if (cnn::check(instruction, set) != isa::kErrNone) return 0;
  cnn::execute(instruction, set, cnn::ArithConfig{});
  for (int b = 0; b < isa::kBufCount; ++b)
    for (uint64_t i = kBufferBytes[b]; i < kBufferBytes[b] + kGuardBytes; ++i)
      if (buffers[b][i] != kGuard) std::abort();  // an accepted instruction wrote past its buffer
  return 0;
}
