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
            "38728c7045c091c502f9d0947ec1e6bcee96ca33b112d333cc26614385fdb154");
}

TEST(PackageIdentity, ShippedFashionLstmDenseAndPruned) {
  EXPECT_EQ(compile_digest(kSource, "scenarios/models/fashion_lstm.onnx", "--calib random:4"),
            "46a095b95226c9d03401004c62625b26336037b4ffde41f5236c31d8fe86ae19");
  EXPECT_EQ(compile_digest(kSource, "scenarios/models/fashion_lstm.onnx", "--calib random:2 --density 0.25"),
            "e0659cdedab0dd510c7f1c30f1781ab1f9033b2ca7a6ecbca083efbeb310b882");
}

TEST(PackageIdentity, BatchNormResidualConcatAndGemmAlpha) {
  EXPECT_EQ(compile_digest(written(test::small_cnn(5), "small_cnn"), "model.onnx", "--calib random:3"),
            "767896037418774a20231c5f059dfc812e68d2c77e2fbba0c25f924e07c08013");
  EXPECT_EQ(compile_digest(written(test::residual_block(6), "residual"), "model.onnx", "--calib random:3"),
            "c56bdb5d2cf58d4769c35cdd6dae34729d565bdb8119260783af28c74ea0caf2");
  EXPECT_EQ(compile_digest(written(test::inception_block(7), "inception"), "model.onnx", "--calib random:3"),
            "995464c778a0032ed7f321bc801fc97cec19e6edd65ffc8e6624acadcbf8f18e");
  onnx::ModelProto scaled = test::small_cnn(8);
  for (onnx::NodeProto& node : *scaled.mutable_graph()->mutable_node())
    if (node.op_type() == "Gemm") {
      onnx::AttributeProto* alpha = node.add_attribute();
      alpha->set_name("alpha");
      alpha->set_type(onnx::AttributeProto::FLOAT);
      alpha->set_f(0.3f);
    }
  EXPECT_EQ(compile_digest(written(scaled, "gemm_alpha"), "model.onnx", "--calib random:3"),
            "65cf61df0c8f1435583fc8e30ed49680c0379de6e779808076219c707bf75e23");
}

}  // namespace
}  // namespace dlvp::dlvpc
