// trace.json of the Fashion CNN run (docs/report.md, "trace.json"): the format rules Perfetto's JSON
// importer and chrome://tracing rely on, layer names from the package, counter tracks whose power
// integrates to report.json's energy, and the event cap.
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace dlvp::test {
namespace {

const std::string kFashion = std::string(DLVP_SOURCE_DIR) + "/scenarios/fashion_mnist.yaml";
const std::string kFewImages = " --set 'software.args=[0x90000000, 0x91000000, 0x92000000, 20, 0x92800000, 0]'";

struct TracedRun {
  nlohmann::json report, trace;
  std::string output;
};

TracedRun run_with_trace(const std::string& name, const std::string& extra = "") {
  const std::string dir = out_dir(name);
  const CliResult r = run_dlvp("run " + kFashion + kFewImages + extra + " --trace --out " + dir);
  EXPECT_EQ(r.status, 0) << r.output;
  return {read_report(dir), read_json(dir, "trace.json"), r.output};
}

std::map<int, std::string> track_names(const nlohmann::json& events) {
  std::map<int, std::string> names;
  for (const auto& e : events)
    if (e["ph"] == "M" && e["name"] == "thread_name") names[e["tid"].get<int>()] = e["args"]["name"];
  return names;
}

TEST(TraceCli, FashionCnnTraceFollowsTheFormatWithLayerNamesAndCounters) {
  const TracedRun run = run_with_trace("trace_fashion");
  const nlohmann::json& events = run.trace["traceEvents"];
  ASSERT_TRUE(events.is_array());
  EXPECT_EQ(run.trace["displayTimeUnit"], "ns");

  // Every slice is whole; per track (pid, tid) slices begin in order and nest or follow each other
  // (Perfetto drops slices that overlap partially on one track).
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> slices;
  std::set<std::string> slice_names;
  for (const auto& e : events) {
    ASSERT_TRUE(e.contains("ph") && e.contains("pid") && e.contains("name")) << e.dump();
    if (e["ph"] != "X") continue;
    for (const char* key : {"ts", "dur", "tid", "cat"}) ASSERT_TRUE(e.contains(key)) << key << ": " << e.dump();
    EXPECT_GE(e["dur"].get<double>(), 0.0) << e.dump();
    slices[{e["pid"].get<int>(), e["tid"].get<int>()}].emplace_back(e["ts"].get<double>(),
                                                                    e["ts"].get<double>() + e["dur"].get<double>());
    slice_names.insert(e["name"].get<std::string>());
  }
  for (const auto& [track, list] : slices)
    for (size_t i = 1; i < list.size(); ++i) {
      EXPECT_LE(list[i - 1].first, list[i].first) << "track " << track.second << " slice " << i;
      const bool follows = list[i].first >= list[i - 1].second - 1e-6;
      const bool nested = list[i].second <= list[i - 1].second + 1e-6;
      EXPECT_TRUE(follows || nested) << "track " << track.second << ": slice " << i << " overlaps the one before partially";
    }

  // Named tracks: the IFU's queues and jobs, the CNN engine, the DMA channels; each has slices.
  const auto names = track_names(events);
  std::map<std::string, int> tid_of;
  for (const auto& [tid, name] : names) tid_of[name] = tid;
  for (const char* track : {"IFU load queue", "IFU compute queue", "IFU store queue", "IFU jobs", "CNN engine",
                            "DMA channel 0", "DMA channel 1", "register accesses", "interrupts"}) {
    ASSERT_TRUE(tid_of.count(track)) << track;
    EXPECT_FALSE((slices[{1, tid_of[track]}].empty())) << track;
  }
  // Layer names from the package (report.json's), not tag numbers, on the queues and the engine.
  const auto& layers = run.report["accelerator"]["packages"][0]["layers"];
  ASSERT_FALSE(layers.empty());
  for (const auto& layer : layers) {
    const std::string name = layer["name"];
    const std::string opcode = layer["kind"] == "conv" ? "CONV " : "FC ";
    EXPECT_TRUE(slice_names.count(opcode + name)) << opcode + name;
  }

  // Counters: power per level, DDR read/write bandwidth, bus utilization; non-negative, in time order.
  std::map<std::string, std::vector<const nlohmann::json*>> counters;
  for (const auto& e : events)
    if (e["ph"] == "C") counters[e["name"].get<std::string>()].push_back(&e);
  ASSERT_TRUE(counters.count("power (W)"));
  ASSERT_TRUE(counters.count("DDR bandwidth (GB/s)"));
  ASSERT_TRUE(counters.count("bus utilization"));
  for (const auto& [name, list] : counters)
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) {
        EXPECT_LT((*list[i - 1])["ts"].get<double>(), (*list[i])["ts"].get<double>()) << name;
      }
      for (const auto& [key, value] : (*list[i])["args"].items()) EXPECT_GE(value.get<double>(), 0.0) << name << " " << key;
    }
  for (const char* level : {"dram", "buffer", "array", "rf", "mac", "other"})
    EXPECT_TRUE((*counters["power (W)"][0])["args"].contains(level)) << level;
  EXPECT_TRUE((*counters["bus utilization"][0])["args"].contains("ddr"));

  // The power counter integrates to the run's energy (W x us = uJ; report in pJ). Each value holds
  // until the next event; the last event closes the run at zero.
  const auto& power = counters["power (W)"];
  double energy_uj = 0, read_bytes = 0;
  for (size_t i = 0; i + 1 < power.size(); ++i) {
    const double dt = (*power[i + 1])["ts"].get<double>() - (*power[i])["ts"].get<double>();
    for (const auto& [level, watts] : (*power[i])["args"].items()) energy_uj += watts.get<double>() * dt;
    read_bytes += (*counters["DDR bandwidth (GB/s)"][i])["args"]["read"].get<double>() * dt * 1e3;  // GB/s x us
  }
  EXPECT_NEAR(energy_uj * 1e6, run.report["energy"]["total"].get<double>(), 1e-9 * run.report["energy"]["total"].get<double>());
  EXPECT_DOUBLE_EQ(power.back()->at("ts").get<double>(), run.report["run"]["simulated_time_ns"].get<double>() / 1e3);
  // The bandwidth counter adds up to the DDR's bytes.
  EXPECT_NEAR(read_bytes, run.report["modules"]["soc.ddr"]["bytes_read"].get<double>(), 1e-6 * read_bytes);

  // Nothing was cut; the summary and report.json say how many events were written.
  EXPECT_TRUE(run.trace["otherData"]["cut_off_us"].is_null());
  EXPECT_EQ(run.report["trace"]["events_left_out"], 0);
  EXPECT_NE(run.output.find("trace  " + std::to_string(run.report["trace"]["events"].get<uint64_t>()) + " events"),
            std::string::npos) << run.output;
}

TEST(TraceCli, TheEventCapCutsEveryTrackAtOneTimeAndSaysSo) {
  const uint64_t cap = 500;
  const TracedRun run = run_with_trace("trace_cap", " --set report.trace_max_events=" + std::to_string(cap));
  const nlohmann::json& other = run.trace["otherData"];
  ASSERT_TRUE(other["cut_off_us"].is_number()) << other.dump();
  const double cutoff = other["cut_off_us"];
  uint64_t written = 0;
  std::set<std::string> kinds;
  for (const auto& e : run.trace["traceEvents"]) {
    if (e["ph"] == "M") continue;
    ++written;
    kinds.insert(e["ph"].get<std::string>());
    EXPECT_LT(e["ts"].get<double>(), cutoff);
  }
  EXPECT_LE(written, cap);
  EXPECT_EQ(kinds, (std::set<std::string>{"X", "C"})) << "slices and counters alike up to the cut";
  EXPECT_EQ(run.report["trace"]["events"], written);
  EXPECT_EQ(run.report["trace"]["events"].get<uint64_t>() + run.report["trace"]["events_left_out"].get<uint64_t>(),
            other["events_counted"].get<uint64_t>());
  EXPECT_NE(run.output.find("CUT at"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("report.trace_max_events = 500"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace dlvp::test
