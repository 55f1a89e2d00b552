#include "platform_config.h"

#include "ip/periph/sysctl_regs.h"
#include "ip/common/yaml_file.h"
#include "ip/common/soc_map.h"
#include "platform/cost_model.h"

#include <filesystem>
#include <functional>

namespace dlvp {
namespace {

// Each scenario section with the function that binds it; one list serves loading and describing.
struct Section {
  const char* key;
  std::function<void(ParamBinder&)> bind;
};

std::vector<Section> sections(PlatformConfig& c) {
  return {
      {"software", [&](ParamBinder& b) { SoftwareConfig::bind(b, c.software); }},
      {"run", [&](ParamBinder& b) { RunConfig::bind(b, c.run); }},
      {"report", [&](ParamBinder& b) { ReportConfig::bind(b, c.report); }},
      {"energy", [&](ParamBinder& b) { EnergyConfig::bind(b, c.energy); }},
      {"map", [&](ParamBinder& b) { c.map.bind(b); }},
      {"cpu", [&](ParamBinder& b) { CpuConfig::bind(b, c.cpu); }},
      {"bus", [&](ParamBinder& b) { BusConfig::bind(b, c.bus); }},
      {"ddr", [&](ParamBinder& b) { DdrConfig::bind(b, c.ddr); }},
      {"dma", [&](ParamBinder& b) { DmaConfig::bind(b, c.dma); }},
      {"uart", [&](ParamBinder& b) { UartConfig::bind(b, c.uart); }},
      {"intc", [&](ParamBinder& b) { IntcConfig::bind(b, c.intc); }},
      {"timer", [&](ParamBinder& b) { TimerConfig::bind(b, c.timer); }},
      {"sysctl", [&](ParamBinder& b) { SysctlConfig::bind(b, c.sysctl); }},
      {"scratchpad", [&](ParamBinder& b) { ScratchpadConfig::bind(b, c.scratchpad); }},
      {"pmu", [&](ParamBinder& b) { PmuConfig::bind(b, c.pmu); }},
      {"ifu", [&](ParamBinder& b) { IfuConfig::bind(b, c.ifu); }},
      {"cnn", [&](ParamBinder& b) { CnnConfig::bind(b, c.cnn); }},
      {"lstm", [&](ParamBinder& b) { LstmConfig::bind(b, c.lstm); }},
      {"cost", [&](ParamBinder& b) { CostConfig::bind(b, c.cost); }},
  };
}

}  // namespace

void SoftwareConfig::bind(ParamBinder& b, SoftwareConfig& c) {
  b.text("app", c.app, "name of the app in sw/apps to run");
  b.text("path", c.path, "explicit path of the app binary (.so in native mode, an RV32 ELF in iss mode); overrides 'app'");
  // software.load: [{file: F, address: A}, ...]
  const YAML::Node load = b.section("load");
  if (load.IsDefined() && !load.IsNull()) {
    if (!load.IsSequence()) throw ConfigError(b.origin()(b.key("load")) + ": key '" + b.key("load") + "' must be a list of {file, address}");
    c.load.clear();
    for (size_t i = 0; i < load.size(); ++i) {
      const std::string key = b.key("load") + "[" + std::to_string(i) + "]";
      ParamBinder item(load[i], key, b.origin());
      MemoryLoad entry;
      item.text("file", entry.file, "file to place in memory ('@build/...': relative to the build folder)");
      item.integer("address", entry.address, "address", "address of the file's first byte", 0, ~uint64_t{0});
      item.finish();
      if (entry.file.empty()) throw ConfigError(b.origin()(key) + ": key '" + key + ".file' is required");
      c.load.push_back(entry);
    }
  }
  const YAML::Node args = b.section("args");
  if (args.IsDefined() && !args.IsNull()) {
    if (!args.IsSequence() || args.size() > sysctl::kBootArgs)
      throw ConfigError(b.origin()(b.key("args")) + ": key '" + b.key("args") + "' must be a list of at most " +
                        std::to_string(sysctl::kBootArgs) + " integers");
    c.args.clear();
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string name = "args[" + std::to_string(i) + "]";
      YAML::Node holder;
      holder[name] = args[i];
      ParamBinder item(holder, "software", b.origin());
      uint64_t value = 0;
      item.integer(name.c_str(), value, "", "boot argument", 0, ~uint64_t{0});
      c.args.push_back(value);
    }
  }
}

const std::vector<DeviceSlot>& MemoryMapConfig::slots() {
  // The system controller's base is fixed (software's one known address); the rest may move.
  static const std::vector<DeviceSlot> table = {
      {soc::kDevSysctl, "sysctl", soc::kSysctlBase, soc::kNoIrq},
      {soc::kDevUart, "uart", 0x10001000, soc::kNoIrq},
      {soc::kDevTimer, "timer", 0x10002000, soc::kNoIrq},
      {soc::kDevIntc, "intc", 0x10003000, soc::kNoIrq},
      {soc::kDevDma, "dma", 0x10010000, 1},
      {soc::kDevIfu, "ifu", 0x10020000, 2},
      {soc::kDevCnn, "cnn", 0x10030000, soc::kNoIrq},
      {soc::kDevLstm, "lstm", 0x10040000, soc::kNoIrq},
      {soc::kDevPmu, "pmu", 0x10050000, soc::kNoIrq},
  };
  return table;
}

void MemoryMapConfig::bind(ParamBinder& b) {
  bases.clear();
  for (const DeviceSlot& slot : slots()) {
    uint64_t base = slot.default_base;
    if (slot.id == soc::kDevSysctl) {
      b.integer(slot.key, base, "address", "base of the system controller (fixed: software's one known address)",
                soc::kSysctlBase, soc::kSysctlBase);
    } else {
      b.integer(slot.key, base, "address", "base of the block's 4 KiB register window (4 KiB aligned, below DDR)",
                0x1000, soc::kDdrBase - soc::kRegisterWindowBytes);
      if (base % soc::kRegisterWindowBytes != 0)
        throw ConfigError(b.origin()(b.key(slot.key)) + ": key '" + b.key(slot.key) + "' must be 4 KiB aligned");
    }
    bases.emplace_back(&slot, base);
  }
}

bool PlatformConfig::device_present(uint32_t device_id) const { return device_id != soc::kDevLstm || lstm.enabled; }

uint64_t MemoryMapConfig::base_of(uint32_t device_id) const {
  for (const auto& [slot, base] : bases)
    if (slot->id == device_id) return base;
  return 0;
}

PlatformConfig load_platform_config(const Scenario& scenario, const std::string& app_dir) {
  PlatformConfig c;
  c.scenario_path = scenario.path();
  ParamBinder top(scenario.root(), "", scenario.origin_lookup());
  std::string hw;
  top.text("hw", hw, "hardware configuration: a name in scenarios/hw/ or a path");
  for (auto& s : sections(c)) {
    ParamBinder b(top.section(s.key), s.key, scenario.origin_lookup());
    s.bind(b);
    b.finish();
    c.effective.insert(c.effective.end(), b.entries().begin(), b.entries().end());
  }
  top.finish();
  // Initiators run up to a quantum ahead of the sample time, so a shorter interval shows their lead.
  if (c.report.power_interval_ns < c.run.quantum_ns)
    throw ConfigError(scenario.origin("report.power_interval_ns") + ": key 'report.power_interval_ns' (" +
                      std::to_string(c.report.power_interval_ns) + " ns) must not be below run.quantum_ns (" +
                      std::to_string(c.run.quantum_ns) + " ns)");

  if (!hw.empty()) c.hw_path = scenario.resolve_data_file("hw", hw, "hw");
  c.tech_path = scenario.resolve_data_file("energy.tech", c.energy.tech, "tech");
  c.ddr_preset_path = scenario.resolve_data_file("ddr.preset", c.ddr.preset, "hw/ddr");
  c.fpga_device_path = scenario.resolve_data_file("cost.fpga_device", c.cost.fpga_device, "devices");
  if (c.uart.input != "none" && c.uart.input != "stdin")
    c.uart.input = scenario.resolve_data_file("uart.input", c.uart.input, "data");
  // A malformed device file or area section is an error now, not when the report is written.
  estimate_structure(c);
  c.ddr_timing = DdrTiming::load(c.ddr_preset_path);
  for (size_t i = 0; i < c.software.load.size(); ++i) {
    MemoryLoad& entry = c.software.load[i];
    const std::string key = "software.load[" + std::to_string(i) + "].file";
    if (entry.file.rfind("@build/", 0) == 0) {
      entry.path = build_file_path(app_dir, entry.file);
      if (const std::string problem = file_problem(entry.path); !problem.empty())
        throw ConfigError(scenario.origin(key) + ": key '" + key + "' names " + entry.path + ", which " + problem +
                          (problem == "does not exist" ? " (is it built?)" : ""));
    } else {
      entry.path = scenario.resolve_data_file(key, entry.file, "data");
    }
  }
  if (app_dir.empty()) return c;  // tools that build their own SoC run no software
  if (!c.software.path.empty()) {
    c.app_path = scenario.resolve_data_file("software.path", c.software.path, "apps");
  } else {
    // The same app built for the mode: a native plugin, or an RV32 ELF (same folder).
    const auto candidate = std::filesystem::path(app_dir) / (c.software.app + (c.cpu.mode == "iss" ? ".elf" : ".so"));
    if (const std::string problem = file_problem(candidate.string()); !problem.empty())
      throw ConfigError(scenario.origin("software.app") + ": key 'software.app' names '" + c.software.app + "', but " +
                        candidate.string() + " " + problem + (problem == "does not exist" ? " (is it built?)" : ""));
    c.app_path = candidate.string();
  }
  return c;
}

std::string build_file_path(const std::string& app_dir, const std::string& file) {
  if (file.rfind("@build/", 0) != 0) return file;
  const auto build_dir = std::filesystem::path(app_dir).parent_path().parent_path();
  return (build_dir / file.substr(7)).string();
}

std::vector<ParamBinder::Entry> describe_platform_params() {
  PlatformConfig c;
  std::vector<ParamBinder::Entry> all;
  for (auto& s : sections(c)) {
    ParamBinder b(s.key);
    s.bind(b);
    all.insert(all.end(), b.entries().begin(), b.entries().end());
  }
  return all;
}

}  // namespace dlvp
