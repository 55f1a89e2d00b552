// `dlvp sweep` end to end (docs/explore.md): rows from each point's report.json in SQLite and CSV,
// the Pareto front, a point refused by a constraint before it runs, a failing point recorded,
// identical rows in a fresh folder, kill -9 in the middle then a rerun (every point exactly once,
// no orphan), a model compiled per shaping hardware and shared across DDR types, and refusals.
#include "platform/exit_status.h"
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace dlvp::test {
namespace {

namespace fs = std::filesystem;

const std::string kSelftest = std::string(DLVP_SOURCE_DIR) + "/scenarios/cnn_selftest.yaml";

std::string write_sweep(const std::string& name, const std::string& body) {
  const std::string path = (fs::path(testing::TempDir()) / ("sweep_" + name + ".yaml")).string();
  std::ofstream(path) << body;
  return path;
}

// The cnn self-test on 1 and 2 PEs x DDR3 and DDR4: four points.
std::string four_points(const std::string& extra = "") {
  return "scenario: " + kSelftest +
         "\naxes:\n  cnn.pes: [1, 2]\n  ddr.preset: [ddr3-1066-x32, ddr4-2400-x64]\n"
         "objectives: {latency_ns: min, energy_per_inference: min}\n" +
         extra;
}

// One SQL query's first column of every row, as text.
std::vector<std::string> query(const std::string& database, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> out;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    ADD_FAILURE() << "cannot open " << database;
    return out;
  }
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      out.push_back(t ? reinterpret_cast<const char*>(t) : "NULL");
    }
  } else {
    ADD_FAILURE() << sqlite3_errmsg(db) << " in " << sql;
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

nlohmann::json row(const std::string& dir, size_t point) {
  return read_json(dir + "/rows", (std::to_string(point) + ".json").c_str());
}

TEST(SweepCli, FourPointsEndToEndRowsFromTheReports) {
  const std::string dir = out_dir("sweep_four");
  const CliResult r = run_dlvp("sweep " + write_sweep("four", four_points()) + " --out " + dir + " --jobs 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(query(dir + "/results.sqlite", "SELECT COUNT(*) FROM points WHERE status = 'ok'"), std::vector<std::string>{"4"});
  EXPECT_TRUE(fs::exists(dir + "/plan.json"));
  EXPECT_EQ(read_text(dir, "sweep.yaml"), four_points());
  for (size_t p = 0; p < 4; ++p) {
    const nlohmann::json row_p = row(dir, p);
    const nlohmann::json report = read_report(dir + "/points/" + std::to_string(p));
    // Axis values as plan.json lists them, in product order.
    EXPECT_EQ(row_p["cnn.pes"], p < 2 ? 1 : 2);
    EXPECT_EQ(row_p["ddr.preset"], p % 2 ? "ddr4-2400-x64" : "ddr3-1066-x32");
    EXPECT_EQ(report["configuration"]["cnn.pes"]["value"], row_p["cnn.pes"]);
    // The figures are the report's: per image of the accelerator's table, energy over the images.
    const nlohmann::json& package = report["accelerator"]["packages"][0];
    const double images = package["images"].get<double>();
    EXPECT_EQ(row_p["images"], package["images"]);
    EXPECT_DOUBLE_EQ(row_p["latency_ns"].get<double>(), package["per_inference"]["time_ns"].get<double>());
    EXPECT_DOUBLE_EQ(row_p["dram_bytes_per_inference"].get<double>(), package["per_inference"]["off_chip_bytes"].get<double>());
    EXPECT_DOUBLE_EQ(row_p["energy_per_inference"].get<double>(), report["energy"]["total"].get<double>() / images);
    EXPECT_DOUBLE_EQ(row_p["energy_dram_static"].get<double>(), report["energy"]["by_level_static"]["dram"].get<double>() / images);
    EXPECT_DOUBLE_EQ(row_p["simulated_time_ns"].get<double>(), report["run"]["simulated_time_ns"].get<double>());
    EXPECT_NEAR(row_p["engine_utilization"].get<double>(),
                package["total"]["engine_busy_ns"].get<double>() / package["total"]["time_ns"].get<double>(), 1e-12);
    EXPECT_EQ(row_p["status"], "ok");
    EXPECT_EQ(row_p["exit_status"], 0);
  }
  // The front: non-dominated among the four on (latency, energy), checked from the rows.
  std::set<std::string> front;
  for (size_t p = 0; p < 4; ++p) {
    bool dominated = false;
    for (size_t q = 0; q < 4; ++q) {
      const double lp = row(dir, p)["latency_ns"], ep = row(dir, p)["energy_per_inference"];
      const double lq = row(dir, q)["latency_ns"], eq = row(dir, q)["energy_per_inference"];
      dominated = dominated || (lq <= lp && eq <= ep && (lq < lp || eq < ep));
    }
    if (!dominated) front.insert(std::to_string(p));
  }
  const std::vector<std::string> marked = query(dir + "/results.sqlite", "SELECT point FROM points WHERE pareto = 1 ORDER BY point");
  EXPECT_EQ(std::set<std::string>(marked.begin(), marked.end()), front);
  EXPECT_NE(r.output.find("Pareto front on latency_ns (min), energy_per_inference (min): " + std::to_string(front.size()) + " of 4"),
            std::string::npos)
      << r.output;
  // results.csv: a header and a line per point.
  const std::string csv = read_text(dir, "results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5) << csv;
  EXPECT_EQ(csv.rfind("point,status,exit_status,error,cnn.pes,ddr.preset,images,latency_ns,", 0), 0u) << csv;
}

TEST(SweepCli, APointRefusedByAConstraintIsRecordedAndNotRun) {
  const std::string dir = out_dir("sweep_refused");
  const CliResult r = run_dlvp("sweep " + write_sweep("refused", four_points("constraints: [\"cnn.pes <= 1\"]\n")) + " --out " + dir + " --jobs 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(query(dir + "/results.sqlite", "SELECT point FROM points WHERE status = 'refused' ORDER BY point"),
            (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(row(dir, 2)["error"], "constraint 'cnn.pes <= 1' not met: cnn.pes = 2");
  EXPECT_TRUE(row(dir, 2)["latency_ns"].is_null());
  EXPECT_FALSE(fs::exists(dir + "/points/2/report.json")) << "a refused point does not run";
  EXPECT_TRUE(fs::exists(dir + "/points/0/report.json"));
  EXPECT_EQ(query(dir + "/results.sqlite", "SELECT COUNT(*) FROM points WHERE pareto = 1 AND status != 'ok'"), std::vector<std::string>{"0"});
}

TEST(SweepCli, AFailingPointIsRecordedAndTheSweepGoesOn) {
  const std::string dir = out_dir("sweep_failing");
  // 1 ns of simulated time is not enough for the self-test: that point ends on the time limit.
  const std::string body = "scenario: " + kSelftest + "\naxes:\n  run.max_time_ms: [200, 0.000001, 200]\n";
  const CliResult r = run_dlvp("sweep " + write_sweep("failing", body) + " --out " + dir + " --jobs 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(query(dir + "/results.sqlite", "SELECT status FROM points ORDER BY point"), (std::vector<std::string>{"ok", "failed", "ok"}));
  EXPECT_EQ(row(dir, 1)["exit_status"], exit_status::kTimeLimit);
  EXPECT_NE(row(dir, 1)["error"].get<std::string>().find("exit status 124 (time limit (run.max_time_ms))"), std::string::npos) << row(dir, 1);
}

// Rows of the same sweep in two fresh folders: equal but for the wall time.
TEST(SweepCli, IdenticalInputsGiveIdenticalRows) {
  const std::string file = write_sweep("identical", four_points());
  const std::string a = out_dir("sweep_identical_a"), b = out_dir("sweep_identical_b");
  ASSERT_EQ(run_dlvp("sweep " + file + " --out " + a + " --jobs 2").status, 0);
  ASSERT_EQ(run_dlvp("sweep " + file + " --out " + b + " --jobs 1").status, 0);
  for (size_t p = 0; p < 4; ++p) {
    nlohmann::json ra = row(a, p), rb = row(b, p);
    EXPECT_GT(ra["wall_time_s"].get<double>(), 0);
    ra.erase("wall_time_s");
    rb.erase("wall_time_s");
    EXPECT_EQ(ra, rb) << "point " << p;
  }
}

std::vector<pid_t> processes_running_in(const std::string& dir) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find("sweep-point " + dir + " ") != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

size_t rows_in(const std::string& dir) {
  std::error_code ec;
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir + "/rows", ec)) n += e.path().extension() == ".json";
  return n;
}

TEST(SweepCli, KillMinus9InTheMiddleThenRerunEveryPointExactlyOnce) {
  const std::string dir = out_dir("sweep_kill");
  constexpr size_t kPoints = 16;
  const std::string file =
      write_sweep("kill", "scenario: " + kSelftest + "\naxes:\n  cnn.pes: [1, 2, 4, 8]\n  cnn.convolvers: [2, 4, 8, 16]\n");
  const pid_t sweep = fork();
  ASSERT_GE(sweep, 0);
  if (sweep == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    execl(DLVP_BINARY, DLVP_BINARY, "sweep", file.c_str(), "--out", dir.c_str(), "--jobs", "2", static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (rows_in(dir) < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(sweep, SIGKILL);
  int raw = 0;
  waitpid(sweep, &raw, 0);
  const size_t rows_at_kill = rows_in(dir);
  ASSERT_GE(rows_at_kill, 3u);
  ASSERT_LT(rows_at_kill, kPoints) << "the sweep finished before the kill: nothing was interrupted";
  // The points' processes die with the sweep (PR_SET_PDEATHSIG).
  for (int i = 0; i < 500 && !processes_running_in(dir).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(processes_running_in(dir).empty()) << "an orphan still runs a point";

  const CliResult r = run_dlvp("sweep " + file + " --out " + dir + " --jobs 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("sweep: 16 points, "), std::string::npos) << r.output;
  const std::string db = dir + "/results.sqlite";
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM points"), std::vector<std::string>{std::to_string(kPoints)});
  EXPECT_EQ(query(db, "SELECT COUNT(DISTINCT point) FROM points"), std::vector<std::string>{std::to_string(kPoints)});
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM points WHERE status = 'ok'"), std::vector<std::string>{std::to_string(kPoints)});
  // The rerun ran only what had no row: at most the points without a row at the kill.
  const std::string ran = r.output.substr(r.output.find("sweep: 16 points, ") + 18);
  EXPECT_LE(std::stoul(ran), kPoints - rows_at_kill) << r.output;
}

TEST(SweepCli, CollectRebuildsTheDatabaseFromTheRows) {
  const std::string dir = out_dir("sweep_collect");
  ASSERT_EQ(run_dlvp("sweep " + write_sweep("collect", four_points()) + " --out " + dir + " --jobs 2").status, 0);
  fs::remove(dir + "/results.sqlite");
  const CliResult r = run_dlvp("sweep " + dir + " --collect");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(query(dir + "/results.sqlite", "SELECT COUNT(*) FROM points"), std::vector<std::string>{"4"});
  EXPECT_NE(r.output.find("sweep: 4 of 4 points in "), std::string::npos) << r.output;
}

TEST(SweepCli, AModelIsCompiledOncePerShapingHardware) {
  const std::string dir = out_dir("sweep_model");
  const std::string body = "scenario: " + std::string(DLVP_SOURCE_DIR) + "/scenarios/fashion_mnist.yaml\n"
                           "model:\n  onnx: " DLVP_SOURCE_DIR "/scenarios/models/fashion_cnn.onnx\n  load: 0\n"
                           "  calib: random:2\nset:\n  software.args[3]: 3\n"
                           "axes:\n  cnn.pes: [1, 4]\n  ddr.preset: [ddr3-1066-x32, ddr4-2400-x64]\n";
  const CliResult r = run_dlvp("sweep " + write_sweep("model", body) + " --out " + dir + " --jobs 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(query(dir + "/results.sqlite", "SELECT COUNT(*) FROM points WHERE status = 'ok'"), std::vector<std::string>{"4"});
  size_t packages = 0;
  for (const auto& e : fs::directory_iterator(dir + "/packages")) packages += e.path().extension() == ".dlvp";
  EXPECT_EQ(packages, 2u) << "one package per PE count, shared by the two DDR types";
  for (size_t p = 0; p < 4; ++p) {
    const nlohmann::json report = read_report(dir + "/points/" + std::to_string(p));
    const nlohmann::json& package = report["packages"][0];
    EXPECT_EQ(package["compiled_for"]["hardware"]["cnn.pes"], p < 2 ? 1 : 4) << "compiled for the point's PEs";
    EXPECT_NE(package["binding"], "suboptimal") << package;
  }
}

TEST(SweepCli, ADifferentSweepInAnExistingFolderIsRefused) {
  const std::string dir = out_dir("sweep_other");
  ASSERT_EQ(run_dlvp("sweep " + write_sweep("first", four_points()) + " --out " + dir + " --jobs 2").status, 0);
  const CliResult r = run_dlvp("sweep " + write_sweep("second", four_points("constraints: [\"cnn.pes <= 1\"]\n")) + " --out " + dir);
  EXPECT_EQ(r.status, exit_status::kBadInput) << r.output;
  EXPECT_NE(r.output.find("dlvp: error: --out " + dir + " holds the sweep of "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sweep_second.yaml: give another --out, or remove " + dir), std::string::npos) << r.output;
}

TEST(SweepCli, TheSlurmExecutorOptionsParseAndAMissingPartitionIsRefused) {
  // A partition no cluster has: refused by sinfo's check before anything is submitted (or, on a
  // host without a cluster, sinfo's own failure); the real cluster runs in tests/integration/slurm.
  const std::string dir = out_dir("sweep_slurm");
  const CliResult r = run_dlvp("sweep " + write_sweep("slurm", four_points()) + " --out " + dir +
                               " --executor slurm --partition dlvp_no_such_partition --time 0:10:00"
                               " --sbatch-option --exclusive --sbatch-option --mem=1G --points-per-task 2");
  EXPECT_EQ(r.status, exit_status::kBadInput) << r.output;
  EXPECT_TRUE(r.output.find("dlvp_no_such_partition") != std::string::npos || r.output.find("sinfo") != std::string::npos ||
              r.output.find("sbatch") != std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir + "/rows/0.json"));
  EXPECT_NE(run_dlvp("sweep x.yaml --points-per-task 0").output.find("--points-per-task 0: expected a whole number"), std::string::npos);
  EXPECT_NE(run_dlvp("sweep x.yaml --executor cloud").output.find("--executor cloud: expected local or slurm"), std::string::npos);
}

}  // namespace
}  // namespace dlvp::test
