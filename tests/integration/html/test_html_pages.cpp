// report.html and sweep.html (docs/report.md, "HTML pages"): `dlvp run --html` and `dlvp report DIR`
// write a page whose embedded data is the run's report.json, with no external URL; bad report.json
// files are refused naming the file; a page that cannot be written is status 121; the job timeline
// is bounded; `dlvp sweep` writes sweep.html with every row of its table; `dlvp diff --html` writes
// the diff's JSON as a page. Then headless Chromium loads a run's page, a sweep's and a diff's
// (tools/report_web/check_pages.js): no console error or failed request, every chart drew, and the
// shown figures equal report.json's (the diff's JSON's).
#include "platform/exit_status.h"
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace dlvp::test {
namespace {

namespace fs = std::filesystem;

const std::string kFashion = std::string(DLVP_SOURCE_DIR) + "/scenarios/fashion_mnist.yaml";
const std::string kSelftest = std::string(DLVP_SOURCE_DIR) + "/scenarios/cnn_selftest.yaml";
const std::string kChromium = "/usr/bin/chromium";
// 60 images: two power samples' worth of jobs and more than one timeline window, in well under a second.
const std::string kFashionArgs = " --set 'software.args[3]=60'";

// The JSON a page embeds (<script type="application/json" id="dlvp-data">).
nlohmann::json page_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"dlvp-data\">";
  const size_t begin = html.find(open);
  const size_t end = html.find("</script>", begin);
  if (begin == std::string::npos || end == std::string::npos) return nullptr;
  return nlohmann::json::parse(html.substr(begin + open.size(), end - begin - open.size()));
}

// A page loads nothing: its markup outside the inlined scripts has no src or href attribute and no
// <link>, and every script is inline (the browser test also fails on any request).
void expect_self_contained(const std::string& html) {
  std::string markup;
  size_t scripts = 0;
  for (size_t at = 0;;) {
    const size_t open = html.find("<script", at);
    markup += html.substr(at, open == std::string::npos ? std::string::npos : html.find('>', open) + 1 - at);
    if (open == std::string::npos) break;
    ++scripts;
    at = html.find("</script>", open);
    ASSERT_NE(at, std::string::npos);
  }
  EXPECT_EQ(scripts, 4u);  // the data, the library, the shared script and the page's
  EXPECT_EQ(markup.find("src="), std::string::npos);
  EXPECT_EQ(markup.find("href="), std::string::npos);
  EXPECT_EQ(markup.find("<link"), std::string::npos);
  EXPECT_NE(html.find("Licensed to the Apache Software Foundation"), std::string::npos);  // the library, inlined
}

std::string run_fashion_html(const std::string& name) {
  const std::string dir = out_dir(name);
  const CliResult r = run_dlvp("run " + kFashion + kFashionArgs + " --html --out " + dir);
  EXPECT_EQ(r.status, 0) << r.output;
  return dir;
}

TEST(HtmlPages, RunWritesASelfContainedPageOfItsReport) {
  const std::string dir = run_fashion_html("html_run");
  const std::string html = read_text(dir, "report.html");
  ASSERT_FALSE(html.empty());
  expect_self_contained(html);
  EXPECT_EQ(page_data(html), read_report(dir));
}

// The step integral of a report.json series (`end_ns` and the values of each point's span).
double integral(const nlohmann::json& end_ns, const nlohmann::json& values) {
  double sum = 0, start = 0;
  for (size_t p = 0; p < end_ns.size(); ++p) {
    sum += values[p].get<double>() * (end_ns[p].get<double>() - start);
    start = end_ns[p].get<double>();
  }
  return sum;
}

TEST(HtmlPages, DdrBandwidthIsASeriesOnThePowerSeriesPointsHoldingEveryByte) {
  const std::string dir = out_dir("html_ddr_bandwidth");
  // A short interval: more than 1,024 spans, so the series merges its points as the power's does.
  ASSERT_EQ(run_dlvp("run " + kFashion + kFashionArgs + " --set report.power_interval_ns=2000 --out " + dir).status, 0);
  const nlohmann::json report = read_report(dir);
  const nlohmann::json& ddr = report["ddr_bandwidth"];
  const nlohmann::json& stats = report["modules"]["soc.ddr"];
  EXPECT_EQ(ddr["unit"], "GB/s");
  EXPECT_EQ(ddr["interval_ns"], 2000.0);
  EXPECT_EQ(ddr["bytes_read"], stats["bytes_read"]);
  EXPECT_EQ(ddr["bytes_written"], stats["bytes_written"]);
  EXPECT_EQ(ddr["samples"], report["power"]["samples"]);
  ASSERT_GT(ddr["samples"].get<uint64_t>(), 1024u);
  const nlohmann::json& series = ddr["series"];
  EXPECT_EQ(series["end_ns"], report["power"]["series"]["end_ns"]);
  EXPECT_GT(series["point_interval_ns"].get<double>(), 2000.0);
  // GB/s = bytes per ns: over time, the bytes the DDR controller counted.
  const double read = stats["bytes_read"].get<double>(), written = stats["bytes_written"].get<double>();
  ASSERT_GT(read, 0);
  ASSERT_GT(written, 0);
  EXPECT_NEAR(integral(series["end_ns"], series["read"]), read, 1e-9 * read);
  EXPECT_NEAR(integral(series["end_ns"], series["write"]), written, 1e-9 * written);
}

TEST(HtmlPages, ReportCommandWritesThePageOfAnExistingFolder) {
  const std::string dir = out_dir("html_report_command");
  ASSERT_EQ(run_dlvp("run " + kFashion + kFashionArgs + " --out " + dir).status, 0);
  EXPECT_FALSE(fs::exists(dir + "/report.html"));  // only on request
  const CliResult r = run_dlvp("report " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(dir + "/report.html"), std::string::npos) << r.output;
  EXPECT_EQ(page_data(read_text(dir, "report.html")), read_report(dir));

  // A later run without --html leaves no stale page beside its report.
  ASSERT_EQ(run_dlvp("run " + kFashion + kFashionArgs + " --out " + dir).status, 0);
  EXPECT_FALSE(fs::exists(dir + "/report.html"));
}

TEST(HtmlPages, ReportCommandRefusesWhatIsNoReportNamingTheFile) {
  const std::string dir = out_dir("html_bad_reports");
  fs::create_directories(dir);
  const std::string file = dir + "/report.json";
  auto refused = [&](const std::string& content, const std::string& says) {
    if (content.empty()) fs::remove(file);
    else std::ofstream(file) << content;
    const CliResult r = run_dlvp("report " + dir);
    EXPECT_EQ(r.status, exit_status::kBadInput) << r.output;
    EXPECT_NE(r.output.find(file), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(says), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir + "/report.html"));
  };
  refused("", "cannot be read");
  refused("{\"schema\": \"dlvp-report\", ", "not JSON at offset 26");  // its end
  refused("[1, 2]", "not a dlvp report");
  refused("{\"schema\": \"dlvp-sweep\"}", "not a dlvp report");
  refused("{\"schema\": \"dlvp-report\", \"schema_version\": 99}", "schema_version 99");
  refused("{\"schema\": \"dlvp-report\", \"schema_version\": \"6\"}", "schema_version \"6\"");
  EXPECT_EQ(run_dlvp("report").status, exit_status::kBadInput);
}

TEST(HtmlPages, APageThatCannotBeWrittenIsAnOutputFailure) {
  const std::string dir = out_dir("html_unwritable");
  ASSERT_EQ(run_dlvp("run " + kFashion + kFashionArgs + " --out " + dir).status, 0);
  fs::create_directories(dir + "/report.html/in_the_way");  // a folder where the page goes
  const CliResult report = run_dlvp("report " + dir);
  EXPECT_EQ(report.status, exit_status::kOutputWriteFailed) << report.output;
  EXPECT_NE(report.output.find("cannot write " + dir + "/report.html"), std::string::npos) << report.output;

  // The run removes its own files first, but leaves a folder in the way alone.
  const CliResult run = run_dlvp("run " + kFashion + kFashionArgs + " --html --out " + dir);
  EXPECT_EQ(run.status, exit_status::kOutputWriteFailed) << run.output;
  EXPECT_NE(run.output.find("cannot write " + dir + "/report.html"), std::string::npos) << run.output;
  EXPECT_EQ(read_report(dir)["run"]["exit_status"], exit_status::kOutputWriteFailed);
}

TEST(HtmlPages, TheJobTimelineIsBoundedAndCountsTheRest) {
  const std::string dir = out_dir("html_timeline");
  ASSERT_EQ(run_dlvp("run " + kFashion + kFashionArgs + " --set report.timeline_instructions=40 --out " + dir).status, 0);
  const nlohmann::json report = read_report(dir);
  const nlohmann::json& timeline = report["accelerator"]["timeline"];
  ASSERT_EQ(timeline["instructions"].size(), 40u);
  // Every job completed, so every instruction the IFU's trace kept executed in a queue but each
  // job's END (decoded, never queued): shown + not shown.
  const uint64_t jobs = report["accelerator"]["packages"][0]["jobs"].get<uint64_t>();
  EXPECT_EQ(timeline["instructions"].size() + timeline["instructions_not_shown"].get<uint64_t>(),
            report["modules"]["soc.ifu"]["trace_records"].get<uint64_t>() - jobs);
  double previous_job_end = 0;
  for (const nlohmann::json& job : timeline["jobs"]) {
    EXPECT_EQ(job["result"], "done");
    EXPECT_GE(job["start_ns"].get<double>(), previous_job_end);
    previous_job_end = job["end_ns"].get<double>();
  }
  for (const nlohmann::json& i : timeline["instructions"]) {
    EXPECT_LE(i["start_ns"].get<double>(), i["end_ns"].get<double>());
    EXPECT_TRUE(i["queue"] == "load" || i["queue"] == "compute" || i["queue"] == "store") << i;
    EXPECT_LE(i["job"].get<uint64_t>(), timeline["jobs"].back()["job"].get<uint64_t>());
  }
  // Each shown instruction lies in its job.
  for (const nlohmann::json& i : timeline["instructions"]) {
    const nlohmann::json& job = timeline["jobs"][i["job"].get<size_t>()];
    EXPECT_GE(i["start_ns"].get<double>(), job["start_ns"].get<double>());
    EXPECT_LE(i["end_ns"].get<double>(), job["end_ns"].get<double>());
  }
}

// The sparse LSTM demo (a sparse and a dense package) on 10 images, every instruction in the
// timeline: the jobs of both packages.
const std::string kLstm = std::string(DLVP_SOURCE_DIR) + "/scenarios/fashion_lstm.yaml";
std::string run_lstm_html(const std::string& name) {
  const std::string dir = out_dir(name);
  const CliResult r = run_dlvp("run " + kLstm + " --set 'software.args[3]=10' --set report.timeline_instructions=5000 --html --out " + dir);
  EXPECT_EQ(r.status, 0) << r.output;
  return dir;
}

TEST(HtmlPages, TimelineJobsNameTheirPackageWithSeveralPackages) {
  const nlohmann::json report = read_report(run_lstm_html("html_lstm_timeline"));
  const nlohmann::json& accelerator = report["accelerator"];
  ASSERT_EQ(accelerator["packages"].size(), 2u);
  const nlohmann::json& timeline = accelerator["timeline"];
  EXPECT_EQ(timeline["instructions_not_shown"], 0u);
  std::map<std::string, uint64_t> jobs_of;
  for (const nlohmann::json& job : timeline["jobs"]) ++jobs_of[job["package"].get<std::string>()];
  // Each package's jobs, under its table's name; its first program is one of them.
  for (const nlohmann::json& package : accelerator["packages"]) {
    const std::string name = package["name"];
    EXPECT_EQ(jobs_of[name], package["jobs"].get<uint64_t>()) << name;
    bool first_program = false;
    for (const nlohmann::json& job : timeline["jobs"])
      first_program |= job["package"] == name && job["instr_base"] == package["instr_base"];
    EXPECT_TRUE(first_program) << name;
  }
  EXPECT_EQ(jobs_of.size(), 2u);
}

// The cnn self-test on 1 and 2 PEs: two points.
std::string two_point_sweep(const std::string& dir) {
  const std::string file = dir + ".yaml";
  std::ofstream(file) << "scenario: " << kSelftest
                      << "\naxes:\n  cnn.pes: [1, 2]\nobjectives: {latency_ns: min, energy_per_inference: min}\n";
  const CliResult r = run_dlvp("sweep " + file + " --out " + dir + " --jobs 2");
  EXPECT_EQ(r.status, 0) << r.output;
  return dir;
}

TEST(HtmlPages, SweepWritesItsPageWithEveryRowAndConfiguration) {
  const std::string dir = two_point_sweep(out_dir("html_sweep"));
  const std::string html = read_text(dir, "sweep.html");
  expect_self_contained(html);
  const nlohmann::json data = page_data(html);
  ASSERT_EQ(data["rows"].size(), 2u);
  EXPECT_EQ(data["axes"], nlohmann::json::array({"cnn.pes"}));
  EXPECT_EQ(data["objectives"][0]["column"], "latency_ns");
  size_t front = 0;
  for (size_t p = 0; p < 2; ++p) {
    const nlohmann::json& row = data["rows"][p];
    const nlohmann::json point_row = read_json(dir + "/rows", (std::to_string(p) + ".json").c_str());
    EXPECT_EQ(row["point"], p);
    EXPECT_EQ(row["latency_ns"], point_row["latency_ns"]);
    EXPECT_EQ(row["energy_per_inference"], point_row["energy_per_inference"]);
    const nlohmann::json& configuration = row["configuration"];
    EXPECT_NE(std::find(configuration.begin(), configuration.end(), "cnn.pes=" + std::to_string(p + 1)), configuration.end())
        << configuration;
    front += row["pareto"].get<int>();
  }
  EXPECT_GE(front, 1u);
}

// The Fashion CNN (60 images) with DDR3-1066 (the board's) and DDR4-2400: two run folders.
std::pair<std::string, std::string> ddr3_and_ddr4(const std::string& name) {
  const std::string a = out_dir(name + "_ddr3"), b = out_dir(name + "_ddr4");
  EXPECT_EQ(run_dlvp("run " + kFashion + kFashionArgs + " --out " + a).status, 0);
  EXPECT_EQ(run_dlvp("run " + kFashion + kFashionArgs + " --set ddr.preset=ddr4-2400-x64 --out " + b).status, 0);
  return {a, b};
}

nlohmann::json diff_json_of(const std::string& a, const std::string& b) {
  const CliResult r = run_dlvp("diff " + a + " " + b + " --json");
  EXPECT_EQ(r.status, 0) << r.output;
  return nlohmann::json::parse(r.output, nullptr, false);
}

TEST(HtmlPages, DiffWritesThePageOfItsJsonIntoTheSecondRunOrWhereAsked) {
  const auto [a, b] = ddr3_and_ddr4("html_diff");
  const CliResult r = run_dlvp("diff " + a + " " + b + " --html");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(b + "/diff.html"), std::string::npos) << r.output;
  const std::string html = read_text(b, "diff.html");
  expect_self_contained(html);
  const nlohmann::json expected = diff_json_of(a, b);
  EXPECT_EQ(page_data(html), expected);
  ASSERT_FALSE(expected["configuration"].empty());

  const std::string elsewhere = out_dir("html_diff_elsewhere");
  fs::create_directories(elsewhere);
  ASSERT_EQ(run_dlvp("diff " + a + " " + b + " --html --out " + elsewhere + "/ab.html").status, 0);
  EXPECT_EQ(page_data(read_text(elsewhere, "ab.html")), expected);

  // A page that cannot be written is an output failure; bad arguments are bad input.
  fs::create_directories(elsewhere + "/in_the_way.html/x");
  const CliResult blocked = run_dlvp("diff " + a + " " + b + " --html --out " + elsewhere + "/in_the_way.html");
  EXPECT_EQ(blocked.status, exit_status::kOutputWriteFailed) << blocked.output;
  EXPECT_NE(blocked.output.find("cannot write " + elsewhere + "/in_the_way.html"), std::string::npos) << blocked.output;
  EXPECT_EQ(run_dlvp("diff " + a + " " + b + " --html --json").status, exit_status::kBadInput);
  EXPECT_EQ(run_dlvp("diff " + a + " " + b + " --out x.html").status, exit_status::kBadInput);
  EXPECT_EQ(run_dlvp("diff " + a + " " + b + " --html --out").status, exit_status::kBadInput);

  // The next run in B removes the page of its old report.
  ASSERT_EQ(run_dlvp("run " + kFashion + kFashionArgs + " --out " + b).status, 0);
  EXPECT_FALSE(fs::exists(b + "/diff.html"));
}

// What the report page must show, from report.json: the accelerator's time per image (one package
// here), the software's energy per inference and accuracy, and the average and peak power.
std::string report_figures(const nlohmann::json& report) {
  const nlohmann::json& package = report["accelerator"]["packages"][0];
  const nlohmann::json& results = report["app"]["results"];
  std::ostringstream args;
  args.precision(17);
  args << " --charts 6 --figure fig-latency=" << package["per_inference"]["time_ns"].get<double>() * 1e-9
       << " --figure fig-energy-per-inference=" << results["energy_per_inference"]["value"].get<double>() * 1e-12
       << " --figure fig-energy-total=" << report["energy"]["total"].get<double>() * 1e-12
       << " --figure fig-accuracy=" << results["accuracy"]["value"].get<double>()
       << " --figure fig-power-average=" << report["power"]["average"]["total"].get<double>()
       << " --figure fig-power-peak=" << report["power"]["peak"]["total"].get<double>()
       << " --series 'timeline=" << package["layers"][0]["name"].get<std::string>() << "'"  // one package: names alone
       << " --rows parameters=" << report["configuration"].size() - 1  // all but `files`
       // The DDR bandwidth chart (GB/s over ms) holds every byte (1e6 B per GB/s x ms), the power
       // chart every joule of the DRAM level (1e9 pJ per W x ms).
       << " --integral ddr-bandwidth:read=" << report["modules"]["soc.ddr"]["bytes_read"].get<double>() * 1e-6
       << " --integral ddr-bandwidth:write=" << report["modules"]["soc.ddr"]["bytes_written"].get<double>() * 1e-6
       << " --integral power:dram=" << report["energy"]["by_level"]["dram"].get<double>() * 1e-9;
  return args.str();
}

// What the diff page must show, from the diff's JSON: every figure's A, B and B - A, and each
// layer's time, energy and DRAM bytes in both runs. Times, energies and powers are shown with an
// SI prefix of s, J and W; the other figures as numbers before their unit.
std::string diff_figures(const nlohmann::json& diff) {
  std::ostringstream args;
  args.precision(17);
  const auto add = [&](const std::string& id, const nlohmann::json& value, const std::string& unit) {
    if (!value.is_number()) return;
    const double v = value.get<double>();
    if (unit == "ns") args << " --figure " << id << "=" << v * 1e-9;
    else if (unit == "pJ") args << " --figure " << id << "=" << v * 1e-12;
    else if (unit == "W") args << " --figure " << id << "=" << v;
    else args << " --number " << id << "=" << v;
  };
  for (size_t i = 0; i < diff["figures"].size(); ++i) {
    const nlohmann::json& f = diff["figures"][i];
    const std::string id = "fig-" + std::to_string(i) + "-", unit = f["unit"];
    add(id + "a", f["a"], unit);
    add(id + "b", f["b"], unit);
    add(id + "delta", f["delta"], unit);
  }
  for (size_t i = 0; i < diff["layers"].size(); ++i)
    for (const char* key : {"time_ns", "energy", "dram_bytes"}) {
      const nlohmann::json& f = diff["layers"][i][key];
      const std::string id = "layer-" + std::to_string(i) + "-" + key + "-";
      add(id + "a", f["a"], f["unit"]);
      add(id + "b", f["b"], f["unit"]);
    }
  args << " --rows configuration=" << diff["configuration"].size() << " --rows figures=" << diff["figures"].size()
       << " --rows layers=" << diff["layers"].size();
  return args.str();
}

CliResult check_pages(const std::string& args) {
  return run_command(std::string(DLVP_NODE), std::string(DLVP_SOURCE_DIR) + "/tools/report_web/check_pages.js" + args);
}

TEST(HtmlPages, HeadlessChromiumShowsEveryChartAndTheReportsFigures) {
  if (access(kChromium.c_str(), X_OK) != 0) GTEST_SKIP() << kChromium << " is absent (tools/setup.sh installs it)";
  ASSERT_TRUE(fs::path(DLVP_NODE).is_absolute()) << "node was not found at configure time (tools/setup.sh installs it)";
  const std::string run = run_fashion_html("html_browser_run");
  const std::string sweep = two_point_sweep(out_dir("html_browser_sweep"));
  const auto [a, b] = ddr3_and_ddr4("html_browser_diff");
  ASSERT_EQ(run_dlvp("diff " + a + " " + b + " --html").status, 0);
  // Energy and power by level, the relative changes, and the layers' time and energy (DDR4 moves
  // no DRAM byte: that chart is left out, saying so).
  const std::string diff_checks = " --charts 5" + diff_figures(diff_json_of(a, b));
  // With two packages, the timeline names each layer "package: layer" (one series per layer).
  const std::string lstm = run_lstm_html("html_browser_lstm");
  std::string timeline_checks;
  for (const nlohmann::json& package : read_report(lstm)["accelerator"]["packages"])
    for (const nlohmann::json& layer : package["layers"])
      timeline_checks += " --series 'timeline=" + package["name"].get<std::string>() + ": " + layer["name"].get<std::string>() + "'";
  const CliResult r = check_pages(" " + run + "/report.html" + report_figures(read_report(run)) + " " + sweep +
                                  "/sweep.html --charts 1 --rows points=2 " + b + "/diff.html" + diff_checks + " " +
                                  lstm + "/report.html --charts 8" + timeline_checks);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("check_pages: all pages passed"), std::string::npos) << r.output;
  std::cout << r.output;

  // The checker fails on a figure the page does not show.
  const CliResult wrong = check_pages(" " + run + "/report.html --figure fig-latency=1e-3");
  EXPECT_EQ(wrong.status, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("FAIL: #fig-latency shows"), std::string::npos) << wrong.output;
}

// trace.json in Chromium's trace viewer (tools/report_web/check_trace.js: DevTools' Performance panel
// engine, chrome://tracing's successor): every track by its name, every slice by its name.
TEST(HtmlPages, ChromiumsTraceViewerReadsEverySliceOfTheTrace) {
  if (access(kChromium.c_str(), X_OK) != 0) GTEST_SKIP() << kChromium << " is absent (tools/setup.sh installs it)";
  ASSERT_TRUE(fs::path(DLVP_NODE).is_absolute()) << "node was not found at configure time (tools/setup.sh installs it)";
  const std::string dir = out_dir("html_trace_viewer");
  ASSERT_EQ(run_dlvp("run " + kFashion + kFashionArgs + " --trace --out " + dir).status, 0);
  const std::string checker = std::string(DLVP_SOURCE_DIR) + "/tools/report_web/check_trace.js";
  const CliResult r = run_command(std::string(DLVP_NODE), checker + " " + dir + "/trace.json");
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* track : {"IFU compute queue", "CNN engine", "DMA channel 0", "register accesses", "interrupts"})
    EXPECT_NE(r.output.find(std::string("  ") + track + ": "), std::string::npos) << track << "\n" << r.output;
  EXPECT_NE(r.output.find("check_trace: DevTools read all"), std::string::npos) << r.output;
  std::cout << r.output;

  // The checker fails on a slice the viewer could not place (a negative duration).
  nlohmann::json trace = read_json(dir, "trace.json");
  for (nlohmann::json& e : trace["traceEvents"])
    if (e["ph"] == "X") {
      e["dur"] = -1;
      break;
    }
  const std::string broken = dir + "/broken_trace.json";
  std::ofstream(broken) << trace.dump();
  const CliResult wrong = run_command(std::string(DLVP_NODE), checker + " " + broken);
  EXPECT_EQ(wrong.status, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("1 slices without a valid start or duration"), std::string::npos) << wrong.output;
}

}  // namespace
}  // namespace dlvp::test
