// A classifier head on every step of an LSTM / GRU (torch's fc(out), docs/lstm.md, "A head on every
// step"), from torch 1.13's exports (tests/data/torch_forms/*_every_step,
// tools/onnx_zoo/export_torch_forms.py): the importer reads MatMul + Add on Y in both batch_first
// layouts (a one-layer LSTM, a GRU, a 2-layer stack) and refuses a Softmax after it; the programs
// run the head's LSTM_SPMVs on every step and store [sequence][step][class]; their packages run
// bit-exact on the SoC.
#include "platform/package_file.h"
#include "tests/support/dlvp_cli.h"
#include "tests/support/onnx_test_models.h"
#include "tools/dlvpc/gru_compiler.h"
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/lstm_stack_compiler.h"
#include "tools/dlvpc/onnx_file.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace dlvp::dlvpc {
namespace {

const std::string kForms = std::string(DLVP_SOURCE_DIR) + "/tests/data/torch_forms/";

onnx::ModelProto form(const std::string& name) { return read_onnx_model(kForms + name + "/model.onnx"); }

// A float tensor file of a form's test data set (raw little-endian floats, as torch's exporter writes).
std::vector<double> tensor(const std::string& name, const std::string& file) {
  onnx::TensorProto t;
  std::ifstream in(kForms + name + "/test_data_set_0/" + file, std::ios::binary);
  EXPECT_TRUE(t.ParseFromIstream(&in)) << name << "/" << file;
  std::vector<double> out;
  const std::string& raw = t.raw_data();
  for (size_t at = 0; at + sizeof(float) <= raw.size(); at += sizeof(float)) {
    float v;
    std::memcpy(&v, raw.data() + at, sizeof v);
    out.push_back(v);
  }
  return out;
}

// The package's embedded test run by run_package on the SoC (scenarios/conformance.yaml): the
// output window compared bit for bit with the reference model's.
void expect_bit_exact_on_soc(const std::vector<uint8_t>& package_bytes, const std::string& name) {
  const std::string dir = test::out_dir("step_head_" + name);
  std::filesystem::create_directories(dir);
  const std::string package = dir + "/model.dlvp";
  package::write_package_file(package, package_bytes);
  const test::CliResult r = test::run_dlvp("run " + std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml --set " +
                                           "'software.load=[{file: \"" + package + "\", address: 0x90000000}]' --out " +
                                           dir + "/run");
  EXPECT_EQ(r.status, 0) << name << "\n" << r.output;
  EXPECT_NE(r.output.find("run_package: output matches the expected output"), std::string::npos) << name << "\n" << r.output;
}

// The program's head: LSTM_SPMVs of its chunks for each of the T steps, one STORE per sequence.
template <typename Compiled>
void expect_head_on_every_step(const Compiled& c, const builder::LstmProgram& p, uint32_t T, uint32_t head_tag,
                               uint32_t classes) {
  const uint32_t S = c.sequences;
  uint32_t head_spmvs = 0, head_stores = 0;
  for (const isa::Instruction& in : p.instructions) {
    if (in.header.tag != head_tag) continue;
    head_spmvs += in.header.opcode == isa::kOpLstmSpmv;
    head_stores += in.header.opcode == isa::kOpStore;
  }
  ASSERT_GT(head_spmvs, 0u);
  EXPECT_EQ(head_spmvs % T, 0u) << "the same chunks on every step";
  EXPECT_EQ(p.head_spmv_instructions, head_spmvs);
  EXPECT_EQ(head_stores, S) << "one 2-D STORE per sequence: its [steps, classes]";
  EXPECT_EQ(p.head_output_bytes, uint64_t{S} * T * classes * 2);
  EXPECT_EQ(c.output_size, T * classes);
  EXPECT_EQ(c.output_offset, p.head_output_offset);
}

// The package's expected output (the SoC's, bit for bit) against torch's output within the 16-bit
// formats: SQNR over all steps and classes, in ONNX's order ([B,T,C], or [T,B,C] steps_first).
template <typename Compiled>
double sqnr_against(const Compiled& c, const std::vector<double>& expected, uint32_t T, uint32_t batch, bool steps_first,
                    uint32_t classes) {
  double signal = 0, noise = 0;
  for (uint32_t b = 0; b < batch; ++b)
    for (uint32_t t = 0; t < T; ++t)
      for (uint32_t k = 0; k < classes; ++k) {
        const uint64_t at = c.output_offset + 2 * ((uint64_t{b} * T + t) * classes + k);
        const auto q = static_cast<int16_t>(c.test_expected[at] | (c.test_expected[at + 1] << 8));
        const double soc = std::ldexp(static_cast<double>(q), -c.output_frac);
        const double want = expected[(steps_first ? uint64_t{t} * batch + b : uint64_t{b} * T + t) * classes + k];
        signal += want * want, noise += (soc - want) * (soc - want);
      }
  return 10.0 * std::log10(signal / noise);
}

template <typename Compiled>
double sqnr_against_torch(const Compiled& c, const std::vector<double>& expected, uint32_t classes) {
  return sqnr_against(c, expected, c.model.seq_length, c.model.batch, c.model.steps_first, classes);
}

// lstm_every_step with a second LSTM(8 -> 8) between the first and the head: Squeeze of the first's
// directions axis, the second LSTM (its own W, the first's R and B, zero states), the head's
// Squeeze, Transpose, MatMul and Add on the second's Y.
onnx::ModelProto two_layer_every_step() {
  onnx::ModelProto stacked = form("lstm_every_step");
  onnx::GraphProto& sg = *stacked.mutable_graph();
  int lstm = 0;
  while (sg.node(lstm).op_type() != "LSTM") ++lstm;
  const int squeeze = lstm + 2;  // Constant, Squeeze of Y's directions axis
  EXPECT_EQ(sg.node(squeeze).op_type(), "Squeeze");
  const std::string first_seq = sg.node(squeeze).output(0);
  onnx::NodeProto second = sg.node(lstm);
  second.set_name("second");
  second.set_input(0, first_seq);  // [T, B, H] of the first
  second.set_input(1, "second_w");
  for (int i = 5; i < second.input_size(); ++i) second.set_input(i, "");  // zero states
  second.clear_output();
  second.add_output("second_y");
  onnx::TensorProto& w = *sg.add_initializer();
  w.set_name("second_w"), w.set_data_type(onnx::TensorProto::FLOAT);
  for (const int64_t d : {1, 32, 8}) w.add_dims(d);
  for (int i = 0; i < 32 * 8; ++i) w.add_float_data(0.05f * static_cast<float>(i % 7 - 3));
  onnx::NodeProto squeeze2 = sg.node(squeeze);
  squeeze2.set_name("squeeze2"), squeeze2.set_input(0, "second_y"), squeeze2.set_output(0, "second_seq");
  // The nodes up to the first Squeeze, the second LSTM and its Squeeze, then the head reading it.
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (int i = 0; i <= squeeze; ++i) *nodes.Add() = sg.node(i);
  *nodes.Add() = second;
  *nodes.Add() = squeeze2;
  for (int i = squeeze + 1; i < sg.node_size(); ++i) {
    onnx::NodeProto n = sg.node(i);
    for (auto& in : *n.mutable_input())
      if (in == first_seq) in = "second_seq";
    *nodes.Add() = n;
  }
  *sg.mutable_node() = nodes;
  return stacked;
}

TEST(StepHead, TheImporterReadsFcOfOutInBothLayouts) {
  const LstmModel batch_first = import_onnx_lstm(form("lstm_every_step"), "m.onnx");
  EXPECT_TRUE(batch_first.has_head);
  EXPECT_TRUE(batch_first.head_every_step);
  EXPECT_FALSE(batch_first.steps_first) << "batch_first: Y transposed to [B, T, H]";
  ASSERT_EQ(batch_first.head.ops.size(), 1u);
  EXPECT_EQ(batch_first.head.ops[0].output.elements(), 3u) << "imported for one step's vector";
  const LstmModel seq_first = import_onnx_lstm(form("lstm_every_step_seq_first"), "m.onnx");
  EXPECT_TRUE(seq_first.head_every_step);
  EXPECT_TRUE(seq_first.steps_first) << "Y squeezed to [T, B, H]";
  EXPECT_EQ(seq_first.batch, 2u);
  const GruModel gru = import_onnx_gru(form("gru_every_step"), "m.onnx");
  EXPECT_TRUE(gru.head_every_step);
  EXPECT_FALSE(gru.steps_first);
  EXPECT_EQ(gru.batch, 2u);
  const LstmModel last = import_onnx_lstm(form("lstm_batch_first"), "m.onnx");
  EXPECT_FALSE(last.head_every_step) << "out[:, -1] stays a head on the last step";
}

TEST(StepHead, ASoftmaxAfterItIsRefusedSayingWhy) {
  onnx::ModelProto softmax = form("lstm_every_step");
  onnx::GraphProto& g = *softmax.mutable_graph();
  g.mutable_node(g.node_size() - 1)->set_output(0, "logits");
  onnx::NodeProto& s = *g.add_node();
  s.set_op_type("Softmax"), s.set_name("softmax"), s.add_input("logits"), s.add_output("output");
  onnx::AttributeProto& axis = *s.add_attribute();
  axis.set_name("axis"), axis.set_type(onnx::AttributeProto::INT), axis.set_i(-1);
  const std::string e = test::error_of([&] { import_onnx_lstm(softmax, "m.onnx"); });
  EXPECT_NE(e.find("m.onnx: node '/fc/MatMul' (MatMul): a Softmax after a head on every step is not supported: the "
                   "package's CPU Softmax runs over a sequence's whole output (5 steps' classes together)"),
            std::string::npos)
      << e;

}

TEST(StepHead, AnLstmRunsItsHeadOnEveryStepBitExactOnTheSoc) {
  for (const char* name : {"lstm_every_step", "lstm_every_step_seq_first"}) {
    for (const bool stream : {false, true}) {
      SCOPED_TRACE(std::string(name) + (stream ? " streamed" : " resident"));
      LstmCompileOptions options;
      options.stream_weights = stream;
      const LstmCompiled c = compile_lstm(import_onnx_lstm(form(name), name), {tensor(name, "input_0.pb")}, options);
      EXPECT_EQ(c.program.streamed, stream);
      expect_head_on_every_step(c, c.program, c.model.seq_length, 1, 3);
      EXPECT_GT(sqnr_against_torch(c, tensor(name, "output_0.pb"), 3), 30.0);
      expect_bit_exact_on_soc(c.package, std::string(name) + (stream ? "_streamed" : ""));
    }
  }
}

TEST(StepHead, AGruRunsItsHeadOnEveryStepBitExactOnTheSoc) {
  const GruCompiled c =
      compile_gru(import_onnx_gru(form("gru_every_step"), "gru"), {tensor("gru_every_step", "input_0.pb")}, {});
  expect_head_on_every_step(c, c.program, c.model.seq_length, 1, 3);
  EXPECT_EQ(c.sequences, 2u) << "the batch as the job's sequences";
  EXPECT_GT(sqnr_against_torch(c, tensor("gru_every_step", "output_0.pb"), 3), 30.0);
  expect_bit_exact_on_soc(c.package, "gru_every_step");
}

// A 2-layer stack: the head on each of the last level's steps, in the vector buffer's sequence.
TEST(StepHead, ATwoLayerStackRunsItsHeadOnEveryStepBitExactOnTheSoc) {
  const LstmStackModel m = import_onnx_lstm_stack(two_layer_every_step(), "stack.onnx");
  ASSERT_EQ(m.levels.size(), 2u);
  EXPECT_TRUE(m.head_every_step);
  EXPECT_FALSE(m.steps_first);
  const std::vector<double> x = tensor("lstm_every_step", "input_0.pb");
  for (const bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "streamed" : "resident");
    LstmCompileOptions options;
    options.stream_weights = stream;
    const LstmStackCompiled c = compile_lstm_stack(m, {x}, options);
    const uint32_t T = m.levels[0][0].seq_length;
    expect_head_on_every_step(c, c.program.program, T, 2, 3);  // the head's tag: after the 2 layers'
    EXPECT_GT(sqnr_against(c, lstm_stack_float_output(m, x), T, 1, false, 3), 30.0) << "against dlvpc's float stack";
    expect_bit_exact_on_soc(c.package, stream ? "stack_streamed" : "stack");
  }
}

}  // namespace
}  // namespace dlvp::dlvpc
