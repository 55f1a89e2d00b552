#include "sw/driver/soc_memory.h"

#include "sw/hal/hal.h"

namespace drv {
namespace {
constexpr uint64_t kChunk = 256;
uint64_t chunk_at(uint64_t done, uint64_t bytes) { return bytes - done < kChunk ? bytes - done : kChunk; }
}  // namespace

uint64_t soc_differences(uint64_t a, uint64_t b, uint64_t bytes) {
  uint8_t x[kChunk], y[kChunk];
  uint64_t diff = 0;
  for (uint64_t done = 0; done < bytes; done += kChunk) {
    const uint64_t n = chunk_at(done, bytes);
    hal::copy_from_soc(x, a + done, n);
    hal::copy_from_soc(y, b + done, n);
    for (uint64_t i = 0; i < n; ++i) diff += x[i] != y[i];
  }
  return diff;
}

void soc_copy(uint64_t destination, uint64_t source, uint64_t bytes) {
  uint8_t chunk[kChunk];
  for (uint64_t done = 0; done < bytes; done += kChunk) {
    const uint64_t n = chunk_at(done, bytes);
    hal::copy_from_soc(chunk, source + done, n);
    hal::copy_to_soc(destination + done, chunk, n);
  }
}

}  // namespace drv
