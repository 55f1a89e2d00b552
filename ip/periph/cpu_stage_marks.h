// CPUC (issue 16): the CPU stages of model packages as the platform sees them (docs/periph.md,
// "CPU stage marks"). The driver writes the system controller's CPU_STAGE register when a CPU stage
// of a package begins and ends (CPU_STAGE_PACKAGE: the package's DDR address, CPU_STAGE_LAYER: the
// stage's layer record); between the two, the energy the ledger counts without a tag of its own
// (the CPU's instructions and caches, its bus and DDR traffic) goes to the layer's ledger tag
// ("layer<layer>@0x<package>"), and the stage's time and static energy are summed per layer. The
// per-layer report (platform/layer_report) shows them as the package's CPU rows, so that its layers
// add up to the whole job: accelerator stages and CPU stages.
#pragma once
#include "ip/common/energy_ledger.h"

#include <nlohmann/json.hpp>
#include <systemc>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>

namespace dlvp {

class CpuStageMarks {
 public:
  // The static energy by level the SoC has used up to a time (the IFU's probe, platform/soc.cpp).
  using StaticEnergyProbe = std::function<std::array<double, kLevelCount>(const sc_core::sc_time&)>;

  // Without a ledger the marks are counted but no energy is attributed.
  void attach(EnergyLedger* ledger, StaticEnergyProbe probe) { ledger_ = ledger, probe_ = std::move(probe); }

  // A stage of layer `layer` of the package at `package` begins / ends at `at` (the write's local
  // time). A begin while a stage is open, or an end that matches no open stage (another package or
  // layer), is counted as unmatched and leaves nothing half-attributed.
  void begin(uint64_t package, uint32_t layer, const sc_core::sc_time& at);
  void end(uint64_t package, uint32_t layer, const sc_core::sc_time& at);

  // report["cpu_stages"]: per (package, layer), completed stages, time and energy (as the IFU's
  // layers: ledger tag figures, static energy by level); the unmatched and dropped marks.
  void report(nlohmann::json& out) const;

 private:
  struct Account {
    TagId tag = kUntagged;
    uint64_t stages = 0;
    int64_t time_ps = 0;
    std::array<double, kLevelCount> static_energy{};
  };
  struct Open {
    uint64_t package = 0;
    uint32_t layer = 0;
    sc_core::sc_time at;
    std::array<double, kLevelCount> static_at{};
  };

  EnergyLedger* ledger_ = nullptr;
  StaticEnergyProbe probe_;
  std::map<std::pair<uint64_t, uint32_t>, Account> accounts_;  // at most kMaxLayerTags
  bool open_ = false;
  Open current_;
  uint64_t unmatched_ = 0, dropped_ = 0;
};

}  // namespace dlvp
