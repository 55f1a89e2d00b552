// CPU work overlapped with the accelerator (docs/software.md, "overlap"): classifies N images of
// an IDX data set with a CNN package twice — serially (quantize image i on the CPU, run job i,
// wait) and pipelined (start job i, quantize image i + 1 into the other input buffer while it
// runs, then sleep until job i's DONE interrupt, taken by the interrupt controller driver's
// handler) — and prints both times, the CPU's preprocessing time, the accelerator's, the time
// saved, and the interrupts the HAL took. Both passes must predict the same classes.
//
// Boot arguments: 0 package address, 1 images (IDX, uint8 [n][rows][cols]), 2 images (0: 100).
// Exit codes: 0 done, 1 the SoC lacks a device, 2 the package is refused or boot argument 1 is not
// an IDX image file for it, 3 a job failed or the passes disagree.
#include "ip/common/soc_map.h"
#include "sw/apps/common/image_input.h"
#include "sw/driver/accel_driver.h"
#include "sw/driver/intc_driver.h"
#include "sw/driver/pmu_driver.h"
#include "sw/hal/hal.h"

#include <stdint.h>

namespace {

using ull = unsigned long long;

constexpr uint32_t kMaxPixels = 64 * 64;
constexpr uint32_t kMaxImages = 10000;
constexpr uint32_t kMaxClasses = 256;
// Natively host code takes no simulated time: the preprocessing's cost as the app estimates it
// (a load, a table lookup and a store per pixel, as the RISC-V build's loop does in about this
// many instructions). The ISS times the real instructions.
constexpr uint64_t kCyclesPerPixel = 6;

uint8_t g_pixels[kMaxPixels];
int8_t g_input[kMaxPixels];
uint8_t g_predictions[2][kMaxImages];

struct Setup {
  drv::Accelerator* accel;
  app::Idx images;
  uint32_t count;
  uint32_t pixels;
  int16_t table[256];
  drv::JobTensors tensors;
  uint64_t inputs[2];  // the pipelined pass's two input buffers
};

// The CPU's share of an image: its pixels from DDR, quantized, into the input buffer.
void preprocess(const Setup& s, uint32_t image, uint64_t input) {
  hal::copy_from_soc(g_pixels, s.images.data + uint64_t{image} * s.pixels, s.pixels);
  for (uint32_t p = 0; p < s.pixels; ++p) g_input[p] = static_cast<int8_t>(s.table[g_pixels[p]]);
  hal::spend_cycles(kCyclesPerPixel * s.pixels);
  hal::copy_to_soc(input, g_input, s.pixels);
}

uint8_t predicted_class(const Setup& s) {
  const uint32_t classes = s.accel->header().output_c;
  int8_t out[kMaxClasses];
  hal::copy_from_soc(out, s.tensors.output, classes);
  uint32_t best = 0;
  for (uint32_t c = 1; c < classes; ++c)
    if (out[c] > out[best]) best = c;
  return static_cast<uint8_t>(best);
}

struct PassTimes {
  uint64_t total = 0, cpu = 0, accelerator = 0;  // timer ticks
  bool ok = true;
};

PassTimes run_serial(const Setup& s) {
  PassTimes t;
  const uint64_t start = hal::timer_ticks();
  for (uint32_t i = 0; i < s.count && t.ok; ++i) {
    const uint64_t cpu_start = hal::timer_ticks();
    preprocess(s, i, s.tensors.input);
    t.cpu += hal::timer_ticks() - cpu_start;
    const drv::JobResult r = s.accel->run(s.tensors.input, s.tensors.output, s.tensors.scratch);
    t.accelerator += r.ticks;
    t.ok = r.ok();
    g_predictions[0][i] = predicted_class(s);
  }
  t.total = hal::timer_ticks() - start;
  return t;
}

PassTimes run_pipelined(const Setup& s) {
  PassTimes t;
  const uint64_t start = hal::timer_ticks();
  preprocess(s, 0, s.inputs[0]);
  for (uint32_t i = 0; i < s.count && t.ok; ++i) {
    s.accel->start(s.inputs[i % 2], s.tensors.output, s.tensors.scratch);
    const uint64_t cpu_start = hal::timer_ticks();
    if (i + 1 < s.count) preprocess(s, i + 1, s.inputs[(i + 1) % 2]);  // while job i runs
    t.cpu += hal::timer_ticks() - cpu_start;
    const drv::JobResult r = s.accel->wait();
    t.accelerator += r.ticks;
    t.ok = r.ok();
    g_predictions[1][i] = predicted_class(s);
  }
  t.total = hal::timer_ticks() - start;
  return t;
}

// The package and the data: a CNN package with one int8 channel of the images' size.
int set_up(drv::Accelerator& accel, Setup* s) {
  const auto& h = accel.header();
  if (!app::read_idx(hal::boot_arg(1), accel, &s->images) || s->images.rank != 3) {
    hal::console_write("overlap: boot argument 1 is not an IDX image file in DDR\n");
    return 2;
  }
  s->pixels = s->images.dims[1] * s->images.dims[2];
  if (h.input_element_bytes != 1 || h.sequences != 1 || h.input_c != 1 || h.input_h != s->images.dims[1] ||
      h.input_w != s->images.dims[2] || s->pixels > kMaxPixels || h.output_c > kMaxClasses ||
      h.output_element_bytes != 1) {
    hal::console_write("overlap: the package does not take one 8-bit channel of the images' size\n");
    return 2;
  }
  const uint64_t wanted = hal::boot_arg(2) ? hal::boot_arg(2) : 100;
  s->count = static_cast<uint32_t>(wanted < s->images.dims[0] ? wanted : s->images.dims[0]);
  if (s->count > kMaxImages) s->count = kMaxImages;
  app::input_table(h.input_frac_bits, 127, s->table);
  if (const int16_t* recorded = accel.input_table(0))  // the package's preprocessing (version 7)
    for (uint32_t p = 0; p < 256; ++p) s->table[p] = recorded[p];
  const uint64_t free = s->images.end() > accel.package_address() + h.total_bytes ? s->images.end()
                                                                                    : accel.package_address() + h.total_bytes;
  if (const char* problem = accel.place_job_tensors(free, false, &s->tensors)) {
    hal::console_printf("overlap: %s\n", problem);
    return 2;
  }
  s->inputs[0] = s->tensors.input;
  s->inputs[1] = (s->tensors.end + 4095) / 4096 * 4096;
  if (s->inputs[1] + s->pixels > accel.ddr_end()) {
    hal::console_write("overlap: no room in DDR for a second input buffer\n");
    return 2;
  }
  return 0;
}

int64_t to_ns(uint64_t ticks) { return static_cast<int64_t>(ticks * 1000000000ull / hal::timer_frequency_hz()); }

}  // namespace

int app_main() {
  drv::Intc intc;
  drv::Accelerator accel;
  drv::Pmu pmu;
  if (const int code = drv::start_accelerator_app("overlap", intc, accel, pmu, hal::boot_arg(0))) return code;
  Setup s{};
  s.accel = &accel;
  if (const int code = set_up(accel, &s)) return code;

  const PassTimes serial = run_serial(s);
  const PassTimes pipelined = run_pipelined(s);
  if (!serial.ok || !pipelined.ok) {
    hal::console_write("overlap: a job failed\n");
    return 3;
  }
  uint32_t differ = 0;
  for (uint32_t i = 0; i < s.count; ++i) differ += g_predictions[0][i] != g_predictions[1][i];
  hal::Device ifu{};
  hal::find_device(dlvp::soc::kDevIfu, &ifu);
  // Read together, with no HAL operation between them (natively, interrupts come between those).
  const hal::InterruptCounts irq = hal::interrupt_counts();
  const uint32_t accelerator_interrupts = intc.interrupts(ifu.irq);
  const int64_t serial_ns = to_ns(serial.total), pipelined_ns = to_ns(pipelined.total);
  const int64_t saved_permille = serial_ns ? (serial_ns - pipelined_ns) * 1000 / serial_ns : 0;
  hal::console_printf("overlap: %u images, serial %lld us (CPU %lld us, accelerator %lld us), pipelined %lld us "
                      "(CPU %lld us under the jobs): %lld.%lld %% saved; %u interrupts handled, %u unhandled; "
                      "%u predictions differ\n",
                      unsigned(s.count), (long long)(serial_ns / 1000), (long long)(to_ns(serial.cpu) / 1000),
                      (long long)(to_ns(serial.accelerator) / 1000), (long long)(pipelined_ns / 1000),
                      (long long)(to_ns(pipelined.cpu) / 1000), (long long)(saved_permille / 10),
                      (long long)(saved_permille < 0 ? -saved_permille % 10 : saved_permille % 10),
                      unsigned(irq.handled), unsigned(irq.unhandled), unsigned(differ));
  hal::report_result("images", s.count, 0, "");
  hal::report_result("serial_ns", serial_ns, 0, "ns");
  hal::report_result("pipelined_ns", pipelined_ns, 0, "ns");
  hal::report_result("cpu_preprocess_ns", to_ns(serial.cpu), 0, "ns");
  hal::report_result("accelerator_ns", to_ns(serial.accelerator), 0, "ns");
  hal::report_result("saved", saved_permille, -1, "%");
  hal::report_result("interrupts_handled", irq.handled, 0, "");
  hal::report_result("interrupts_unhandled", irq.unhandled, 0, "");
  hal::report_result("accelerator_interrupts", accelerator_interrupts, 0, "");
  hal::report_result("predictions_differ", differ, 0, "");
  return differ ? 3 : 0;
}
