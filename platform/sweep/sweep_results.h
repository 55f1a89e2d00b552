// A sweep's results (docs/explore.md, "Results"): DIR/results.sqlite, one table `points` with one
// column per field and `point` as its primary key (a point is present at most once), written as
// each point finishes; DIR/results.csv rewritten from it; the Pareto front marked and printed.
#pragma once
#include "platform/sweep/sweep_plan.h"

#include <nlohmann/json.hpp>

#include <ostream>
#include <set>
#include <string>
#include <vector>

struct sqlite3;

namespace dlvp::sweep {

class ResultsDatabase {
 public:
  // Opens (creating it and its table when needed) DIR/results.sqlite; throws ConfigError naming
  // the file when it cannot, or when its table has other columns than this plan's.
  ResultsDatabase(const SweepFolder& folder, const Plan& plan);
  ~ResultsDatabase();
  ResultsDatabase(const ResultsDatabase&) = delete;
  ResultsDatabase& operator=(const ResultsDatabase&) = delete;

  // The points the table holds.
  std::set<size_t> points() const;
  // Adds a row (a point already present is left as it is); throws ConfigError on a write failure.
  void insert(const nlohmann::json& row);
  // Adds every DIR/rows/<i>.json whose point is not in the table yet; returns how many. A row file
  // that does not parse is reported on `warnings` and skipped (its point runs again).
  size_t collect(std::ostream& warnings);
  // Marks the Pareto front (pareto = 1, others 0; null without objectives), rewrites DIR/results.csv
  // and DIR/sweep.html and prints the front as a table on `os`. Returns "cannot write <file>:
  // reason" for each file that could not be written.
  std::vector<std::string> finish(std::ostream& os);

 private:
  void exec(const std::string& sql) const;
  // sweep.html's data: the plan (axes, objectives, constraints, each point's --set list) and every
  // row of the table, typed as SQLite holds it.
  nlohmann::json page_data() const;

  SweepFolder folder_;
  const Plan& plan_;
  sqlite3* db_ = nullptr;
};

}  // namespace dlvp::sweep
