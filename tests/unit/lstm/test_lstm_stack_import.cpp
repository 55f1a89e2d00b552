// dlvpc's import of stacked and bidirectional LSTMs (docs/lstm.md, "Stacked and bidirectional
// LSTMs: import") on torch 1.13's own exports (tests/data/torch_lstm_stacks, written by
// tools/onnx_zoo/export_torch_lstm_stacks.py): every layer and the head imported, the float stack
// gives torch's output, and the compressed stack runs on the engine in one job bit-exact with the
// reference; what it refuses, with the node and the reason.
#include "tests/reference/lstm_stack_reference.h"
#include "tests/unit/lstm/lstm_bench_util.h"
#include "tests/unit/lstm/onnx_node_test.h"
#include "tools/builder/lstm_stack_program.h"
#include "tools/dlvpc/float_graph.h"
#include "tools/dlvpc/lstm_stack_compress.h"
#include "tools/dlvpc/lstm_stack_import.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

namespace dlvp::test {
namespace {

using dlvpc::ConstTensor;
using dlvpc::LstmModel;
using dlvpc::LstmStackModel;

const std::string kStacks = std::string(DLVP_SOURCE_DIR) + "/tests/data/torch_lstm_stacks/";

using dlvpc::read_tensor;

std::vector<lstm_ref::StackLevel<lstm_ref::FloatLstm>> float_levels(const LstmStackModel& s) {
  std::vector<lstm_ref::StackLevel<lstm_ref::FloatLstm>> levels;
  for (size_t l = 0; l < s.levels.size(); ++l) {
    lstm_ref::StackLevel<lstm_ref::FloatLstm> level;
    for (size_t d = 0; d < s.levels[l].size(); ++d) level.push_back({&s.levels[l][d].layer, s.reverse[l][d]});
    levels.push_back(level);
  }
  return levels;
}

// The head's float output on one sequence's last step of the stack's output.
std::vector<double> float_output(const LstmStackModel& s, const std::vector<double>& sequence) {
  const lstm_ref::FloatStackRun run = lstm_ref::run_float_stack(float_levels(s), sequence);
  const size_t width = s.levels.back().size() * s.levels.back()[0].layer.output_size();
  const std::vector<float> last(run.y.end() - static_cast<std::ptrdiff_t>(width), run.y.end());
  std::vector<float> out = dlvpc::run_float(s.head, last).back();
  if (s.head.softmax_on_cpu) out = dlvpc::softmax(out);
  return {out.begin(), out.end()};
}

struct Case {
  const char* name;
  size_t levels, directions;
};

TEST(LstmStackImport, TorchExportsImportAndGiveTorchsOutput) {
  for (const Case c : {Case{"stacked_batch_first", 2, 1}, Case{"stacked_seq_first", 2, 1},
                       Case{"bidirectional_batch_first", 1, 2}, Case{"bidirectional_seq_first", 1, 2},
                       Case{"stacked_bidirectional", 2, 2}}) {
    const std::string dir = kStacks + c.name;
    const LstmStackModel s = dlvpc::import_onnx_lstm_stack_file(dir + "/model.onnx");
    ASSERT_EQ(s.levels.size(), c.levels) << c.name;
    for (size_t l = 0; l < s.levels.size(); ++l) {
      ASSERT_EQ(s.levels[l].size(), c.directions) << c.name;
      EXPECT_EQ(s.reverse[l].back(), c.directions == 2) << c.name;
      EXPECT_EQ(s.levels[l][0].layer.input_size, l == 0 ? 4u : 8u * c.directions) << c.name;
    }
    ASSERT_TRUE(s.has_head) << c.name;
    const ConstTensor x = read_tensor(dir + "/test_data_set_0/input_0.pb");
    const ConstTensor y = read_tensor(dir + "/test_data_set_0/output_0.pb");
    const LstmModel& first = s.levels[0][0];
    const size_t classes = y.values.size() / first.batch;
    for (uint32_t b = 0; b < first.batch; ++b) {
      const std::vector<double> out = float_output(s, first.sequence(x.values, b));
      ASSERT_EQ(out.size(), classes) << c.name;
      for (size_t k = 0; k < classes; ++k)
        EXPECT_NEAR(out[k], y.values[b * classes + k], 1e-5) << c.name << " batch " << b << " class " << k;
    }
  }
}

TEST(LstmStackImport, AnImportedBidirectionalStackRunsBitExactOnTheEngine) {
  constexpr uint32_t kPes = 4;
  const std::string dir = kStacks + "stacked_bidirectional";
  const LstmStackModel s = dlvpc::import_onnx_lstm_stack_file(dir + "/model.onnx");
  const ConstTensor x = read_tensor(dir + "/test_data_set_0/input_0.pb");
  const LstmModel& first = s.levels[0][0];
  const std::vector<double> sequence = first.sequence(x.values, 0);
  std::vector<dlvpc::FloatStackLevel> levels;
  for (size_t l = 0; l < s.levels.size(); ++l) {
    dlvpc::FloatStackLevel level;
    for (size_t d = 0; d < s.levels[l].size(); ++d) level.push_back({s.levels[l][d].layer, static_cast<bool>(s.reverse[l][d])});
    levels.push_back(level);
  }
  dlvpc::CompressOptions options;
  options.prune.density = 1.0;
  options.prune.pes = kPes;
  const dlvpc::CompressedStack c = dlvpc::compress_lstm_stack(levels, {sequence}, options);
  const BenchOptions bench = lstm_bench(kPes);
  builder::LstmStackOptions o;
  o.steps = first.seq_length;
  const builder::LstmStackProgram p = builder::build_lstm_stack_program(c.program_levels(), *bench.lstm, o);
  const std::vector<int16_t> q = lstm_ref::quantize16(sequence, c.levels[0][0].fixed.x_frac);
  const auto sparse = c.sparse();
  const lstm_ref::FixedStackRun want = lstm_ref::run_fixed_stack(c.fixed_levels(), &sparse, q);
  Bench b(bench);
  b.run([&](RegisterInitiator&) {
    b.write_memory(kConstantsWindow, p.program.constants.data(), p.program.constants.size());
    b.write_memory(kInputWindow, q.data(), q.size() * 2);
    const JobResult r = b.run_job(lstm_job(p.program.instructions));
    EXPECT_EQ(r.status & (ifu::kStatusDone | ifu::kStatusError), ifu::kStatusDone) << r.error_code;
    const std::vector<int16_t> out = int16_of(b.read_memory(kOutputWindow, p.step_output_bytes * p.program.stored_steps));
    EXPECT_EQ(out, want.y);  // one channel: the output window is Y [T][2][16]
    b.acknowledge();
  });
  // The float stack stays near the fixed one (the import's weights, quantized to 16/12 bits).
  const lstm_ref::FloatStackRun f = lstm_ref::run_float_stack(c.pruned_levels(), sequence);
  const int frac = c.levels.back()[0].fixed.output_frac();
  for (size_t k = 0; k < f.y.size(); ++k) EXPECT_NEAR(std::ldexp(want.y[k], -frac), f.y[k], 0.02) << k;
}

TEST(LstmStackImport, RefusalsNameTheNodeAndTheReason) {
  // A Relu between the layers instead of torch's Squeeze.
  onnx::ModelProto m;
  {
    std::ifstream in(kStacks + "stacked_seq_first/model.onnx", std::ios::binary);
    ASSERT_TRUE(m.ParseFromIstream(&in));
  }
  for (auto& node : *m.mutable_graph()->mutable_node())
    if (node.op_type() == "Squeeze" && node.name() == "/lstm/Squeeze") {
      node.set_op_type("Relu");
      node.mutable_input()->RemoveLast();
    }
  try {
    dlvpc::import_onnx_lstm_stack(m, "edited.onnx");
    ADD_FAILURE() << "a Relu between the LSTMs was accepted";
  } catch (const dlvpc::ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("node '/lstm/Squeeze' (Relu): reads the LSTM's Y; between stacked LSTMs dlvpc "
                                         "takes the views torch writes"),
              std::string::npos)
        << e.what();
  }
  // A layer's own refusal (clip) comes from the one-layer import, naming the node.
  onnx::ModelProto clipped;
  {
    std::ifstream in(kStacks + "bidirectional_batch_first/model.onnx", std::ios::binary);
    ASSERT_TRUE(clipped.ParseFromIstream(&in));
  }
  for (auto& node : *clipped.mutable_graph()->mutable_node())
    if (node.op_type() == "LSTM") {
      auto& a = *node.add_attribute();
      a.set_name("clip");
      a.set_type(onnx::AttributeProto::FLOAT);
      a.set_f(1.0f);
    }
  try {
    dlvpc::import_onnx_lstm_stack(clipped, "clipped.onnx");
    ADD_FAILURE() << "clip was accepted";
  } catch (const dlvpc::ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("(LSTM): clip is not supported"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(dlvpc::needs_lstm_stack(clipped));
  // More LSTM nodes than kMaxLstmStackLevels: refused before any layer is imported.
  onnx::ModelProto deep = m;
  onnx::NodeProto lstm;
  for (const auto& node : deep.graph().node())
    if (node.op_type() == "LSTM") lstm = node;
  while (deep.graph().node_size() < 200 && static_cast<size_t>(std::count_if(
             deep.graph().node().begin(), deep.graph().node().end(),
             [](const onnx::NodeProto& n) { return n.op_type() == "LSTM"; })) <= dlvpc::kMaxLstmStackLevels)
    *deep.mutable_graph()->add_node() = lstm;
  try {
    dlvpc::import_onnx_lstm_stack(deep, "deep.onnx");
    ADD_FAILURE() << "a stack of more than " << dlvpc::kMaxLstmStackLevels << " LSTM nodes was accepted";
  } catch (const dlvpc::ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("the 17th LSTM node; dlvpc stacks at most 16"), std::string::npos) << e.what();
  }
  // torch's h_n of a stack concatenates every layer's Y_h: h_n[-1] reads it through a Concat.
  try {
    dlvpc::import_onnx_lstm_stack_file(kStacks + "stacked_h_n/model.onnx");
    ADD_FAILURE() << "h_n[-1] of a stack was accepted";
  } catch (const dlvpc::ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("(Concat): reads the LSTM's output"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dlvp::test
