// Fuzz target: any bytes as a calibration source of `dlvpc compile --calib`: an IDX file (read with
// read_idx and load_calibration for a 28x28 model input and for the item size the header claims),
// or, when the bytes start with "random:", the source text itself. A ConfigError naming the file
// and offset is the only acceptable failure; a crash, another exception or a read of what the
// header merely claims is a bug.
#include "tools/dlvpc/calibration.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>

namespace {

// Runs one reader; a ConfigError naming the problem is the expected way to refuse bad input.
template <typename Read>
void refused_or_read(Read read) {
  try {
    read();
  } catch (const dlvp::ConfigError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dlvp::dlvpc;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const uint64_t count = size > 0 ? 1 + data[0] % 8 : 1;
  if (text.rfind("random:", 0) == 0) {
    refused_or_read([&] { load_calibration(text.substr(0, 32), count, 1.0f, {1, 4, 4}); });
    return 0;
  }
  static const std::string path = "/tmp/dlvp_fuzz_calibration_" + std::to_string(getpid()) + ".idx";
  ::unlink(path.c_str());  // a new file, not a truncated one (ext4 flushes a file rewritten after O_TRUNC)
  std::ofstream(path, std::ios::binary) << text;
  refused_or_read([&] {
    const IdxFile idx = read_idx(path, count);
    // Only the items asked for are read, whatever the header claims.
    if (idx.data.size() != std::min<uint64_t>(count, idx.header.items()) * idx.header.item_bytes()) __builtin_trap();
    const uint64_t item = idx.header.item_bytes();
    if (item > 0 && item <= (1u << 16))
      refused_or_read([&] { load_calibration(path, count, 0.5f, {1, 1, static_cast<uint32_t>(item)}); });
  });
  refused_or_read([&] { load_calibration(path, count, 1.0f / 255, {1, 28, 28}); });
  return 0;
}
