#include "platform/sweep/sweep_results.h"

#include "ip/common/config_error.h"
#include "ip/common/output_file.h"
#include "platform/html_page.h"
#include "platform/sweep/sweep_row.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dlvp::sweep {
namespace {

namespace fs = std::filesystem;

std::string sql_name(const std::string& name) {
  std::string q = "\"";
  for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// A prepared statement, finalized when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
      throw ConfigError(std::string("SQLite: ") + sqlite3_errmsg(db) + " in: " + sql);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

void bind_value(sqlite3_stmt* s, int i, const nlohmann::json& v) {
  if (v.is_number_integer()) sqlite3_bind_int64(s, i, v.get<int64_t>());
  else if (v.is_number()) sqlite3_bind_double(s, i, v.get<double>());
  else if (v.is_string()) sqlite3_bind_text(s, i, v.get_ref<const std::string&>().c_str(), -1, SQLITE_TRANSIENT);
  else if (v.is_boolean()) sqlite3_bind_int64(s, i, v.get<bool>() ? 1 : 0);
  else sqlite3_bind_null(s, i);
}

// A cell as CSV (full precision) or as the console table shows it.
std::string cell(sqlite3_stmt* s, int i, bool full) {
  char text[48];
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER:
      return std::to_string(sqlite3_column_int64(s, i));
    case SQLITE_FLOAT:
      std::snprintf(text, sizeof text, full ? "%.17g" : "%.6g", sqlite3_column_double(s, i));
      return text;
    case SQLITE_NULL:
      return "";
    default: {
      const unsigned char* t = sqlite3_column_text(s, i);
      return t ? reinterpret_cast<const char*>(t) : "";
    }
  }
}

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string q = "\"";
  for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

struct Candidate {
  int64_t point;
  std::vector<double> goals;  // each objective, negated for max: smaller is better
};

bool dominates(const Candidate& a, const Candidate& b) {
  bool better = false;
  for (size_t i = 0; i < a.goals.size(); ++i) {
    if (a.goals[i] > b.goals[i]) return false;
    better = better || a.goals[i] < b.goals[i];
  }
  return better;
}

void print_table(std::ostream& os, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) line += "  " + std::string(width[i] - r[i].size(), ' ') + r[i];
    os << line << "\n";
  }
}

}  // namespace

ResultsDatabase::ResultsDatabase(const SweepFolder& folder, const Plan& plan) : folder_(folder), plan_(plan) {
  if (sqlite3_open_v2(folder.database().c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw ConfigError("cannot open " + folder.database() + ": " + reason);
  }
  sqlite3_busy_timeout(db_, 30000);  // another collector (a Slurm task's) may hold it a moment
  std::string create = "CREATE TABLE IF NOT EXISTS points (";
  const std::vector<ColumnSpec> columns = table_columns(plan);
  for (size_t i = 0; i < columns.size(); ++i) create += (i ? ", " : "") + sql_name(columns[i].name) + " " + columns[i].type;
  exec(create + ")");
  Statement info(db_, "PRAGMA table_info(points)");
  std::vector<std::string> have;
  while (sqlite3_step(info.get()) == SQLITE_ROW) have.push_back(cell(info.get(), 1, true));
  std::vector<std::string> want;
  for (const ColumnSpec& c : columns) want.push_back(c.name);
  if (have != want)
    throw ConfigError(folder.database() + ": its table 'points' has other columns than this sweep's (another sweep's "
                      "database, or another dlvp's): use another output folder");
}

ResultsDatabase::~ResultsDatabase() { sqlite3_close(db_); }

void ResultsDatabase::exec(const std::string& sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string reason = error ? error : "unknown error";
    sqlite3_free(error);
    throw ConfigError("cannot write " + folder_.database() + ": " + reason);
  }
}

std::set<size_t> ResultsDatabase::points() const {
  Statement s(db_, "SELECT point FROM points");
  std::set<size_t> done;
  while (sqlite3_step(s.get()) == SQLITE_ROW) done.insert(static_cast<size_t>(sqlite3_column_int64(s.get(), 0)));
  return done;
}

void ResultsDatabase::insert(const nlohmann::json& row) {
  const std::vector<ColumnSpec> columns = table_columns(plan_);
  std::string sql = "INSERT OR IGNORE INTO points (", values;
  for (size_t i = 0; i < columns.size(); ++i) {
    sql += (i ? ", " : "") + sql_name(columns[i].name);
    values += i ? ", ?" : "?";
  }
  Statement s(db_, sql + ") VALUES (" + values + ")");
  for (size_t i = 0; i < columns.size(); ++i)
    bind_value(s.get(), static_cast<int>(i + 1), row.contains(columns[i].name) ? row[columns[i].name] : nlohmann::json());
  if (sqlite3_step(s.get()) != SQLITE_DONE) throw ConfigError("cannot write " + folder_.database() + ": " + sqlite3_errmsg(db_));
}

size_t ResultsDatabase::collect(std::ostream& warnings) {
  std::error_code ec;
  if (!fs::is_directory(folder_.rows(), ec)) return 0;
  const std::set<size_t> done = points();
  std::vector<size_t> found;
  for (const auto& entry : fs::directory_iterator(folder_.rows(), ec)) {
    const std::string name = entry.path().filename().string();
    // "<digits>.json" only (a temporary .partial file of a row being written is not a row).
    if (name.size() <= 5 || name.size() > 15 || entry.path().extension() != ".json" ||
        name.find_first_not_of("0123456789") != name.size() - 5)
      continue;
    const size_t point = std::stoull(name.substr(0, name.size() - 5));
    if (point < plan_.points.size() && !done.count(point)) found.push_back(point);
  }
  std::sort(found.begin(), found.end());
  size_t added = 0;
  exec("BEGIN");
  for (size_t point : found) {
    std::ifstream in(folder_.row(point));
    nlohmann::json row = nlohmann::json::parse(in, nullptr, false);
    if (row.is_discarded() || !row.is_object() || row.value("point", nlohmann::json()) != point) {
      warnings << "dlvp: warning: " << folder_.row(point) << " is not a row of point " << point << ": it runs again\n";
      continue;
    }
    insert(row);
    ++added;
  }
  exec("COMMIT");
  return added;
}

nlohmann::json ResultsDatabase::page_data() const {
  nlohmann::json columns = nlohmann::json::array();
  for (const ColumnSpec& c : table_columns(plan_)) columns.push_back({{"name", c.name}, {"description", c.description}});
  nlohmann::json rows = nlohmann::json::array();
  Statement s(db_, "SELECT * FROM points ORDER BY point");
  while (sqlite3_step(s.get()) == SQLITE_ROW) {
    nlohmann::json row = nlohmann::json::object();
    for (int i = 0; i < sqlite3_column_count(s.get()); ++i) {
      const char* name = sqlite3_column_name(s.get(), i);
      switch (sqlite3_column_type(s.get(), i)) {
        case SQLITE_INTEGER: row[name] = sqlite3_column_int64(s.get(), i); break;
        case SQLITE_FLOAT: row[name] = sqlite3_column_double(s.get(), i); break;
        case SQLITE_NULL: row[name] = nullptr; break;
        default: row[name] = cell(s.get(), i, true);
      }
    }
    const nlohmann::json& point = row["point"];
    nlohmann::json configuration = nlohmann::json::array();
    if (point.is_number_integer() && point.get<int64_t>() >= 0 && point.get<uint64_t>() < plan_.points.size()) {
      const size_t index = point.get<size_t>();
      configuration = plan_.overrides(index);
      for (const std::string& option : plan_.model_options(index)) configuration.push_back(option);
    }
    row["configuration"] = std::move(configuration);
    rows.push_back(std::move(row));
  }
  nlohmann::json objectives = nlohmann::json::array();
  for (const Objective& o : plan_.objectives) objectives.push_back({{"column", o.column}, {"maximize", o.maximize}});
  nlohmann::json constraints = nlohmann::json::array();
  for (const Constraint& c : plan_.constraints) constraints.push_back(c.text);
  return {{"sweep_file", plan_.sweep_file}, {"scenario", plan_.scenario}, {"hardware", plan_.hardware},
          {"points_planned", plan_.points.size()}, {"axes", plan_.axes}, {"fixed", plan_.fixed},
          {"objectives", objectives}, {"constraints", constraints}, {"columns", columns}, {"rows", rows}};
}

std::vector<std::string> ResultsDatabase::finish(std::ostream& os) {
  // The front: ok points meeting every constraint, non-dominated on the objectives.
  std::vector<Candidate> candidates;
  if (!plan_.objectives.empty()) {
    std::string sql = "SELECT point";
    for (const Objective& o : plan_.objectives) sql += ", " + sql_name(o.column);
    Statement s(db_, sql + " FROM points WHERE status = 'ok' AND meets_constraints = 1 ORDER BY point");
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      Candidate c{sqlite3_column_int64(s.get(), 0), {}};
      bool complete = true;
      for (size_t i = 0; i < plan_.objectives.size(); ++i) {
        const int col = static_cast<int>(i + 1);
        const int type = sqlite3_column_type(s.get(), col);
        complete = complete && (type == SQLITE_INTEGER || type == SQLITE_FLOAT);
        const double v = sqlite3_column_double(s.get(), col);
        c.goals.push_back(plan_.objectives[i].maximize ? -v : v);
      }
      if (complete) candidates.push_back(std::move(c));
    }
  }
  std::vector<int64_t> front;
  for (const Candidate& c : candidates)
    if (std::none_of(candidates.begin(), candidates.end(), [&](const Candidate& o) { return dominates(o, c); }))
      front.push_back(c.point);
  exec("BEGIN");
  exec(plan_.objectives.empty() ? "UPDATE points SET pareto = NULL" : "UPDATE points SET pareto = 0");
  for (int64_t p : front) exec("UPDATE points SET pareto = 1 WHERE point = " + std::to_string(p));
  exec("COMMIT");

  // results.csv: every column, every point present, by point.
  const std::vector<ColumnSpec> columns = table_columns(plan_);
  std::string csv_error = write_file_atomically(folder_.csv(), [&](std::ostream& out) {
    for (size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << csv_field(columns[i].name);
    out << "\n";
    Statement s(db_, "SELECT * FROM points ORDER BY point");
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(s.get()); ++i) out << (i ? "," : "") << csv_field(cell(s.get(), i, true));
      out << "\n";
    }
  });

  // The summary and the front.
  Statement counts(db_, "SELECT status, COUNT(*) FROM points GROUP BY status ORDER BY status");
  std::string summary;
  size_t present = 0;
  while (sqlite3_step(counts.get()) == SQLITE_ROW) {
    summary += (summary.empty() ? "" : ", ") + cell(counts.get(), 0, true) + " " + cell(counts.get(), 1, true);
    present += static_cast<size_t>(sqlite3_column_int64(counts.get(), 1));
  }
  os << "sweep: " << present << " of " << plan_.points.size() << " points in " << folder_.database()
     << (summary.empty() ? "" : " (" + summary + ")") << "\n";
  if (plan_.objectives.empty()) {
    os << "sweep: no objectives: no Pareto front\n";
  } else {
    std::string goals;
    for (const Objective& o : plan_.objectives) goals += (goals.empty() ? "" : ", ") + o.column + (o.maximize ? " (max)" : " (min)");
    os << "sweep: Pareto front on " << goals << ": " << front.size() << " of " << candidates.size()
       << " points that are ok and meet the constraints\n";
    std::vector<std::string> header = {"point"};
    header.insert(header.end(), plan_.axes.begin(), plan_.axes.end());
    for (const Objective& o : plan_.objectives)
      if (std::find(plan_.axes.begin(), plan_.axes.end(), o.column) == plan_.axes.end()) header.push_back(o.column);
    std::string sql = "SELECT ";
    for (size_t i = 0; i < header.size(); ++i) sql += (i ? ", " : "") + sql_name(header[i]);
    Statement s(db_, sql + " FROM points WHERE pareto = 1 ORDER BY point");
    std::vector<std::vector<std::string>> table = {header};
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      std::vector<std::string> r;
      for (size_t i = 0; i < header.size(); ++i) r.push_back(cell(s.get(), static_cast<int>(i), false));
      table.push_back(std::move(r));
    }
    print_table(os, table);
  }
  const std::string html_error = write_file_atomically(folder_.html(), [&](std::ostream& out) {
    write_html_page(out, "dlvp sweep: " + fs::path(plan_.sweep_file).filename().string(), "sweep", page_data());
  });
  std::vector<std::string> errors;
  if (!csv_error.empty()) errors.push_back("cannot write " + folder_.csv() + ": " + csv_error);
  if (!html_error.empty()) errors.push_back("cannot write " + folder_.html() + ": " + html_error);
  return errors;
}

}  // namespace dlvp::sweep
