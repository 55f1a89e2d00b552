// A stand-in for `dlvp sweep-point DIR INDEX` (the sweep's per-point command), for the executor
// tests: it writes DIR/rows/INDEX.json atomically and appends INDEX to DIR/invocations.log; when
// DIR/fail-INDEX exists it writes no row and ends with status 3.
#pragma once
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace dlvp::test {

constexpr int kStandInFailStatus = 3;

// Writes the stand-in script into `folder` and returns its path.
inline std::string write_sweep_point_stand_in(const std::string& folder) {
  const std::string path = folder + "/dlvp_stand_in.sh";
  std::filesystem::create_directories(folder);
  std::ofstream(path) << "#!/bin/sh\n"
                         "[ \"$1\" = sweep-point ] && [ $# -eq 3 ] || { echo \"stand-in: unexpected: $*\" >&2; exit 2; }\n"
                         "dir=$2; index=$3\n"
                         "echo \"$index\" >> \"$dir/invocations.log\"\n"
                         "[ -e \"$dir/fail-$index\" ] && exit "
                      << kStandInFailStatus
                      << "\n"
                         "mkdir -p \"$dir/rows\"\n"
                         "printf '{\"point\": %s}\\n' \"$index\" > \"$dir/rows/$index.json.partial\"\n"
                         "mv \"$dir/rows/$index.json.partial\" \"$dir/rows/$index.json\"\n";
  chmod(path.c_str(), 0755);
  return path;
}

// How many times the stand-in ran each point in `dir`.
inline std::map<uint64_t, int> stand_in_invocations(const std::string& dir) {
  std::map<uint64_t, int> counts;
  std::ifstream in(dir + "/invocations.log");
  uint64_t index = 0;
  while (in >> index) ++counts[index];
  return counts;
}

inline bool row_exists(const std::string& dir, uint64_t index) {
  return std::filesystem::exists(dir + "/rows/" + std::to_string(index) + ".json");
}

}  // namespace dlvp::test
