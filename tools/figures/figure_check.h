// The figures the docs quote, regenerated and compared (docs/figures.md): a manifest
// (docs/figures.yaml) names the commands that produce each figure, how to read the figure from
// their output, and where each doc quotes it. check_figures runs the commands, reads every figure,
// and fails when a quote differs from the measurement by more than the quote's own rounding (or
// the figure's stated tolerance); --update writes the measured values into the docs instead.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::figures {

// Where a doc quotes a figure: a file and a regular expression whose first group is the number.
struct Quote {
  std::string file;   // relative to the source folder
  std::string regex;
};

struct Figure {
  std::string id;
  std::string measure;          // regex over the command's output; the first group is the number
  std::string json_file, json_path;  // or: a number in a JSON file the command wrote (dotted path)
  double scale = 1.0;           // measured x scale = the quoted unit
  double tolerance = 0;         // relative; 0: the quote's rounding (half a unit of its last digit)
  std::vector<Quote> quotes;
};

struct Command {
  std::string run;  // shell command; @build, @source and @tmp are replaced by the folders
  uint32_t timeout_s = 120;
  bool long_running = false;  // only with --long (benchmarks too slow for the test suite)
  std::vector<Figure> figures;
};

// Reads the manifest; throws ConfigError naming the file and the entry for anything malformed
// (a missing key, a bad regex, an unknown key).
std::vector<Command> load_manifest(const std::string& path);

struct Folders {
  std::string source, build, tmp;
};

// One quote's verdict.
struct QuoteResult {
  std::string figure, file;
  uint32_t line = 0;
  std::string quoted;   // as written in the doc
  double measured = 0;  // in the quoted unit
  bool found = true;    // the doc still quotes it
  bool ok = false;
  std::string problem;
};

// The figures' number as written: digits, an optional decimal point, thousands separators.
double parse_quoted(const std::string& text, bool& ok);
// `value` written as `like` is: the same decimals, thousands separators if it has them.
std::string format_like(double value, const std::string& like);
// Whether `quoted` stands for `measured`: within half a unit of its last digit, or `tolerance`.
bool agrees(const std::string& quoted, double measured, double tolerance);

// Runs the commands (long ones too when `include_long`), checks every quote; with `update`,
// rewrites the docs' quotes to the measured values. A command that fails or a figure that cannot
// be read gives a result with its problem.
std::vector<QuoteResult> check(const std::vector<Command>& commands, const Folders& folders, bool include_long,
                               bool update);

}  // namespace dlvp::figures
