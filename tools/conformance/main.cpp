// onnx_conformance: the ONNX backend node tests through dlvpc and the virtual SoC (docs/conformance.md).
//   onnx_conformance [--dlvp PATH] [--data DIR] [--filter SUBSTR] [--case DIR]... [--csv FILE] [--scenario FILE] [--work DIR]
//   onnx_conformance --make-case MODEL.onnx DIR [--seed N]
// Prints one row per selected test (passed / failed / unsupported, max |error|, atol, note) and a
// summary. Exit 0 when no test failed (unsupported is not a failure), 1 otherwise, 2 on bad usage.
#include "ip/common/config_error.h"
#include "tools/conformance/conformance.h"

#include <systemc>  // declares sc_main with C linkage

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using namespace dlvp;
namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: onnx_conformance [--dlvp PATH] [--data DIR] [--filter SUBSTR] [--csv FILE] [--scenario FILE] [--work DIR]\n"
    "  --dlvp PATH      the dlvp binary (default: " DLVP_BINARY ")\n"
    "  --data DIR       ONNX node tests (default: " ONNX_NODE_TESTS_DIR ")\n"
    "  --filter SUBSTR  only the selected tests whose name contains SUBSTR\n"
    "  --csv FILE       also write the table as CSV\n"
    "  --scenario FILE  the run_package scenario (default: " DLVP_SOURCE_DIR "/scenarios/conformance.yaml)\n"
    "  --work DIR       keep the packages and the runs' outputs in DIR (default: a temporary folder, removed)\n"
    "  --case DIR       run this test folder (any name, e.g. one made by --make-case) instead of the node tests; repeatable\n"
    "  --make-case MODEL.onnx DIR [--seed N]  write a test folder of a whole model: a uniform random input\n"
    "                   (seed N, default 1) and dlvpc's float output for it (docs/conformance.md)\n";

struct Args {
  std::string dlvp = DLVP_BINARY, data = ONNX_NODE_TESTS_DIR, filter, csv;
  std::string scenario = DLVP_SOURCE_DIR "/scenarios/conformance.yaml", work;
  std::vector<std::string> cases;
  std::string make_model, make_dir;
  uint32_t seed = 1;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw ConfigError("onnx_conformance: " + flag + " needs a value\n" + kUsage);
      return argv[++i];
    };
    if (flag == "-h" || flag == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (flag == "--dlvp") a.dlvp = next();
    else if (flag == "--data") a.data = next();
    else if (flag == "--filter") a.filter = next();
    else if (flag == "--csv") a.csv = next();
    else if (flag == "--scenario") a.scenario = next();
    else if (flag == "--work") a.work = next();
    else if (flag == "--case") a.cases.push_back(next());
    else if (flag == "--make-case") {
      a.make_model = next();
      a.make_dir = next();
    } else if (flag == "--seed") {
      const std::string text = next();
      char* end = nullptr;
      const unsigned long v = std::strtoul(text.c_str(), &end, 10);
      if (text.empty() || *end || v > 0xffffffffUL) throw ConfigError("onnx_conformance: --seed " + text + ": expected 0..4294967295");
      a.seed = static_cast<uint32_t>(v);
    }
    else throw ConfigError("onnx_conformance: unknown option " + flag + "\n" + kUsage);
  }
  if (access(a.dlvp.c_str(), X_OK) != 0) throw ConfigError("onnx_conformance: --dlvp " + a.dlvp + ": not an executable (is dlvp built?)");
  if (!fs::is_regular_file(a.scenario)) throw ConfigError("onnx_conformance: --scenario " + a.scenario + ": no such file");
  return a;
}

// A fresh temporary folder, or the one given (kept).
std::string work_folder(const Args& a) {
  if (!a.work.empty()) {
    fs::create_directories(a.work);
    return fs::absolute(a.work).string();
  }
  std::string pattern = (fs::temp_directory_path() / "onnx_conformance.XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw ConfigError("onnx_conformance: cannot create a folder like " + pattern);
  return pattern;
}

int run(const Args& a) {
  if (!a.make_model.empty()) {
    conformance::make_case(a.make_model, a.make_dir, a.seed);
    std::printf("onnx_conformance: %s: test folder of %s (seed %u)\n", a.make_dir.c_str(), a.make_model.c_str(), a.seed);
    return 0;
  }
  const std::vector<std::string> tests = a.cases.empty() ? conformance::list_tests(a.data, a.filter) : a.cases;
  if (tests.empty())
    throw ConfigError("onnx_conformance: no selected node test in " + a.data +
                      (a.filter.empty() ? std::string() : " matches --filter " + a.filter));
  conformance::RunOptions options;
  options.dlvp = a.dlvp;
  options.scenario = fs::absolute(a.scenario).string();
  options.work_dir = work_folder(a);
  const auto start = std::chrono::steady_clock::now();
  std::fputs(conformance::table_header().c_str(), stdout);
  std::vector<conformance::CaseResult> results;
  for (const std::string& test : tests) {
    results.push_back(conformance::run_test(test, options));
    std::fputs(conformance::table_row(results.back()).c_str(), stdout);
    std::fflush(stdout);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const conformance::Summary summary = conformance::summarize(results);
  std::string line = conformance::summary_line(summary);
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, " (%.1f s)", seconds);
  line.insert(line.size() - 1, elapsed);
  std::fputs(line.c_str(), stdout);
  if (!a.csv.empty()) {
    std::ofstream file(a.csv);
    if (!(file << conformance::format_csv(results))) throw ConfigError("onnx_conformance: cannot write " + a.csv);
  }
  if (a.work.empty()) fs::remove_all(options.work_dir);
  return summary.failed == 0 ? 0 : 1;
}

}  // namespace

int sc_main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const fs::filesystem_error& e) {
    std::fprintf(stderr, "onnx_conformance: %s\n", e.what());
    return 2;
  }
}
