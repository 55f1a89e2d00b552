// The Chrome trace writer: a document chrome://tracing and Perfetto load, and the event cap that
// keeps a time prefix of the trace.
#include "ip/common/chrome_trace.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace dlvp {
namespace {

// Two tracks of `slices` back-to-back slices of 1 us each (the second offset by half), and a
// counter per slice of the first; args are counted when built.
void emit(ChromeTrace& trace, int slices, int& args_built) {
  trace.process_name(1, "test");
  trace.thread_name(1, 0, "a");
  trace.thread_name(1, 1, "b");
  for (int i = 0; i < slices; ++i) {
    trace.slice("s" + std::to_string(i), "a", 1, 0, i, i + 1.0, [&] {
      ++args_built;
      return nlohmann::json{{"i", i}};
    });
    trace.slice("t" + std::to_string(i), "b", 1, 1, i + 0.5, i + 1.5, [&] {
      ++args_built;
      return nlohmann::json::object();
    });
    trace.counter("c", 1, i, [&] {
      ++args_built;
      return nlohmann::json{{"x", i}};
    });
  }
}

TEST(ChromeTrace, WritesTheObjectFormatWithMetadataSlicesAndCounters) {
  int args_built = 0;
  ChromeTrace counting;
  emit(counting, 4, args_built);
  EXPECT_EQ(counting.counted(), 12u);
  EXPECT_EQ(args_built, 0) << "the counting pass builds no JSON";
  std::ostringstream os;
  ChromeTrace trace(os, counting.cutoff_for(100));
  trace.begin({{"note", "x"}});
  emit(trace, 4, args_built);
  trace.end();
  EXPECT_EQ(trace.written(), 12u);
  EXPECT_EQ(trace.left_out(), 0u);
  const nlohmann::json doc = nlohmann::json::parse(os.str());
  EXPECT_EQ(doc["otherData"]["note"], "x");
  int metadata = 0, slices = 0, counters = 0;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] == "M") ++metadata;
    if (e["ph"] == "X") {
      ++slices;
      for (const char* key : {"name", "cat", "pid", "tid", "ts", "dur", "args"}) EXPECT_TRUE(e.contains(key)) << key;
    }
    if (e["ph"] == "C") {
      ++counters;
      EXPECT_TRUE(e["args"].is_object());
    }
  }
  EXPECT_EQ(metadata, 1 + 2 * 2);  // process name; per thread its name and sort index
  EXPECT_EQ(slices, 8);
  EXPECT_EQ(counters, 4);
}

TEST(ChromeTrace, TheCapKeepsTheEarliestEventsOfEveryTrack) {
  int args_built = 0;
  ChromeTrace counting;
  emit(counting, 10, args_built);
  const uint64_t cap = 7;
  const double cutoff = counting.cutoff_for(cap);
  // Event times sorted: 0, 0 (counter), 0.5, 1, 1, 1.5, 2, 2, 2.5, ...: the 8th earliest is at 2, and
  // both events at 2 are left out with it (6 written): ties never pass the cap.
  EXPECT_DOUBLE_EQ(cutoff, 2.0);
  std::ostringstream os;
  ChromeTrace trace(os, cutoff);
  trace.begin(nlohmann::json::object());
  emit(trace, 10, args_built);
  trace.end();
  EXPECT_EQ(trace.written(), 6u);
  EXPECT_LE(trace.written(), cap);
  EXPECT_EQ(trace.written() + trace.left_out(), counting.counted());
  for (const auto& e : nlohmann::json::parse(os.str())["traceEvents"])
    if (e["ph"] != "M") {
      EXPECT_LT(e["ts"].get<double>(), cutoff);
    }
}

TEST(ChromeTrace, InvalidUtf8InNamesIsReplaced) {
  std::ostringstream os;
  ChromeTrace trace(os, 1e9);
  trace.begin(nlohmann::json::object());
  trace.thread_name(1, 0, std::string("bad \xff name"));
  trace.slice(std::string("\xc3("), "x", 1, 0, 0, 1, [] { return nlohmann::json::object(); });
  trace.end();
  nlohmann::json doc;
  EXPECT_NO_THROW(doc = nlohmann::json::parse(os.str()));
  EXPECT_EQ(doc["traceEvents"].size(), 3u);
}

}  // namespace
}  // namespace dlvp
