// report.json's run and software objects, its text, and the summary's exit line.
#include "platform/report.h"
#include "platform/scenario.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace {

using namespace dlvp;

nlohmann::json report_of(const RunOutcome& outcome) {
  PlatformConfig config;
  config.scenario_path = "s.yaml";
  EnergyLedger ledger(TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/horowitz-45nm.yaml"));
  return build_report(config, outcome, ledger, {});
}

std::string summary_of(const nlohmann::json& report) {
  std::ostringstream os;
  print_summary(os, report);
  return os.str();
}

TEST(Report, TheRunHasTheFullExitCodeAndTheStatus) {
  RunOutcome exited;
  exited.software_exited = true;
  exited.exit_code = 0xFFFFFFFFu;
  exited.exit_status = 120;
  exited.end_reason = "software exit";
  const nlohmann::json r = report_of(exited);
  EXPECT_EQ(r["run"]["exit_code"].get<uint64_t>(), 0xFFFFFFFFu);
  EXPECT_EQ(r["run"]["exit_status"], 120);
  EXPECT_NE(summary_of(r).find("(software exit, exit code 4294967295 (0xffffffff): exit status 120)"), std::string::npos)
      << summary_of(r);

  exited.exit_code = 3;
  exited.exit_status = 3;
  EXPECT_NE(summary_of(report_of(exited)).find("(software exit, exit code 3)"), std::string::npos);

  RunOutcome timed_out;
  timed_out.exit_status = 124;
  timed_out.end_reason = "time limit (run.max_time_ms)";
  const nlohmann::json t = report_of(timed_out);
  EXPECT_TRUE(t["run"]["exit_code"].is_null()) << "no software exit, no code";
  EXPECT_NE(summary_of(t).find("(time limit (run.max_time_ms), exit status 124)"), std::string::npos) << summary_of(t);
}

TEST(Report, TheConsoleTailAndItsDroppedBytesAreReportedAndAnyBytesGiveValidJson) {
  RunOutcome outcome;
  outcome.console = std::string("ok \xff\xfe\xc0 end", 10);
  outcome.console_dropped_bytes = 12345;
  const nlohmann::json r = report_of(outcome);
  EXPECT_EQ(r["software"]["console_dropped_bytes"], 12345);
  std::ostringstream text;
  write_report_json(text, r);  // the default dump would throw on invalid UTF-8
  const nlohmann::json parsed = nlohmann::json::parse(text.str());
  EXPECT_EQ(parsed["software"]["console"].get<std::string>().rfind("ok \xEF\xBF\xBD", 0), 0u);
}

// The parameter system's types, not the text: an address is a number (whatever base the scenario
// wrote it in), reals and booleans keep their types, choices and names stay strings.
TEST(Report, ConfigurationValuesHaveTheirParametersTypes) {
  const Scenario scenario = Scenario::load(DLVP_SOURCE_DIR "/scenarios/hw/zynq7020.yaml",
                                           {"map.dma=0x18000", "run.quantum_ns=2.5", "cpu.dmi=false"});
  const nlohmann::json cfg = configuration_json(load_platform_config(scenario, ""));
  EXPECT_EQ(cfg["map.dma"]["value"], nlohmann::json(uint64_t{0x18000}));
  EXPECT_EQ(cfg["map.dma"]["unit"], "address");
  EXPECT_TRUE(cfg["map.dma"]["value"].is_number_unsigned());
  EXPECT_TRUE(cfg["run.quantum_ns"]["value"].is_number_float());
  EXPECT_DOUBLE_EQ(cfg["run.quantum_ns"]["value"].get<double>(), 2.5);
  EXPECT_EQ(cfg["cpu.dmi"]["value"], nlohmann::json(false));
  EXPECT_EQ(cfg["cpu.mode"]["value"], nlohmann::json("native"));
  EXPECT_EQ(cfg["energy.tech"]["value"], nlohmann::json("horowitz-45nm"));
  // Every parameter: the JSON type follows the declared type.
  for (const ParamBinder::Entry& e : load_platform_config(scenario, "").effective) {
    const nlohmann::json& v = cfg[e.key]["value"];
    if (e.type == "integer") EXPECT_TRUE(v.is_number_unsigned()) << e.key;
    else if (e.type == "real") EXPECT_TRUE(v.is_number_float()) << e.key;
    else if (e.type == "bool") EXPECT_TRUE(v.is_boolean()) << e.key;
    else EXPECT_TRUE(v.is_string()) << e.key;
  }
}

// App results: numbers as numbers (integers stay integers), the unit the app gave, the counts.
TEST(Report, AppResultsAreTypedNumbersWithTheirUnits) {
  RunOutcome outcome;
  outcome.app_results = {{"images", "", 300, 0},
                         {"accuracy", "", 926666667, -9},
                         {"latency_ns", "ns", 2150, 3},
                         {"energy_per_inference", "pJ", -5, -1},
                         {"huge", "", INT64_MAX, 18}};
  outcome.app_results_dropped = 2;
  outcome.app_results_refused = 1;
  const nlohmann::json app = report_of(outcome)["app"];
  EXPECT_TRUE(app["results"]["images"]["value"].is_number_integer());
  EXPECT_EQ(app["results"]["images"]["value"], 300);
  EXPECT_DOUBLE_EQ(app["results"]["accuracy"]["value"].get<double>(), 0.926666667);
  EXPECT_EQ(app["results"]["latency_ns"]["value"], 2150000);
  EXPECT_EQ(app["results"]["latency_ns"]["unit"], "ns");
  EXPECT_DOUBLE_EQ(app["results"]["energy_per_inference"]["value"].get<double>(), -0.5);
  EXPECT_DOUBLE_EQ(app["results"]["huge"]["value"].get<double>(), double(INT64_MAX) * 1e18) << "no overflow";
  EXPECT_EQ(app["results_dropped"], 2);
  EXPECT_EQ(app["results_refused"], 1);
}

}  // namespace
