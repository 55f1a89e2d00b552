// Image classification on the accelerator (docs/software.md, "classify"): runs a model package on
// N images of an IDX data set in DDR, takes the argmax of each output on the CPU and prints the
// accuracy, the latency per image, the throughput and the energy per image by level.
//
// Boot arguments: 0 package address, 1 images (IDX, uint8 [n][rows][cols]), 2 labels (IDX, uint8
// [n]), 3 images to classify (0: all), 4 the float model's accuracy in hundredths of a percent
// (printed for comparison; 0: not known), 5 progress line every N images (0: none).
// The model's input is pixel / 255 (tools/train); the CPU quantizes it to the package's input
// format with a 256-entry table.
#include "sw/driver/accel_driver.h"
#include "sw/driver/intc_driver.h"
#include "sw/driver/pmu_driver.h"
#include "sw/hal/hal.h"

#include <stdint.h>

namespace {

using ull = unsigned long long;

uint64_t max_of(uint64_t a, uint64_t b) { return a > b ? a : b; }

// An IDX header in DDR: 00 00 08 rank, then rank big-endian uint32 dimensions.
struct Idx {
  uint32_t rank = 0;
  uint32_t dims[4] = {};
  uint64_t data = 0;  // address of the first element
  uint64_t item_bytes() const {
    uint64_t n = 1;
    for (uint32_t i = 1; i < rank; ++i) n *= dims[i];
    return n;
  }
  uint64_t end() const { return data + dims[0] * item_bytes(); }
};

bool read_idx(uint64_t address, Idx* idx) {
  uint8_t head[4 + 16];
  hal::copy_from_soc(head, address, 4);
  if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] == 0 || head[3] > 4) return false;
  idx->rank = head[3];
  hal::copy_from_soc(head + 4, address + 4, 4 * idx->rank);
  for (uint32_t i = 0; i < idx->rank; ++i) {
    const uint8_t* d = head + 4 + 4 * i;
    idx->dims[i] = uint32_t{d[0]} << 24 | uint32_t{d[1]} << 16 | uint32_t{d[2]} << 8 | d[3];
  }
  idx->data = address + 4 + 4 * idx->rank;
  return true;
}

// q = floor(pixel / 255 x 2^frac + 1/2), saturated to int8: the compiler's rounding.
void input_table(int32_t frac, int8_t table[256]) {
  for (uint32_t p = 0; p < 256; ++p) {
    uint64_t numerator = 2 * p, denominator = 510;
    if (frac >= 0) numerator <<= frac;
    else denominator <<= -frac;
    const uint64_t q = (numerator + denominator / 2) / denominator;
    table[p] = static_cast<int8_t>(q > 127 ? 127 : q);
  }
}

uint32_t argmax(const int8_t* v, uint32_t n) {
  uint32_t best = 0;
  for (uint32_t i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

void print_percent(const char* label, uint64_t hundredths) {
  hal::console_printf("%s%llu.%02llu %%", label, static_cast<ull>(hundredths / 100), static_cast<ull>(hundredths % 100));
}

constexpr uint32_t kMaxInput = 64 * 1024;
constexpr uint32_t kMaxOutput = 4096;
int8_t g_input[kMaxInput];
uint8_t g_pixels[kMaxInput];
int8_t g_output[kMaxOutput];

}  // namespace

int app_main() {
  drv::Intc intc;
  drv::Accelerator accel;
  drv::Pmu pmu;
  const uint64_t package = hal::boot_arg(0);
  if (const int code = drv::start_accelerator_app("classify", intc, accel, pmu, package)) return code;
  Idx images, labels;
  if (!read_idx(hal::boot_arg(1), &images) || !read_idx(hal::boot_arg(2), &labels) || labels.rank != 1 ||
      labels.dims[0] < images.dims[0]) {
    hal::console_write("classify: boot arguments 1 and 2 must point at an IDX image file and its label file\n");
    return 2;
  }
  const auto& h = accel.header();
  const uint64_t input_bytes = uint64_t{h.input_c} * h.input_h * h.input_w;
  const uint64_t output_bytes = uint64_t{h.output_c} * h.output_h * h.output_w;
  if (images.item_bytes() != input_bytes || input_bytes > kMaxInput || output_bytes > kMaxOutput) {
    hal::console_printf("classify: images of %llu bytes do not fit the model's input %ux%ux%u\n",
                        static_cast<ull>(images.item_bytes()), unsigned(h.input_c), unsigned(h.input_h),
                        unsigned(h.input_w));
    return 2;
  }
  if (h.input_zero_point != 0) {
    hal::console_printf("classify: the model takes integer input with zero point %d; this app feeds pixels / 255\n",
                        static_cast<int>(h.input_zero_point));
    return 2;
  }
  uint64_t count = hal::boot_arg(3);
  if (count == 0 || count > images.dims[0]) count = images.dims[0];
  const uint64_t progress = hal::boot_arg(5);

  // Job tensors go after everything the scenario placed in DDR.
  const drv::JobTensors t =
      accel.place_job_tensors(max_of(package + h.total_bytes, max_of(images.end(), labels.end())), false);
  const uint64_t input = t.input, output = t.output, scratch = t.scratch;
  int8_t table[256];
  input_table(h.input_frac_bits, table);
  hal::console_printf("classify: %llu images %ux%u, model %u layers, input Q%d, output %u classes Q%d%s\n",
                      static_cast<ull>(count), unsigned(images.dims[1]), unsigned(images.rank > 2 ? images.dims[2] : 1),
                      unsigned(h.layer_count), int(h.input_frac_bits), unsigned(h.output_c), int(h.output_frac_bits),
                      h.cpu_postprocess == dlvp::package::kPostSoftmax ? " (softmax on the CPU: argmax of the logits)" : "");

  const drv::PmuSnapshot before = pmu.snapshot();
  const uint64_t start = hal::timer_ticks();
  uint64_t correct = 0, job_ticks = 0, fastest = ~0ull, slowest = 0;
  for (uint64_t i = 0; i < count; ++i) {
    hal::copy_from_soc(g_pixels, images.data + i * input_bytes, input_bytes);
    for (uint64_t p = 0; p < input_bytes; ++p) g_input[p] = table[g_pixels[p]];
    hal::copy_to_soc(input, g_input, input_bytes);
    const drv::JobResult r = accel.run(input, output, scratch);
    if (!r.ok()) {
      hal::console_printf("classify: image %llu: job stopped with error %u at instruction %u\n", static_cast<ull>(i),
                          unsigned(r.error), unsigned(r.error_index));
      return 3;
    }
    job_ticks += r.ticks;
    fastest = r.ticks < fastest ? r.ticks : fastest;
    slowest = r.ticks > slowest ? r.ticks : slowest;
    hal::copy_from_soc(g_output, output, output_bytes);
    uint8_t label;
    hal::copy_from_soc(&label, labels.data + i, 1);
    correct += argmax(g_output, static_cast<uint32_t>(output_bytes)) == label;
    if (progress && (i + 1) % progress == 0)
      hal::console_printf("classify: %llu images, %llu correct\n", static_cast<ull>(i + 1), static_cast<ull>(correct));
  }
  const uint64_t elapsed = hal::timer_ticks() - start;
  const drv::PmuSnapshot after = pmu.snapshot();

  const uint64_t hz = hal::timer_frequency_hz() ? hal::timer_frequency_hz() : 1;
  const auto ns = [&](uint64_t ticks) { return static_cast<ull>(ticks * 1000000000ull / hz); };
  print_percent("classify: accuracy ", correct * 10000 / count);
  hal::console_printf(" (%llu of %llu)", static_cast<ull>(correct), static_cast<ull>(count));
  if (hal::boot_arg(4)) print_percent(", float model ", hal::boot_arg(4));
  hal::console_write("\n");
  hal::console_printf("classify: latency per image %llu ns (accelerator job; min %llu, max %llu), %llu ns with the CPU's "
                      "pre/post-processing\n",
                      ns(job_ticks) / count, ns(fastest), ns(slowest), ns(elapsed) / count);
  hal::console_printf("classify: throughput %llu images/s (simulated time)\n",
                      static_cast<ull>(elapsed ? count * hz / elapsed : 0));
  hal::console_write("classify: energy per image, read from the PMU (level, energy, share, events):\n");
  drv::Pmu::print_energy(before, after, count);
  return 0;
}
