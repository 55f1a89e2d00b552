// ISA version 3's activations and Mul end to end (tests/data/act_forms: torch 1.13's exports and
// torch's own outputs, tools/onnx_zoo/export_act_forms.py): ReLU6, hardswish / hardsigmoid /
// LeakyReLU / tanh, SiLU with squeeze-excitation each compile, run bit-exact on the SoC against the
// reference, and dlvpc's float model computes torch's function.
#include "tools/conformance/conformance.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>

namespace {

using namespace dlvp;
namespace fs = std::filesystem;

TEST(OnnxConformance, ActivationFormsRunBitExactOnTheSoc) {
  const std::string forms = std::string(DLVP_SOURCE_DIR) + "/tests/data/act_forms";
  conformance::RunOptions o;
  o.dlvp = DLVP_BINARY;
  o.scenario = std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml";
  o.work_dir = (fs::path(testing::TempDir()) / "act_forms").string();
  fs::create_directories(o.work_dir);
  int passed = 0;
  for (const auto& entry : fs::directory_iterator(forms)) {
    const std::string name = entry.path().filename().string();
    const conformance::CaseResult r = conformance::run_test(entry.path().string(), o);
    EXPECT_STREQ(conformance::to_string(r.outcome), "passed") << conformance::table_row(r);
    EXPECT_TRUE(r.soc_checked) << name;
    EXPECT_LE(r.float_error, r.float_atol) << name;
    EXPECT_GE(r.layer_ratio, 0) << name;
    EXPECT_LE(r.layer_ratio, 1.0) << name;
    EXPECT_GT(r.sqnr_db, 25.0) << name << ": the int8 output stays close to torch's";
    std::cout << conformance::table_row(r) << "\n";
    passed += r.outcome == conformance::Outcome::kPassed;
  }
  EXPECT_EQ(passed, 3);
}

}  // namespace
