// OnnxFile (docs/dlvpc.md, "Import"): the model parsed without its large raw_data payloads is the
// whole file's model once they are put back, repeated graph fields merge as protobuf merges them,
// files the split does not take are parsed whole with read_onnx_model's messages, and the import
// from the file gives the float graph the in-memory import gives.
#include "tests/support/onnx_test_models.h"
#include "tools/dlvpc/onnx_file.h"
#include "tools/dlvpc/onnx_import.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace dlvp::dlvpc {
namespace {

namespace fs = std::filesystem;

std::string write_file(const std::string& name, const std::string& bytes) {
  const std::string path = (fs::path(testing::TempDir()) / ("onnx_file_" + name)).string();
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// small_cnn's Gemm weight (10 x 3072 floats) lies beyond kLeftInFileBytes, its convolutions' within.
int payloads_of(const OnnxFile& file) {
  int count = 0;
  const auto& initializers = file.model().graph().initializer();
  for (int i = 0; i < initializers.size(); ++i) {
    const FilePayload* p = file.payload(i);
    if (!p) continue;
    ++count;
    EXPECT_TRUE(initializers[i].raw_data().empty()) << initializers[i].name();
    EXPECT_GE(p->bytes, kLeftInFileBytes);
  }
  return count;
}

TEST(OnnxFile, LeavesLargePayloadsInTheFileAndPutsThemBack) {
  const onnx::ModelProto model = test::small_cnn(1);
  const std::string bytes = model.SerializeAsString();
  OnnxFile file(write_file("small_cnn.onnx", bytes));
  EXPECT_EQ(payloads_of(file), 1);
  EXPECT_EQ(std::move(file).full_model().SerializeAsString(), bytes);
}

TEST(OnnxFile, ShippedModelsLeaveEveryLargePayloadInTheFile) {
  for (const char* name : {"fashion_cnn.onnx", "fashion_lstm.onnx"}) {
    const std::string path = std::string(DLVP_SOURCE_DIR) + "/scenarios/models/" + name;
    const onnx::ModelProto whole = read_onnx_model(path);
    int large = 0;
    for (const onnx::TensorProto& t : whole.graph().initializer()) large += t.raw_data().size() >= kLeftInFileBytes;
    EXPECT_GT(large, 0) << name;
    OnnxFile file(path);
    EXPECT_EQ(payloads_of(file), large) << name;
    EXPECT_EQ(std::move(file).full_model().SerializeAsString(), whole.SerializeAsString()) << name;
  }
}

TEST(OnnxFile, ImportsTheGraphTheWholeModelGives) {
  const onnx::ModelProto model = test::residual_block(2);
  const OnnxFile file(write_file("residual.onnx", model.SerializeAsString()));
  const FloatGraph from_file = import_onnx(file), in_memory = import_onnx(model, "m");
  ASSERT_EQ(from_file.ops.size(), in_memory.ops.size());
  for (size_t i = 0; i < in_memory.ops.size(); ++i) {
    EXPECT_EQ(from_file.ops[i].weights, in_memory.ops[i].weights) << i;
    EXPECT_EQ(from_file.ops[i].bias, in_memory.ops[i].bias) << i;
    EXPECT_EQ(from_file.ops[i].onnx_ops, in_memory.ops[i].onnx_ops) << i;
  }
}

// Two graph fields merge: the second's initializers follow the first's, as protobuf appends them.
TEST(OnnxFile, RepeatedGraphFieldsMergeLikeProtobuf) {
  const onnx::ModelProto model = test::small_cnn(3);
  onnx::ModelProto extra;
  onnx::TensorProto* t = extra.mutable_graph()->add_initializer();
  t->set_name("extra");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(2048);
  t->set_raw_data(std::string(2048 * 4, '\x01'));
  const std::string bytes = model.SerializeAsString() + extra.SerializeAsString();
  onnx::ModelProto whole;
  ASSERT_TRUE(whole.ParseFromString(bytes));
  OnnxFile file(write_file("merged.onnx", bytes));
  EXPECT_EQ(payloads_of(file), 2);
  EXPECT_EQ(std::move(file).full_model().SerializeAsString(), whole.SerializeAsString());
}

// A length-delimited protobuf field: tag, length, payload.
std::string field(int number, const std::string& payload) {
  std::string out(1, static_cast<char>((number << 3) | 2));
  for (uint64_t n = payload.size();; n >>= 7) {
    out += static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    if (n < 0x80) break;
  }
  return out + payload;
}

// A tensor with two raw_data fields (protobuf keeps the last) is left to protobuf's own parse.
TEST(OnnxFile, ParsesWholeWhatTheSplitDoesNotTake) {
  const onnx::ModelProto model = test::small_cnn(4);
  const onnx::TensorProto& gemm = *std::find_if(model.graph().initializer().begin(), model.graph().initializer().end(),
                                                [](const onnx::TensorProto& t) { return t.raw_data().size() >= kLeftInFileBytes; });
  onnx::TensorProto second_raw;
  second_raw.set_raw_data(gemm.raw_data());
  second_raw.mutable_raw_data()->at(0) ^= 0x40;
  // ModelProto.graph (7) holding GraphProto.initializer (5): the tensor, then a second raw_data.
  const std::string bytes =
      model.SerializeAsString() + field(7, field(5, gemm.SerializeAsString() + second_raw.SerializeAsString()));
  onnx::ModelProto whole;
  ASSERT_TRUE(whole.ParseFromString(bytes));
  ASSERT_EQ(whole.graph().initializer().rbegin()->raw_data(), second_raw.raw_data());
  OnnxFile file(write_file("two_raw.onnx", bytes));
  EXPECT_EQ(payloads_of(file), 0);  // parsed whole
  EXPECT_EQ(std::move(file).full_model().SerializeAsString(), whole.SerializeAsString());
}

TEST(OnnxFile, TruncatedAndEmptyFilesAreRefusedAsTheWholeParseRefusesThem) {
  const std::string bytes = test::small_cnn(5).SerializeAsString();
  for (const size_t size : {size_t{0}, bytes.size() / 2, bytes.size() - 1}) {
    const std::string path = write_file("truncated_" + std::to_string(size) + ".onnx", bytes.substr(0, size));
    const std::string want = test::error_of([&] { parse_onnx_model(bytes.substr(0, size), path); });
    EXPECT_NE(want, "(no error)");
    EXPECT_EQ(test::error_of([&] { OnnxFile file(path); }), want) << size;
  }
}

}  // namespace
}  // namespace dlvp::dlvpc
