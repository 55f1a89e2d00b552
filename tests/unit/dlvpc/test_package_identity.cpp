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
// ISA version 3 (ACT): every package's header records isa_version 3 (cmp's byte 249, from 1) and so its header
// checksum (cmp's bytes 25-28); `cmp` against main's Fashion CNN package finds those 5 bytes only.
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
            "470c84c2be685f49410cf7a786cb163fb7cf461084227f8eb559088b84d29a9c");
}

TEST(PackageIdentity, ShippedFashionLstmDenseAndPruned) {
  EXPECT_EQ(compile_digest(kSource, "scenarios/models/fashion_lstm.onnx", "--calib random:4"),
            "ff27bee107140c5ee0967a0f9d5eb9aa3dff3b1fb876351cde9374154d5f5810");
  EXPECT_EQ(compile_digest(kSource, "scenarios/models/fashion_lstm.onnx", "--calib random:2 --density 0.25"),
            "deb757a0c9268e6e185115d377013712d82645d350e9a706240847e29fb89fae");
}

TEST(PackageIdentity, BatchNormResidualConcatAndGemmAlpha) {
  EXPECT_EQ(compile_digest(written(test::small_cnn(5), "small_cnn"), "model.onnx", "--calib random:3"),
            "10acb2a196ddd8472ce07511b80814afb957fa26a1fc7e98a542bfddd33c3ba0");
  EXPECT_EQ(compile_digest(written(test::residual_block(6), "residual"), "model.onnx", "--calib random:3"),
            "443d69f07172b32ca6e6e624f86079a1cb0289dfe2dbaeb93efc35f3d56990d8");
  EXPECT_EQ(compile_digest(written(test::inception_block(7), "inception"), "model.onnx", "--calib random:3"),
            "d7619df344314d97f119fb2ccfb142247e5ab807e45c063f42b123a90bb997f1");
  onnx::ModelProto scaled = test::small_cnn(8);
  for (onnx::NodeProto& node : *scaled.mutable_graph()->mutable_node())
    if (node.op_type() == "Gemm") {
      onnx::AttributeProto* alpha = node.add_attribute();
      alpha->set_name("alpha");
      alpha->set_type(onnx::AttributeProto::FLOAT);
      alpha->set_f(0.3f);
    }
  EXPECT_EQ(compile_digest(written(scaled, "gemm_alpha"), "model.onnx", "--calib random:3"),
            "b6be3f4eab851e625f904f68c8fb2107b8980e960824cb1f30db239a3e543d15");
}

}  // namespace
}  // namespace dlvp::dlvpc
