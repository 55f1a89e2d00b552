// The driver's staged jobs (sw/driver/accel_driver, version 7) on the host over a HostSoc whose IFU
// reports every job done at once (it computes nothing): the CPU stages run in order on the output
// window (the channel shuffle and the softmax of tests/support/staged_package.h, checked against
// platform/cpu_ops run here), each stage is seen by the observer, and a stage record changed after
// open_package (as a job writing into the package could) ends the job with kErrStageChanged before
// the CPU touches anything (the HostSoc aborts on any access outside DDR).
#include "ip/periph/timer_regs.h"
#include "platform/cpu_ops.h"
#include "platform/package_file.h"
#include "sw/driver/accel_driver.h"
#include "tests/support/host_soc.h"
#include "tests/support/package_edit.h"
#include "tests/support/staged_package.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <vector>

namespace dlvp::test {
namespace {

// Every IFU register, STATUS reading DONE: a job ends as soon as it starts.
std::map<uint32_t, uint64_t> finished_ifu() {
  std::map<uint32_t, uint64_t> r;
#define DLVP_IFU_REGISTER_RESET(name, offset, width, reset, access, description) r[offset] = reset;
  DLVP_IFU_REGISTERS(DLVP_IFU_REGISTER_RESET)
#undef DLVP_IFU_REGISTER_RESET
  r[ifu::STATUS] = ifu::kStatusDone;
  return r;
}

struct StagedRig {
  std::vector<uint8_t> blob = staged_package();
  std::unique_ptr<HostSoc> soc;
  drv::Accelerator accel;
  drv::JobTensors t{};

  StagedRig() {
    std::vector<uint8_t> ddr = blob;
    ddr.resize(ddr.size() + (1 << 20));
    soc = std::make_unique<HostSoc>(std::move(ddr));
    soc->add_accelerator(header_of(blob).hardware, header_of(blob).lstm);
    soc->add_device(soc::kDevIfu, 0x10020000, finished_ifu());
    soc->add_device(soc::kDevTimer, 0x10050000, {{timer::MTIME, 0}, {timer::FREQUENCY, 1000000}});
    soc->attach();
    EXPECT_TRUE(accel.init(nullptr));
  }
  std::string open() {
    const char* problem = accel.open_package(soc::kDdrBase);
    if (!problem) problem = accel.place_job_tensors(soc::kDdrBase + blob.size(), true, &t);
    return problem ? problem : "";
  }
  uint8_t* at(uint64_t address) { return soc->ddr().data() + (address - soc::kDdrBase); }
};

struct Seen {
  std::vector<uint32_t> kinds;
};

void observe(uint32_t index, const package::StageRecord& s, uint64_t, void* context) {
  auto& seen = *static_cast<Seen*>(context);
  EXPECT_EQ(index, seen.kinds.size());
  seen.kinds.push_back(s.kind);
}

TEST(AccelStages, CpuStagesRunInOrderOnTheJobsTensors) {
  StagedRig rig;
  ASSERT_EQ(rig.open(), "");
  const uint64_t bytes = rig.accel.window_size(package::kArgOutput);
  // What the (idle) engine would have written: random bytes in the output window.
  std::vector<uint8_t> data(bytes);
  std::mt19937 rng(3);
  for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
  std::memcpy(rig.at(rig.t.output), data.data(), bytes);
  Seen seen;
  rig.accel.set_stage_observer(observe, &seen);
  const drv::JobResult r = rig.accel.run(rig.t.input, rig.t.output, rig.t.scratch);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(seen.kinds, (std::vector<uint32_t>{package::kStageAccelerator, package::kStageCpu, package::kStageCpu}));
  // The same two operations here.
  const package::PackageContents c = package::read_package(rig.blob, "pkg");
  for (uint32_t i = 1; i < 3; ++i) {
    std::vector<uint8_t> out(bytes);
    const uint8_t* inputs[2] = {data.data(), nullptr};
    cpu::run(c.stages[i], inputs, out.data());
    data = out;
  }
  EXPECT_EQ(std::memcmp(rig.at(rig.t.output), data.data(), bytes), 0);
  // Each CPU stage between the marks the platform times it by (docs/periph.md), with its layer.
  const std::vector<std::pair<uint32_t, uint32_t>> marks = {{c.stages[1].layer, sysctl::kCpuStageBegin},
                                                            {c.stages[1].layer, sysctl::kCpuStageEnd},
                                                            {c.stages[2].layer, sysctl::kCpuStageBegin},
                                                            {c.stages[2].layer, sysctl::kCpuStageEnd}};
  EXPECT_EQ(rig.soc->cpu_stage_marks, marks);
}

TEST(AccelStages, AStageChangedAfterOpeningEndsTheJob) {
  StagedRig rig;
  ASSERT_EQ(rig.open(), "");
  const uint64_t bytes = rig.accel.window_size(package::kArgOutput);
  std::memset(rig.at(rig.t.output), 0x11, bytes);
  // The softmax's output moved far beyond its window, in DDR, after the checks.
  package::StageRecord s;
  uint8_t* record = rig.at(soc::kDdrBase + header_of(rig.blob).stages_offset + 2 * sizeof s);
  std::memcpy(&s, record, sizeof s);
  s.output.offset = uint64_t{1} << 40;
  std::memcpy(record, &s, sizeof s);
  const drv::JobResult r = rig.accel.run(rig.t.input, rig.t.output, rig.t.scratch);
  EXPECT_EQ(r.error, drv::kErrStageChanged);
  EXPECT_EQ(r.error_index, 2u);
  // The shuffle ran (stage 1), the softmax did not: the window holds the shuffled 0x11 bytes.
  EXPECT_EQ(std::vector<uint8_t>(rig.at(rig.t.output), rig.at(rig.t.output) + bytes), std::vector<uint8_t>(bytes, 0x11));
}

}  // namespace
}  // namespace dlvp::test
