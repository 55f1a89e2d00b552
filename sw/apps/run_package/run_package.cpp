// Runs a model package on the accelerator: boot argument 0 is the package's address in DDR,
// boot argument 1 the number of jobs (default 1). Uses the package's test input when it has one
// and checks the expected output when it has one; prints the job time and the PMU's energy, and
// for a package with CPU stages each stage's time in the first job and the CPU stages' time per
// job (result `cpu_stages_ns`).
// Exit codes: 0 done (and the output matches), 1 the SoC lacks a device, 2 the package is refused,
// 3 a job stopped with an error, 4 the output differs from the expected output.
#include "sw/driver/accel_driver.h"
#include "sw/driver/intc_driver.h"
#include "sw/driver/pmu_driver.h"
#include "sw/driver/soc_memory.h"
#include "platform/cpu_ops.h"
#include "sw/hal/hal.h"

#include <stdint.h>

namespace {

uint64_t ticks_to_ns(uint64_t ticks) {
  const uint64_t hz = hal::timer_frequency_hz();
  return ticks * 1000000000ull / (hz ? hz : 1);
}

// Prints each stage of the first job.
void print_stage(uint32_t index, const dlvp::package::StageRecord& s, uint64_t ticks, void* first_job) {
  if (!*static_cast<bool*>(first_job)) return;
  const bool cpu = s.kind == dlvp::package::kStageCpu;
  hal::console_printf("run_package: stage %u %s%s: %llu ns\n", unsigned(index), cpu ? "cpu " : "accelerator",
                      cpu ? dlvp::cpu::op_name(s.op) : "", static_cast<unsigned long long>(ticks_to_ns(ticks)));
}

}  // namespace

int app_main() {
  drv::Intc intc;
  drv::Accelerator accel;
  drv::Pmu pmu;
  const uint64_t package = hal::boot_arg(0);
  const uint64_t jobs = hal::boot_arg(1) ? hal::boot_arg(1) : 1;
  if (const int code = drv::start_accelerator_app("run_package", intc, accel, pmu, package)) return code;
  const auto& h = accel.header();
  // Job tensors after the package (never over its expected output, which the result is compared with).
  drv::JobTensors t;
  if (const char* problem = accel.place_job_tensors(package + h.total_bytes, true, &t)) {
    hal::console_printf("run_package: package at 0x%llx refused: %s\n", static_cast<unsigned long long>(package),
                        problem);
    return 2;
  }
  const uint64_t input = t.input, output = t.output, scratch = t.scratch;
  hal::console_printf("run_package: %u layers, %u instructions, %llu jobs\n", unsigned(h.layer_count),
                      unsigned(h.instruction_count), static_cast<unsigned long long>(jobs));
  bool first_job = true;
  accel.set_stage_observer(print_stage, &first_job);
  const drv::PmuSnapshot before = pmu.snapshot();
  uint64_t ticks = 0, cpu_ticks = 0;
  for (uint64_t j = 0; j < jobs; ++j) {
    const drv::JobResult r = accel.run(input, output, scratch);
    first_job = false;
    cpu_ticks += r.cpu_ticks;
    if (!r.ok()) {
      hal::console_printf("run_package: job %llu stopped: error %u at instruction %u\n", static_cast<unsigned long long>(j),
                          unsigned(r.error), unsigned(r.error_index));
      return 3;
    }
    ticks += r.ticks;
  }
  const drv::PmuSnapshot after = pmu.snapshot();
  const uint64_t hz = hal::timer_frequency_hz();
  const uint64_t us = ticks * 1000000ull / (hz ? hz : 1) / jobs;
  hal::console_printf("run_package: %llu us per job (timer)\n", static_cast<unsigned long long>(us));
  if (h.stage_count) {
    const uint64_t cpu_ns = ticks_to_ns(cpu_ticks) / jobs;
    hal::console_printf("run_package: CPU stages %llu ns per job\n", static_cast<unsigned long long>(cpu_ns));
    hal::report_result("cpu_stages_ns", static_cast<int64_t>(cpu_ns), 0, "ns");
  }
  hal::console_write("energy, read from the PMU:\n");
  drv::Pmu::print_energy(before, after);
  drv::Pmu::print_power(after);
  if (h.test_expected_size) {
    const bool exact = drv::soc_differences(output, package + h.test_expected_offset, h.test_expected_size) == 0;
    hal::console_printf("run_package: output %s the expected output\n", exact ? "matches" : "DIFFERS FROM");
    return exact ? 0 : 4;
  }
  return 0;
}
