// The HAL's interrupt handlers and the interrupt controller's claim/complete protocol
// (ip/periph/intc_regs.h), the same on both targets; the backends take the interrupt and call
// hal::detail::dispatch_*.
#include "sw/hal/hal_interrupts.h"

#include "ip/common/soc_map.h"
#include "ip/periph/intc_regs.h"
#include "ip/periph/sysctl_regs.h"
#include "sw/hal/hal.h"

namespace hal {
namespace {

struct Handler {
  InterruptHandler function;
  void* context;
};

Handler g_handlers[dlvp::intc::kMaxSources];
void (*g_timer_handler)(void*) = nullptr;
void* g_timer_context = nullptr;
uint64_t g_intc_base = 0;  // 0: the SoC has no interrupt controller
InterruptCounts g_counts{};

}  // namespace

bool attach_interrupt(uint32_t source, InterruptHandler handler, void* context) {
  if (source == dlvp::intc::kNoSource || source >= dlvp::intc::kMaxSources || !g_intc_base) return false;
  const bool was = set_interrupts_enabled(false);  // no dispatch sees half an entry
  g_handlers[source] = Handler{handler, context};
  mask_interrupt(source, handler == nullptr);
  set_interrupts_enabled(was);
  return true;
}

void mask_interrupt(uint32_t source, bool masked) {
  if (source == dlvp::intc::kNoSource || source >= dlvp::intc::kMaxSources || !g_intc_base) return;
  const bool was = set_interrupts_enabled(false);  // read-modify-write of a register handlers write too
  const uint32_t enabled = read32(g_intc_base + dlvp::intc::ENABLE);
  write32(g_intc_base + dlvp::intc::ENABLE, masked ? enabled & ~(1u << source) : enabled | (1u << source));
  set_interrupts_enabled(was);
}

void attach_timer_interrupt(void (*handler)(void*), void* context) {
  const bool was = set_interrupts_enabled(false);
  g_timer_handler = handler;
  g_timer_context = context;
  set_interrupts_enabled(was);
}

void wait_until(bool (*condition)(void*), void* context) {
  const bool was = set_interrupts_enabled(false);
  while (!condition(context)) {
    wait_for_interrupt();          // wakes on a pending interrupt without taking it
    set_interrupts_enabled(true);  // its handler runs here
    set_interrupts_enabled(false);
  }
  set_interrupts_enabled(was);
}

InterruptCounts interrupt_counts() { return g_counts; }

namespace detail {

void init_interrupts() {
  // Bare machines (riscv-tests, cpu_bench without a system controller) have no device table.
  uint32_t devices = 0;
  Device d;
  const bool table = probe_read32(dlvp::soc::kSysctlBase + dlvp::sysctl::DEVICE_COUNT, &devices);
  g_intc_base = table && find_device(dlvp::soc::kDevIntc, &d) ? d.base : 0;
}

void dispatch_external() {
  if (!g_intc_base) return;
  for (;;) {
    const uint32_t source = read32(g_intc_base + dlvp::intc::CLAIM);
    if (source == dlvp::intc::kNoSource || source >= dlvp::intc::kMaxSources) return;
    const Handler h = g_handlers[source];
    if (h.function) {
      h.function(source, h.context);
      ++g_counts.handled;
    } else {
      ++g_counts.unhandled;
    }
    write32(g_intc_base + dlvp::intc::CLAIM, source);
  }
}

bool timer_attached() { return g_timer_handler != nullptr; }

void dispatch_timer() {
  if (g_timer_handler) g_timer_handler(g_timer_context);
}

}  // namespace detail
}  // namespace hal
