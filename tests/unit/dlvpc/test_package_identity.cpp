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
            "a80075e703f0cdfb9f3cd772c071a43fd7fe44163c254b9b4c074e5c729bc247");
}

TEST(PackageIdentity, ShippedFashionLstmDenseAndPruned) {
  EXPECT_EQ(compile_digest(kSource, "scenarios/models/fashion_lstm.onnx", "--calib random:4"),
            "06ad1b3a5c1153244e7e1421558bcb59427620b9a0b6037b1d8c3e9bf213e484");
  EXPECT_EQ(compile_digest(kSource, "scenarios/models/fashion_lstm.onnx", "--calib random:2 --density 0.25"),
            "c80df395ca691c60834ae4adb8c039b008a2e0260f07d6b74c9eebfb3f558864");
}

TEST(PackageIdentity, BatchNormResidualConcatAndGemmAlpha) {
  EXPECT_EQ(compile_digest(written(test::small_cnn(5), "small_cnn"), "model.onnx", "--calib random:3"),
            "560b65b67aaf9ad56d67945ffdd85b3218cdea96c798a348efa8705b596fe658");
  EXPECT_EQ(compile_digest(written(test::residual_block(6), "residual"), "model.onnx", "--calib random:3"),
            "ed5394df54a3548df26b9e559462f71e11c35ca835bf5ae6a239cdedca307f60");
  EXPECT_EQ(compile_digest(written(test::inception_block(7), "inception"), "model.onnx", "--calib random:3"),
            "9fb6b2ceba3af0a5cddded75be1a525e5d1b98a404fd25bfed6ce12f2870da95");
  onnx::ModelProto scaled = test::small_cnn(8);
  for (onnx::NodeProto& node : *scaled.mutable_graph()->mutable_node())
    if (node.op_type() == "Gemm") {
      onnx::AttributeProto* alpha = node.add_attribute();
      alpha->set_name("alpha");
      alpha->set_type(onnx::AttributeProto::FLOAT);
      alpha->set_f(0.3f);
    }
  EXPECT_EQ(compile_digest(written(scaled, "gemm_alpha"), "model.onnx", "--calib random:3"),
            "03e770f95eefaf7f9b0abd69c493a88659f7fdeaeb4e9170bd98128c348ada91");
}

}  // namespace
}  // namespace dlvp::dlvpc
