// dlvpc's packages stay the same bit for bit when its import or compile changes how it holds the
// model (docs/dlvpc.md, "Import"): the SHA-256 of each package compiled here is the one main's
// dlvpc wrote for the same command before the bounded-memory import (commit ba4a3c6), with the
// prediction it records taken again after the replay of DMA transactions in time order (the only
// change then: `cmp` finds 29 bytes of the Fashion CNN's package changed, in the prediction and
// the header fields that record it); package version 7 (ZOO's view and copy layer kinds) changed
// only the version field and the checksum: `cmp` finds 5 bytes changed in each. The shipped
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
            "cc770b71dbdd22f7b86cf7bfa4440ec28445d85b57d108e5c7742ddd7c48a420");
}

TEST(PackageIdentity, ShippedFashionLstmDenseAndPruned) {
  EXPECT_EQ(compile_digest(kSource, "scenarios/models/fashion_lstm.onnx", "--calib random:4"),
            "72c99bfa52271454b9e7681333b6e67619133bb46f5b87801f2f4e172f1510ac");
  EXPECT_EQ(compile_digest(kSource, "scenarios/models/fashion_lstm.onnx", "--calib random:2 --density 0.25"),
            "802df94b91e3145f63965dd36c5bb8db6c3d72e68150c5f668b91dab4795a17b");
}

TEST(PackageIdentity, BatchNormResidualConcatAndGemmAlpha) {
  EXPECT_EQ(compile_digest(written(test::small_cnn(5), "small_cnn"), "model.onnx", "--calib random:3"),
            "9b8603f8728710a6855d7b2a821c0f8116cc743846f651e70ff1398335a089a2");
  EXPECT_EQ(compile_digest(written(test::residual_block(6), "residual"), "model.onnx", "--calib random:3"),
            "5a583e74a57c1984d5e6191192a2d36108fd6aa68014d5372ac0289fffc08325");
  EXPECT_EQ(compile_digest(written(test::inception_block(7), "inception"), "model.onnx", "--calib random:3"),
            "9c90426e130e66135d5c9d7b7e3ae6887586a01293b61df9862561edcb1bf8b6");
  onnx::ModelProto scaled = test::small_cnn(8);
  for (onnx::NodeProto& node : *scaled.mutable_graph()->mutable_node())
    if (node.op_type() == "Gemm") {
      onnx::AttributeProto* alpha = node.add_attribute();
      alpha->set_name("alpha");
      alpha->set_type(onnx::AttributeProto::FLOAT);
      alpha->set_f(0.3f);
    }
  EXPECT_EQ(compile_digest(written(scaled, "gemm_alpha"), "model.onnx", "--calib random:3"),
            "4827e3cd68172d99ca737edbec51bc7afc930828e96d1c63a9e3f72742c8708a");
}

}  // namespace
}  // namespace dlvp::dlvpc
