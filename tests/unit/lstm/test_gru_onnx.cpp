// ONNX's GRU node tests (Debian's libonnx-testdata) through dlvpc's GRU import, the reference and
// the engine: the float GRU matches ONNX's expected outputs to 1e-5; the fixed-point GRU (dense and
// sparse) and the engine on the IFU test bench (its bits equal the reference's) within the derived
// bound + 1e-5 (docs/lstm.md, "GRU: tolerance"); the importer's refusals name the node and why.
#include "tests/reference/lstm_reference.h"
#include "tests/unit/ifu/ifu_test_bench.h"
#include "tests/unit/lstm/lstm_bench_util.h"
#include "tests/unit/lstm/onnx_node_test.h"
#include "tools/builder/gru_program.h"
#include "tools/dlvpc/gru_compress.h"
#include "tools/dlvpc/gru_import.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>

namespace dlvp::dlvpc {
namespace {

constexpr uint32_t kPes = 4;

// h of every step of every sequence [b][T][H] (dequantized) as ONNX lays out Y and Y_h.
std::vector<double> onnx_layout(const GruModel& m, const std::vector<std::vector<double>>& h, bool every_step) {
  const uint32_t T = m.seq_length, B = m.batch, H = m.layer.hidden_size;
  std::vector<double> out(uint64_t{every_step ? T : 1} * B * H);
  for (uint32_t b = 0; b < B; ++b)
    for (uint32_t t = every_step ? 0 : T - 1; t < T; ++t)
      for (uint32_t k = 0; k < H; ++k) {
        const uint32_t s = every_step ? t : 0, S = every_step ? T : 1;
        const uint64_t at = (m.layout == 0 ? uint64_t{s} * B + b : uint64_t{b} * S + s) * H + k;
        out[at] = h[b][uint64_t{t} * H + k];
      }
  return out;
}

class OnnxGruNodeTest : public testing::TestWithParam<const char*> {};

TEST_P(OnnxGruNodeTest, FloatFixedAndTheEngineMatchOnnx) {
  const NodeTest t = load_node_test(GetParam());
  const GruModel m = import_onnx_gru(t.model, GetParam(), t.bindings);
  const std::vector<double>& x = t.inputs.at(0).values;
  ASSERT_EQ(m.outputs.size(), t.outputs.size());
  const uint32_t B = m.batch, H = m.layer.hidden_size;

  // Float, calibration on the test's own sequences, 12/16-bit quantization, encoding over 4 PEs.
  std::vector<std::vector<double>> seqs, f_h, bounds;
  for (uint32_t b = 0; b < B; ++b) seqs.push_back(m.sequence(x, b));
  CompressOptions options;
  options.prune.density = 1.0;
  options.prune.pes = kPes;
  GruRanges ranges;
  for (uint32_t b = 0; b < B; ++b) {
    const lstm_ref::FloatGruRun f = lstm_ref::run_float(m.layer, seqs[b], m.initial_h_of(b));
    f_h.push_back(f.h);
    ranges.x.add(seqs[b]);
    ranges.h.add(f.h);
    ranges.h.add(m.initial_h_of(b));
  }
  const lstm_ref::FixedGru q = quantize_gru(m.layer, ranges);
  const lstm_ref::SparseGru sparse = encode_gru(q, kPes);

  std::vector<std::vector<double>> fixed_h;
  std::vector<std::vector<int16_t>> h0q(B), xq(B);
  std::vector<int16_t> engine_expected;  // [b][T][H]
  for (uint32_t b = 0; b < B; ++b) {
    const std::vector<double> h0 = m.initial_h_of(b);
    h0q[b] = h0.empty() ? std::vector<int16_t>{} : lstm_ref::quantize16(h0, q.h_frac);
    xq[b] = lstm_ref::quantize16(seqs[b], q.x_frac);
    const lstm_ref::FixedGruRun dense = lstm_ref::run_fixed(q, nullptr, xq[b], h0q[b]);
    EXPECT_EQ(dense.h, lstm_ref::run_fixed(q, &sparse, xq[b], h0q[b]).h) << "sparse and dense differ";
    // No saturation count check: h calibrated on the float run sits at its 16-bit range's edge, where
    // the fixed h may clip (test_gru_seq_length: a few values); a clip toward the range moves a value
    // toward the float one, and the bound below holds either way.
    fixed_h.push_back(lstm_ref::dequantize(dense.h, q.h_frac));
    bounds.push_back(lstm_ref::gru_output_error_bound(m.layer, q, seqs[b], h0).h);
    engine_expected.insert(engine_expected.end(), dense.h.begin(), dense.h.end());
  }

  // The engine: the GRU program on the IFU test bench, every step stored, bit-exact with the reference.
  {
    const test::BenchOptions bo = test::lstm_bench(kPes);
    const LstmConfig hw = *bo.lstm;
    test::Bench b(bo);
    builder::GruProgramOptions o;
    o.steps = m.seq_length;
    o.channels = B;
    const builder::GruProgram p = builder::build_gru_program(q, sparse, hw, o);
    b.run([&](test::RegisterInitiator&) {
      std::vector<uint8_t> constants = p.constants;
      for (uint32_t ch = 0; ch < B; ++ch)
        if (!h0q[ch].empty()) std::memcpy(constants.data() + p.initial_state_offset + uint64_t{ch} * H * 2, h0q[ch].data(), uint64_t{H} * 2);
      b.write_memory(test::kConstantsWindow, constants.data(), constants.size());
      std::vector<int16_t> xs;  // [T][B][I]
      for (uint32_t s = 0; s < m.seq_length; ++s)
        for (uint32_t ch = 0; ch < B; ++ch)
          xs.insert(xs.end(), xq[ch].begin() + uint64_t{s} * q.input_size, xq[ch].begin() + uint64_t{s + 1} * q.input_size);
      const auto xb = test::bytes_of(xs);
      b.write_memory(test::kInputWindow, xb.data(), xb.size());
      const test::JobResult r = b.run_job(test::lstm_job(p.instructions));
      EXPECT_EQ(r.error_code, 0u);
      const std::vector<int16_t> out = test::int16_of(b.read_memory(test::kOutputWindow, p.output_bytes));  // [T][B][H]
      for (uint32_t s = 0; s < m.seq_length; ++s)
        for (uint32_t ch = 0; ch < B; ++ch)
          for (uint32_t k = 0; k < H; ++k)
            ASSERT_EQ(out[(uint64_t{s} * B + ch) * H + k], engine_expected[(uint64_t{ch} * m.seq_length + s) * H + k])
                << "engine vs reference, step " << s << " sequence " << ch << " unit " << k;
    });
  }

  for (size_t k = 0; k < m.outputs.size(); ++k) {
    const bool every = m.outputs[k].every_step;
    const std::vector<double>& expected = t.outputs[k].values;
    const std::vector<double> f = onnx_layout(m, f_h, every), got = onnx_layout(m, fixed_h, every),
                              bound = onnx_layout(m, bounds, every);
    ASSERT_EQ(f.size(), expected.size());
    EXPECT_LE(max_abs_diff(f, expected), 1e-5);
    double worst = 0, worst_bound = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_LE(std::fabs(got[i] - expected[i]), bound[i] + 1e-5) << (every ? "Y" : "Y_h") << "[" << i << "]";
      worst = std::max(worst, std::fabs(got[i] - expected[i]));
      worst_bound = std::max(worst_bound, bound[i]);
    }
    std::printf("%s %s: max |float - ONNX| = %.2e, max |SoC - ONNX| = %.2e, tolerance (bound + 1e-5) up to %.2e; "
                "Q: x %d, h %d, W %d, R %d, gates %d; linear_before_reset %d\n",
                GetParam(), every ? "Y" : "Y_h", max_abs_diff(f, expected), worst, worst_bound + 1e-5, q.x_frac,
                q.h_frac, q.w.frac, q.r.frac, q.gate_frac, int{q.linear_before_reset});
  }
}

INSTANTIATE_TEST_SUITE_P(Debian, OnnxGruNodeTest,
                         testing::Values("test_gru_defaults", "test_gru_with_initial_bias", "test_gru_seq_length",
                                         "test_gru_batchwise"));

// ---------------------------------------------------------------------------------------------
// Refusals.

void expect_refused(const char* node_test, const std::function<void(onnx::ModelProto&)>& edit, const std::string& reason) {
  NodeTest t = load_node_test(node_test);
  edit(t.model);
  try {
    import_onnx_gru(t.model, "model.onnx", t.bindings);
    ADD_FAILURE() << "accepted; expected: " << reason;
  } catch (const ImportError& e) {
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("model.onnx: ", 0), 0u) << e.what();
  }
}

onnx::AttributeProto* attribute(onnx::ModelProto& m, const std::string& name) {
  onnx::AttributeProto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name(name);
  return a;
}

TEST(GruImport, RefusesWhatTheEngineDoesNotRunNamingTheNode) {
  expect_refused("test_gru_defaults", [](onnx::ModelProto& m) { attribute(m, "direction")->set_s("bidirectional"); },
                 "direction 'bidirectional'");
  expect_refused("test_gru_defaults", [](onnx::ModelProto& m) { attribute(m, "clip")->set_f(1); }, "clip");
  expect_refused("test_gru_defaults",
                 [](onnx::ModelProto& m) {
                   auto* a = attribute(m, "activations");
                   for (const char* s : {"Relu", "Tanh"}) a->add_strings(s);
                 },
                 "activations other than Sigmoid, Tanh");
  expect_refused("test_gru_defaults", [](onnx::ModelProto& m) { attribute(m, "linear_before_reset")->set_i(2); },
                 "linear_before_reset 2");
  expect_refused("test_gru_defaults", [](onnx::ModelProto& m) { *m.mutable_graph()->add_node() = m.graph().node(0); },
                 "a second GRU");
  expect_refused("test_gru_defaults", [](onnx::ModelProto& m) { m.mutable_graph()->mutable_node(0)->set_op_type("Relu"); },
                 "the graph has no GRU node");
  expect_refused("test_gru_defaults", [](onnx::ModelProto& m) { m.mutable_graph()->mutable_output(0)->set_name("Z"); },
                 "graph output 'Z' is not produced by the GRU");
  expect_refused("test_gru_defaults", [](onnx::ModelProto& m) { m.mutable_graph()->clear_node(); }, "no GRU node");
}

TEST(GruImport, ReadsLinearBeforeResetAndTheBiasHalves) {
  NodeTest t = load_node_test("test_gru_with_initial_bias");
  const GruModel plain = import_onnx_gru(t.model, "m", t.bindings);
  EXPECT_FALSE(plain.layer.linear_before_reset);
  ASSERT_EQ(plain.layer.wb.size(), 3u * plain.layer.hidden_size);
  EXPECT_EQ(plain.layer.rb.size(), 3u * plain.layer.hidden_size);
  attribute(t.model, "linear_before_reset")->set_i(1);
  EXPECT_TRUE(import_onnx_gru(t.model, "m", t.bindings).layer.linear_before_reset);
}

}  // namespace
}  // namespace dlvp::dlvpc
