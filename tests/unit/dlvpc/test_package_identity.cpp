// dlvpc's packages stay the same bit for bit when its import or compile changes how it holds the
// model (docs/dlvpc.md, "Import"): the SHA-256 of each package compiled here is the one main's
// dlvpc wrote for the same command before the bounded-memory import (commit ba4a3c6), with the
// prediction it records taken again after the replay of DMA transactions in time order (the only
// change then: `cmp` finds 29 bytes of the Fashion CNN's package changed, in the prediction and
// the header fields that record it). The shipped
// Fashion CNN and LSTM, and small graphs that exercise BatchNormalization folding, residual adds,
// concatenations and a Gemm's alpha. A change meant to change packages (the schedule prediction
// they record, the package format, the quantizer) changes these digests: the failure prints the
// new ones; take them only after checking that the difference is the intended one.
#include "tests/support/dlvp_cli.h"
#include "tests/support/onnx_test_models.h"
#include "tools/dlvpc/digest.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace dlvp::dlvpc {
namespace {

namespace fs = std::filesystem;

std::string package_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return hex(Sha256().add(bytes.data(), bytes.size()).finish());
}

// Compiles `model` (a path relative to `dir`, as the package records it) in `dir`; returns the
// package's SHA-256.
std::string compile_digest(const std::string& dir, const std::string& model, const std::string& options) {
  const std::string out = (fs::path(testing::TempDir()) / "identity.dlvp").string();
  fs::remove(out);
  const test::CliResult r = test::run_command("env", "-C " + dir + " " + DLVPC_BINARY + " compile " + model +
                                                         " --hw zynq7020 -o " + out + " --quiet " + options);
  EXPECT_EQ(r.status, 0) << r.output;
  return package_digest(out);
}

// Writes `model` into a fresh folder as model.onnx; returns the folder.
std::string written(const onnx::ModelProto& model, const std::string& name) {
  const fs::path dir = fs::path(testing::TempDir()) / ("identity_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream out(dir / "model.onnx", std::ios::binary);
  model.SerializeToOstream(&out);
  return dir.string();
}

const std::string kSource = DLVP_SOURCE_DIR;

TEST(PackageIdentity, ShippedFashionCnn) {
  EXPECT_EQ(compile_digest(kSource, "scenarios/models/fashion_cnn.onnx", "--calib random:4"),
            "ff8ccf380b094cca6ea0d7346aa3a7284c54e75cb7191b05fb8fa08187350d9d");
}

TEST(PackageIdentity, ShippedFashionLstmDenseAndPruned) {
  EXPECT_EQ(compile_digest(kSource, "scenarios/models/fashion_lstm.onnx", "--calib random:4"),
            "80fcd86eca68a19501d63bcaaaa8c2ee3092bceedd56bb4cf223eb383fc6d1b9");
  EXPECT_EQ(compile_digest(kSource, "scenarios/models/fashion_lstm.onnx", "--calib random:2 --density 0.25"),
            "7e51cf533fc97de7bc317fa6d5088e752e09463918245f03fb7081e62887c247");
}

TEST(PackageIdentity, BatchNormResidualConcatAndGemmAlpha) {
  EXPECT_EQ(compile_digest(written(test::small_cnn(5), "small_cnn"), "model.onnx", "--calib random:3"),
            "095d9e1a8063a7c14ca443b82826e0d61660301351e7356cfceaed210f34af84");
  EXPECT_EQ(compile_digest(written(test::residual_block(6), "residual"), "model.onnx", "--calib random:3"),
            "ddebc15bdf6471b65d2fd69915dbbed9e8fb2fbabb046f0ef17fe28063274d35");
  EXPECT_EQ(compile_digest(written(test::inception_block(7), "inception"), "model.onnx", "--calib random:3"),
            "deefa80e4e143d3667e660f3d39774c4c4f2df6c381898c3640b61dc01d4c46d");
  onnx::ModelProto scaled = test::small_cnn(8);
  for (onnx::NodeProto& node : *scaled.mutable_graph()->mutable_node())
    if (node.op_type() == "Gemm") {
      onnx::AttributeProto* alpha = node.add_attribute();
      alpha->set_name("alpha");
      alpha->set_type(onnx::AttributeProto::FLOAT);
      alpha->set_f(0.3f);
    }
  EXPECT_EQ(compile_digest(written(scaled, "gemm_alpha"), "model.onnx", "--calib random:3"),
            "39758917e10906d6332eb5f145926bc76c24c568169bca15a04083d669e39254");
}

}  // namespace
}  // namespace dlvp::dlvpc
