// The whole platform's configuration, bound from a scenario in one pass so that every error
// (unknown key, wrong type, out-of-range value, missing file) is reported before elaboration.
#pragma once
#include "ip/bus/bus.h"
#include "ip/common/params.h"
#include "ip/common/sram_buffer.h"
#include "ip/cnn/cnn_config.h"
#include "ip/cpu/cpu_config.h"
#include "ip/ddr/ddr_controller.h"
#include "ip/ddr/ddr_timing.h"
#include "ip/dma/dma_engine.h"
#include "ip/ifu/ifu.h"
#include "ip/lstm/lstm_config.h"
#include "ip/periph/intc.h"
#include "ip/periph/sysctl.h"
#include "ip/periph/timer.h"
#include "ip/periph/uart.h"
#include "ip/pmu/pmu.h"
#include "platform/cost_config.h"
#include "platform/scenario.h"

#include <string>
#include <vector>

namespace dlvp {

// A file the platform places in memory before the software starts (a model package, data).
struct MemoryLoad {
  std::string file;      // as written in the scenario
  uint64_t address = 0;  // where its first byte goes
  std::string path;      // resolved path (set by load_platform_config)
};

struct SoftwareConfig {
  std::string app = "dma_selftest";  // a native app in the build's sw/apps, or...
  std::string path;                   // ...an explicit path to the app (overrides `app`)
  std::vector<MemoryLoad> load;       // files placed in DDR before the software starts
  std::vector<uint64_t> args;         // boot arguments (system controller BOOT_ARG0..7)
  static void bind(ParamBinder& b, SoftwareConfig& c);
};

struct RunConfig {
  double max_time_ms = 1000.0;
  double quantum_ns = 1000.0;
  static void bind(ParamBinder& b, RunConfig& c) {
    b.real("max_time_ms", c.max_time_ms, "ms", "simulated time limit; the run stops there if software has not exited", 1e-6, 1e9);
    b.real("quantum_ns", c.quantum_ns, "ns", "global quantum of temporal decoupling", 1e-3, 1e9);
  }
};

// What a run reports beyond its totals.
struct ReportConfig {
  double power_interval_ns = 100000.0;  // 100 us: ~500 samples for the Fashion CNN, ~4000 for VGG-16
  double progress_after_s = 2.0;         // short runs stay quiet
  uint64_t timeline_instructions = 500;  // the job timeline of report.json: ~100 KB of it at most
  uint64_t trace_max_events = 1000000;   // trace.json: a few hundred MB at most
  static void bind(ParamBinder& b, ReportConfig& c) {
    b.real("power_interval_ns", c.power_interval_ns, "ns",
           "power is sampled every this much simulated time (report.json power, PMU *_POWER_*); peak power is the "
           "highest average over one interval, so it depends on it; not below run.quantum_ns",
           1.0, 1e12);
    b.real("progress_after_s", c.progress_after_s, "s",
           "wall time after which a run shows its progress line (only when stderr is a terminal)", 0.0, 1e6);
    b.integer("timeline_instructions", c.timeline_instructions, "instructions",
              "the first executed accelerator instructions report.json's job timeline (accelerator.timeline) and "
              "report.html show; the rest are counted",
              uint64_t{0}, uint64_t{1000000});
    b.integer("trace_max_events", c.trace_max_events, "",
              "trace.json (--trace) keeps the events that begin before the time of the N-th earliest one and says "
              "so in its otherData and the summary when it leaves any out",
              1, uint64_t{1} << 32);
  }
};

struct EnergyConfig {
  std::string tech = "horowitz-45nm";
  static void bind(ParamBinder& b, EnergyConfig& c) {
    b.text("tech", c.tech, "technology table: a name in scenarios/tech/ or a path to a YAML file");
  }
};

// Local (accelerator-side) SRAM reachable by the DMA's buffer space until the engines provide
// their own buffer ports; software uses it to exercise DDR <-> on-chip transfers.
struct ScratchpadConfig {
  uint64_t size_bytes = 64 * 1024;
  uint32_t port_width_bytes = 8;
  static void bind(ParamBinder& b, ScratchpadConfig& c) {
    b.integer("size_bytes", c.size_bytes, "B", "on-chip scratchpad SRAM in the DMA's local buffer space", 0, 64ull << 20);
    b.integer("port_width_bytes", c.port_width_bytes, "B", "scratchpad port width", 1, 128);
  }
};

// One row per memory-mapped block: the memory map is this table plus the scenario's `map` keys.
struct DeviceSlot {
  uint32_t id;           // soc::DeviceId
  const char* key;       // scenario key under `map`, and the block's name
  uint64_t default_base;
  uint32_t irq;          // interrupt controller source, soc::kNoIrq when none
};

struct MemoryMapConfig {
  std::vector<std::pair<const DeviceSlot*, uint64_t>> bases;  // device -> base address
  static const std::vector<DeviceSlot>& slots();
  void bind(ParamBinder& b);
  uint64_t base_of(uint32_t device_id) const;
};

struct PlatformConfig {
  std::string scenario_path;
  SoftwareConfig software;
  RunConfig run;
  ReportConfig report;
  EnergyConfig energy;
  MemoryMapConfig map;
  CpuConfig cpu;
  BusConfig bus;
  DdrConfig ddr;
  DdrTiming ddr_timing;
  DmaConfig dma;
  UartConfig uart;
  IntcConfig intc;
  TimerConfig timer;
  SysctlConfig sysctl;
  ScratchpadConfig scratchpad;
  PmuConfig pmu;
  IfuConfig ifu;
  CnnConfig cnn;
  LstmConfig lstm;
  CostConfig cost;

  // A block the configuration leaves out (lstm.enabled false) has no register window.
  bool device_present(uint32_t device_id) const;

  std::string tech_path, ddr_preset_path, app_path;
  std::string fpga_device_path;  // cost.fpga_device resolved (scenarios/devices/)
  std::string hw_path;  // the hardware file the scenario names ("" when none)
  std::vector<ParamBinder::Entry> effective;  // every parameter with its effective value
};

// `app_dir` is where native apps are built (the build's sw/apps); empty: resolve no software.
PlatformConfig load_platform_config(const Scenario& scenario, const std::string& app_dir);
// A file named "@build/<path>" (a file the build makes) as a path in the build folder, which holds
// `app_dir` as sw/apps; any other name unchanged.
std::string build_file_path(const std::string& app_dir, const std::string& file);
// All parameters with defaults, units and descriptions (for `dlvp params`).
std::vector<ParamBinder::Entry> describe_platform_params();

}  // namespace dlvp
