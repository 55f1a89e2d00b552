// dlvpc on hostile input (docs/dlvpc.md, "Limits"): graphs whose shapes overflow or exceed the
// limits, attributes that would be truncated, values that fold to NaN, nodes without outputs or
// inputs, IDX files read only as far as asked, names cut between characters. Every case is an
// ImportError / ConfigError naming the node or the file, never a crash or an allocation that grows
// with a number the file chose. (The command line's cases are the dlvpc_cli tests.)
#include "ip/common/utf8.h"
#include "tests/support/onnx_test_models.h"
#include "tools/dlvpc/calibration.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/onnx_import.h"
#include "tools/dlvpc/option_number.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

namespace dlvp::dlvpc {
namespace {

using test::error_of;
using test::GraphBuilder;
using test::import_error;
using test::new_model;

// Nodes conv_1 (weights [8,3,3,3]), batchnormalization_1, relu_1, maxpool_1, conv_2, relu_2,
// flatten_1, gemm_1, softmax_1 on a [1,3,32,32] image.
onnx::ModelProto small_cnn() { return test::small_cnn(1); }

onnx::NodeProto& node(onnx::ModelProto& m, const std::string& name) {
  for (onnx::NodeProto& n : *m.mutable_graph()->mutable_node())
    if (n.name() == name) return n;
  throw std::runtime_error("no node " + name);
}

onnx::TensorProto& initializer(onnx::ModelProto& m, const std::string& name) {
  for (onnx::TensorProto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == name) return t;
  throw std::runtime_error("no initializer " + name);
}

void set_ints(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (const int64_t v : values) a->add_ints(v);
}

void set_float(onnx::TensorProto& t, size_t index, float value) {
  std::memcpy(&(*t.mutable_raw_data())[index * sizeof value], &value, sizeof value);
}

// A constant input of `n`, made an int64 or float initializer.
std::string add_constant(onnx::ModelProto& m, onnx::NodeProto& n, const std::string& name, const std::vector<double>& values,
                         bool integer) {
  onnx::TensorProto& t = *m.mutable_graph()->add_initializer();
  t.set_name(name);
  t.set_data_type(integer ? onnx::TensorProto::INT64 : onnx::TensorProto::FLOAT);
  t.add_dims(static_cast<int64_t>(values.size()));
  for (const double v : values)
    integer ? t.add_int64_data(static_cast<int64_t>(v)) : t.add_float_data(static_cast<float>(v));
  n.add_input(name);
  return name;
}

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

TEST(DlvpcHostile, ShapesAreCountedWithoutOverflowAndBoundedBeforeUse) {
  onnx::ModelProto m = small_cnn();
  initializer(m, "gemm_1.weight").set_dims(0, int64_t{1} << 32);
  initializer(m, "gemm_1.weight").set_dims(1, int64_t{1} << 32);
  EXPECT_CONTAINS(import_error(m), "tensor 'gemm_1.weight' [4294967296,4294967296] has more than 134217728 elements");

  m = small_cnn();  // a zero hides no other dimension
  initializer(m, "gemm_1.bias").set_dims(0, 0);
  initializer(m, "gemm_1.bias").add_dims(int64_t{1} << 40);
  EXPECT_CONTAINS(import_error(m), "tensor 'gemm_1.bias' [0,1099511627776] has more than 134217728 elements");

  m = small_cnn();
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1)->set_dim_value(-3);
  EXPECT_CONTAINS(import_error(m), "graph input 'image' has dimension 1 = -3");

  m = small_cnn();  // 3 x 2^16 x 2^16 elements
  auto* shape = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->mutable_dim(2)->set_dim_value(65536), shape->mutable_dim(3)->set_dim_value(65536);
  EXPECT_CONTAINS(import_error(m), "graph input 'image' [1,3,65536,65536] has more than 134217728 elements");

  EXPECT_EQ(element_count({int64_t{1} << 40, int64_t{1} << 40}), INT64_MAX);
  EXPECT_EQ(shape_problem({2, 3, 0}), "");
}

TEST(DlvpcHostile, ReshapeTargetsAreCheckedBeforeTheyAreMultiplied) {
  std::vector<int64_t> out;
  EXPECT_CONTAINS(reshape_target({1, 1e300}, {1, 12}, false, out), "shape value");
  EXPECT_CONTAINS(reshape_target({std::nan("")}, {1, 12}, false, out), "is not -1, 0 or a size");
  EXPECT_CONTAINS(reshape_target({-1, -1}, {1, 12}, false, out), "more than one -1");
  EXPECT_CONTAINS(reshape_target({65536, 65536, 65536}, {1, 12}, false, out), "has more than 134217728 elements");
  EXPECT_CONTAINS(reshape_target({5, -1}, {1, 12}, false, out), "cannot infer its -1");
  EXPECT_CONTAINS(reshape_target({1, 0, 0}, {1, 12}, false, out), "copies a dimension the input [1,12] lacks");
  EXPECT_EQ(reshape_target({0, -1}, {1, 3, 4}, false, out), "");
  EXPECT_EQ(out, (std::vector<int64_t>{1, 12}));

  onnx::ModelProto m = small_cnn();
  onnx::NodeProto& flatten = node(m, "flatten_1");
  flatten.set_op_type("Reshape");
  add_constant(m, flatten, "target", {int64_t{1} << 40, int64_t{1} << 40}, true);
  EXPECT_CONTAINS(import_error(m), "node 'flatten_1' (Reshape): shape value 1099511627776 at index 0 is not -1, 0 or a size");
}

TEST(DlvpcHostile, WindowAttributesOutsideTheirFieldsAreRefusedNotTruncated) {
  onnx::ModelProto m = small_cnn();
  node(m, "conv_1").mutable_attribute()->Clear();
  set_ints(node(m, "conv_1"), "pads", {(int64_t{1} << 32) + 1, 1, 1, 1});  // would truncate to 1
  EXPECT_CONTAINS(import_error(m), "node 'conv_1' (Conv): pads [4294967297,1,1,1]: every value must lie in 0..65535");

  m = small_cnn();
  node(m, "conv_1").mutable_attribute()->Clear();
  set_ints(node(m, "conv_1"), "strides", {-1, 1});
  EXPECT_CONTAINS(import_error(m), "strides [-1,1]: every value must lie in 1..65535");

  m = new_model();
  GraphBuilder g(*m.mutable_graph(), 1);
  g.output(g.max_pool(g.relu(g.conv(g.input("image", {1, 3, 8, 8}), 4, 3, 1, 1)), 2, 2), "out");
  onnx::NodeProto& pool = node(m, "maxpool_1");
  pool.mutable_attribute()->Clear();
  set_ints(pool, "kernel_shape", {-2, 2});
  EXPECT_CONTAINS(import_error(m), "(MaxPool): kernel_shape [-2,2]: every value must lie in 1..65535");
}

TEST(DlvpcHostile, NonFiniteWeightsAreRefusedNamingTheInitializerOrTheFoldedNode) {
  onnx::ModelProto m = small_cnn();
  set_float(initializer(m, "conv_1.weight"), 5, std::numeric_limits<float>::quiet_NaN());
  EXPECT_CONTAINS(import_error(m), "model.onnx: initializer 'conv_1.weight' [8,3,3,3] holds NaN at index 5");

  m = small_cnn();  // a negative variance: the folded scale is sqrt(-1)
  set_float(initializer(m, "batchnormalization_1.var"), 2, -1.0f);
  EXPECT_CONTAINS(import_error(m), "node 'conv_1' (Conv+BatchNormalization+Relu+MaxPool): weight 54 is NaN once folded");

  m = small_cnn();
  onnx::AttributeProto* alpha = node(m, "gemm_1").add_attribute();
  alpha->set_name("alpha"), alpha->set_type(onnx::AttributeProto::FLOAT);
  alpha->set_f(std::numeric_limits<float>::infinity());
  EXPECT_CONTAINS(import_error(m), "node 'gemm_1' (Gemm): weight 0 is infinite once folded");
}

TEST(DlvpcHostile, FiniteWeightsWhoseFloatResultsOverflowAreRefusedNamingTheLayer) {
  onnx::ModelProto m = small_cnn();
  onnx::TensorProto& w = initializer(m, "gemm_1.weight");
  for (size_t i = 0; i < w.raw_data().size() / sizeof(float); ++i) set_float(w, i, 3e38f);
  const FloatGraph g = import_onnx(m, "model.onnx");
  EXPECT_CONTAINS(error_of([&] { compile(g, {std::vector<float>(g.input.elements(), 1.0f)}, {}); }),
                  "dlvpc: layer 2 'gemm_1' (Gemm): the float model's result is infinite on calibration input 0");
}

TEST(DlvpcHostile, ImplicitAllocationsAreBoundedBeforeTheyAreMade) {
  // An average that counts its padding becomes a depthwise box filter of kernel^2 weights per
  // channel: a 12000x12000 window over a 1x1 map padded by 11999 would make 144000000, more than
  // 2^27 (and a 12000x12000 output); refused before any is made.
  onnx::ModelProto m = new_model();
  GraphBuilder g(*m.mutable_graph(), 1);
  g.output(g.average_pool(g.input("x", {1, 1, 1, 1}), 12000, 1, 11999), "y");
  onnx::AttributeProto& counts_padding = *node(m, "averagepool_1").add_attribute();
  counts_padding.set_name("count_include_pad"), counts_padding.set_type(onnx::AttributeProto::INT), counts_padding.set_i(1);
  EXPECT_CONTAINS(import_error(m), "node 'averagepool_1' (AveragePool): averaging over padding it becomes a depthwise "
                                   "convolution of 144000000 weights; with those dlvpc made before, 144000000, more than "
                                   "134217728");

  // Initializers are counted together before any is decoded: three of 2^27 elements.
  m = test::small_cnn(1);
  for (const char* name : {"a", "b", "c"}) {
    onnx::TensorProto& t = *m.mutable_graph()->add_initializer();
    t.set_name(name), t.set_data_type(onnx::TensorProto::UINT8), t.add_dims(int64_t{1} << 27);
  }
  EXPECT_CONTAINS(import_error(m), "model.onnx: the initializers up to 'b' hold 268467318 elements, more than 268435456");

  // Four ReLUs of 2^26 values each: one sample's activations would reach 2^28 values.
  m = new_model();
  GraphBuilder r(*m.mutable_graph(), 1);
  std::string x = r.input("x", {1, 1024, 256, 256});
  for (int i = 0; i < 5; ++i) x = r.relu(x);
  r.output(x, "y");
  EXPECT_CONTAINS(import_error(m), "node 'relu_5' (Relu): the activations up to here hold 335544320 values per sample");
}

TEST(DlvpcHostile, MalformedNodesAreRefusedNamingThem) {
  onnx::ModelProto m = small_cnn();
  node(m, "relu_1").clear_output();
  EXPECT_CONTAINS(import_error(m), "node 'relu_1' (Relu): has no output");

  m = small_cnn();  // QLinearConv with empty scales: no std::out_of_range
  onnx::NodeProto& conv = node(m, "conv_1");
  conv.set_op_type("QLinearConv");
  conv.clear_input();
  conv.add_input("image");
  add_constant(m, conv, "x_scale", {}, false);
  EXPECT_CONTAINS(import_error(m), "(QLinearConv): x_scale [0] is not one value");

  m = small_cnn();  // an input zero point far outside int32
  onnx::NodeProto& integer = node(m, "conv_1");
  integer.set_op_type("ConvInteger");
  integer.mutable_input()->RemoveLast();  // the bias
  add_constant(m, integer, "x_zero_point", {1e10}, true);
  EXPECT_CONTAINS(import_error(m), "(ConvInteger): input zero point 10000000000 is outside -128..255");

  m = small_cnn();
  m.set_ir_version(9);
  EXPECT_CONTAINS(import_error(m), "model.onnx: ir_version 9 is newer than dlvpc reads (IR versions up to 8");
  m = small_cnn();
  m.mutable_opset_import(0)->set_version(18);
  EXPECT_CONTAINS(import_error(m), "model.onnx: operator set 18 is newer than dlvpc knows");
}

// The shipped LSTM with one thing changed.
onnx::ModelProto shipped_lstm() {
  std::ifstream in(std::string(DLVP_SOURCE_DIR) + "/scenarios/models/fashion_lstm.onnx", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_onnx_model(bytes, "fashion_lstm.onnx");
}

std::string lstm_error(const onnx::ModelProto& m) {
  return error_of([&] { import_onnx_lstm(m, "lstm.onnx"); });
}

TEST(DlvpcHostile, LstmSizesAreCheckedBeforeTheSequencesAreAllocated) {
  onnx::ModelProto m = shipped_lstm();
  node(m, "lstm").clear_input();
  EXPECT_CONTAINS(lstm_error(m), "node 'lstm' (LSTM): W and R are required");

  m = shipped_lstm();
  onnx::AttributeProto* hidden = node(m, "lstm").add_attribute();
  hidden->set_name("hidden_size"), hidden->set_type(onnx::AttributeProto::INT), hidden->set_i((int64_t{1} << 32) + 128);
  EXPECT_CONTAINS(lstm_error(m), "hidden_size 4294967424 is outside 1..65535");

  m = shipped_lstm();
  node(m, "flatten").clear_input();  // the head's first node reads nothing
  EXPECT_NE(lstm_error(m), "(no error)");

  // 65535 steps of 2048 cells: the float calibration would keep 65535 x (2048 + 10 x 2048) values
  // per sequence (the check reads the sizes only).
  LstmModel big = import_onnx_lstm(shipped_lstm(), "lstm.onnx");
  big.seq_length = 65535;
  big.layer.hidden_size = 2048;
  big.has_head = false;
  try {
    check_lstm_fits(big, {});
    FAIL() << "a float run of 1.5 G values per sequence accepted";
  } catch (const ConfigError& e) {
    EXPECT_CONTAINS(e.what(), "lstm.onnx: node 'lstm' (LSTM): the float calibration of 65535 steps of 2048 cells keeps 1476372480");
  }
  const LstmModel shipped = import_onnx_lstm(shipped_lstm(), "lstm.onnx");
  LstmCompileOptions options;
  options.sequences = 64;  // the gate accumulators alone: 64 x 512 x 8 B = the whole 256 KiB vector buffer
  try {
    check_lstm_fits(shipped, options);
    FAIL() << "64 sequences accepted";
  } catch (const ConfigError& e) {
    EXPECT_CONTAINS(e.what(), "node 'lstm' (LSTM): 64 sequences of 28 inputs and 128 cells need");
  }
  options.sequences = 32;  // 32 x (28 x 28 inputs + 128 + 128 + 10 outputs) x 2 B = 67200 B
  options.ddr_bytes = 50000;
  try {
    check_lstm_fits(shipped, options);
    FAIL() << "a job larger than the DDR accepted";
  } catch (const ConfigError& e) {
    EXPECT_CONTAINS(e.what(), "a job's input and output (28 steps x 32 sequences) need 67200 B of DDR, the hardware has 50000 B; at most 23 fit (--sequences 23)");
  }
}

TEST(DlvpcHostile, AnLstmPackageCarriesTestDataOnlyWhenItIsSmall) {
  const std::vector<std::vector<double>> input = {std::vector<double>(28 * 28, 0.5)};
  LstmCompileOptions options;
  const LstmCompiled with = compile_lstm(import_onnx_lstm(shipped_lstm(), "lstm.onnx"), input, options);
  EXPECT_EQ(with.test_input.size(), 28u * 28);
  EXPECT_FALSE(with.test_expected.empty());
  options.test_data_max_bytes = 4096;  // the windows alone take 2100 B, the reference run 14336 B
  const LstmCompiled without = compile_lstm(import_onnx_lstm(shipped_lstm(), "lstm.onnx"), input, options);
  EXPECT_TRUE(without.test_input.empty());
  EXPECT_TRUE(without.test_expected.empty());
  EXPECT_LT(without.package.size(), with.package.size());
}

TEST(DlvpcHostile, AnLstmWhoseFloatRunOverflowsIsRefused) {
  LstmModel m = import_onnx_lstm(shipped_lstm(), "lstm.onnx");
  for (double& w : m.layer.w) w = w == 0 ? 0 : 1e308;  // finite; a row of them sums to infinity
  EXPECT_CONTAINS(error_of([&] { compile_lstm(m, {std::vector<double>(28 * 28, 1.0)}, {}); }),
                  "dlvpc: LSTM calibration: on sequence 0 the float LSTM's gate pre-activations are not finite");
}

std::string temp_file(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(DlvpcHostile, IdxFilesAreReadOnlyAsFarAsAsked) {
  std::vector<uint8_t> bytes = {0, 0, 0x08, 3, 0, 0, 0, 100, 0, 0, 0, 2, 0, 0, 0, 2};
  for (int i = 0; i < 400; ++i) bytes.push_back(static_cast<uint8_t>(i));
  const std::string path = temp_file("hundred.idx", bytes);
  const IdxFile five = read_idx(path, 5);
  EXPECT_EQ(five.header.items(), 100u);
  EXPECT_EQ(five.data.size(), 20u);
  EXPECT_EQ(five.items(), 5u);
  const auto inputs = load_calibration(path, 3, 1.0f, {1, 2, 2});
  ASSERT_EQ(inputs.size(), 3u);
  EXPECT_EQ(inputs[2], (std::vector<float>{8, 9, 10, 11}));

  bytes.resize(bytes.size() - 1);  // one byte short of the 100 items the header promises
  try {
    load_calibration(temp_file("short.idx", bytes), 1, 1.0f, {1, 2, 2});
    FAIL() << "a file shorter than its header accepted";
  } catch (const ConfigError& e) {
    EXPECT_CONTAINS(e.what(), "short.idx: offset 16: the header promises 100 items of 4 bytes (400 bytes), the file holds 399");
  }
  try {  // 2^26 values: 4 inputs of 2^24
    load_calibration("random:5", 5, 1.0f, {1, 4096, 4096});
    FAIL() << "5 x 2^24 calibration values accepted";
  } catch (const ConfigError& e) {
    EXPECT_CONTAINS(e.what(), "--calib random:5: 5 inputs of 16777216 values exceed the 67108864 calibration values");
    EXPECT_CONTAINS(e.what(), "take at most 4 (--calib-count 4)");
  }
}

TEST(DlvpcHostile, NumericOptionsTakeWholeNumbersInTheirRange) {
  EXPECT_EQ(parse_integer_option("--n 12", "12", 1, 100), 12u);
  EXPECT_EQ(parse_real_option("--x 0x1p-8", "0x1p-8", 0, 1), 1.0 / 256);
  for (const char* bad : {"", " 12", "12 ", "12abc", "+-3", "0x10"}) EXPECT_THROW(parse_integer_option("--n", bad, 1, 100), ConfigError) << bad;
  for (const char* bad : {"-1", "0", "101", "99999999999999999999999"}) {
    try {
      parse_integer_option(std::string("--n ") + bad, bad, 1, 100);
      FAIL() << bad;
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()), std::string("dlvpc: --n ") + bad + ": out of range (expected an integer in 1..100)");
    }
  }
  for (const char* bad : {"nan", "inf", "-inf", "0", "-1", "1e-400", "2", ""}) EXPECT_THROW(parse_real_option("--x", bad, 0, 1), ConfigError) << bad;
}

TEST(DlvpcHostile, NamesAreCutBetweenCharactersAndPrintedAsValidUtf8) {
  const std::string ten = "一二三四五六七八九十";  // 3 bytes each
  EXPECT_EQ(utf8::prefix(ten, 28), "一二三四五六七八九");
  EXPECT_EQ(utf8::column(ten + ten + ten, 28), ten + ten + "一二三四五六七八");
  EXPECT_EQ(utf8::column("ab", 4), "ab  ");
  EXPECT_EQ(utf8::printable("a\nb\x1b[2J\xff\xc0\xafz\xed\xa0\x80"), "a?b?[2J\uFFFD\uFFFD\uFFFDz\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(utf8::printable("\xf4\x90\x80\x80"), "\uFFFD\uFFFD\uFFFD\uFFFD") << "above U+10FFFF";
  EXPECT_EQ(utf8::printable("é€😀"), "é€😀");

  // The report of a graph whose names are long runs of multi-byte characters, and invalid bytes.
  onnx::ModelProto m = small_cnn();
  for (onnx::NodeProto& n : *m.mutable_graph()->mutable_node()) n.set_name(ten + ten + ten + "\xff/" + n.name());
  const FloatGraph g = import_onnx(m, "model.onnx");
  CompileOptions options;
  options.hw.input_buffer_bytes = options.hw.output_buffer_bytes = options.hw.weight_buffer_bytes = 4096;
  const std::string report = format_report(compile(g, {std::vector<float>(g.input.elements(), 0.5f)}, options), options);
  for (size_t start = 0, end; start < report.size(); start = end + 1) {
    end = report.find('\n', start);
    const std::string line = report.substr(start, end - start);
    EXPECT_EQ(utf8::printable(line), line) << "a report line that is not valid, printable UTF-8";
  }
  EXPECT_CONTAINS(report, "0   " + ten + ten + "一二三四五六七八 conv");
}

}  // namespace
}  // namespace dlvp::dlvpc
