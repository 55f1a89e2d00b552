// Fuzz target: any bytes as a sweep file (docs/explore.md), read and expanded as `dlvp sweep` does
// before anything runs. The file lies in a folder beside links to scenarios/ (so "../x.yaml" names
// the shipped scenarios, hardware and models). A ConfigError with a message is the only acceptable
// failure; a plan that loads must survive plan.json unchanged.
#include "ip/common/config_error.h"
#include "platform/sweep/sweep_plan.h"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

// <tmp>/dlvp_fuzz_sweep_<pid>/sweeps/fuzz.yaml, its parent holding links to scenarios/'s entries.
const std::string& sweep_path() {
  static const std::string path = [] {
    const fs::path root = fs::temp_directory_path() / ("dlvp_fuzz_sweep_" + std::to_string(getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "sweeps");
    for (const auto& entry : fs::directory_iterator(DLVP_SCENARIOS_DIR))
      if (entry.path().filename() != "sweeps") fs::create_symlink(entry.path(), root / entry.path().filename());
    return (root / "sweeps" / "fuzz.yaml").string();
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::ofstream(sweep_path(), std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  try {
    const dlvp::sweep::Plan plan = dlvp::sweep::load_plan(sweep_path(), DLVP_APP_DIR);
    if (dlvp::sweep::plan_json(dlvp::sweep::plan_from_json(dlvp::sweep::plan_json(plan), "plan.json")) != dlvp::sweep::plan_json(plan))
      std::abort();
  } catch (const dlvp::ConfigError& e) {
    if (e.what()[0] == '\0') std::abort();  // a refusal always says why
  }
  return 0;
}
