// Channel views and concatenation copies (docs/dlvpc.md, "Channel views and copies"; ZOO, issue
// 16): torch 1.13 exports of a DenseNet-style dense block (one tensor in several concatenations,
// each a prefix of the next), a ShuffleNetV2-style split (Split and Slice on the channels) and a
// tensor in two unrelated concatenations (a copy), tests/data/channel_views, written by
// tools/onnx_zoo/export_torch_forms.py with torch's own outputs.
#include "tools/conformance/conformance.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/import_channel_view.h"
#include "tools/dlvpc/onnx_import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace dlvp;
namespace fs = std::filesystem;

const std::string kCases = std::string(DLVP_SOURCE_DIR) + "/tests/data/channel_views/";

// The structure the export script gives the dense block: its number of dense layers.
constexpr uint32_t kDenseLayers = 3;

dlvpc::Compiled compile_case(const std::string& name) {
  dlvpc::FloatGraph graph = dlvpc::import_onnx_file(kCases + name + "/model.onnx");
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<std::vector<float>> calibration(2, std::vector<float>(graph.input.elements()));
  for (auto& input : calibration)
    for (float& x : input) x = uniform(rng);
  return dlvpc::compile(std::move(graph), calibration, dlvpc::CompileOptions{});
}

std::vector<uint32_t> layers_of(const dlvpc::Compiled& c, builder::LayerKind kind) {
  std::vector<uint32_t> found;
  for (uint32_t i = 0; i < c.program.layers.size(); ++i)
    if (c.program.layers[i].kind == kind) found.push_back(i);
  return found;
}

TEST(ChannelViews, EveryCaseRunsBitExactOnTheSocAndComputesTorchsFunction) {
  conformance::RunOptions o;
  o.dlvp = DLVP_BINARY;
  o.scenario = std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml";
  o.work_dir = (fs::path(testing::TempDir()) / "channel_views").string();
  fs::create_directories(o.work_dir);
  for (const std::string name : {"dense_block", "channel_split", "shared_slice"}) {
    const conformance::CaseResult r = conformance::run_test(kCases + name, o);
    EXPECT_STREQ(conformance::to_string(r.outcome), "passed") << conformance::table_row(r);
    EXPECT_TRUE(r.soc_checked) << name;
    EXPECT_LE(r.float_error, r.float_atol) << name;
    EXPECT_GE(r.layer_ratio, 0) << name;
    EXPECT_LE(r.layer_ratio, 1.0) << name;
    EXPECT_GT(r.sqnr_db, 30.0) << name;
  }
}

TEST(ChannelViews, ADenseBlocksConcatenationsArePrefixesOfItsLastOneWithoutCopies) {
  const dlvpc::Compiled c = compile_case("dense_block");
  EXPECT_TRUE(layers_of(c, builder::LayerKind::kCopy).empty());
  // Dense layer k reads [x0, y1 .. y(k-1)], the block's output is all of them: L + 1 concatenations,
  // each the next one's first slice, so all start where the last one starts.
  const std::vector<uint32_t> concats = layers_of(c, builder::LayerKind::kConcat);
  ASSERT_EQ(concats.size(), kDenseLayers + 1);
  const auto& out = c.program.plan.layer_outputs;
  for (const uint32_t k : concats) {
    EXPECT_EQ(out[k].arg, out[concats.back()].arg);
    EXPECT_EQ(out[k].offset, out[concats.back()].offset);
  }
  for (size_t k = 1; k < concats.size(); ++k) EXPECT_EQ(c.graph.ops[concats[k]].inputs[0], static_cast<int>(concats[k - 1]));
}

TEST(ChannelViews, ATensorInTwoUnrelatedConcatenationsIsCopiedThroughTheEngine) {
  const dlvpc::Compiled c = compile_case("shared_slice");
  const std::vector<uint32_t> copies = layers_of(c, builder::LayerKind::kCopy);
  ASSERT_EQ(copies.size(), 1u);
  const builder::LayerInfo& copy = c.program.layers[copies[0]];
  EXPECT_EQ(copy.input, (builder::TensorShape{3, 5, 5}));  // b
  EXPECT_EQ(copy.load_bytes, copy.input.elements());       // every byte read once...
  EXPECT_EQ(copy.store_bytes, copy.output.elements());     // ...and written once
  EXPECT_GE(copy.instructions(), 3u);                      // LOAD, POOL, STORE
  EXPECT_EQ(copy.macs, 0u);
}

TEST(ChannelViews, SplitAndSliceOutputsAreChannelRangesOfTheirInputInPlace) {
  const dlvpc::Compiled c = compile_case("channel_split");
  const std::vector<uint32_t> views = layers_of(c, builder::LayerKind::kView);
  ASSERT_EQ(views.size(), 4u);  // the Split's two halves and the two Slices
  const auto& out = c.program.plan.layer_outputs;
  for (const uint32_t v : views) {
    const auto& op = c.graph.ops[v];
    const int source = op.inputs[0];
    ASSERT_GE(source, 0);
    EXPECT_EQ(c.program.layers[v].instructions(), 0u) << op.name;
    EXPECT_EQ(out[v].arg, out[source].arg) << op.name;
    EXPECT_EQ(out[v].offset, out[source].offset + uint64_t{op.channel_begin} * op.input.h * op.input.w) << op.name;
    EXPECT_EQ(out[v].shape.c, op.output.c) << op.name;
  }
  // The half kept as it is becomes a slice of the concatenation through one copy.
  EXPECT_EQ(layers_of(c, builder::LayerKind::kCopy).size(), 1u);
}

TEST(ChannelViews, ASplitOfAnotherAxisIsRefusedWithItsReason) {
  std::vector<dlvpc::ChannelRange> ranges;
  EXPECT_NE(dlvpc::split_channel_ranges({1, 8, 4, 4}, 2, {}, 2, ranges).find("splits axis 2"), std::string::npos);
  EXPECT_NE(dlvpc::split_channel_ranges({1, 9, 4, 4}, 1, {}, 2, ranges).find("equal parts"), std::string::npos);
  EXPECT_EQ(dlvpc::split_channel_ranges({1, 9, 4, 4}, -3, {2, 7}, 2, ranges), "");
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[1].begin, 2);
  EXPECT_EQ(ranges[1].count, 7);
  dlvpc::ChannelRange range;
  EXPECT_NE(dlvpc::slice_channel_range({1, 8, 4, 4}, {0}, {2}, {3}, {}, range).find("cuts axis 3"), std::string::npos);
  EXPECT_NE(dlvpc::slice_channel_range({1, 8, 4, 4}, {0}, {8}, {1}, {2}, range).find("step 2"), std::string::npos);
  EXPECT_EQ(dlvpc::slice_channel_range({1, 8, 4, 4}, {-3, 0}, {INT64_MAX, 4}, {1, 2}, {}, range), "");
  EXPECT_EQ(range.begin, 5);
  EXPECT_EQ(range.count, 3);
}

}  // namespace
