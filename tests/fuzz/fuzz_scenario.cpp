// Fuzz target: any bytes as a scenario file (and, after a line "%%", as --set overrides), loaded
// and bound like `dlvp run` does: with all the overrides, then with each alone (so that one bad
// override does not hide the others). A ConfigError with a message is the only acceptable
// failure: any other exception or a crash is a bug. The seeds (tests/fuzz/CMakeLists.txt) hold
// YAML the loader must refuse: alias bombs, duplicate keys, several documents, --set into lists.
#include "platform/platform_config.h"
#include "platform/scenario.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

void load(const std::string& path, const std::vector<std::string>& overrides) {
  try {
    const dlvp::Scenario scenario = dlvp::Scenario::load(path, overrides);
    (void)dlvp::load_platform_config(scenario, "");
  } catch (const dlvp::ConfigError& e) {
    // The expected way to refuse bad input, always saying why.
    if (e.what()[0] == '\0') std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto split = text.find("\n%%\n");
  std::vector<std::string> overrides;
  if (split != std::string::npos) {
    std::string rest = text.substr(split + 4);
    for (size_t start = 0; start < rest.size();) {
      const auto end = rest.find('\n', start);
      overrides.push_back(rest.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  static const std::string path = "/tmp/dlvp_fuzz_scenario_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(path, std::ios::binary) << text.substr(0, split);
  load(path, overrides);
  if (overrides.size() > 1)
    for (const std::string& o : overrides) load(path, {o});
  return 0;
}
