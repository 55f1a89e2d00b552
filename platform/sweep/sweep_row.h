// One sweep point's row (docs/explore.md, "Results"): its columns, and the figures taken from the
// point's report.json (docs/report.md), never from console text.
#pragma once
#include "platform/sweep/sweep_plan.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace dlvp::sweep {

struct ColumnSpec {
  std::string name;
  std::string type;  // SQLite: INTEGER, REAL, TEXT, or NUMERIC (an axis: numbers as numbers, names as text)
  std::string description;
};

// The figures every row has, whatever the sweep (docs/explore.md lists them).
const std::vector<ColumnSpec>& result_columns();

// The table's columns for this plan: point, status, exit_status, error, one per axis, the
// results, one per cost figure, meets_constraints, pareto.
std::vector<ColumnSpec> table_columns(const Plan& plan);

// The result columns of a finished run's report.json (null where the run has no such figure).
nlohmann::json results_of(const nlohmann::json& report);

// Whether the row's status is ok and it meets every constraint on its columns; false when such a
// column is null (the figure does not exist for this point). Constraints on parameters that are
// no axis are not in the row: the point checked them before it ran.
bool meets_constraints(const Plan& plan, const nlohmann::json& row);

}  // namespace dlvp::sweep
