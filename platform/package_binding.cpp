#include "platform/package_binding.h"

#include "ip/common/config_error.h"
#include "ip/common/utf8.h"
#include "ip/ifu/isa.h"
#include "platform/package_file.h"
#include "platform/scenario.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <string_view>

namespace dlvp {
namespace {

using package::BindingClass;
using package::ParameterDifference;

uint32_t khz(double mhz) { return static_cast<uint32_t>(std::llround(mhz * 1000.0)); }

// A recorded value in its key's unit: clocks (kHz) in MHz, everything else an integer.
nlohmann::json value_json(uint64_t value, uint32_t scale) {
  if (scale == 1) return value;
  return static_cast<double>(value) / scale;
}

std::string value_text(uint64_t value, uint32_t scale) {
  if (scale == 1) return std::to_string(value);
  char text[32];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(value) / scale);
  return text;
}

// A text field of the package's origin (validated: NUL-terminated UTF-8 without control characters).
std::string text_of(const char* field) { return field; }

// The hardware parameters that shape a package (what dlvpc reads): the sections whose keys the
// recompile command sets where the platform differs from its hardware file.
bool is_hardware_key(const std::string& key) {
  for (const char* section : {"cnn.", "lstm.", "ddr.", "bus."})
    if (key.rfind(section, 0) == 0) return true;
  return false;
}

// " --set key=value" for every hardware override (hardware_overrides_of).
std::string hardware_overrides(const PlatformConfig& config) {
  std::string sets;
  for (const std::string& assignment : hardware_overrides_of(config)) sets += " --set " + shell_word(assignment);
  return sets;
}

std::string recompile_command(const package::PackageOrigin& origin, const std::string& path, const std::string& hw,
                              const std::string& sets) {
  if (text_of(origin.producer) != "dlvpc" || origin.model_file[0] == 0) return "";
  const std::string options = text_of(origin.options);
  return "dlvpc compile " + shell_word(origin.model_file) + " --hw " + hw + (options.empty() ? "" : " " + options) +
         sets + " -o " + shell_word(path);
}

// What to do about a package that does not fit: the command, or what made it.
std::string remedy(const PackageBinding& b) {
  for (const ParameterDifference& d : b.differences)  // no compiler can target a missing engine
    if (std::string_view(d.key) == "lstm.enabled")
      return "it needs the sparse LSTM engine: run it on a platform with lstm.enabled: true";
  if (!b.recompile.empty()) return "recompile it for this hardware: " + b.recompile;
  const package::PackageOrigin& o = b.header.origin;
  const std::string made_by = utf8::printable(text_of(o.producer) + (o.options[0] ? " " + text_of(o.options) : ""));
  return "rebuild it for this hardware (it was made by '" + (made_by.empty() ? "an unknown tool" : made_by) +
         "', not from a model dlvpc can recompile)";
}

std::string difference_text(const std::string& file, const ParameterDifference& d) {
  return file + ": compiled for " + d.key + " = " + value_text(d.package_value, d.scale) + ", this platform has " +
         value_text(d.platform_value, d.scale) + " (" + d.reason + ")";
}

}  // namespace

double bus_peak_bytes_per_second(const PlatformConfig& config) {
  return config.bus.width_bytes * config.bus.clock_mhz * 1e6;
}

double ddr_peak_bytes_per_second(const PlatformConfig& config) {
  return config.ddr_timing.peak_bandwidth_Bps() * config.ddr.channels;
}

package::HardwareAtHand hardware_at_hand(const PlatformConfig& config) {
  package::HardwareAtHand hw;
  const CnnConfig& cnn = config.cnn;
  hw.has_cnn = true;
  hw.cnn = package::HardwareRequirements{isa::kVersion, cnn.pes, cnn.convolvers, cnn.kernel, cnn.input_buffer_bytes,
                                         cnn.weight_buffer_bytes, cnn.output_buffer_bytes, cnn.accumulator_bits, 0};
  hw.has_lstm = config.lstm.enabled;
  hw.lstm = package::LstmRequirements{config.lstm.pes, config.lstm.accumulator_bits, config.lstm.weight_memory_bytes,
                                      config.lstm.vector_buffer_bytes};
  hw.platform.ddr_size_bytes = config.ddr.size_bytes;
  hw.platform.bus_bytes_per_second = static_cast<uint64_t>(std::llround(bus_peak_bytes_per_second(config)));
  hw.platform.ddr_peak_bytes_per_second = static_cast<uint64_t>(std::llround(ddr_peak_bytes_per_second(config)));
  hw.platform.cnn_clock_khz = khz(cnn.clock_mhz);
  hw.platform.lstm_clock_khz = config.lstm.enabled ? khz(config.lstm.clock_mhz) : 0;
  return hw;
}

std::string recorded_hardware_text(const package::PackageHeader& h) {
  package::ParameterList list;
  package::list_parameters(h, package::recorded_hardware(h), &list);
  std::string text;
  for (uint32_t i = 0; i < list.count; ++i)
    text += (i ? ", " : "") + std::string(list.items[i].key) + " = " +
            value_text(list.items[i].package_value, list.items[i].scale);
  return text;
}

std::string shell_word(const std::string& text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
  });
  if (plain) return text;
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::vector<std::string> hardware_overrides_of(const PlatformConfig& config) {
  std::vector<ParamBinder::Entry> base = describe_platform_params();
  if (!config.hw_path.empty()) base = load_platform_config(Scenario::load(config.hw_path, {}), "").effective;
  std::map<std::string, std::string> base_values;
  for (const ParamBinder::Entry& e : base) base_values[e.key] = e.value;
  std::vector<std::string> sets;
  for (const ParamBinder::Entry& e : config.effective) {
    const auto b = base_values.find(e.key);
    if (is_hardware_key(e.key) && (b == base_values.end() || b->second != e.value)) sets.push_back(e.key + "=" + e.value);
  }
  return sets;
}

bool PackageBinding::has(BindingClass binding) const {
  return std::any_of(differences.begin(), differences.end(),
                     [&](const ParameterDifference& d) { return d.binding == binding; });
}

std::vector<PackageBinding> bind_packages(const PlatformConfig& config) {
  std::vector<PackageBinding> bindings;
  const package::HardwareAtHand hw = hardware_at_hand(config);
  std::string sets;
  bool sets_known = false;
  for (const MemoryLoad& load : config.software.load) {
    package::PackageContents contents;
    if (!package::is_package_file(load.path) || !package::read_package_file(load.path, contents).empty()) continue;
    PackageBinding b;
    b.file = load.file;
    b.header = contents.header;
    package::ParameterList list;
    package::compare_hardware(b.header, hw, &list);
    b.differences.assign(list.items, list.items + list.count);
    if (!b.differences.empty()) {
      if (!sets_known) sets = hardware_overrides(config), sets_known = true;
      b.recompile = recompile_command(b.header.origin, load.path,
                                      config.hw_path.empty() ? "HARDWARE_FILE" : shell_word(config.hw_path), sets);
    }
    bindings.push_back(std::move(b));
  }
  return bindings;
}

void refuse_unbindable(const std::vector<PackageBinding>& bindings) {
  std::string message;
  for (const PackageBinding& b : bindings) {
    if (!b.has(package::kBindRefuse)) continue;
    const std::string file = utf8::printable(b.file);
    for (const ParameterDifference& d : b.differences)
      if (d.binding == package::kBindRefuse) message += (message.empty() ? "" : "\n") + difference_text(file, d);
    message += "\n" + file + ": " + remedy(b);
  }
  if (!message.empty()) throw ConfigError(message);
}

nlohmann::json packages_report(const std::vector<PackageBinding>& bindings) {
  nlohmann::json packages = nlohmann::json::array();
  for (const PackageBinding& b : bindings) {
    const package::PackageOrigin& o = b.header.origin;
    nlohmann::json hardware = nlohmann::json::object();
    package::ParameterList recorded;
    package::list_parameters(b.header, package::recorded_hardware(b.header), &recorded);
    for (uint32_t i = 0; i < recorded.count; ++i)
      hardware[recorded.items[i].key] = value_json(recorded.items[i].package_value, recorded.items[i].scale);
    nlohmann::json differences = nlohmann::json::array();
    for (const ParameterDifference& d : b.differences)
      differences.push_back({{"parameter", d.key},
                             {"package", value_json(d.package_value, d.scale)},
                             {"platform", value_json(d.platform_value, d.scale)},
                             {"class", package::to_string(d.binding)},
                             {"reason", d.reason}});
    const BindingClass worst = b.has(package::kBindSuboptimal) ? package::kBindSuboptimal : package::kBindInformational;
    packages.push_back({{"file", utf8::valid(b.file)},
                        {"compiled_for",
                         {{"producer", text_of(o.producer)},
                          {"model_file", text_of(o.model_file)},
                          {"hardware_file", text_of(o.hardware_file)},
                          {"hardware_overrides", text_of(o.hardware_overrides)},
                          {"options", text_of(o.options)},
                          {"hardware", std::move(hardware)}}},
                        {"binding", b.differences.empty() ? "exact" : package::to_string(worst)},
                        {"differences", std::move(differences)},
                        {"recompile", b.differences.empty() ? "" : remedy(b)}});
  }
  return packages;
}

void print_package_warnings(std::ostream& os, const nlohmann::json& report) {
  if (!report.contains("packages")) return;
  for (const nlohmann::json& p : report["packages"]) {
    if (p["binding"] != "suboptimal") continue;
    std::string differ;
    for (const nlohmann::json& d : p["differences"])
      if (d["class"] == "suboptimal")
        differ += (differ.empty() ? "" : "; ") + d["parameter"].get<std::string>() + " = " + d["package"].dump() +
                  ", here " + d["platform"].dump();
    os << "warning: package " << utf8::printable(p["file"].get<std::string>()) << " was compiled for other hardware ("
       << differ << "): it runs, but was tiled for other hardware: these figures may not be this hardware's best; "
       << utf8::printable(p["recompile"].get<std::string>()) << "\n";
  }
}

}  // namespace dlvp
