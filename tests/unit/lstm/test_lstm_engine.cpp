// The sparse LSTM engine behind the IFU (docs/lstm.md, "Engine"): random LSTM layers compressed by
// dlvpc, programmed by the LSTM program builder, run through the IFU, the DMA and the engine on
// the IFU test bench, bit-exact with the reference's fixed-point LSTM; the timing model on
// hand-computable cases; malformed streams and out-of-range offsets; energy and figures per layer.
#include "ip/lstm/lstm_regs.h"
#include "ip/lstm/lstm_timing.h"
#include "tests/unit/builder/schedule_checker.h"
#include "tests/unit/ifu/ifu_test_bench.h"
#include "tests/unit/lstm/lstm_bench_util.h"
#include "tests/unit/lstm/lstm_race_check.h"
#include "tests/unit/lstm/lstm_test_util.h"
#include "tools/builder/lstm_program.h"
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/lstm_compress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>

namespace dlvp::test {
namespace {

using builder::LstmProgram;
using builder::LstmProgramOptions;
using dlvpc::CompressedLstm;
using dlvpc::CompressOptions;
using dlvpc::Pruning;
using lstm_ref::FixedRun;
using lstm_ref::FixedState;

// A compressed random layer, its quantized input sequences and (optionally) initial states.
struct Layer {
  CompressedLstm c;
  std::vector<std::vector<int16_t>> inputs;  // per channel, [T][I]
  std::vector<FixedState> initial;           // empty: zeros
  uint32_t steps = 0;
};

// Compresses `model` into `l` and quantizes each sequence of `seqs` as one channel's input.
template <typename Sequences>
void compress_into(Layer& l, const lstm_ref::FloatLstm& model, const Sequences& seqs, const CompressOptions& options) {
  l.c = dlvpc::compress_lstm(model, seqs, options);
  for (const auto& seq : seqs) l.inputs.push_back(lstm_ref::quantize16(seq, l.c.fixed.x_frac));
}

Layer random_layer(std::mt19937& rng, uint32_t pes, int trial) {
  const uint32_t input = 1 + rng() % 24, hidden = 1 + rng() % 24;
  const uint32_t projection = trial % 3 == 2 ? 1 + rng() % 16 : 0;
  const bool peephole = trial % 2 == 1;
  const lstm_ref::FloatLstm model = lstm_test::random_lstm(rng, input, hidden, projection, peephole, 0.3 + 0.1 * (trial % 5));
  Layer l;
  l.steps = 2 + rng() % 3;
  const uint32_t channels = 1 + rng() % 4;
  const auto seqs = lstm_test::random_sequences(rng, channels, l.steps, input, 0.5 + trial % 3);
  CompressOptions options;
  options.prune.density = std::array<double, 6>{0.0, 0.1, 0.3, 1.0, 0.05, 0.5}[trial % 6];
  options.prune.mode = trial % 4 == 3 ? Pruning::kGlobal : Pruning::kBalanced;
  options.prune.pes = pes;
  compress_into(l, model, seqs, options);
  if (trial % 2 == 1)
    for (uint32_t ch = 0; ch < channels; ++ch) {
      FixedState s;
      for (uint32_t k = 0; k < model.recurrent_size(); ++k) s.recurrent.push_back(static_cast<int16_t>(rng() % 20001) - 10000);
      for (uint32_t k = 0; k < hidden; ++k) s.c.push_back(static_cast<int16_t>(rng() % 20001) - 10000);
      l.initial.push_back(s);
    }
  return l;
}

// A fully connected head on a layer's output (builder::LstmHead) and its encoding for the engine.
struct Head {
  lstm_ref::FixedLinear layer;
  lstm_ref::CscMatrix sparse;
  builder::LstmHead view() const { return {&layer, &sparse}; }
};

// A random head reading `inputs` values at radix point `input_frac`: 1..40 outputs, 12-bit weights
// of which about `density` are non-zero, a random bias (one in eight up to the int32 limits, so the
// accumulator saturates) or none, and an output radix point that keeps most outputs in range.
Head random_head(std::mt19937& rng, uint32_t inputs, int input_frac, uint32_t pes, double density,
                 bool store_zeros = false) {
  Head h;
  lstm_ref::FixedLinear& f = h.layer;
  f.matrix.rows = 1 + rng() % 40;
  f.matrix.cols = inputs;
  f.matrix.frac = 8 + static_cast<int>(rng() % 6);
  std::uniform_int_distribution<int> weight(lstm::kWeightMin, lstm::kWeightMax);
  std::bernoulli_distribution keep(density);
  for (uint64_t i = 0; i < uint64_t{f.matrix.rows} * inputs; ++i)
    f.matrix.q.push_back(static_cast<int16_t>(keep(rng) ? weight(rng) : 0));
  f.input_frac = input_frac;
  f.acc_frac = f.matrix.frac + input_frac;  // product shift 0
  // |y| ~ 2^14 and |w| ~ 2^10: a sum of n products is ~ sqrt(n) x 2^24; shifted right by
  // log2(sqrt(n)) + 11..14 it is ~ 2^10..2^13: most outputs in range, a few saturated.
  const int spread = static_cast<int>(std::ceil(std::log2(std::sqrt(density * inputs) + 1)));
  const int shift = 11 + spread + static_cast<int>(rng() % 4);
  f.output_frac = std::clamp(f.acc_frac - shift, lstm::kMinFrac, lstm::kMaxFrac);
  if (rng() % 3) {
    const int64_t limit = rng() % 8 ? std::min<int64_t>(INT32_MAX, int64_t{1} << (shift + 12)) : INT32_MAX;
    std::uniform_int_distribution<int32_t> bias(static_cast<int32_t>(-limit), static_cast<int32_t>(limit));
    for (uint32_t n = 0; n < f.matrix.rows; ++n) f.bias.push_back(bias(rng));
  }
  f.check();
  h.sparse = dlvpc::encode_csc(f.matrix, pes, store_zeros);
  return h;
}

Head random_head(std::mt19937& rng, const lstm_ref::FixedLstm& m, uint32_t pes, double density) {
  return random_head(rng, m.output_size(), m.output_frac(), pes, density);
}

uint64_t entry_count(const lstm_ref::CscMatrix& m) {
  uint64_t n = 0;
  for (const lstm_ref::CscStream& s : m.streams) n += s.entries.size();
  return n;
}

JobSpec job_of(const LstmProgram& p) { return lstm_job(p.instructions); }

// The constants with the initial state written in.
std::vector<uint8_t> constants_of(const LstmProgram& p, const Layer& l) {
  std::vector<uint8_t> constants = p.constants;
  const uint32_t channels = static_cast<uint32_t>(l.inputs.size());
  const uint64_t rn = l.c.fixed.recurrent_size(), h = l.c.fixed.hidden_size;
  for (uint32_t ch = 0; ch < l.initial.size(); ++ch) {
    std::memcpy(constants.data() + p.initial_state_offset + ch * rn * 2, l.initial[ch].recurrent.data(), rn * 2);
    std::memcpy(constants.data() + p.initial_state_offset + (channels * rn + ch * h) * 2, l.initial[ch].c.data(), h * 2);
  }
  return constants;
}

// x [T][channels][I] from the channels' [T][I].
std::vector<int16_t> interleave(const std::vector<std::vector<int16_t>>& inputs, uint32_t steps, uint32_t size) {
  std::vector<int16_t> x;
  for (uint32_t t = 0; t < steps; ++t)
    for (const auto& seq : inputs) x.insert(x.end(), seq.begin() + t * size, seq.begin() + (t + 1) * size);
  return x;
}

// Runs the layer's program on the bench (CPU thread) and compares every output with the reference:
// the stored steps' y (every step, or the last one), the last c and, with a head (the one the
// program was built with), its output on the last y of each channel.
// The engine's cycles so far, by layer tag.
std::map<uint32_t, uint64_t> engine_cycles(Bench& b) {
  std::map<uint32_t, uint64_t> cycles;
  for (const auto& [ledger_tag, layer] : b.lstm->layer_stats()) cycles[layer.tag] += layer.timing.cycles;
  return cycles;
}

// The engine's figures of layer `tag` (Header.tag) of the bench's one program.
const LstmEngine::LayerStats& stats_of(const LstmEngine& e, uint32_t tag) {
  static const LstmEngine::LayerStats none;
  for (const auto& [ledger_tag, layer] : e.layer_stats())
    if (layer.tag == tag) return layer;
  ADD_FAILURE() << "no layer " << tag;
  return none;
}

JobResult run_and_compare(Bench& b, const Layer& l, const LstmProgram& p, const std::string& what,
                          const Head* head = nullptr);

// Runs the program like run_and_compare and checks that the engine counted, per layer tag, the
// cycles dlvpc's predict_lstm_cycles computed from the program alone.
void run_compare_and_predict(Bench& b, const Layer& l, const LstmProgram& p, const std::string& what, const Head* head) {
  const std::map<uint32_t, lstm::LstmTiming> predicted = dlvpc::predict_lstm_cycles(p, b.lstm->config());
  const std::map<uint32_t, uint64_t> before = engine_cycles(b);
  run_and_compare(b, l, p, what, head);
  std::map<uint32_t, uint64_t> after = engine_cycles(b);
  for (const auto& [tag, t] : predicted) {
    const auto was = before.find(tag);
    EXPECT_EQ(after[tag] - (was == before.end() ? 0 : was->second), t.cycles) << what << ", tag " << tag;
  }
}

JobResult run_and_compare(Bench& b, const Layer& l, const LstmProgram& p, const std::string& what,
                          const Head* head) {
  const lstm_ref::FixedLstm& m = l.c.fixed;
  const uint32_t channels = static_cast<uint32_t>(l.inputs.size());
  b.write_memory(kConstantsWindow, constants_of(p, l).data(), p.constants.size());
  const auto x = bytes_of(interleave(l.inputs, l.steps, m.input_size));
  b.write_memory(kInputWindow, x.data(), x.size());
  const std::vector<uint8_t> stale(p.output_bytes, 0x5a);  // no output may survive from an earlier job
  b.write_memory(kOutputWindow, stale.data(), stale.size());
  const JobResult r = b.run_job(job_of(p));
  EXPECT_TRUE(r.interrupted) << what;
  EXPECT_EQ(r.status & (ifu::kStatusDone | ifu::kStatusError), ifu::kStatusDone)
      << what << ": error " << r.error_code << " at " << r.error_index;
  const std::vector<FixedRun> expected =
      lstm_ref::run_fixed_channels(m, &l.c.sparse, l.inputs, l.initial.empty() ? nullptr : &l.initial);
  const std::vector<int16_t> out = int16_of(b.read_memory(kOutputWindow, p.output_bytes));
  const uint32_t rn = m.output_size(), h = m.hidden_size;
  EXPECT_EQ(p.final_c_offset, uint64_t{p.stored_steps} * channels * rn * 2) << what;  // y of the stored steps, then c
  const uint32_t first_stored = l.steps - p.stored_steps;
  for (uint32_t ch = 0; ch < channels; ++ch) {
    for (uint32_t s = 0; s < p.stored_steps; ++s)
      for (uint32_t n = 0; n < rn; ++n)
        EXPECT_EQ(out[(uint64_t{s} * channels + ch) * rn + n], expected[ch].y[uint64_t{first_stored + s} * rn + n])
            << what << ": y, channel " << ch << " step " << first_stored + s << " element " << n;
    for (uint32_t k = 0; k < h; ++k)
      EXPECT_EQ(out[p.final_c_offset / 2 + uint64_t{ch} * h + k], expected[ch].last.c[k])
          << what << ": last c, channel " << ch << " cell " << k;
  }
  if (head) {
    // The head on the last y, or on every step's ([channel][step][output], head_every_step).
    const uint32_t outputs = head->layer.outputs();
    const uint32_t steps = static_cast<uint32_t>(p.head_output_bytes / (uint64_t{channels} * outputs * 2));
    EXPECT_TRUE(steps == 1 || steps == l.steps) << what;
    EXPECT_GE(p.head_output_offset, p.final_c_offset + uint64_t{channels} * h * 2) << what;
    EXPECT_EQ(p.output_bytes, p.head_output_offset + p.head_output_bytes) << what;
    for (uint32_t ch = 0; ch < channels; ++ch)
      for (uint32_t s = 0; s < steps; ++s) {
        const uint64_t t = l.steps - steps + s;
        const std::vector<int16_t> y(expected[ch].y.begin() + t * rn, expected[ch].y.begin() + (t + 1) * rn);
        const std::vector<int16_t> want = lstm_ref::run_linear(head->layer, &head->sparse, y);
        for (uint32_t n = 0; n < outputs; ++n)
          EXPECT_EQ(out[p.head_output_offset / 2 + (uint64_t{ch} * steps + s) * outputs + n], want[n])
              << what << ": head output, channel " << ch << " step " << t << " element " << n;
      }
  }
  b.acknowledge();
  return r;
}

// ---------------------------------------------------------------------------------------------
// Bit-exact against the reference, one engine (PE count) per process.

class LstmEngineBitExact : public ::testing::TestWithParam<uint32_t> {};
constexpr int kTrials = 12;

TEST_P(LstmEngineBitExact, RandomLayersMatchTheReference) {
  const uint32_t pes = GetParam();
  Bench b(lstm_bench(pes));
  std::mt19937 rng(100 + pes);
  int layers = 0;
  b.run([&](RegisterInitiator&) {
    for (int trial = 0; trial < kTrials; ++trial) {
      const Layer l = random_layer(rng, pes, trial);
      LstmProgramOptions o;
      o.steps = l.steps;
      o.channels = static_cast<uint32_t>(l.inputs.size());
      o.max_chunk_cols = trial % 3 == 1 ? 1 + rng() % 7 : 0;  // column ranges smaller than a matrix
      o.tag = static_cast<uint32_t>(trial);
      const LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, *lstm_bench(pes).lstm, o);
      const std::string what = "PEs " + std::to_string(pes) + " trial " + std::to_string(trial) + " (I " +
                               std::to_string(l.c.fixed.input_size) + ", H " + std::to_string(l.c.fixed.hidden_size) +
                               ", P " + std::to_string(l.c.fixed.projection_size) + ", channels " +
                               std::to_string(o.channels) + ", steps " + std::to_string(o.steps) + ", chunk " +
                               std::to_string(o.max_chunk_cols) + ")";
      run_and_compare(b, l, p, what);
      ++layers;
    }
  });
  EXPECT_EQ(layers, kTrials);
  EXPECT_EQ(b.lstm->rejected_instructions(), 0u);
  EXPECT_GT(b.lstm->totals().macs, 0u);
}

INSTANTIATE_TEST_SUITE_P(Pes, LstmEngineBitExact, ::testing::Values(1u, 3u, 8u, 32u));

TEST(LstmEngine, WideAccumulatorsMatchTheReference) {
  // 48-bit accumulators: the engine's width is the model's.
  {
    const uint32_t bits = 48;
    Bench b(lstm_bench(4, bits));
    std::mt19937 rng(9);
    b.run([&](RegisterInitiator&) {
      for (int trial = 0; trial < 3; ++trial) {
        const lstm_ref::FloatLstm model = lstm_test::random_lstm(rng, 5, 8, trial == 2 ? 4 : 0, trial == 1, 0.6);
        const auto seqs = lstm_test::random_sequences(rng, 2, 3, 5, 2.0);
        CompressOptions options;
        options.prune.density = 0.4;
        options.prune.pes = 4;
        options.quantize.accumulator_bits = bits;
        Layer l;
        compress_into(l, model, seqs, options);
        l.steps = 3;
        LstmProgramOptions o;
        o.steps = 3;
        o.channels = 2;
        run_and_compare(b, l, builder::build_lstm_program(l.c.fixed, l.c.sparse, *lstm_bench(4, bits).lstm, o),
                        "48-bit trial " + std::to_string(trial));
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Timing model (pure functions).

lstm::SpmvWork work_of(uint32_t pes, uint32_t rows, const std::vector<std::vector<uint32_t>>& per_column,
                       uint32_t channels = 1) {
  lstm::SpmvWork w;
  w.pes = pes, w.rows = rows, w.channels = channels;
  w.cols = static_cast<uint32_t>(per_column.size());
  for (const auto& column : per_column)
    for (const uint32_t e : column) {
      w.entries.push_back(e);
      w.nonzeros += e;
    }
  return w;
}

TEST(LstmTiming, OneColumnIsThePointerReadTheSlowestPeAndTheFill) {
  LstmConfig c;
  c.multiplier_latency = 2;
  c.adder_latency = 1;
  const lstm::LstmTiming t = lstm::spmv_timing(c, work_of(4, 64, {{3, 5, 2, 0}}));
  EXPECT_EQ(t.column_cycles, 1u + 5u);  // pointer read, then PE 1's five entries
  EXPECT_EQ(t.fill_cycles, 3u);
  EXPECT_EQ(t.cycles, 9u);
  const lstm::PeLoad load = t.pe_load();
  EXPECT_EQ(load.min, 0u);
  EXPECT_EQ(load.max, 5u);
  EXPECT_DOUBLE_EQ(load.mean, 2.5);
  EXPECT_DOUBLE_EQ(load.imbalance(), 2.0);
  EXPECT_EQ(t.macs, 10u);
  EXPECT_EQ(t.dense_macs, 64u);
  // 20 non-zero operations in 9 cycles at 200 MHz; dense-equivalent 128 in 9 cycles.
  EXPECT_NEAR(t.effective_gops(200.0), 20.0 * 0.2 / 9.0, 1e-12);
  EXPECT_NEAR(t.dense_equivalent_gops(200.0), 128.0 * 0.2 / 9.0, 1e-12);

  // Channels share an entry: with one multiplier per PE each entry takes `channels` cycles, with
  // as many multipliers as channels one.
  EXPECT_EQ(lstm::spmv_timing(c, work_of(4, 64, {{3, 5, 2, 0}}, 3)).column_cycles, 1u + 15u);
  c.macs_per_pe = 4;
  EXPECT_EQ(lstm::spmv_timing(c, work_of(4, 64, {{3, 5, 2, 0}}, 3)).column_cycles, 1u + 5u);
}

TEST(LstmTiming, PointerReadsHideBehindEntriesButNotBehindEmptyColumns) {
  LstmConfig c;
  // One PE, columns 2, 3, 0, 0, 1 entries: pointer reads exposed for columns 0, 3 and 4 (after empty ones).
  const lstm::LstmTiming t = lstm::spmv_timing(c, work_of(1, 8, {{2}, {3}, {0}, {0}, {1}}));
  EXPECT_EQ(t.pointer_cycles, 3u);
  EXPECT_EQ(t.column_cycles, 1u + 2 + 3 + 0 + 1 + 1 + 1);
}

TEST(LstmTiming, TheFifoDecouplesPesOnASkewedMatrix) {
  // Two PEs with the same total, each loaded in alternate columns: with a FIFO of one column each
  // column waits for the slower PE; with eight the PEs drift apart and overlap.
  std::vector<std::vector<uint32_t>> columns;
  for (int j = 0; j < 64; ++j) columns.push_back(j % 2 ? std::vector<uint32_t>{0, 4} : std::vector<uint32_t>{4, 0});
  LstmConfig shallow, deep;
  shallow.fifo_depth = 1;
  deep.fifo_depth = 8;
  const lstm::LstmTiming a = lstm::spmv_timing(shallow, work_of(2, 2, columns));
  const lstm::LstmTiming b = lstm::spmv_timing(deep, work_of(2, 2, columns));
  EXPECT_DOUBLE_EQ(a.pe_load().imbalance(), 1.0);
  // Depth 1: column j starts when both PEs finished j - 1: 4 cycles per column (+ the exposed
  // pointer reads, which overlap the other PE's work), ~ 64 x 4.
  EXPECT_GE(a.column_cycles, 64u * 4);
  // Depth 8: each PE works 32 x 4 cycles plus its 32 exposed pointer reads, the two in parallel.
  EXPECT_LE(b.column_cycles, 32u * 4 + 32 + 8);
  EXPECT_GT(a.broadcast_stall_cycles, b.broadcast_stall_cycles);
  std::printf("skewed 2-PE matrix, 64 columns: FIFO depth 1: %llu cycles, depth 8: %llu cycles\n",
              static_cast<unsigned long long>(a.column_cycles), static_cast<unsigned long long>(b.column_cycles));
}

lstm::SpmvWork work_of_matrix(const lstm_ref::CscMatrix& m) {
  lstm::SpmvWork w;
  w.pes = m.pes, w.rows = m.rows, w.cols = m.cols, w.channels = 1;
  w.entries.assign(uint64_t{m.cols} * m.pes, 0);
  for (uint32_t p = 0; p < m.pes; ++p) {
    const lstm_ref::CscStream& s = m.streams[p];
    for (uint32_t j = 0; j < m.cols; ++j) w.entries[uint64_t{j} * m.pes + p] = s.pointers[j + 1] - s.pointers[j];
    for (const uint16_t e : s.entries) ++(lstm::entry_weight(e) ? w.nonzeros : w.padding);
  }
  return w;
}

TEST(LstmTiming, TenPercentSparseIsFasterThanDenseByAboutTheDensity) {
  std::mt19937 rng(4);
  const uint32_t rows = 1024, cols = 512, pes = 32;
  // Magnitudes in [0.05, 1]: no weight quantizes to 0, so the dense matrix is full.
  std::vector<double> dense_values = lstm_test::uniform(rng, uint64_t{rows} * cols, 0.05, 1.0);
  for (size_t i = 0; i < dense_values.size(); i += 2) dense_values[i] = -dense_values[i];
  auto encode = [&](double density) {
    dlvpc::PruneOptions o;
    o.density = density;
    o.pes = pes;
    const std::vector<double> pruned = dlvpc::prune_matrix(dense_values, rows, cols, o);
    return dlvpc::encode_csc(dlvpc::quantize_matrix(pruned, rows, cols, 11), pes);
  };
  const LstmConfig c;
  const lstm::LstmTiming dense = lstm::spmv_timing(c, work_of_matrix(encode(1.0)));
  const lstm::LstmTiming sparse = lstm::spmv_timing(c, work_of_matrix(encode(0.1)));
  const double speedup = double(dense.cycles) / double(sparse.cycles);
  std::printf("1024 x 512 on 32 PEs: dense %llu cycles, 10%% sparse %llu cycles (%.2f%% entries with padding), "
              "speedup %.2fx; sparse imbalance %.3f, effective %.2f GOPS, dense-equivalent %.2f GOPS\n",
              static_cast<unsigned long long>(dense.cycles), static_cast<unsigned long long>(sparse.cycles),
              100.0 * double(sparse.entries) / (double(rows) * cols), speedup, sparse.pe_load().imbalance(),
              sparse.effective_gops(200.0), sparse.dense_equivalent_gops(200.0));
  EXPECT_EQ(dense.cycles, uint64_t{rows} / pes * cols + 1 + 3);  // every column full: 32 entries per PE
  EXPECT_GT(speedup, 6.0);
  EXPECT_LT(speedup, 10.0);
  EXPECT_NEAR(sparse.dense_equivalent_gops(200.0) / dense.dense_equivalent_gops(200.0), speedup, 1e-9);
}

// The ESE configuration (docs/lstm.md): 153 inputs, 1024 cells, a 512 projection, random weights
// pruned to 10 % with load balancing over 32 PEs at 200 MHz. One time step: W x_t, R y_{t-1}, the
// element-wise stage, the projection. A figure to compare with the paper's 82.7 us per step and its
// 6.2x sparse/dense speedup ([Han17], docs/references.md); the test only checks that it is in a sane range.
TEST(LstmTiming, EseConfigurationPerStepLatency) {
  std::mt19937 rng(12);
  const LstmConfig c;  // 32 PEs, 200 MHz, FIFO depth 8, one multiplier per PE
  struct Shape {
    uint32_t rows, cols;
    bool output;
  };
  const Shape shapes[] = {{4096, 153, false}, {4096, 512, false}, {512, 1024, true}};
  auto step = [&](double density, lstm::LstmTiming& total) {
    for (const Shape& s : shapes) {
      const std::vector<double> values = lstm_test::uniform(rng, uint64_t{s.rows} * s.cols, -1.0, 1.0);
      dlvpc::PruneOptions o;
      o.density = density;
      o.pes = c.pes;
      const auto m = dlvpc::encode_csc(dlvpc::quantize_matrix(dlvpc::prune_matrix(values, s.rows, s.cols, o), s.rows,
                                                              s.cols, 11), c.pes);
      lstm::SpmvWork w = work_of_matrix(m);
      w.acc_last = s.output;
      total += lstm::spmv_timing(c, w);
    }
    total += lstm::gates_timing(c, 1024, 1);
  };
  lstm::LstmTiming sparse, dense;
  step(0.1, sparse);
  step(1.0, dense);
  const double us = double(sparse.cycles) / c.clock_mhz, dense_us = double(dense.cycles) / c.clock_mhz;
  const lstm::PeLoad load = sparse.pe_load();
  std::printf("ESE configuration, one step: sparse %llu cycles = %.1f us (entries %.2f%% of dense, PE entries "
              "%llu / %.1f / %llu, imbalance %.4f, broadcast stalls %llu, exposed pointer PE-cycles %llu), "
              "%.1f effective GOPS, %.1f dense-equivalent GOPS; dense %.1f us; speedup %.2fx\n",
              static_cast<unsigned long long>(sparse.cycles), us, 100.0 * double(sparse.entries) / double(dense.entries),
              static_cast<unsigned long long>(load.min), load.mean, static_cast<unsigned long long>(load.max),
              load.imbalance(), static_cast<unsigned long long>(sparse.broadcast_stall_cycles),
              static_cast<unsigned long long>(sparse.pointer_cycles), sparse.effective_gops(c.clock_mhz),
              sparse.dense_equivalent_gops(c.clock_mhz), dense_us, dense_us / us);
  EXPECT_GT(us, 40.0);
  EXPECT_LT(us, 120.0);
  EXPECT_GT(dense_us / us, 5.0);
}

TEST(LstmTiming, GatesTakeTheCellsOverTheLanesPlusTheLatency) {
  LstmConfig c;
  c.elementwise_lanes = 32;
  c.elementwise_latency = 12;
  EXPECT_EQ(lstm::gates_timing(c, 1024, 1).cycles, 32u + 12);
  EXPECT_EQ(lstm::gates_timing(c, 100, 3).cycles, 10u + 12);  // ceil(300 / 32)
}

// ---------------------------------------------------------------------------------------------
// Errors

// A small layer every PE holds entries of (density 1), for the error cases.
Layer small_layer(uint32_t pes) {
  std::mt19937 rng(77);
  const lstm_ref::FloatLstm model = lstm_test::random_lstm(rng, 6, 4, 0, false);
  const auto seqs = lstm_test::random_sequences(rng, 1, 2, 6);
  CompressOptions options;
  options.prune.density = 1.0;
  options.prune.pes = pes;
  Layer l;
  l.c = dlvpc::compress_lstm(model, seqs, options);
  l.steps = 2;
  l.inputs.push_back(lstm_ref::quantize16(seqs[0], l.c.fixed.x_frac));
  return l;
}

uint32_t first_spmv(const LstmProgram& p) {
  for (uint32_t i = 0; i < p.instructions.size(); ++i)
    if (p.instructions[i].header.opcode == isa::kOpLstmSpmv) return i;
  return 0;
}

TEST(LstmEngine, MalformedStreamsStopTheJobWithCodeAndIndex) {
  constexpr uint32_t kPes = 4;
  Bench b(lstm_bench(kPes));
  const Layer l = small_layer(kPes);
  LstmProgramOptions o;
  o.steps = l.steps;
  const LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, b.lstm->config(), o);
  // The first LOAD brings W's chunk: a row of chunk_bytes per PE; PE p's image: I + 1 pointers, entries.
  const isa::Transfer& w_load = p.instructions[0].transfer;
  const uint32_t spmv = first_spmv(p);
  const uint32_t cols = l.c.fixed.input_size;
  auto image_of = [&](std::vector<uint8_t>& constants, uint32_t pe) {
    return constants.data() + w_load.ddr_offset + uint64_t{pe} * w_load.row_bytes;
  };
  b.run([&](RegisterInitiator& cpu) {
    // 1. PE 1's pointer of column 1 points past the end of its chunk.
    std::vector<uint8_t> constants = constants_of(p, l);
    const uint32_t past = 1000000;
    std::memcpy(image_of(constants, 1) + 4, &past, 4);
    b.write_memory(kConstantsWindow, constants.data(), constants.size());
    const auto x = bytes_of(interleave(l.inputs, l.steps, cols));
    b.write_memory(kInputWindow, x.data(), x.size());
    JobResult r = b.run_job(job_of(p));
    EXPECT_EQ(r.status & ifu::kStatusError, ifu::kStatusError);
    EXPECT_EQ(r.error_code, isa::kErrBadStream);
    EXPECT_EQ(r.error_index, spmv);
    ASSERT_EQ(b.lstm->stream_faults().size(), 1u);
    EXPECT_EQ(b.lstm->stream_faults()[0].index, spmv);
    EXPECT_EQ(b.lstm->stream_faults()[0].fault.pe, 1u);
    EXPECT_EQ(b.lstm->stream_faults()[0].fault.check.error, lstm::kStreamPointerPastEnd);
    EXPECT_EQ(b.lstm->stream_faults()[0].fault.check.index, 1u);
    EXPECT_EQ(cpu.read(kLstmBase + lstm_regs::LAST_STREAM_ERROR),
              uint64_t{lstm::kStreamPointerPastEnd} | (uint64_t{1} << lstm_regs::kStreamErrorPeShift));
    EXPECT_EQ(cpu.read(kLstmBase + lstm_regs::LAST_STREAM_INDEX), 1u);
    b.acknowledge();

    // 2. PE 2's last entry skips past its slice (16 gate rows over 4 PEs: 4 rows each).
    constants = constants_of(p, l);
    uint32_t count = 0;
    std::memcpy(&count, image_of(constants, 2) + uint64_t{cols} * 4, 4);  // pointers[cols]: the entry count
    const uint32_t last_entry = count - 1;
    uint8_t* entry = image_of(constants, 2) + (uint64_t{cols} + 1) * 4 + uint64_t{last_entry} * 2;
    const uint16_t skipping = lstm::make_entry(5, 15);
    std::memcpy(entry, &skipping, 2);
    b.write_memory(kConstantsWindow, constants.data(), constants.size());
    r = b.run_job(job_of(p));
    EXPECT_EQ(r.error_code, isa::kErrBadStream);
    EXPECT_EQ(r.error_index, spmv);
    ASSERT_EQ(b.lstm->stream_faults().size(), 2u);
    EXPECT_EQ(b.lstm->stream_faults()[1].fault.pe, 2u);
    EXPECT_EQ(b.lstm->stream_faults()[1].fault.check.error, lstm::kStreamIndexPastSlice);
    EXPECT_EQ(b.lstm->stream_faults()[1].fault.check.index, last_entry);
    EXPECT_EQ(cpu.read(kLstmBase + lstm_regs::STREAM_ERRORS), 2u);
    b.acknowledge();

    // 3. The next job, with the streams intact, runs clean and bit-exact.
    run_and_compare(b, l, p, "after the stream faults");

    // 4. The same chunk corrupted again after that clean job: its LOAD rewrote the weight memory,
    // so the engine walks the streams again instead of reusing the verdict it kept for them.
    constants = constants_of(p, l);
    std::memcpy(image_of(constants, 1) + 4, &past, 4);
    b.write_memory(kConstantsWindow, constants.data(), constants.size());
    r = b.run_job(job_of(p));
    EXPECT_EQ(r.error_code, isa::kErrBadStream);
    EXPECT_EQ(r.error_index, spmv);
    EXPECT_EQ(cpu.read(kLstmBase + lstm_regs::STREAM_ERRORS), 3u);
    b.acknowledge();
  });
}

TEST(LstmEngine, OutOfRangeOffsetsAreErrorsWithTheirIndex) {
  constexpr uint32_t kPes = 4;
  Bench b(lstm_bench(kPes));
  const Layer l = small_layer(kPes);
  LstmProgramOptions o;
  o.steps = 1;
  const LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, *lstm_bench(kPes).lstm, o);
  const uint32_t spmv = first_spmv(p);
  const uint64_t vector_bytes = b.lstm->buffer_size(isa::kBufLstmVector);
  b.run([&](RegisterInitiator&) {
    b.write_memory(kConstantsWindow, p.constants.data(), p.constants.size());
    // A LOAD past the end of the vector buffer: the IFU refuses it at decode.
    JobSpec job = job_of(p);
    job.program[1] = transfer(isa::kOpLoad, 0, isa::kBufLstmVector, static_cast<uint32_t>(vector_bytes - 8),
                              builder::kArgConstants, 0, Block::linear(64));
    JobResult r = b.run_job(job);
    EXPECT_EQ(r.error_code, isa::kErrBufferOverrun);
    EXPECT_EQ(r.error_index, 1u);
    b.acknowledge();
    // An LSTM_SPMV whose input runs past the vector buffer: the engine refuses it.
    job = job_of(p);
    job.program[spmv].lstm_spmv.input_offset = static_cast<uint32_t>(vector_bytes - 2);
    r = b.run_job(job);
    EXPECT_EQ(r.error_code, isa::kErrBufferOverrun);
    EXPECT_EQ(r.error_index, spmv);
    b.acknowledge();
    // A product shift above 15 is a bad field; so is an LSTM_GATES without cells.
    job = job_of(p);
    job.program[spmv].lstm_spmv.product_shift = 16;
    r = b.run_job(job);
    EXPECT_EQ(r.error_code, isa::kErrBadField);
    EXPECT_EQ(r.error_index, spmv);
    b.acknowledge();
    job = job_of(p);
    for (auto& in : job.program)
      if (in.header.opcode == isa::kOpLstmGates) in.lstm_gates.hidden = 0;
    r = b.run_job(job);
    EXPECT_EQ(r.error_code, isa::kErrBadField);
    b.acknowledge();
  });
  EXPECT_EQ(b.lstm->stream_faults().size(), 0u);
}

TEST(LstmEngine, WithoutTheEngineItsOpcodesAreUnknown) {
  Bench b;  // the fake CNN engine only
  b.run([&](RegisterInitiator&) {
    JobSpec job;
    job.program = {blank(isa::kOpLstmGates), end_instruction()};
    const JobResult r = b.run_job(job);
    EXPECT_EQ(r.error_code, isa::kErrUnknownOpcode);
    EXPECT_EQ(r.error_index, 0u);
    b.acknowledge();
    // And a LOAD into the LSTM engine's buffers, which nobody owns, overruns a buffer of size 0.
    job.program = {load(0, 0, 0, 64, isa::kBufLstmVector), end_instruction()};
    EXPECT_EQ(b.run_job(job).error_code, isa::kErrBufferOverrun);
  });
}

TEST(LstmEngine, BothEnginesServeOneJob) {
  // The fake CNN engine's CONV (a copy) and the LSTM engine's instructions in one program: the
  // IFU dispatches each compute instruction to the engine that handles its opcode.
  BenchOptions options = lstm_bench(4);
  Bench b(options);
  const Layer l = small_layer(4);
  LstmProgramOptions o;
  o.steps = l.steps;
  LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, *options.lstm, o);
  p.instructions.insert(p.instructions.end() - 1, copy_tile(0, 0, 0, 64));
  b.run([&](RegisterInitiator&) { run_and_compare(b, l, p, "with a CONV"); });
  ASSERT_EQ(b.engine.executions.size(), 1u);
  EXPECT_EQ(b.engine.executions[0].index, p.instructions.size() - 2);
}

TEST(LstmProgramBuilder, RefusesWhatDoesNotFitTheEngine) {
  const Layer l = small_layer(4);
  LstmConfig hw = *lstm_bench(4).lstm;
  LstmProgramOptions o;
  EXPECT_NO_THROW(builder::build_lstm_program(l.c.fixed, l.c.sparse, hw, o));
  LstmConfig other_pes = hw;
  other_pes.pes = 8;  // the streams are encoded for 4 PEs
  EXPECT_THROW(builder::build_lstm_program(l.c.fixed, l.c.sparse, other_pes, o), builder::BuildError);
  LstmConfig small_memory = hw;
  small_memory.weight_memory_bytes = 64;  // W's and R's images take 76 + 52 B per PE: streamed
  EXPECT_TRUE(builder::build_lstm_program(l.c.fixed, l.c.sparse, small_memory, o).streamed);
  small_memory.weight_memory_bytes = 12;  // a column of W (8 B of pointers, 8 B of entries) exceeds half
  EXPECT_THROW(builder::build_lstm_program(l.c.fixed, l.c.sparse, small_memory, o), builder::BuildError);
  LstmConfig small_vector = hw;
  small_vector.vector_buffer_bytes = 64;
  EXPECT_THROW(builder::build_lstm_program(l.c.fixed, l.c.sparse, small_vector, o), builder::BuildError);
  lstm_ref::SparseLstm broken = l.c.sparse;
  broken.r.streams[3].pointers.back() += 1;  // one entry more than the stream holds
  EXPECT_THROW(builder::build_lstm_program(l.c.fixed, broken, hw, o), builder::BuildError);
  o.channels = 0;
  EXPECT_THROW(builder::build_lstm_program(l.c.fixed, l.c.sparse, hw, o), builder::BuildError);
}

// ---------------------------------------------------------------------------------------------
// Weight streaming from DDR (docs/lstm.md, "Engine: weight streaming")

// From the IFU's trace of a job: every LOAD into the weight memories started after every earlier
// SPMV reading those bytes had finished, and every SPMV started after the LOAD of its chunk ended.
std::string first_weight_overwrite(const Bench& b, uint64_t job, const std::vector<isa::Instruction>& program,
                                   const LstmConfig& hw) {
  const auto records = b.records_of_job(job);
  std::vector<int64_t> last_load(program.size(), -1);  // per SPMV: the LOAD its chunk came from
  for (size_t j = 0; j < program.size(); ++j) {
    if (program[j].header.opcode != isa::kOpLstmSpmv) continue;
    const auto reads = lstm_accesses(program[j], hw);
    for (size_t i = 0; i < program.size(); ++i) {
      const isa::Instruction& in = program[i];
      if (in.header.opcode != isa::kOpLoad || in.transfer.buffer != isa::kBufLstmWeight) continue;
      if (!builder::check::conflict(lstm_accesses(in, hw), reads)) continue;
      if (i > j && records.at(static_cast<uint32_t>(i)).start < records.at(static_cast<uint32_t>(j)).end)
        return "LOAD " + std::to_string(i) + " overwrote the chunk of SPMV " + std::to_string(j) + " before it finished";
      if (i < j) last_load[j] = static_cast<int64_t>(i);
    }
    if (last_load[j] < 0) return "SPMV " + std::to_string(j) + " reads a chunk no LOAD brought";
    if (records.at(static_cast<uint32_t>(j)).start < records.at(static_cast<uint32_t>(last_load[j])).end)
      return "SPMV " + std::to_string(j) + " started before its chunk's LOAD ended";
  }
  return {};
}

// A random layer with a projection that cannot fit a 256 B weight memory per PE: its pointers
// alone take (I + 1 + P + 1 + H + 1) x 4 > 256 B per PE.
Layer streaming_layer(std::mt19937& rng, uint32_t pes, int trial) {
  const uint32_t input = 32 + rng() % 17, hidden = 8 * (2 + rng() % 3), projection = 4 + rng() % 13;
  const lstm_ref::FloatLstm model = lstm_test::random_lstm(rng, input, hidden, projection, trial % 2 == 1, 0.4);
  Layer l;
  l.steps = 3 + rng() % 3;
  const uint32_t channels = 1 + trial % 4;
  const auto seqs = lstm_test::random_sequences(rng, channels, l.steps, input, 1.0);
  CompressOptions options;
  options.prune.density = std::array<double, 4>{0.1, 0.3, 0.5, 0.2}[trial % 4];
  options.prune.mode = trial % 3 == 2 ? Pruning::kGlobal : Pruning::kBalanced;
  options.prune.pes = pes;
  compress_into(l, model, seqs, options);
  return l;
}

class LstmStreaming : public ::testing::TestWithParam<uint32_t> {};

TEST_P(LstmStreaming, RandomLayersThatDoNotFitAreStreamedBitExactAndRaceFree) {
  const uint32_t pes = GetParam();
  BenchOptions options = lstm_bench(pes);
  options.lstm->weight_memory_bytes = 256;  // the smallest the engine accepts: 128 B per half
  Bench b(options);
  std::mt19937 rng(500 + pes);
  constexpr int kStreamTrials = 8;
  int streamed = 0;
  b.run([&](RegisterInitiator&) {
    for (int trial = 0; trial < kStreamTrials; ++trial) {
      const Layer l = streaming_layer(rng, pes, trial);
      LstmProgramOptions o;
      o.steps = l.steps;
      o.channels = static_cast<uint32_t>(l.inputs.size());
      o.max_chunk_cols = trial % 4 == 3 ? 1 + rng() % 5 : 0;
      o.tag = static_cast<uint32_t>(trial);
      const LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, *options.lstm, o);
      const std::string what = "PEs " + std::to_string(pes) + " streaming trial " + std::to_string(trial) + " (I " +
                               std::to_string(l.c.fixed.input_size) + ", H " + std::to_string(l.c.fixed.hidden_size) +
                               ", P " + std::to_string(l.c.fixed.projection_size) + ", channels " +
                               std::to_string(o.channels) + ", steps " + std::to_string(o.steps) + ", " +
                               std::to_string(p.weight_chunks) + " chunks per step)";
      EXPECT_TRUE(p.streamed) << what;  // chosen: the chunks do not fit 256 B
      streamed += p.streamed;
      EXPECT_GT(p.weight_chunks, 3u) << what;
      EXPECT_EQ(builder::check::token_balance(p.instructions).error, "") << what;
      EXPECT_EQ(first_lstm_race(p.instructions, *options.lstm), "") << what;
      EXPECT_TRUE(builder::check::runs_to_end(p.instructions, 2)) << what;
      run_and_compare(b, l, p, what);
      EXPECT_EQ(first_weight_overwrite(b, static_cast<uint64_t>(trial), p.instructions, *options.lstm), "") << what;
    }
  });
  EXPECT_EQ(streamed, kStreamTrials);
  EXPECT_EQ(b.lstm->rejected_instructions(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Pes, LstmStreaming, ::testing::Values(4u, 8u));

TEST(LstmStreaming, ResidentWhenItFitsStreamedWhenAskedBothBitExact) {
  constexpr uint32_t kPes = 8;
  Bench b(lstm_bench(kPes));
  std::mt19937 rng(31);
  const Layer l = streaming_layer(rng, kPes, 1);
  b.run([&](RegisterInitiator&) {
    for (const bool stream : {false, true}) {
      LstmProgramOptions o;
      o.steps = l.steps;
      o.channels = static_cast<uint32_t>(l.inputs.size());
      o.stream_weights = stream;
      const LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, *lstm_bench(kPes).lstm, o);
      EXPECT_EQ(p.streamed, stream);  // 32 KiB per PE holds the layer: resident unless asked
      EXPECT_EQ(first_lstm_race(p.instructions, *lstm_bench(kPes).lstm), "");
      EXPECT_EQ(p.streamed ? p.weight_bytes_resident : p.weight_bytes_per_step, 0u);
      run_and_compare(b, l, p, stream ? "streamed" : "resident");
      if (!stream) continue;
      // The checker sees a missing token: a chunk LOAD that no longer waits for the SPMV reading
      // its half races with it.
      std::vector<isa::Instruction> broken = p.instructions;
      for (isa::Instruction& in : broken)
        if (in.header.opcode == isa::kOpLoad && (in.header.deps & isa::kPopNext)) {
          in.header.deps &= static_cast<uint8_t>(~isa::kPopNext);
          break;
        }
      EXPECT_NE(first_lstm_race(broken, *lstm_bench(kPes).lstm), "");
    }
  });
}

// Per chunk use of a streamed job: its LOAD's and its SPMV's durations, from the IFU's trace.
struct ChunkTimes {
  sc_time load, compute;
};
std::vector<ChunkTimes> chunk_times(const Bench& b, uint64_t job, const std::vector<isa::Instruction>& program) {
  const auto records = b.records_of_job(job);
  std::vector<ChunkTimes> out;
  std::vector<sc_time> loads;
  for (uint32_t i = 0; i < program.size(); ++i) {
    const isa::Instruction& in = program[i];
    const sc_time d = records.at(i).end - records.at(i).start;
    if (in.header.opcode == isa::kOpLoad && in.transfer.buffer == isa::kBufLstmWeight) loads.push_back(d);
    if (in.header.opcode == isa::kOpLstmSpmv) out.push_back({sc_core::SC_ZERO_TIME, d});
  }
  for (size_t k = 0; k < out.size() && k < loads.size(); ++k) out[k].load = loads[k];
  return out;
}

TEST(LstmStreaming, DoubleBufferingOverlapsTransferAndCompute) {
  // 8 PEs, 1 KiB of weight memory each (512 B halves), a layer of ~ 6 KiB per PE: its chunks come
  // from DDR every step. Two channels make an SPMV take about as long as its LOAD, the case where
  // overlap matters most: the job's time is close to the sum over chunks of max(LOAD, SPMV), far
  // below the sum of both.
  constexpr uint32_t kPes = 8;
  BenchOptions options = lstm_bench(kPes);
  options.lstm->weight_memory_bytes = 1024;
  Bench b(options);
  std::mt19937 rng(8);
  const lstm_ref::FloatLstm model = lstm_test::random_lstm(rng, 64, 64, 32, false);
  Layer l;
  l.steps = 4;
  const auto seqs = lstm_test::random_sequences(rng, 2, l.steps, 64);
  CompressOptions co;
  co.prune.density = 0.3;
  co.prune.pes = kPes;
  compress_into(l, model, seqs, co);
  LstmProgramOptions o;
  o.steps = l.steps;
  o.channels = 2;
  const LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, *options.lstm, o);
  ASSERT_TRUE(p.streamed);
  b.run([&](RegisterInitiator&) { run_and_compare(b, l, p, "overlap layer"); });
  const auto records = b.records_of_job(0);
  sc_time first = records.begin()->second.start, last;
  for (const auto& [index, r] : records) first = std::min(first, r.start), last = std::max(last, r.end);
  sc_time sum_load, sum_compute, sum_max;
  for (const ChunkTimes& c : chunk_times(b, 0, p.instructions)) {
    sum_load += c.load;
    sum_compute += c.compute;
    sum_max += std::max(c.load, c.compute);
  }
  const double total = (last - first).to_seconds() * 1e6;
  const double serial = (sum_load + sum_compute).to_seconds() * 1e6, overlapped = sum_max.to_seconds() * 1e6;
  std::printf("streamed layer (%u chunks per step, %llu weight B per step, %u steps): job %.2f us; chunk LOADs %.2f us, "
              "SPMVs %.2f us, sum of per-chunk max %.2f us, sum of both %.2f us\n",
              p.weight_chunks, static_cast<unsigned long long>(p.weight_bytes_per_step), l.steps, total,
              sum_load.to_seconds() * 1e6, sum_compute.to_seconds() * 1e6, overlapped, serial);
  EXPECT_GT(sum_load.to_seconds(), 0.3 * sum_compute.to_seconds());  // both matter
  EXPECT_GT(sum_compute.to_seconds(), 0.3 * sum_load.to_seconds());
  EXPECT_LT(total, 0.8 * serial);
  EXPECT_LT(total, 1.25 * overlapped);
}

// The ESE configuration streamed from DDR every step: per-step latency and DRAM bytes, sparse
// (10 %, load-balanced) and dense, on the DDR of scenarios/hw/zynq7020.yaml (DDR3-1066 x32) and of
// scenarios/hw/ddr4-2400.yaml (DDR4-2400 x64), with those scenarios' bus and DMA.
struct EseRun {
  double step_us = 0;
  uint64_t dram_bytes_per_step = 0, weight_bytes_per_step = 0, weight_bytes_resident = 0;
  uint32_t chunks = 0;
  bool streamed = false;
};

// Runs `steps` steps of the layer as job `job` (layer tag `tag`) on the bench (CPU thread).
EseRun run_ese(Bench& b, const CompressedLstm& c, const std::vector<int16_t>& input, bool stream, uint64_t job,
               uint32_t tag) {
  constexpr uint32_t kSteps = 3;
  LstmProgramOptions o;
  o.steps = kSteps;
  o.stream_weights = stream;
  o.tag = tag;
  const LstmProgram p = builder::build_lstm_program(c.fixed, c.sparse, b.lstm->config(), o);
  EseRun r;
  r.streamed = p.streamed;
  r.chunks = p.weight_chunks;
  r.weight_bytes_per_step = p.weight_bytes_per_step;
  r.weight_bytes_resident = p.weight_bytes_resident;
  EXPECT_LE(p.constants.size(), kConstantsBytes);
  b.write_memory(kConstantsWindow, p.constants.data(), p.constants.size());
  const auto x = bytes_of(std::vector<int16_t>(input.begin(), input.begin() + uint64_t{kSteps} * c.fixed.input_size));
  b.write_memory(kInputWindow, x.data(), x.size());
  const JobResult j = b.run_job(job_of(p), sc_time(200, sc_core::SC_MS));
  EXPECT_EQ(j.status & (ifu::kStatusDone | ifu::kStatusError), ifu::kStatusDone) << j.error_code;
  b.acknowledge();
  // Steady state: between the STOREs of y_1 and y_2 (step 0 also waits for its first chunk).
  std::vector<sc_time> stores;
  for (const auto& [index, rec] : b.records_of_job(job))
    if (p.instructions[index].header.opcode == isa::kOpStore) stores.push_back(rec.end);
  r.step_us = (stores.at(2) - stores.at(1)).to_seconds() * 1e6;
  const DramTraffic t = b.ledger.dram_traffic(stats_of(*b.lstm, tag).ledger_tag);
  r.dram_bytes_per_step = (t.read_bytes + t.write_bytes) / kSteps;
  return r;
}

// ESE's layer (docs/lstm.md): random weights, 10 % load-balanced and dense, both streamed from DDR
// every step (the sparse one on request: its 0.97 MB would fit 32 x 32 KiB; the dense one because
// its 6.5 MB cannot).
void ese_streaming(const char* memory, const BenchOptions& options) {
  std::mt19937 rng(12);
  const lstm_ref::FloatLstm model = lstm_test::random_lstm(rng, 153, 1024, 512, false, 0.1);
  const auto seqs = lstm_test::random_sequences(rng, 1, 3, 153);
  auto compress = [&](double density) {
    CompressOptions o;
    o.prune.density = density;
    o.prune.pes = 32;
    return dlvpc::compress_lstm(model, seqs, o);
  };
  const CompressedLstm sparse = compress(0.1), dense = compress(1.0);
  Bench b(options);
  EseRun s, d, resident;
  b.run([&](RegisterInitiator&) {
    s = run_ese(b, sparse, lstm_ref::quantize16(seqs[0], sparse.fixed.x_frac), true, 0, 1);
    d = run_ese(b, dense, lstm_ref::quantize16(seqs[0], dense.fixed.x_frac), false, 1, 2);
    resident = run_ese(b, sparse, lstm_ref::quantize16(seqs[0], sparse.fixed.x_frac), false, 2, 3);
  });
  EXPECT_TRUE(s.streamed);
  EXPECT_TRUE(d.streamed);  // chosen: 6.5 MB of dense weights do not fit 32 x 32 KiB
  EXPECT_FALSE(resident.streamed);  // chosen: the sparse layer fits
  std::printf("ESE streamed from %s: sparse %.1f us/step (%u chunks, %llu weight B/step, %llu DRAM B/step); dense "
              "%.1f us/step (%u chunks, %llu weight B/step, %llu DRAM B/step); speedup %.2fx; sparse resident "
              "%.1f us/step\n",
              memory, s.step_us, s.chunks, static_cast<unsigned long long>(s.weight_bytes_per_step),
              static_cast<unsigned long long>(s.dram_bytes_per_step), d.step_us, d.chunks,
              static_cast<unsigned long long>(d.weight_bytes_per_step),
              static_cast<unsigned long long>(d.dram_bytes_per_step), d.step_us / s.step_us, resident.step_us);
  // The padding of one strided LOAD per chunk: the chunks' bytes against the PEs' exact images.
  uint64_t exact = 0;
  for (const lstm_ref::CscMatrix* m : {&sparse.sparse.w, &sparse.sparse.r, &sparse.sparse.projection})
    for (const lstm_ref::CscStream& st : m->streams) exact += lstm::stream_image_bytes(m->cols, st.entries.size());
  std::printf("ESE sparse: exact stream images %llu B, streamed chunks %llu B per step (+%.2f %%); resident %llu B "
              "(%.1f KiB per PE)\n",
              static_cast<unsigned long long>(exact), static_cast<unsigned long long>(s.weight_bytes_per_step),
              100.0 * (double(s.weight_bytes_per_step) / double(exact) - 1.0),
              static_cast<unsigned long long>(resident.weight_bytes_resident),
              double(resident.weight_bytes_resident) / 32 / 1024);
  std::fflush(stdout);
  EXPECT_GT(d.step_us, s.step_us);
  EXPECT_GE(s.dram_bytes_per_step, s.weight_bytes_per_step);
  EXPECT_GE(s.step_us, resident.step_us);
}

TEST(LstmStreaming, EseConfigurationFromDdr3) {
  // scenarios/hw/zynq7020.yaml: DDR3-1066 x32, bus 214 MHz x 8 B, DMA 214 MHz, 128 B bursts.
  BenchOptions o = lstm_bench(32);
  o.ddr_preset = "ddr3-1066-x32";
  o.bus.clock_mhz = 214, o.bus.width_bytes = 8;
  o.dma.clock_mhz = 214, o.dma.burst_bytes = 128, o.dma.max_outstanding = 8;
  ese_streaming("DDR3-1066 x32", o);
}

// scenarios/hw/ddr4-2400.yaml: DDR4-2400 x64, bus 600 MHz x 32 B, DMA 600 MHz, 256 B bursts.
TEST(LstmStreaming, EseConfigurationFromDdr4) { ese_streaming("DDR4-2400 x64", ddr4_bench()); }

TEST(LstmStreaming, EseConfigurationFromDdr4WithA64ByteBufferPort) {
  // The LSTM buffers' DMA-side port at 64 B x 200 MHz = 12.8 GB/s instead of 3.2 GB/s: the weight
  // bandwidth the paper's 82.7 us per step implies (docs/lstm.md, "Weight streaming from DDR").
  BenchOptions o = ddr4_bench();
  o.lstm->buffer_port_bytes = 64;
  ese_streaming("DDR4-2400 x64, 64 B LSTM buffer port", o);
}

// ---------------------------------------------------------------------------------------------
// A classifier head after the last step (builder::LstmHead): LSTM_SPMVs on the last y

// The program's static checks: tokens balanced, no race, no deadlock at queue depth 2.
void expect_sound_schedule(const LstmProgram& p, const LstmConfig& hw, const std::string& what) {
  EXPECT_EQ(builder::check::token_balance(p.instructions).error, "") << what;
  EXPECT_EQ(first_lstm_race(p.instructions, hw), "") << what;
  EXPECT_TRUE(builder::check::runs_to_end(p.instructions, 2)) << what;
}

// The program's STOREs: y of each stored step, c, the head's output (one per channel on every
// step), all inside output_bytes.
void expect_stores(const LstmProgram& p, const LstmProgramOptions& o, const std::string& what) {
  uint32_t stores = 0;
  for (const isa::Instruction& in : p.instructions) {
    if (in.header.opcode != isa::kOpStore) continue;
    ++stores;
    for (const builder::check::Range& r : builder::check::accesses(in))
      if (r.space >= builder::check::kDdrSpace) {
        EXPECT_EQ(r.space, builder::check::kDdrSpace + builder::kArgOutput) << what;
        EXPECT_LE(r.end, p.output_bytes) << what;
      }
  }
  EXPECT_EQ(stores, p.stored_steps + 1 + (o.head_every_step ? o.channels : 1)) << what;
}

std::string describe(const Layer& l, const Head& head, const LstmProgramOptions& o) {
  const lstm_ref::FixedLstm& m = l.c.fixed;
  return "(I " + std::to_string(m.input_size) + ", H " + std::to_string(m.hidden_size) + ", P " +
         std::to_string(m.projection_size) + ", channels " + std::to_string(o.channels) + ", steps " +
         std::to_string(o.steps) + ", chunk " + std::to_string(o.max_chunk_cols) + ", head " +
         std::to_string(head.layer.outputs()) + " outputs" + (head.layer.bias.empty() ? "" : " with bias") +
         ", store_sequence " + std::to_string(o.store_sequence) + (o.head_every_step ? ", on every step" : "") + ")";
}

LstmProgramOptions head_options(const Layer& l, bool store_sequence, uint32_t max_chunk_cols) {
  LstmProgramOptions o;
  o.steps = l.steps;
  o.channels = static_cast<uint32_t>(l.inputs.size());
  o.store_sequence = store_sequence;
  o.max_chunk_cols = max_chunk_cols;
  return o;
}

constexpr std::array<double, 3> kHeadDensities = {1.0, 0.6, 0.2};

class LstmHeadBitExact : public ::testing::TestWithParam<uint32_t> {};

TEST_P(LstmHeadBitExact, RandomHeadsOnRandomLayersMatchTheReference) {
  const uint32_t pes = GetParam();
  const LstmConfig hw = *lstm_bench(pes).lstm;
  Bench b(lstm_bench(pes));
  std::mt19937 rng(700 + pes);
  constexpr int kHeadTrials = 12;
  int runs = 0;
  b.run([&](RegisterInitiator&) {
    for (int trial = 0; trial < kHeadTrials; ++trial) {
      // random_layer: densities 0 .. 100 % (trial % 6), a projection when trial % 3 == 2.
      const Layer l = random_layer(rng, pes, trial);
      const Head head = random_head(rng, l.c.fixed, pes, kHeadDensities[trial % 3]);
      LstmProgramOptions o = head_options(l, (trial / 2) % 2 == 0, trial % 4 == 1 ? 1 + rng() % 5 : 0);
      o.head_every_step = trial % 3 == 1;
      const LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, hw, o, head.view());
      const std::string what = "PEs " + std::to_string(pes) + " head trial " + std::to_string(trial) + " " +
                               describe(l, head, o);
      EXPECT_FALSE(p.streamed) << what;
      EXPECT_EQ(p.stored_steps, o.store_sequence ? l.steps : 1u) << what;
      EXPECT_GE(p.head_spmv_instructions, o.head_every_step ? l.steps : 1u) << what;
      expect_stores(p, o, what);
      expect_sound_schedule(p, hw, what);
      run_compare_and_predict(b, l, p, what, &head);
      ++runs;
    }
  });
  EXPECT_EQ(runs, kHeadTrials);
  EXPECT_EQ(b.lstm->rejected_instructions(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Pes, LstmHeadBitExact, ::testing::Values(1u, 3u, 8u, 32u));

// Streamed: the head's chunks go through the same two halves after the last step's.
TEST_P(LstmStreaming, RandomHeadsAreStreamedBitExactAndRaceFree) {
  const uint32_t pes = GetParam();
  BenchOptions options = lstm_bench(pes);
  options.lstm->weight_memory_bytes = 256;  // 128 B halves: the layers and most heads need several chunks
  Bench b(options);
  std::mt19937 rng(900 + pes);
  constexpr int kTrials = 6;
  int streamed = 0;
  b.run([&](RegisterInitiator&) {
    for (int trial = 0; trial < kTrials; ++trial) {
      const Layer l = streaming_layer(rng, pes, trial);
      const Head head = random_head(rng, l.c.fixed, pes, kHeadDensities[trial % 3]);
      LstmProgramOptions o = head_options(l, trial % 2 == 0, trial % 3 == 2 ? 1 + rng() % 5 : 0);
      o.head_every_step = (trial / 2) % 2 == 0;
      const LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, *options.lstm, o, head.view());
      const std::string what = "PEs " + std::to_string(pes) + " streamed head trial " + std::to_string(trial) + " " +
                               describe(l, head, o) + ", " + std::to_string(p.head_spmv_instructions) + " head chunks";
      EXPECT_TRUE(p.streamed) << what;
      streamed += p.streamed;
      EXPECT_EQ(p.stored_steps, o.store_sequence ? l.steps : 1u) << what;
      expect_stores(p, o, what);
      expect_sound_schedule(p, *options.lstm, what);
      run_compare_and_predict(b, l, p, what, &head);
      EXPECT_EQ(first_weight_overwrite(b, static_cast<uint64_t>(trial), p.instructions, *options.lstm), "") << what;
      // The checker sees the head's last chunk LOAD race with the SPMV reading its half when it no
      // longer waits for it.
      std::vector<isa::Instruction> broken = p.instructions;
      const auto last_chunk_load = std::find_if(broken.rbegin(), broken.rend(), [](const isa::Instruction& in) {
        return in.header.opcode == isa::kOpLoad && in.transfer.buffer == isa::kBufLstmWeight;
      });
      ASSERT_NE(last_chunk_load, broken.rend()) << what;
      EXPECT_NE(last_chunk_load->header.deps & isa::kPopNext, 0) << what;
      last_chunk_load->header.deps &= static_cast<uint8_t>(~isa::kPopNext);
      EXPECT_NE(first_lstm_race(broken, *options.lstm), "") << what;
    }
  });
  EXPECT_EQ(streamed, kTrials);
  EXPECT_EQ(b.lstm->rejected_instructions(), 0u);
}

TEST(LstmHead, DenseModeGivesTheSameBitsAsSparse) {
  // The same head encoded with every weight an entry (zeros included): more MACs, same sums.
  constexpr uint32_t kPes = 8;
  const LstmConfig hw = *lstm_bench(kPes).lstm;
  Bench b(lstm_bench(kPes));
  std::mt19937 rng(41);
  b.run([&](RegisterInitiator&) {
    for (int trial = 0; trial < 4; ++trial) {
      const Layer l = random_layer(rng, kPes, trial + 1);
      const Head sparse = random_head(rng, l.c.fixed, kPes, 0.3);
      Head dense = sparse;
      dense.sparse = dlvpc::encode_csc(dense.layer.matrix, kPes, true);
      const uint64_t weights = uint64_t{sparse.layer.outputs()} * sparse.layer.inputs();
      EXPECT_EQ(entry_count(dense.sparse), weights);
      EXPECT_LT(entry_count(sparse.sparse), weights);
      const LstmProgramOptions o = head_options(l, false, trial % 2 ? 2 : 0);
      std::vector<std::vector<uint8_t>> outputs;
      for (const Head* head : std::array<const Head*, 2>{&sparse, &dense}) {
        const LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, hw, o, head->view());
        const std::string what = std::string(head == &dense ? "dense" : "sparse") + " head trial " +
                                 std::to_string(trial) + " " + describe(l, *head, o);
        run_and_compare(b, l, p, what, head);
        outputs.push_back(b.read_memory(kOutputWindow + p.head_output_offset, p.head_output_bytes));
      }
      EXPECT_EQ(outputs[0], outputs[1]) << "trial " << trial;
    }
  });
}

std::string build_error(const Layer& l, const Head& head) {
  try {
    builder::build_lstm_program(l.c.fixed, l.c.sparse, *lstm_bench(4).lstm, LstmProgramOptions{}, head.view());
  } catch (const builder::BuildError& e) {
    return e.what();
  }
  return "";
}

TEST(LstmProgramBuilder, RefusesAHeadThatDoesNotReadTheLstmOutput) {
  const Layer l = small_layer(4);  // 4 outputs (h) at h_frac
  const lstm_ref::FixedLstm& m = l.c.fixed;
  std::mt19937 rng(5);
  const Head good = random_head(rng, m, 4, 1.0);
  EXPECT_EQ(build_error(l, good), "");
  // Another input radix point (the product shift unchanged, so the head alone is valid).
  Head radix = good;
  ++radix.layer.input_frac;
  ++radix.layer.acc_frac;
  EXPECT_NO_THROW(radix.layer.check());
  EXPECT_NE(build_error(l, radix).find("head"), std::string::npos) << build_error(l, radix);
  // One input too few, one too many.
  for (const uint32_t inputs : {m.output_size() - 1, m.output_size() + 1}) {
    const Head wrong = random_head(rng, inputs, m.output_frac(), 4, 1.0);
    EXPECT_NE(build_error(l, wrong).find("head"), std::string::npos) << inputs << " inputs: " << build_error(l, wrong);
  }
  // An empty head; one without an encoding; the encoding of a matrix with one row more.
  EXPECT_NE(build_error(l, Head{}).find("head"), std::string::npos) << build_error(l, Head{});
  try {
    builder::build_lstm_program(m, l.c.sparse, *lstm_bench(4).lstm, LstmProgramOptions{}, {&good.layer, nullptr});
    ADD_FAILURE() << "a head without an encoding was accepted";
  } catch (const builder::BuildError& e) {
    EXPECT_NE(std::string(e.what()).find("head"), std::string::npos) << e.what();
  }
  Head other = good;
  lstm_ref::FixedMatrix taller = good.layer.matrix;
  ++taller.rows;
  taller.q.resize(uint64_t{taller.rows} * taller.cols, 1);
  other.sparse = dlvpc::encode_csc(taller, 4);
  EXPECT_NE(build_error(l, other).find("head"), std::string::npos) << build_error(l, other);
}

TEST(LstmProgramBuilder, RefusesAModelQuantizedForAnotherAccumulatorWidth) {
  const Layer l = small_layer(4);
  std::mt19937 rng(6);
  Head head = random_head(rng, l.c.fixed, 4, 1.0);
  head.layer.accumulator_bits = 40;
  EXPECT_NE(build_error(l, head).find("40-bit accumulators"), std::string::npos) << build_error(l, head);
  lstm_ref::FixedLstm wide = l.c.fixed;
  wide.accumulator_bits = 48;
  try {
    builder::build_lstm_program(wide, l.c.sparse, *lstm_bench(4).lstm, LstmProgramOptions{});
    ADD_FAILURE() << "a model for 48-bit accumulators was accepted by a 32-bit engine";
  } catch (const builder::BuildError& e) {
    EXPECT_NE(std::string(e.what()).find("48-bit accumulators"), std::string::npos) << e.what();
  }
}

// Which tag each instruction of a program with a head must carry: the head's chunk LOADs (the last
// weight LOADs), its bias LOAD, its LSTM_SPMVs (the last ones) and its STORE carry head_tag.
void expect_tags(const LstmProgram& p, const Head& head, uint32_t tag, uint32_t head_tag, const std::string& what) {
  uint32_t spmvs = 0, weight_loads = 0, total_spmvs = 0, total_weight_loads = 0, head_tagged = 0;
  for (const isa::Instruction& in : p.instructions) {
    total_spmvs += in.header.opcode == isa::kOpLstmSpmv;
    total_weight_loads += in.header.opcode == isa::kOpLoad && in.transfer.buffer == isa::kBufLstmWeight;
  }
  EXPECT_EQ(total_spmvs, p.spmv_instructions + p.head_spmv_instructions) << what;
  for (uint32_t i = 0; i < p.instructions.size(); ++i) {
    const isa::Instruction& in = p.instructions[i];
    const uint8_t op = in.header.opcode;
    bool of_head = false;
    if (op == isa::kOpLstmSpmv) of_head = spmvs++ >= p.spmv_instructions;
    if (op == isa::kOpLoad && in.transfer.buffer == isa::kBufLstmWeight)
      of_head = weight_loads++ >= total_weight_loads - p.head_spmv_instructions;
    if (op == isa::kOpLoad && in.transfer.buffer == isa::kBufLstmVector && !head.layer.bias.empty())
      of_head = in.transfer.row_bytes == head.layer.bias.size() * 4 &&  // the head's bias, found by its bytes
                std::memcmp(p.constants.data() + in.transfer.ddr_offset, head.layer.bias.data(), in.transfer.row_bytes) == 0;
    if (op == isa::kOpStore) of_head = in.transfer.ddr_offset == p.head_output_offset;
    head_tagged += of_head;
    EXPECT_EQ(in.header.tag, of_head ? head_tag : tag) << what << ": instruction " << i << " (opcode " << unsigned{op} << ")";
  }
  EXPECT_EQ(head_tagged, 2 * p.head_spmv_instructions + (head.layer.bias.empty() ? 0 : 1) + 1) << what;
}

TEST(LstmHead, HeadInstructionsCarryTheHeadTag) {
  constexpr uint32_t kPes = 4, kTag = 7, kHeadTag = 9;
  const LstmConfig hw = *lstm_bench(kPes).lstm;
  std::mt19937 rng(6);
  const Layer l = small_layer(kPes);
  Head with_bias = random_head(rng, l.c.fixed, kPes, 1.0), without_bias = with_bias;
  with_bias.layer.bias.assign(with_bias.layer.outputs(), 1000);
  without_bias.layer.bias.clear();
  LstmProgram run_on_bench;
  for (const bool stream : {false, true})
    for (const Head* head : {&with_bias, &without_bias}) {
      LstmProgramOptions o = head_options(l, true, 2);  // 4 inputs: two head chunks
      o.tag = kTag, o.head_tag = kHeadTag, o.stream_weights = stream;
      const LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, hw, o, head->view());
      const std::string what = std::string(stream ? "streamed" : "resident") + (head == &with_bias ? ", bias" : "");
      EXPECT_EQ(p.head_spmv_instructions, 2u) << what;
      expect_tags(p, *head, kTag, kHeadTag, what);
      if (stream && head == &with_bias) run_on_bench = p;
    }
  // The engine books the head's work under its tag.
  Bench b(lstm_bench(kPes));
  b.run([&](RegisterInitiator&) { run_and_compare(b, l, run_on_bench, "tags", &with_bias); });
  EXPECT_EQ(stats_of(*b.lstm, kHeadTag).instructions, run_on_bench.head_spmv_instructions);
  EXPECT_EQ(stats_of(*b.lstm, kTag).instructions,
            uint64_t{run_on_bench.spmv_instructions} + run_on_bench.gates_instructions);
}

// ---------------------------------------------------------------------------------------------
// Energy and figures per layer

TEST(LstmEngine, EnergyAndFiguresGoToTheLayerTag) {
  constexpr uint32_t kPes = 8;
  Bench b(lstm_bench(kPes));
  std::mt19937 rng(3);
  const lstm_ref::FloatLstm model = lstm_test::random_lstm(rng, 12, 16, 8, true);
  const auto seqs = lstm_test::random_sequences(rng, 2, 3, 12);
  CompressOptions options;
  options.prune.density = 0.25;
  options.prune.pes = kPes;
  Layer l;
  compress_into(l, model, seqs, options);
  l.steps = 3;
  LstmProgramOptions o;
  o.steps = 3;
  o.channels = 2;
  o.tag = 5;
  const LstmProgram p = builder::build_lstm_program(l.c.fixed, l.c.sparse, *lstm_bench(kPes).lstm, o);
  b.run([&](RegisterInitiator&) { run_and_compare(b, l, p, "energy layer"); });

  const LstmEngine& e = *b.lstm;
  ASSERT_EQ(e.layer_stats().size(), 1u);
  const LstmEngine::LayerStats& layer = stats_of(e, 5);
  const lstm::LstmTiming& t = layer.timing;
  EXPECT_EQ(layer.instructions, uint64_t{p.spmv_instructions} + p.gates_instructions);
  // Per step: W, R and the projection once each, two channels; entries are counted once per walk.
  const uint64_t walked = 3 * (entry_count(l.c.sparse.w) + entry_count(l.c.sparse.r) + entry_count(l.c.sparse.projection));
  EXPECT_EQ(t.entries, walked);
  EXPECT_EQ(t.macs, 2 * walked);
  EXPECT_EQ(t.dense_macs, 3u * 2 * (64 * 12 + 64 * 8 + 8 * 16));
  EXPECT_EQ(t.cells, 3u * 2 * 16);
  const lstm::PeLoad load = t.pe_load();
  EXPECT_GE(load.imbalance(), 1.0);
  EXPECT_LT(load.imbalance(), 1.5);
  EXPECT_GT(t.dense_equivalent_gops(200.0), t.effective_gops(200.0));

  const EnergyLedger& ledger = b.ledger;
  const TagId tag = layer.ledger_tag;
  EXPECT_EQ(ledger.count_of(e.counters().weight_read, tag), walked);
  EXPECT_EQ(ledger.count_of(e.counters().multiply, tag), 2 * walked);
  EXPECT_EQ(ledger.count_of(e.counters().accumulator, tag), 2 * walked);
  EXPECT_EQ(ledger.count_of(e.counters().weight_read, kUntagged), 0u);
  EXPECT_EQ(ledger.count_of(e.counters().lut_read, tag), 3u * 2 * 16 * 10);
  EXPECT_GT(ledger.count_of(e.counters().broadcast, tag), 0u);
  EXPECT_GT(ledger.count_of(e.counters().pointer_read, tag), 0u);
  for (const char* name : {"datapath.read", "datapath.write"})
    EXPECT_GT(ledger.count_of(ledger.find(std::string(e.name()) + ".vector_buffer", name), tag), 0u) << name;
  // The layer's LOADs (weights, constants, inputs) and STOREs moved DRAM bytes under its tag.
  EXPECT_GE(ledger.dram_traffic(tag).read_bytes, p.input_bytes);
  EXPECT_GE(ledger.dram_traffic(tag).write_bytes, p.output_bytes);

  nlohmann::json report;
  e.report(report, 0);
  ASSERT_EQ(report["layers"].size(), 1u);
  EXPECT_EQ(report["layers"][0]["tag"], 5);
  EXPECT_EQ(report["layers"][0]["entries"], walked);
  EXPECT_GT(report["layers"][0]["energy_by_level_pJ"]["mac"].get<double>(), 0.0);
  EXPECT_GT(report["layers"][0]["energy_by_level_pJ"]["rf"].get<double>(), 0.0);
  EXPECT_GT(report["layers"][0]["energy_by_level_pJ"]["array"].get<double>(), 0.0);
  EXPECT_GT(report["layers"][0]["energy_by_level_pJ"]["buffer"].get<double>(), 0.0);
  EXPECT_GT(report["layers"][0]["energy_by_level_pJ"]["dram"].get<double>(), 0.0);
}

}  // namespace
}  // namespace dlvp::test
