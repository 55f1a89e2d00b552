// HAL parts that are the same on every target: built on read32/write32.
#include "sw/hal/hal.h"

#include "ip/periph/sysctl_regs.h"
#include "ip/periph/timer_regs.h"
#include "ip/periph/uart_regs.h"
#include "ip/common/soc_map.h"

#include <stdarg.h>
#include <stdio.h>

namespace hal {
namespace {

uint64_t g_uart_base = 0;
uint64_t g_timer_base = 0;

uint64_t uart_base() {
  if (!g_uart_base) {
    Device d;
    if (!find_device(dlvp::soc::kDevUart, &d)) exit(kExitBusError);
    g_uart_base = d.base;
  }
  return g_uart_base;
}

uint64_t timer_base() {
  if (!g_timer_base) g_timer_base = require_device(dlvp::soc::kDevTimer).base;
  return g_timer_base;
}

}  // namespace

bool find_device(uint32_t device_id, Device* out) {
  using namespace dlvp::sysctl;
  const uint64_t sysctl_base = dlvp::soc::kSysctlBase;
  const uint32_t count = read32(sysctl_base + DEVICE_COUNT);
  for (uint32_t i = 0; i < count; ++i) {
    write32(sysctl_base + DEVICE_SELECT, i);
    if (read32(sysctl_base + DEVICE_ID) == device_id) {
      out->base = read64(sysctl_base + DEVICE_BASE);
      out->size = read64(sysctl_base + DEVICE_SIZE);
      out->irq = read32(sysctl_base + DEVICE_IRQ);
      return true;
    }
  }
  return false;
}

uint64_t boot_arg(uint32_t index) {
  return index < dlvp::sysctl::kBootArgs ? read64(dlvp::soc::kSysctlBase + dlvp::sysctl::boot_arg_reg(index)) : 0;
}

Device require_device(uint32_t device_id) {
  Device d{};
  if (!find_device(device_id, &d)) {
    console_printf("fatal: the SoC has no device with id %u\n", static_cast<unsigned>(device_id));
    exit(kExitBusError);
  }
  return d;
}

uint64_t workspace_base() { return require_device(dlvp::soc::kDevDdr).base + dlvp::soc::kProgramRegionBytes; }

uint32_t report_result(const char* name, int64_t mantissa, int32_t exponent, const char* unit) {
  using namespace dlvp::sysctl;
  const uint64_t sysctl_base = dlvp::soc::kSysctlBase;
  write64(sysctl_base + RESULT_NAME, text_address(name, 0));
  write64(sysctl_base + RESULT_UNIT, unit && *unit ? text_address(unit, 1) : 0);
  write64(sysctl_base + RESULT_VALUE, static_cast<uint64_t>(mantissa));
  write32(sysctl_base + RESULT_EXPONENT, static_cast<uint32_t>(exponent));
  write32(sysctl_base + RESULT_COMMIT, 1);
  return read32(sysctl_base + RESULT_STATUS);
}

void console_write(const char* text) {
  const uint64_t uart = uart_base();
  for (const char* c = text; *c; ++c) {
    while (!(read32(uart + dlvp::uart::STATUS) & dlvp::uart::kStatusTxReady)) {
    }
    write32(uart + dlvp::uart::TXDATA, static_cast<uint8_t>(*c));
  }
}

int console_getc() {
  const uint64_t uart = uart_base();
  for (;;) {
    const uint32_t status = read32(uart + dlvp::uart::STATUS);
    if (status & dlvp::uart::kStatusRxValid) {
      const uint32_t data = read32(uart + dlvp::uart::RXDATA);
      if (!(data & dlvp::uart::kRxEmpty)) return static_cast<int>(data & dlvp::uart::kRxDataMask);
    } else if (status & dlvp::uart::kStatusRxEnded) {
      return -1;
    }
  }
}

size_t console_read(char* buffer, size_t size) {
  if (!buffer || size == 0) return 0;
  size_t count = 0;
  while (count + 1 < size) {
    const int c = console_getc();
    if (c < 0) break;
    buffer[count++] = static_cast<char>(c);
    if (c == '\n') break;
  }
  buffer[count] = '\0';
  return count;
}

void console_printf(const char* format, ...) {
  char line[512];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  console_write(line);
}

uint64_t timer_ticks() { return read64(timer_base() + dlvp::timer::MTIME); }
uint64_t timer_frequency_hz() { return read32(timer_base() + dlvp::timer::FREQUENCY); }

void mark_cpu_stage(uint64_t package, uint32_t layer, bool begin) {
  const uint64_t sysctl_base = dlvp::soc::kSysctlBase;
  write64(sysctl_base + dlvp::sysctl::CPU_STAGE_PACKAGE, package);
  write32(sysctl_base + dlvp::sysctl::CPU_STAGE_LAYER, layer);
  write32(sysctl_base + dlvp::sysctl::CPU_STAGE, begin ? dlvp::sysctl::kCpuStageBegin : dlvp::sysctl::kCpuStageEnd);
}

void exit(int code) {
  write32(dlvp::soc::kSysctlBase + dlvp::sysctl::EXIT, static_cast<uint32_t>(code));
  // The simulation ends with the write; should it not, sleep forever.
  for (;;) wait_for_interrupt();
}

}  // namespace hal
