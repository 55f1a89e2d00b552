// The LSTM reference model (tests/reference/lstm_reference.h): the sparse products over the PEs'
// CSC streams equal the dense products bit for bit on randomized shapes, densities, PE counts,
// accumulator widths and channel counts; the fixed-point step follows docs/lstm.md's rules on a
// hand-checked case; the fixed model stays within its error bound of the float model; malformed
// streams are refused with their error code and index.
#include "tests/reference/lstm_reference.h"
#include "tests/unit/lstm/lstm_test_util.h"
#include "tools/dlvpc/lstm_compress.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>

namespace dlvp::lstm_ref {
namespace {

using dlvpc::CompressedLstm;
using dlvpc::CompressOptions;
using dlvpc::Pruning;

std::vector<std::vector<int16_t>> quantized(const std::vector<std::vector<double>>& seqs, int frac) {
  std::vector<std::vector<int16_t>> q;
  for (const auto& s : seqs) q.push_back(quantize16(s, frac));
  return q;
}

TEST(LstmReference, SparseProductEqualsDenseOnRandomMatrices) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    FixedMatrix m;
    m.rows = 1 + rng() % 150;
    m.cols = 1 + rng() % 40;
    const double density = std::array<double, 5>{0.0, 0.01, 0.05, 0.3, 1.0}[trial % 5];
    std::bernoulli_distribution keep(density);
    std::uniform_int_distribution<int> w(lstm::kWeightMin, lstm::kWeightMax);
    for (uint64_t i = 0; i < uint64_t{m.rows} * m.cols; ++i) m.q.push_back(static_cast<int16_t>(keep(rng) ? w(rng) : 0));
    std::vector<int16_t> a(m.cols);
    std::uniform_int_distribution<int> act(lstm::kActivationMin, lstm::kActivationMax);
    for (int16_t& v : a) v = static_cast<int16_t>(act(rng));
    const uint32_t pes = std::array<uint32_t, 6>{1, 2, 3, 8, 32, 200}[trial % 6];
    const int shift = trial % (lstm::kMaxProductShift + 1);
    const CscMatrix csc = dlvpc::encode_csc(m, pes);
    std::vector<int64_t> sparse(m.rows, 7), dense(m.rows, 7);
    accumulate_sparse(csc, a.data(), shift, sparse);
    accumulate_dense(m, a.data(), shift, dense);
    ASSERT_EQ(sparse, dense) << m.rows << "x" << m.cols << " density " << density << " over " << pes << " PEs";
  }
}

// Whole LSTMs, compressed by dlvpc (pruned, quantized, encoded), run dense and sparse.
TEST(LstmReference, SparseLstmEqualsDenseBitForBit) {
  std::mt19937 rng(5);
  int cases = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const uint32_t input = 1 + rng() % 24, hidden = 1 + rng() % 24;
    const uint32_t projection = trial % 3 == 0 ? 1 + rng() % 16 : 0;
    const bool peephole = trial % 2 == 1;
    const FloatLstm model = lstm_test::random_lstm(rng, input, hidden, projection, peephole, 0.2 + 0.1 * (trial % 8));
    const uint32_t steps = 1 + rng() % 6, channels = 1 + rng() % 4;
    const auto seqs = lstm_test::random_sequences(rng, channels, steps, input, 0.5 + trial % 4);
    CompressOptions options;
    options.prune.density = std::array<double, 5>{0.05, 0.1, 0.25, 0.5, 1.0}[trial % 5];
    options.prune.mode = trial % 4 == 0 ? Pruning::kGlobal : Pruning::kBalanced;
    options.prune.pes = std::array<uint32_t, 6>{1, 2, 4, 5, 16, 32}[trial % 6];
    options.quantize.accumulator_bits = std::array<uint32_t, 3>{32, 24, 48}[trial % 3];
    const CompressedLstm c = dlvpc::compress_lstm(model, seqs, options);
    const auto inputs = quantized(seqs, c.fixed.x_frac);
    const std::vector<FixedRun> dense = run_fixed_channels(c.fixed, nullptr, inputs);
    const std::vector<FixedRun> sparse = run_fixed_channels(c.fixed, &c.sparse, inputs);
    ASSERT_EQ(dense.size(), channels);
    for (uint32_t ch = 0; ch < channels; ++ch) {
      ASSERT_EQ(sparse[ch].y, dense[ch].y) << "trial " << trial << " channel " << ch;
      ASSERT_EQ(sparse[ch].c, dense[ch].c) << "trial " << trial << " channel " << ch;
      ASSERT_EQ(sparse[ch].last.recurrent, dense[ch].last.recurrent);
      ASSERT_EQ(sparse[ch].saturations, dense[ch].saturations);
      ASSERT_EQ(sparse[ch].y.size(), uint64_t{steps} * model.output_size());
    }
    ++cases;
  }
  EXPECT_EQ(cases, 40);
}

TEST(LstmReference, ChannelsAreIndependentSequences) {
  std::mt19937 rng(3);
  const FloatLstm model = lstm_test::random_lstm(rng, 6, 8, 0, true);
  const auto seqs = lstm_test::random_sequences(rng, 3, 5, 6);
  const CompressedLstm c = dlvpc::compress_lstm(model, seqs, {});
  const auto inputs = quantized(seqs, c.fixed.x_frac);
  // Initial states differ per channel too.
  std::vector<FixedState> initial(3);
  for (uint32_t ch = 0; ch < 3; ++ch) {
    initial[ch].recurrent.assign(8, static_cast<int16_t>(1000 * ch));
    initial[ch].c.assign(8, static_cast<int16_t>(-500 * ch));
  }
  const std::vector<FixedRun> together = run_fixed_channels(c.fixed, &c.sparse, inputs, &initial);
  for (uint32_t ch = 0; ch < 3; ++ch) {
    const FixedRun alone = run_fixed(c.fixed, &c.sparse, inputs[ch], &initial[ch]);
    EXPECT_EQ(together[ch].y, alone.y);
  }
  EXPECT_NE(together[0].y, together[1].y);
  const FixedRun zero_state = run_fixed(c.fixed, &c.sparse, inputs[1]);
  EXPECT_NE(zero_state.y, together[1].y);  // the initial state is used
}

// One cell by hand (docs/lstm.md): W, R and bias 0, so every gate's pre-activation is 0:
// i = f = o = sigmoid(0) = 0.5 (16384 at Q0.15), g = tanh(0) = 0. Then c_t = f c_{t-1} rounded
// half up, and h_t = o tanh(c_t) through the tanh LUT.
TEST(LstmReference, OneCellByHand) {
  FixedLstm m;
  m.input_size = 1, m.hidden_size = 1;
  m.x_frac = 8, m.h_frac = 15, m.c_frac = 10;
  m.w = {4, 1, 11, std::vector<int16_t>(4, 0)};
  m.r = {4, 1, 12, std::vector<int16_t>(4, 0)};
  m.gate_frac = 27;  // = 12 + 15 (R) and 11 + 8 + shift 8 (W)
  m.bias.assign(4, 0);
  const auto run = [&](int16_t c0) {
    FixedState s{{0}, {c0}};
    return run_fixed(m, nullptr, {100}, &s);
  };
  for (const auto& [c0, c1] : std::vector<std::pair<int16_t, int16_t>>{{1000, 500}, {1001, 501}, {-1001, -500}, {-1, 0}, {1, 1}}) {
    const FixedRun r = run(c0);
    EXPECT_EQ(r.c[0], c1) << "c_{t-1} = " << c0;  // 0.5 x c rounded half up
    // tanh's input: c at radix point 10 -> Q4.11 is c << 1; h = round_shift(16384 x T, 15 - ... )
    const int16_t t = lstm::lut_lookup(lstm::LutFunction::kTanh, static_cast<int16_t>(c1 * 2));
    const int64_t h = (int64_t{16384} * t + (1 << 14)) >> 15;  // round_shift(o t, 30 - 15), half up
    EXPECT_EQ(r.y[0], h) << "c_t = " << c1;
  }
  // A bias of +1.0 on the cell gate: g = tanh(1) from the LUT; c_t = 0.5 x 0 + 0.5 x g.
  m.bias[lstm::kGateCell] = 1 << 27;
  const FixedRun r = run(0);
  const int16_t g = lstm::lut_lookup(lstm::LutFunction::kTanh, 1 << 11);
  const int64_t c = (int64_t{16384} * g + (1 << 19)) >> 20;  // i g at 2^-30 -> radix point 10 (F = 30)
  EXPECT_EQ(r.c[0], c);
  EXPECT_NEAR(r.c[0] / 1024.0, 0.5 * std::tanh(1.0), 1.0 / 1024);
}

TEST(LstmReference, FixedStaysWithinTheErrorBoundOfFloat) {
  std::mt19937 rng(21);
  for (int trial = 0; trial < 12; ++trial) {
    const uint32_t input = 2 + rng() % 10, hidden = 2 + rng() % 12;
    const uint32_t projection = trial % 3 == 2 ? 2 + rng() % 6 : 0;
    const FloatLstm model = lstm_test::random_lstm(rng, input, hidden, projection, trial % 2 == 0, 0.4);
    const auto seqs = lstm_test::random_sequences(rng, 2, 8, input, 2.0);
    CompressOptions options;
    options.prune.density = 1.0;  // the bound also covers pruning, but dense shows the format's own error
    const CompressedLstm c = dlvpc::compress_lstm(model, seqs, options);
    for (const auto& seq : seqs) {
      const FloatRun f = run_float(model, seq);
      const FixedRun q = run_fixed(c.fixed, &c.sparse, quantize16(seq, c.fixed.x_frac));
      EXPECT_EQ(q.saturations, 0u);
      const ErrorBound bound = output_error_bound(model, c.fixed, seq, f);
      double worst = 0;
      for (size_t i = 0; i < f.y.size(); ++i) {
        const double err = std::fabs(dequantize(q.y[i], c.fixed.output_frac()) - f.y[i]);
        ASSERT_LE(err, bound.y[i]) << "trial " << trial << " element " << i;
        worst = std::max(worst, err);
      }
      ASSERT_GT(bound.max_y, 0);
      EXPECT_LT(bound.max_y, 0.05) << "a bound this loose would prove little";
      if (trial < 3)
        std::printf("I=%u H=%u P=%u: max |fixed - float| = %.2e, bound %.2e\n", input, hidden, projection, worst, bound.max_y);
    }
  }
}

TEST(LstmReference, MalformedStreamsAreRefusedWithCodeAndIndex) {
  FixedMatrix m{40, 2, 11, std::vector<int16_t>(80, 0)};
  m.q[39 * 2 + 0] = 5;  // row 39, column 0: PE 1 of 2, local row 19 -> a padding entry first
  CscMatrix c = dlvpc::encode_csc(m, 2);
  ASSERT_EQ(c.streams[1].entries.size(), 2u);
  std::vector<int16_t> a = {1, 1};
  std::vector<int64_t> acc(40, 0);
  CscMatrix bad = c;
  bad.streams[1].entries[1] = lstm::make_entry(5, 15);  // row 15 + 16 = 31 > 19
  try {
    accumulate_sparse(bad, a.data(), 0, acc);
    FAIL() << "accepted a relative index past the slice";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("PE 1 stream: relative row index runs past the PE's slice (code 5, index 1)"),
              std::string::npos) << e.what();
  }
  bad = c;
  bad.streams[0].pointers[1] = 7;  // past the end of PE 0's empty stream
  EXPECT_THROW(decode(bad), std::invalid_argument);
  bad = c;
  bad.streams[1].pointers.pop_back();
  EXPECT_THROW(decode(bad), std::invalid_argument);
}

TEST(LstmReference, CheckRefusesOutOfRangeFields) {
  FixedLstm m;
  m.input_size = 1, m.hidden_size = 1;
  m.w = {4, 1, 11, std::vector<int16_t>(4, 0)};
  m.r = {4, 1, 11, std::vector<int16_t>(4, 0)};
  m.x_frac = 10, m.h_frac = 15, m.c_frac = 12, m.gate_frac = 26;
  m.bias.assign(4, 0);
  EXPECT_NO_THROW(m.check());
  FixedLstm bad = m;
  bad.w.q[0] = 2048;  // 13 bits
  EXPECT_THROW(bad.check(), std::invalid_argument);
  bad = m;
  bad.gate_frac = 40;  // W's product shift 19 > 15
  EXPECT_THROW(bad.check(), std::invalid_argument);
  bad = m;
  bad.accumulator_bits = 64;
  EXPECT_THROW(bad.check(), std::invalid_argument);
  bad = m;
  bad.bias.pop_back();
  EXPECT_THROW(bad.check(), std::invalid_argument);
}

TEST(LstmReference, ProjectionOfIdentityEqualsNoProjection) {
  std::mt19937 rng(8);
  FloatLstm plain = lstm_test::random_lstm(rng, 3, 5, 0, false);
  FloatLstm projected = plain;
  projected.projection_size = 5;
  projected.projection.assign(25, 0.0);
  for (int k = 0; k < 5; ++k) projected.projection[k * 5 + k] = 1.0;
  const auto x = lstm_test::uniform(rng, 4 * 3, -1, 1);
  EXPECT_EQ(run_float(plain, x).y, run_float(projected, x).y);
}

}  // namespace
}  // namespace dlvp::lstm_ref
