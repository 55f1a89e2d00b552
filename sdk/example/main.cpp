// An app built out of tree against the installed SDK (docs/software.md, "Your own app"): it fills
// a buffer in DDR, copies it with the DMA (waiting for the completion interrupt), checks the copy,
// times it with the timer, and reports the throughput to the platform; then it echoes the console
// input (the scenario's uart.input) line by line.
#include "ip/common/soc_map.h"
#include "sw/driver/dma_driver.h"
#include "sw/driver/intc_driver.h"
#include "sw/hal/hal.h"

#include <stdint.h>

namespace {

constexpr uint32_t kBytes = 4096;
uint8_t g_buffer[kBytes];

uint8_t pattern(uint32_t index) { return static_cast<uint8_t>(index * 7u + 3u); }

}  // namespace

int app_main() {
  drv::Intc intc;
  drv::Dma dma;
  if (!intc.init() || !dma.init(&intc)) {
    hal::console_write("sdk example: FAIL: no interrupt controller or DMA in this SoC\n");
    return 1;
  }
  const uint64_t source = hal::workspace_base();
  const uint64_t destination = source + kBytes;
  for (uint32_t i = 0; i < kBytes; ++i) g_buffer[i] = pattern(i);
  hal::copy_to_soc(source, g_buffer, kBytes);

  const uint64_t start = hal::timer_ticks();
  const drv::DmaResult result = dma.copy(0, drv::DmaTransfer::linear(source, destination, kBytes));
  const uint64_t ticks = hal::timer_ticks() - start;

  hal::copy_from_soc(g_buffer, destination, kBytes);
  uint32_t wrong = 0;
  for (uint32_t i = 0; i < kBytes; ++i) wrong += g_buffer[i] != pattern(i);
  if (!result.ok() || result.bytes_done != kBytes || wrong != 0) {
    hal::console_printf("sdk example: FAIL: DMA error %u, %llu bytes done, %u bytes wrong\n",
                        static_cast<unsigned>(result.error), static_cast<unsigned long long>(result.bytes_done),
                        static_cast<unsigned>(wrong));
    return 1;
  }
  const uint64_t ns = ticks * 1000000000ull / hal::timer_frequency_hz();
  hal::console_printf("sdk example: PASS: %u bytes copied by the DMA in %llu ns\n", static_cast<unsigned>(kBytes),
                      static_cast<unsigned long long>(ns));
  if (ns > 0) hal::report_result("sdk_example.dma_bytes_per_us", kBytes * 1000ll / static_cast<int64_t>(ns), 0, "B/us");

  char line[80];
  uint32_t lines = 0;
  for (size_t n = hal::console_read(line, sizeof line); n > 0; n = hal::console_read(line, sizeof line))
    hal::console_printf("sdk example: input line %u: %s%s", static_cast<unsigned>(++lines), line,
                        line[n - 1] == '\n' ? "" : "\n");
  hal::console_printf("sdk example: %u input lines\n", static_cast<unsigned>(lines));
  return 0;
}
