// Interrupt-driven software (docs/software.md, "Interrupts"): the overlap app waits for each
// accelerator job in the interrupt controller driver's handler while the CPU quantizes the next
// image, in both CPU modes. The IFU's DONE interrupt reaches the handler of the IFU's source (the
// external interrupt, claimed and completed by the HAL), the two passes agree, and the pipelined
// pass saves about the CPU's preprocessing time, which it hides under the jobs.
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using dlvp::test::out_dir;
using dlvp::test::read_report;
using dlvp::test::run_dlvp;

double result(const nlohmann::json& report, const char* name) {
  return report.at("app").at("results").at(name).at("value").get<double>();
}

void expect_overlap(const std::string& mode) {
  const std::string out = out_dir("interrupts_" + mode);
  const auto run = run_dlvp("run " + std::string(DLVP_SOURCE_DIR) + "/scenarios/overlap.yaml --set cpu.mode=" + mode +
                            " --set 'software.args[2]=20' --out " + out + " --force");
  ASSERT_EQ(run.status, 0) << run.output;
  const nlohmann::json report = read_report(out);
  const double images = result(report, "images");
  ASSERT_EQ(images, 20);
  EXPECT_EQ(result(report, "predictions_differ"), 0);
  // Two passes of 20 jobs: every job's DONE reached the IFU source's handler (a level interrupt
  // still high when the driver unmasks it may come once more), and nothing else interrupted.
  EXPECT_GE(result(report, "accelerator_interrupts"), 2 * images);
  EXPECT_EQ(result(report, "interrupts_handled"), result(report, "accelerator_interrupts"));
  EXPECT_EQ(result(report, "interrupts_unhandled"), 0);
  // The pipelined pass hides all but the first image's preprocessing under the jobs.
  const double serial = result(report, "serial_ns"), pipelined = result(report, "pipelined_ns");
  const double cpu = result(report, "cpu_preprocess_ns");
  EXPECT_GT(cpu, 0);
  EXPECT_LT(pipelined, serial);
  EXPECT_GE(serial - pipelined, 0.8 * cpu * (images - 1) / images) << mode;
}

}  // namespace

TEST(Interrupts, OverlapAppWaitsByInterruptNative) { expect_overlap("native"); }
TEST(Interrupts, OverlapAppWaitsByInterruptIss) { expect_overlap("iss"); }
