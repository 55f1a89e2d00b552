// The ONNX conformance suite (tools/conformance, docs/conformance.md) over Debian's node tests: every
// selected test passes on the virtual SoC or is refused with a reason, and the runner's checks can fail.
#include "ip/common/config_error.h"
#include "tools/conformance/conformance.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/onnx_import.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using namespace dlvp;
using conformance::Outcome;
namespace fs = std::filesystem;

const std::string kData = ONNX_NODE_TESTS_DIR;
const std::string kScenario = std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml";

// What the suite gives today; a change that makes a test unsupported (or fail) lowers it.
constexpr int kMinimumPasses = 81;

conformance::RunOptions options(const std::string& name, const std::string& scenario = kScenario) {
  conformance::RunOptions o;
  o.dlvp = DLVP_BINARY;
  o.scenario = scenario;
  o.work_dir = (fs::path(testing::TempDir()) / name).string();
  fs::create_directories(o.work_dir);
  return o;
}

std::string node_test(const std::string& name) {
  const std::string dir = kData + "/" + name;
  if (!fs::is_directory(dir)) ADD_FAILURE() << dir << " is missing: install libonnx-testdata (tools/setup.sh)";
  return dir;
}

// A copy of a node test in the temporary folder, to be altered.
std::string copy_of(const std::string& name) {
  const fs::path copy = fs::path(testing::TempDir()) / "altered" / name;
  fs::remove_all(copy);
  fs::create_directories(copy.parent_path());
  fs::copy(node_test(name), copy, fs::copy_options::recursive);
  return copy.string();
}

TEST(OnnxConformance, SelectedNodeTestsPassOnTheSocOrAreRefusedWithAReason) {
  ASSERT_TRUE(fs::is_directory(kData)) << kData << " is missing: install libonnx-testdata (tools/setup.sh)";
  const std::vector<std::string> tests = conformance::list_tests(kData);
  ASSERT_GE(tests.size(), 100u) << "the selection shrank: is " << kData << " complete?";
  const auto o = options("suite");
  std::vector<conformance::CaseResult> results;
  for (const std::string& test : tests) {
    const conformance::CaseResult r = conformance::run_test(test, o);
    results.push_back(r);
    EXPECT_TRUE(r.outcome != Outcome::kFailed) << conformance::table_row(r);
    EXPECT_FALSE(r.note.empty()) << r.name;
    if (r.outcome == Outcome::kPassed) {
      EXPECT_TRUE(r.soc_checked) << r.name << ": passed without a bit-exact run on the SoC";
      EXPECT_GE(r.atol, 0) << r.name;  // node tests are one layer: 0 for an integer output, else its rounding bound
      EXPECT_LE(r.max_error, r.atol) << r.name;
      if (r.note.rfind("LSTM", 0) != 0) {
        EXPECT_LE(r.float_error, r.float_atol) << r.name;
        EXPECT_GE(r.layer_ratio, 0) << r.name;
        EXPECT_LE(r.layer_ratio, 1.0) << r.name;
      }
    }
  }
  const conformance::Summary s = conformance::summarize(results);
  EXPECT_EQ(s.passed + s.failed + s.unsupported, static_cast<int>(tests.size()));
  EXPECT_GE(s.passed, kMinimumPasses) << conformance::summary_line(s);
}

TEST(OnnxConformance, IntegerOperatorsMatchExactlyOrAreRefusedWithTheirScale) {
  const auto o = options("integer");
  for (const char* name : {"test_convinteger_with_padding", "test_matmulinteger", "test_maxpool_2d_uint8"}) {
    const conformance::CaseResult r = conformance::run_test(node_test(name), o);
    EXPECT_STREQ(conformance::to_string(r.outcome), "passed") << conformance::table_row(r);
    EXPECT_TRUE(r.soc_checked);
    EXPECT_EQ(r.atol, 0) << r.name << ": an integer output is compared exactly";
    EXPECT_EQ(r.max_error, 0) << r.name;
  }
  const conformance::CaseResult q = conformance::run_test(node_test("test_qlinearconv"), o);
  EXPECT_STREQ(conformance::to_string(q.outcome), "unsupported") << conformance::table_row(q);
  EXPECT_NE(q.note.find("not a power of two"), std::string::npos) << q.note;
}

TEST(OnnxConformance, LstmNodeTestsRunOnTheLstmEngineWithinTheFixedPointBound) {
  const auto o = options("lstm");
  for (const char* name : {"test_lstm_defaults", "test_lstm_with_initial_bias", "test_lstm_batchwise",
                           "test_lstm_with_peepholes"}) {
    const conformance::CaseResult r = conformance::run_test(node_test(name), o);
    EXPECT_STREQ(conformance::to_string(r.outcome), "passed") << conformance::table_row(r);
    EXPECT_TRUE(r.soc_checked) << r.name;
    EXPECT_GT(r.max_error, 0) << r.name << ": 16-bit fixed point is not exact";
    EXPECT_LE(r.max_error, r.atol) << r.name;
    EXPECT_LT(r.atol, 2e-3) << r.name << ": the derived bound stays within a few 16-bit LSBs of the gates";
    EXPECT_NE(r.note.find("LSTM engine"), std::string::npos) << r.note;
  }
}

// The forms torch.onnx.export emits (tests/data/torch_forms: torch 1.13's exports and torch's own
// outputs, tools/onnx_zoo/export_torch_forms.py): each compiles, runs bit-exact on the SoC, and
// dlvpc's float model computes torch's function; the refuse_* cases are refused with a reason.
TEST(OnnxConformance, TorchExportedFormsRunBitExactOnTheSoc) {
  const std::string forms = std::string(DLVP_SOURCE_DIR) + "/tests/data/torch_forms";
  const auto o = options("torch_forms");
  int passed = 0;
  for (const auto& entry : fs::directory_iterator(forms)) {
    const std::string name = entry.path().filename().string();
    const conformance::CaseResult r = conformance::run_test(entry.path().string(), o);
    if (name.rfind("refuse_", 0) == 0) {
      EXPECT_STREQ(conformance::to_string(r.outcome), "unsupported") << conformance::table_row(r);
      continue;
    }
    EXPECT_STREQ(conformance::to_string(r.outcome), "passed") << conformance::table_row(r);
    EXPECT_TRUE(r.soc_checked) << name;
    EXPECT_LE(r.float_error, r.float_atol) << name;
    if (name.rfind("cnn_", 0) == 0) {
      EXPECT_GE(r.layer_ratio, 0) << name;
      EXPECT_LE(r.layer_ratio, 1.0) << name;
    }
    EXPECT_GT(r.sqnr_db, 30.0) << name << ": the 8- and 16-bit outputs stay close to torch's";
    passed += r.outcome == Outcome::kPassed;
  }
  EXPECT_EQ(passed, 17) << "4 CNN, 7 LSTM and 6 GRU forms (3 with a head on every step)";
}

TEST(OnnxConformance, ABatchRunsAsOneJobPerSample) {
  // test_gemm_alpha: a [3,5] input, so three jobs on the SoC, each checked bit for bit.
  const conformance::CaseResult r = conformance::run_test(node_test("test_gemm_alpha"), options("batch"));
  EXPECT_STREQ(conformance::to_string(r.outcome), "passed") << conformance::table_row(r);
  EXPECT_NE(r.note.find("batch 3 as jobs"), std::string::npos) << r.note;
  EXPECT_TRUE(fs::exists(fs::path(testing::TempDir()) / "batch" / "test_gemm_alpha" / "sample_2" / "model.dlvp"));
}

// Adds 1 to element 0 of a float or int32 tensor file.
void bump_first_element(const std::string& path) {
  onnx::TensorProto t;
  {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(t.ParseFromIstream(&in));
  }
  const bool is_float = t.data_type() == onnx::TensorProto::FLOAT;
  ASSERT_TRUE(is_float || t.data_type() == onnx::TensorProto::INT32) << path;
  if (t.raw_data().empty()) {
    if (is_float) t.set_float_data(0, t.float_data(0) + 1.0f);
    else t.set_int32_data(0, t.int32_data(0) + 1);
  } else {
    std::string raw = t.raw_data();
    if (is_float) {
      float v;
      std::memcpy(&v, raw.data(), sizeof v);
      v += 1.0f;
      std::memcpy(raw.data(), &v, sizeof v);
    } else {
      int32_t v;
      std::memcpy(&v, raw.data(), sizeof v);
      ++v;
      std::memcpy(raw.data(), &v, sizeof v);
    }
    t.set_raw_data(raw);
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(t.SerializeToOstream(&out));
}

TEST(OnnxConformance, AWrongExpectedOutputFailsAfterTheSocRan) {
  // One element of ONNX's expected output off by 1.0: far beyond this pooling's tolerance.
  const std::string dir = copy_of("test_maxpool_2d_precomputed_strides");
  bump_first_element(dir + "/test_data_set_0/output_0.pb");
  const conformance::CaseResult r = conformance::run_test(dir, options("wrong_output"));
  EXPECT_STREQ(conformance::to_string(r.outcome), "failed") << conformance::table_row(r);
  EXPECT_TRUE(r.soc_checked);
  EXPECT_NEAR(r.float_error, 1.0, 1e-6);  // the float graph computes ONNX's function; the output says otherwise
  EXPECT_GT(r.float_error, r.float_atol);

  // An integer output off by one fails: it must match exactly.
  const std::string integer = copy_of("test_basic_convinteger");
  bump_first_element(integer + "/test_data_set_0/output_0.pb");
  const conformance::CaseResult e = conformance::run_test(integer, options("wrong_integer"));
  EXPECT_STREQ(conformance::to_string(e.outcome), "failed") << conformance::table_row(e);
  EXPECT_EQ(e.float_error, 1.0);
  EXPECT_LT(e.float_atol, 0.5) << "an integer output: the float graph must round to it";
}

// The shipped Fashion-MNIST CNN (4 layers + softmax) as a conformance case: it passes with the float
// graph's output as expected output, held to the per-layer bounds; with all probability on a
// class the float model does not pick it fails, however deep the graph (the old chained bound on
// these logits was about 1e6, infinite after the softmax: nothing could fail).
TEST(OnnxConformance, AWrongExpectedOutputOfAWholeModelFails) {
  const std::string dir = (fs::path(testing::TempDir()) / "whole" / "fashion_cnn").string();
  fs::remove_all(dir);
  conformance::make_case(std::string(DLVP_SOURCE_DIR) + "/scenarios/models/fashion_cnn.onnx", dir, 7);
  const conformance::CaseResult good = conformance::run_test(dir, options("whole_good"));
  EXPECT_STREQ(conformance::to_string(good.outcome), "passed") << conformance::table_row(good);
  EXPECT_TRUE(good.soc_checked);
  EXPECT_LT(good.atol, 0) << "a deeper graph is not held to the chained worst case";
  EXPECT_GT(good.layer_ratio, 0);
  EXPECT_LE(good.layer_ratio, 1.0);
  EXPECT_GT(good.sqnr_db, 20.0) << "8-bit fixed point on this model keeps the probabilities close";

  const std::string output = dir + "/test_data_set_0/output_0.pb";
  const conformance::TestTensor probabilities = conformance::read_tensor(output);
  size_t least = 0;
  for (size_t k = 0; k < probabilities.values.size(); ++k)
    if (probabilities.values[k] < probabilities.values[least]) least = k;
  onnx::TensorProto wrong;
  {
    std::ifstream in(output, std::ios::binary);
    ASSERT_TRUE(wrong.ParseFromIstream(&in));
  }
  wrong.clear_float_data();
  wrong.clear_raw_data();
  for (size_t k = 0; k < probabilities.values.size(); ++k) wrong.add_float_data(k == least ? 1.0f : 0.0f);
  {
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    ASSERT_TRUE(wrong.SerializeToOstream(&out));
  }
  const conformance::CaseResult bad = conformance::run_test(dir, options("whole_wrong"));
  EXPECT_STREQ(conformance::to_string(bad.outcome), "failed") << conformance::table_row(bad);
  EXPECT_TRUE(bad.soc_checked) << "the SoC ran and matched the reference; the comparison with ONNX failed";
  EXPECT_NE(bad.note.find("float graph differs from ONNX's output"), std::string::npos) << bad.note;
}

TEST(OnnxConformance, ARefusedPackageOnTheSocIsAFailure) {
  // A SoC whose engine has another accumulator width: dlvp refuses the package before the run.
  const fs::path scenario = fs::path(testing::TempDir()) / "acc24.yaml";
  std::ofstream(scenario) << "hw: zynq7020\nsoftware:\n  app: run_package\n  args: [0]\ncnn:\n  accumulator_bits: 24\n";
  const conformance::CaseResult r =
      conformance::run_test(node_test("test_basic_conv_without_padding"), options("refused", scenario.string()));
  EXPECT_STREQ(conformance::to_string(r.outcome), "failed") << conformance::table_row(r);
  EXPECT_FALSE(r.soc_checked);
  EXPECT_NE(r.note.find("compiled for cnn.accumulator_bits = 32, this platform has 24"), std::string::npos) << r.note;
}

TEST(OnnxConformance, ToleranceOfOneConvolutionIsItsRoundingBound) {
  // test_basic_conv_without_padding: x = 0..24 (1x1x5x5), a 3x3 kernel of ones, no bias.
  const std::string dir = node_test("test_basic_conv_without_padding");
  const conformance::TestTensor x = conformance::read_tensor(dir + "/test_data_set_0/input_0.pb");
  const conformance::TestTensor w = conformance::read_tensor(dir + "/test_data_set_0/input_1.pb");
  dlvpc::ImportOptions import;
  import.bindings["W"] = {w.dims, w.values};
  const dlvpc::FloatGraph graph = dlvpc::import_onnx_file(dir + "/model.onnx", import);
  const std::vector<float> input(x.values.begin(), x.values.end());
  const dlvpc::Compiled c = dlvpc::compile(graph, {input}, {});
  const int f_in = c.model.input_frac, f_w = c.model.weight_frac[0], f_out = c.model.output_frac();
  const double half = 0.5, taps = 9, max_w = 1, max_x = 24;
  const double in_error = half * std::ldexp(1, -f_in);
  const double expected = half * std::ldexp(1, -f_out) + taps * max_w * in_error +
                          taps * half * std::ldexp(1, -f_w) * (max_x + in_error) + half * std::ldexp(1, -(f_in + f_w));
  EXPECT_DOUBLE_EQ(conformance::output_tolerance(c.graph, c.model, input), expected);
}

TEST(OnnxConformance, SelectionAndTensorFiles) {
  EXPECT_TRUE(conformance::is_selected("test_conv_with_strides_padding"));
  EXPECT_TRUE(conformance::is_selected("test_relu"));
  EXPECT_FALSE(conformance::is_selected("test_relu_expanded_ver18"));
  EXPECT_FALSE(conformance::is_selected("test_softmax_axis_0_expanded"));
  EXPECT_FALSE(conformance::is_selected("test_reduce_max_default_axes_keepdim_example"));
  const fs::path bad = fs::path(testing::TempDir()) / "bad.pb";
  std::ofstream(bad) << "\x0a\xff";  // a field whose length runs past the end
  try {
    conformance::read_tensor(bad.string());
    ADD_FAILURE() << "a truncated tensor file was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos) << e.what();
  }
}

}  // namespace
