// A model package bound to its hardware (docs/package.md, "Binding to the hardware"): before a run,
// every package among software.load is compared with the platform's configuration, parameter by
// parameter (platform/hardware_binding.h). A package that cannot run correctly here is refused
// (one line per parameter, both values, and the dlvpc command that recompiles it for this
// hardware); one tiled for other hardware runs with a warning; other differences are only listed
// in report.json's `packages`.
#pragma once
#include "platform/hardware_binding.h"
#include "platform/platform_config.h"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace dlvp {

// The memory path's sustainable bandwidth dlvpc's cycle prediction assumes: the bus or the DDR
// channels' peak, whichever is lower (B/s).
double bus_peak_bytes_per_second(const PlatformConfig& config);
double ddr_peak_bytes_per_second(const PlatformConfig& config);

// The platform's hardware in a package's terms.
package::HardwareAtHand hardware_at_hand(const PlatformConfig& config);

// Every hardware parameter a package recorded, "key = value, ..." (dlvpc's line, messages).
std::string recorded_hardware_text(const package::PackageHeader& h);

// `text` as one word of a POSIX shell: unchanged when it needs no quoting, else single-quoted.
std::string shell_word(const std::string& text);

// "key=value" for every hardware parameter (the sections dlvpc reads: cnn, lstm, ddr, bus) where the
// platform differs from its hardware file alone (or from the defaults when the scenario names
// none): with `--hw config.hw_path`, what makes dlvpc compile for exactly this platform.
std::vector<std::string> hardware_overrides_of(const PlatformConfig& config);

struct PackageBinding {
  std::string file;                                   // as software.load names it
  package::PackageHeader header{};                    // validated
  std::vector<package::ParameterDifference> differences;
  std::string recompile;                              // the command that rebuilds it for this hardware
  bool has(package::BindingClass binding) const;
};

// Binds every package among software.load that the host-side reader accepts (one it refuses is
// left to the guest's driver, which refuses it too). `config.hw_path` is the base of the
// recompile command.
std::vector<PackageBinding> bind_packages(const PlatformConfig& config);

// Throws ConfigError, one line per refused parameter of every package plus its recompile command,
// when any package cannot run correctly on this platform.
void refuse_unbindable(const std::vector<PackageBinding>& bindings);

// report.json's `packages`: per package its file, the hardware it was compiled for, the
// differences with their class, and the recompile command.
nlohmann::json packages_report(const std::vector<PackageBinding>& bindings);

// The summary's warning, one line per package tiled for other hardware.
void print_package_warnings(std::ostream& os, const nlohmann::json& report);

}  // namespace dlvp
