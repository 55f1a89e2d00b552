// check_figures: regenerates the figures the docs quote and compares them (docs/figures.md).
//   check_figures [--manifest FILE] [--source DIR] [--build DIR] [--long] [--update] [--only ID]
// Exit 0 when every quote agrees, 1 when one differs or cannot be measured, 2 for bad usage or a
// malformed manifest.
#include "ip/common/config_error.h"
#include "tools/figures/figure_check.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;
using namespace dlvp;

constexpr const char* kUsage =
    "usage: check_figures [--manifest FILE] [--source DIR] [--build DIR] [--long] [--update] [--only ID]\n"
    "  --manifest FILE  the figures and where the docs quote them (default SOURCE/docs/figures.yaml)\n"
    "  --source DIR     the source folder (default: this build's)\n"
    "  --build DIR      the build folder whose binaries make the figures (default: this build's)\n"
    "  --long           also the commands marked long (benchmarks)\n"
    "  --update         write the measured values into the docs instead of failing\n"
    "  --only ID        only the command that makes figure ID\n";

struct Args {
  std::string manifest, source = DLVP_SOURCE_DIR, build = DLVP_BUILD_DIR, only;
  bool include_long = false, update = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw ConfigError(flag + " needs a value\n" + kUsage);
      return argv[++i];
    };
    if (flag == "--manifest") a.manifest = next();
    else if (flag == "--source") a.source = next();
    else if (flag == "--build") a.build = next();
    else if (flag == "--only") a.only = next();
    else if (flag == "--long") a.include_long = true;
    else if (flag == "--update") a.update = true;
    else throw ConfigError("unknown option " + flag + "\n" + kUsage);
  }
  if (a.manifest.empty()) a.manifest = a.source + "/docs/figures.yaml";
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    std::vector<figures::Command> commands = figures::load_manifest(a.manifest);
    if (!a.only.empty()) {
      std::vector<figures::Command> kept;
      for (figures::Command& c : commands)
        for (const figures::Figure& f : c.figures)
          if (f.id == a.only) {
            c.long_running = false;
            kept.push_back(c);
            break;
          }
      if (kept.empty()) throw ConfigError(a.manifest + ": no figure '" + a.only + "'");
      commands = kept;
    }
    char pattern[] = "/tmp/check_figures.XXXXXX";
    if (!mkdtemp(pattern)) throw ConfigError("cannot create a temporary folder in /tmp");
    const figures::Folders folders{fs::absolute(a.source).string(), fs::absolute(a.build).string(), pattern};
    const std::vector<figures::QuoteResult> results = figures::check(commands, folders, a.include_long, a.update);
    std::error_code ec;
    fs::remove_all(pattern, ec);
    int failed = 0;
    for (const figures::QuoteResult& r : results) {
      const std::string where = r.file + (r.line ? ":" + std::to_string(r.line) : "");
      std::printf("%-4s %-32s %-28s %s\n", r.ok ? "ok" : (a.update && r.found && r.problem.rfind("quoted", 0) == 0 ? "upd" : "FAIL"),
                  r.figure.c_str(), where.c_str(), r.ok ? r.quoted.c_str() : r.problem.c_str());
      if (!r.ok && !(a.update && r.problem.rfind("quoted", 0) == 0)) ++failed;
    }
    std::printf("check_figures: %zu quotes, %d %s\n", results.size(), failed,
                failed == 1 ? "differs or cannot be measured" : "differ or cannot be measured");
    return failed ? 1 : 0;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "check_figures: %s\n", e.what());
    return 2;
  }
}
