// CNN self-test: runs a hand-built three-layer network (its model package is placed in DDR by the
// scenario; boot argument 0 is its address) on the accelerator — the IFU fetches the instruction
// stream, the DMA loads tiles into the CNN engine's buffers, the engine computes, results are
// stored back — and compares the output with the expected output held in the package. Also checks
// that a corrupt package is refused and that a bad instruction stops a job with ERROR and the
// faulting index while the next job runs clean. Exit codes: 0 pass, 1 a check failed or the SoC
// lacks a device, 2 the package is refused (invalid, or without test data).
#include "ip/common/soc_map.h"
#include "sw/driver/accel_driver.h"
#include "sw/driver/intc_driver.h"
#include "sw/driver/pmu_driver.h"
#include "sw/driver/soc_memory.h"
#include "sw/hal/hal.h"

#include <stdint.h>

namespace {

int g_failures = 0;

void check(bool ok, const char* what) {
  hal::console_printf("  %-58s %s\n", what, ok ? "ok" : "FAILED");
  if (!ok) ++g_failures;
}

void print_time(const char* label, uint64_t ticks) {
  const uint64_t hz = hal::timer_frequency_hz();
  const uint64_t ns = ticks * 1000000000ull / (hz ? hz : 1);
  hal::console_printf("  %-34s %8llu.%03llu us\n", label, static_cast<unsigned long long>(ns / 1000),
                      static_cast<unsigned long long>(ns % 1000));
}

}  // namespace

int app_main() {
  hal::console_write("dlvp CNN self-test\n");
  drv::Intc intc;
  drv::Accelerator accel;
  drv::Pmu pmu;
  const uint64_t package = hal::boot_arg(0);
  if (const int code = drv::start_accelerator_app("cnn_selftest", intc, accel, pmu, package)) return code;
  const drv::CnnInfo& cnn = accel.cnn();
  const uint64_t peak_tenths = (cnn.peak_ops_per_second() + 50000000ull) / 100000000ull;  // 0.1 GOPS, rounded
  hal::console_printf("CNN engine: %u PEs x %u convolvers of %ux%u at %u.%03u MHz: peak %llu.%01llu GOPS\n",
                      unsigned(cnn.pes), unsigned(cnn.convolvers), unsigned(cnn.kernel), unsigned(cnn.kernel),
                      unsigned(cnn.clock_khz / 1000), unsigned(cnn.clock_khz % 1000),
                      static_cast<unsigned long long>(peak_tenths / 10), static_cast<unsigned long long>(peak_tenths % 10));

  const auto& h = accel.header();
  // The test needs the package's test data and an instruction 1 to corrupt; output, scratch and a
  // copy of the package go right after it.
  drv::JobTensors tensors;
  const char* problem = h.test_input_size == 0 || h.test_expected_size == 0 || h.instruction_count < 2
                            ? "the self-test needs a test input, an expected output and at least 2 instructions"
                            : accel.place_job_tensors(package + h.total_bytes, true, &tensors);
  if (!problem && tensors.end + h.total_bytes > accel.ddr_end()) problem = "no room in DDR for a copy of the package";
  if (problem) {
    hal::console_printf("cnn_selftest: package at 0x%llx refused: %s\n", static_cast<unsigned long long>(package),
                        problem);
    return 2;
  }
  hal::console_printf("package: %u layers, %u instructions, %llu B\n", unsigned(h.layer_count),
                      unsigned(h.instruction_count), static_cast<unsigned long long>(h.total_bytes));
  for (uint32_t i = 0; i < h.layer_count; ++i) {
    const auto layer = accel.layer(i);
    hal::console_printf("  layer %u %-10s %6u instructions %10llu MACs\n", unsigned(i), layer.name,
                        unsigned(layer.instruction_count), static_cast<unsigned long long>(layer.macs));
  }
  const uint64_t input = tensors.input, output = tensors.output, scratch = tensors.scratch;

  const drv::PmuSnapshot before = pmu.snapshot();
  const drv::JobResult job = accel.run(input, output, scratch);
  const drv::PmuSnapshot after = pmu.snapshot();
  check(job.ok(), "job completes with DONE");
  if (!job.ok())
    hal::console_printf("    error %u at instruction %u\n", unsigned(job.error), unsigned(job.error_index));
  check(drv::soc_differences(output, package + h.test_expected_offset, h.test_expected_size) == 0,
        "output identical to the reference model's");
  print_time("job time (timer)", job.ticks);
  hal::console_printf("  %-34s %8llu cycles\n", "IFU cycles", static_cast<unsigned long long>(job.ifu_cycles));
  hal::console_write("energy of the job, read from the PMU:\n");
  drv::Pmu::print_energy(before, after);

  // A bad instruction: an unknown opcode in place of instruction 1 stops the job there.
  const uint64_t copy = tensors.end;
  drv::soc_copy(copy, package, h.total_bytes);
  const uint8_t bad_opcode = 0x7F;
  hal::copy_to_soc(copy + h.instructions_offset + 1 * dlvp::isa::kInstructionBytes, &bad_opcode, 1);
  check(accel.open_package(copy) != nullptr, "corrupt package refused by its checksum");
  // Run it anyway (bypassing the checksum) to see the hardware's error path.
  const drv::JobResult bad = accel.run(input, output, scratch);
  check(bad.error == dlvp::isa::kErrUnknownOpcode && bad.error_index == 1,
        "bad instruction -> ERROR, unknown opcode at index 1");
  check(accel.open_package(package) == nullptr, "the good package still validates");
  const drv::JobResult again = accel.run(input, output, scratch);
  check(again.ok() && drv::soc_differences(output, package + h.test_expected_offset, h.test_expected_size) == 0,
        "next job after an error runs clean and exact");

  hal::console_printf("CNN self-test: %s (%d failure%s)\n", g_failures ? "FAIL" : "PASS", g_failures,
                      g_failures == 1 ? "" : "s");
  return g_failures ? 1 : 0;
}
