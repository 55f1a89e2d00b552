// GRU on the sparse LSTM engine (docs/lstm.md "GRU", docs/isa.md "Version 3: GRU"): random GRU
// layers (both linear_before_reset settings) compressed by dlvpc's GRU path, programmed by the
// GRU program builder, run through the IFU, the DMA and the engine on the IFU test bench, bit-exact
// with the reference's fixed-point GRU; GRU_GATES's timing from the element-wise unit's lanes and
// latency; its bad fields and buffer overruns.
#include "ip/lstm/lstm_timing.h"
#include "tests/unit/ifu/ifu_test_bench.h"
#include "tests/unit/lstm/lstm_bench_util.h"
#include "tests/unit/lstm/lstm_race_check.h"
#include "tests/unit/lstm/lstm_test_util.h"
#include "tools/builder/gru_program.h"
#include "tools/dlvpc/gru_compress.h"
#include "tools/dlvpc/lstm_cycles.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <random>

namespace dlvp::test {
namespace {

using builder::GruProgram;
using builder::GruProgramOptions;
using dlvpc::CompressedGru;
using dlvpc::CompressOptions;
using dlvpc::Pruning;

LstmConfig gru_hw(uint32_t pes) {
  LstmConfig c;
  c.pes = pes;
  return c;
}

lstm_ref::FloatGru random_gru(std::mt19937& rng, uint32_t input, uint32_t hidden, bool lbr, double scale) {
  lstm_ref::FloatGru m;
  m.input_size = input, m.hidden_size = hidden, m.linear_before_reset = lbr;
  m.w = lstm_test::uniform(rng, size_t{3} * hidden * input, -scale, scale);
  m.r = lstm_test::uniform(rng, size_t{3} * hidden * hidden, -scale, scale);
  m.wb = lstm_test::uniform(rng, size_t{3} * hidden, -0.5, 0.5);
  m.rb = lstm_test::uniform(rng, size_t{3} * hidden, -0.5, 0.5);
  return m;
}

// A compressed random GRU, its channels' quantized inputs and initial states.
struct GruLayer {
  CompressedGru c;
  std::vector<std::vector<int16_t>> inputs;  // per channel, [T][I]
  std::vector<std::vector<int16_t>> h0;      // per channel (empty: zeros)
  uint32_t steps = 0;
};

GruLayer random_layer(std::mt19937& rng, uint32_t pes, int trial) {
  const uint32_t input = 1 + rng() % 24, hidden = 1 + rng() % 24;
  const bool lbr = trial % 2 == 1;
  const lstm_ref::FloatGru model = random_gru(rng, input, hidden, lbr, 0.3 + 0.1 * (trial % 5));
  GruLayer l;
  l.steps = 2 + rng() % 3;
  const uint32_t channels = 1 + rng() % 4;
  const auto seqs = lstm_test::random_sequences(rng, channels, l.steps, input, 0.5 + trial % 3);
  CompressOptions options;
  options.prune.density = std::array<double, 6>{1.0, 0.1, 0.3, 0.05, 0.5, 0.0}[trial % 6];
  options.prune.mode = trial % 4 == 3 ? Pruning::kGlobal : Pruning::kBalanced;
  options.prune.pes = pes;
  options.store_zeros = trial % 6 == 0;  // dense mode: every weight an entry
  l.c = dlvpc::compress_gru(model, seqs, options);
  for (const auto& seq : seqs) l.inputs.push_back(lstm_ref::quantize16(seq, l.c.fixed.x_frac));
  if (trial % 3 == 1)
    for (uint32_t ch = 0; ch < channels; ++ch) {
      std::vector<int16_t> h;
      for (uint32_t k = 0; k < hidden; ++k) h.push_back(static_cast<int16_t>(rng() % 20001) - 10000);
      l.h0.push_back(h);
    }
  return l;
}

// Runs the program with the layer's inputs and initial states; returns the job's result and the
// output window's h [stored steps][channels][H].
JobResult run_layer(Bench& b, const GruLayer& l, const GruProgram& p, std::vector<int16_t>& out) {
  const uint32_t H = l.c.fixed.hidden_size, I = l.c.fixed.input_size;
  std::vector<uint8_t> constants = p.constants;
  for (size_t ch = 0; ch < l.h0.size(); ++ch)
    std::memcpy(constants.data() + p.initial_state_offset + ch * H * 2, l.h0[ch].data(), size_t{H} * 2);
  b.write_memory(kConstantsWindow, constants.data(), constants.size());
  std::vector<int16_t> x;  // [T][channels][I]
  for (uint32_t t = 0; t < l.steps; ++t)
    for (const auto& seq : l.inputs) x.insert(x.end(), seq.begin() + t * I, seq.begin() + (t + 1) * I);
  const auto xb = bytes_of(x);
  b.write_memory(kInputWindow, xb.data(), xb.size());
  const std::vector<uint8_t> stale(p.output_bytes, 0x5a);
  b.write_memory(kOutputWindow, stale.data(), stale.size());
  const JobResult r = b.run_job(lstm_job(p.instructions));
  out = int16_of(b.read_memory(kOutputWindow, p.output_bytes));
  return r;
}

void expect_bit_exact(Bench& b, const GruLayer& l, const GruProgram& p, const std::string& what) {
  std::vector<int16_t> out;
  const JobResult r = run_layer(b, l, p, out);
  EXPECT_EQ(r.status & (ifu::kStatusDone | ifu::kStatusError), ifu::kStatusDone)
      << what << ": error " << r.error_code << " at " << r.error_index;
  const uint32_t H = l.c.fixed.hidden_size, channels = static_cast<uint32_t>(l.inputs.size());
  const uint32_t first_stored = l.steps - p.stored_steps;
  for (uint32_t ch = 0; ch < channels; ++ch) {
    const lstm_ref::FixedGruRun want =
        lstm_ref::run_fixed(l.c.fixed, &l.c.sparse, l.inputs[ch], l.h0.empty() ? std::vector<int16_t>{} : l.h0[ch]);
    for (uint32_t s = 0; s < p.stored_steps; ++s)
      for (uint32_t k = 0; k < H; ++k)
        ASSERT_EQ(out[(uint64_t{s} * channels + ch) * H + k], want.h[uint64_t{first_stored + s} * H + k])
            << what << ": h, channel " << ch << " step " << first_stored + s << " unit " << k;
  }
  b.acknowledge();
}

// ---------------------------------------------------------------------------------------------
// The reference: sparse and dense products agree; the fixed-point GRU stays near the float one.

TEST(GruReference, SparseAndDenseProductsAgreeBitForBit) {
  std::mt19937 rng(31);
  for (int trial = 0; trial < 30; ++trial) {
    const uint32_t pes = 1 + rng() % 9;
    GruLayer l = random_layer(rng, pes, trial);
    for (size_t ch = 0; ch < l.inputs.size(); ++ch) {
      const auto h0 = l.h0.empty() ? std::vector<int16_t>{} : l.h0[ch];
      EXPECT_EQ(lstm_ref::run_fixed(l.c.fixed, &l.c.sparse, l.inputs[ch], h0).h,
                lstm_ref::run_fixed(l.c.fixed, nullptr, l.inputs[ch], h0).h)
          << "trial " << trial;
    }
  }
}

TEST(GruReference, FixedPointFollowsTheFloatGru) {
  // Unpruned, the 16-bit GRU differs from the float one by the LUTs' error (1.6 x 2^-15) and a few
  // roundings per step; over 6 steps on h in [-1, 1], 2^-8 is a generous envelope that a wrong
  // gate order, a missing reset or a wrong linear_before_reset would exceed by far.
  std::mt19937 rng(7);
  for (const bool lbr : {false, true}) {
    const lstm_ref::FloatGru model = random_gru(rng, 6, 10, lbr, 0.5);
    const auto seqs = lstm_test::random_sequences(rng, 4, 6, 6, 1.0);
    CompressOptions options;
    options.prune.density = 1.0;
    options.prune.pes = 2;
    const CompressedGru c = dlvpc::compress_gru(model, seqs, options);
    double worst = 0;
    for (const auto& seq : seqs) {
      const lstm_ref::FloatGruRun f = lstm_ref::run_float(model, seq);
      const lstm_ref::FixedGruRun q = lstm_ref::run_fixed(c.fixed, nullptr, lstm_ref::quantize16(seq, c.fixed.x_frac));
      for (size_t n = 0; n < f.h.size(); ++n)
        worst = std::max(worst, std::fabs(lstm_ref::dequantize(q.h[n], c.fixed.h_frac) - f.h[n]));
    }
    EXPECT_LT(worst, std::ldexp(1.0, -8)) << "linear_before_reset " << lbr;
    EXPECT_GT(worst, 0.0);
  }
}

TEST(GruReference, FixedStaysWithinTheErrorBoundOfFloat) {
  // Random GRUs, pruned or not, both settings: every h of every step within gru_output_error_bound
  // (which never looks at the fixed results). A worst case: on strongly recurrent models (sum of
  // |R| per row above 4) it grows several-fold per step; the node tests show its size on ONNX's.
  std::mt19937 rng(17);
  double worst_error = 0, smallest_bound = 1e9, largest_bound = 0;
  for (int trial = 0; trial < 24; ++trial) {
    const uint32_t input = 1 + rng() % 11, hidden = 1 + rng() % 13, steps = 8;
    const lstm_ref::FloatGru model = random_gru(rng, input, hidden, trial % 2 == 1, 0.3 + 0.1 * (trial % 5));
    const auto seqs = lstm_test::random_sequences(rng, 2, steps, input, 2.0);
    CompressOptions options;
    options.prune.density = trial % 3 == 2 ? 0.3 : 1.0;
    options.prune.pes = 2;
    const CompressedGru c = dlvpc::compress_gru(model, seqs, options);
    for (const auto& seq : seqs) {
      const lstm_ref::FixedGruRun q = lstm_ref::run_fixed(c.fixed, nullptr, lstm_ref::quantize16(seq, c.fixed.x_frac));
      ASSERT_EQ(q.saturations, 0u) << "trial " << trial;
      const lstm_ref::FloatGruRun f = lstm_ref::run_float(c.pruned, seq);
      const lstm_ref::GruErrorBound bound = lstm_ref::gru_output_error_bound(c.pruned, c.fixed, seq);
      for (size_t n = 0; n < f.h.size(); ++n) {
        const double error = std::fabs(lstm_ref::dequantize(q.h[n], c.fixed.h_frac) - f.h[n]);
        ASSERT_LE(error, bound.h[n]) << "trial " << trial << " element " << n;
        worst_error = std::max(worst_error, error);
      }
      smallest_bound = std::min(smallest_bound, bound.max_h);
      largest_bound = std::max(largest_bound, bound.max_h);
    }
  }
  std::printf("GRU fixed vs float over 8 steps: max error %.2e, bounds (max per sequence) %.2e .. %.2e\n", worst_error,
              smallest_bound, largest_bound);
}

// ---------------------------------------------------------------------------------------------
// The engine, bit-exact, one PE count per process.

class GruEngineBitExact : public ::testing::TestWithParam<uint32_t> {};

TEST_P(GruEngineBitExact, RandomLayersMatchTheReference) {
  const uint32_t pes = GetParam();
  Bench b(lstm_bench(pes));
  std::mt19937 rng(500 + pes);
  constexpr int kTrials = 12;
  int layers = 0;
  b.run([&](RegisterInitiator&) {
    for (int trial = 0; trial < kTrials; ++trial) {
      const GruLayer l = random_layer(rng, pes, trial);
      GruProgramOptions o;
      o.steps = l.steps;
      o.channels = static_cast<uint32_t>(l.inputs.size());
      o.max_chunk_cols = trial % 3 == 2 ? 1 + rng() % 7 : 0;
      o.store_sequence = trial % 5 != 4;
      o.tag = static_cast<uint32_t>(trial);
      const GruProgram p = builder::build_gru_program(l.c.fixed, l.c.sparse, gru_hw(pes), o);
      const std::string what = "PEs " + std::to_string(pes) + " trial " + std::to_string(trial) + " (I " +
                               std::to_string(l.c.fixed.input_size) + ", H " + std::to_string(l.c.fixed.hidden_size) +
                               ", lbr " + std::to_string(l.c.fixed.linear_before_reset) + ", channels " +
                               std::to_string(o.channels) + ", steps " + std::to_string(o.steps) + ", chunk " +
                               std::to_string(o.max_chunk_cols) + ")";
      EXPECT_EQ(first_lstm_race(p.instructions, gru_hw(pes)), "") << what;
      expect_bit_exact(b, l, p, what);
      ++layers;
    }
  });
  EXPECT_EQ(layers, kTrials);
  EXPECT_EQ(b.lstm->rejected_instructions(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Pes, GruEngineBitExact, ::testing::Values(1u, 3u, 8u, 32u));

// ---------------------------------------------------------------------------------------------
// Timing and energy.

TEST(GruEngine, GatesTakeTheUnitsOverTheLanesPlusTheLatencyPerStage) {
  constexpr uint32_t kPes = 4;
  const LstmConfig hw = gru_hw(kPes);
  Bench b(lstm_bench(kPes));
  std::mt19937 rng(3);
  b.run([&](RegisterInitiator&) {
    for (const bool lbr : {false, true}) {
      CompressOptions options;
      options.prune.density = 0.5;
      options.prune.pes = kPes;
      GruLayer l;
      l.steps = 3;
      const uint32_t H = 40, I = 8, channels = 3;  // 120 units: 4 passes of 32 lanes
      const auto seqs = lstm_test::random_sequences(rng, channels, l.steps, I, 1.0);
      l.c = dlvpc::compress_gru(random_gru(rng, I, H, lbr, 0.4), seqs, options);
      for (const auto& seq : seqs) l.inputs.push_back(lstm_ref::quantize16(seq, l.c.fixed.x_frac));
      GruProgramOptions o;
      o.steps = l.steps, o.channels = channels, o.tag = lbr ? 7 : 6;
      const GruProgram p = builder::build_gru_program(l.c.fixed, l.c.sparse, hw, o);
      const size_t first_record = b.lstm->instruction_records().size();
      expect_bit_exact(b, l, p, lbr ? "linear_before_reset" : "reset first");
      // Per stage: ceil(H x channels / lanes) + latency; two stages per step without lbr, one with.
      const uint64_t per_stage = (uint64_t{H} * channels + hw.elementwise_lanes - 1) / hw.elementwise_lanes +
                                 hw.elementwise_latency;
      uint32_t stages = 0;
      const auto& records = b.lstm->instruction_records();
      for (size_t k = first_record; k < records.size(); ++k) {
        if (records[k].opcode != isa::kOpGruGates) continue;
        ++stages;
        EXPECT_EQ(records[k].timing.cycles, per_stage);
        EXPECT_EQ(records[k].end - records[k].start, sc_core::sc_time(per_stage * 1e3 / hw.clock_mhz, sc_core::SC_NS));
      }
      EXPECT_EQ(stages, l.steps * (lbr ? 1u : 2u));
      EXPECT_EQ(p.gates_instructions, stages);
      // dlvpc's per-instruction prediction is the engine's timing.
      const std::vector<lstm::LstmTiming> predicted =
          dlvpc::lstm_instruction_timings(p.instructions, p.constants, builder::kArgConstants, hw);
      for (size_t k = 0; k < p.instructions.size(); ++k) {
        if (p.instructions[k].header.opcode == isa::kOpGruGates) {
          EXPECT_EQ(predicted[k].cycles, per_stage);
        }
      }
    }
  });
  nlohmann::json report;
  b.lstm->report(report, 0);
  EXPECT_EQ(report["instructions_by_opcode"]["gru_gates"], 3 * 2 + 3 * 1);  // 3 steps of each setting
}

// ---------------------------------------------------------------------------------------------
// Refusals.

GruLayer small_layer(uint32_t pes, bool lbr) {
  std::mt19937 rng(11);
  CompressOptions options;
  options.prune.density = 0.5;
  options.prune.pes = pes;
  GruLayer l;
  l.steps = 1;
  const auto seqs = lstm_test::random_sequences(rng, 1, 1, 4, 1.0);
  l.c = dlvpc::compress_gru(random_gru(rng, 4, 8, lbr, 0.4), seqs, options);
  l.inputs.push_back(lstm_ref::quantize16(seqs[0], l.c.fixed.x_frac));
  return l;
}

TEST(GruEngine, BadFieldsAndOverrunsStopTheJobAtTheInstruction) {
  constexpr uint32_t kPes = 4;
  Bench b(lstm_bench(kPes));
  const uint64_t vector_bytes = b.lstm->buffer_size(isa::kBufLstmVector);
  struct Case {
    const char* what;
    bool lbr;
    void (*edit)(isa::GruGates&, uint64_t vector_bytes);
    uint32_t code;
  };
  const Case cases[] = {
      {"no units", false, [](isa::GruGates& g, uint64_t) { g.hidden = 0; }, isa::kErrBadField},
      {"no channels", true, [](isa::GruGates& g, uint64_t) { g.channels = 0; }, isa::kErrBadField},
      {"stage 2", false, [](isa::GruGates& g, uint64_t) { g.stage = 2; }, isa::kErrBadField},
      {"h_frac 31", true, [](isa::GruGates& g, uint64_t) { g.h_frac = 31; }, isa::kErrBadField},
      {"gate_frac 61", true, [](isa::GruGates& g, uint64_t) { g.gate_frac = 61; }, isa::kErrBadField},
      {"stage 0 with linear_before_reset", false,
       [](isa::GruGates& g, uint64_t) { g.header.flags |= isa::kFlagLinearBeforeReset; }, isa::kErrBadField},
      {"n_acc past the buffer", true,
       [](isa::GruGates& g, uint64_t bytes) { g.n_acc_offset = static_cast<uint32_t>(bytes - 8); }, isa::kErrBufferOverrun},
      {"out past the buffer", false,
       [](isa::GruGates& g, uint64_t bytes) { g.out_offset = static_cast<uint32_t>(bytes - 2); }, isa::kErrBufferOverrun},
  };
  b.run([&](RegisterInitiator&) {
    for (const Case& c : cases) {
      const GruLayer l = small_layer(kPes, c.lbr);
      GruProgramOptions o;
      const GruProgram p = builder::build_gru_program(l.c.fixed, l.c.sparse, gru_hw(kPes), o);
      b.write_memory(kConstantsWindow, p.constants.data(), p.constants.size());
      JobSpec job = lstm_job(p.instructions);
      uint32_t index = 0;
      while (job.program[index].header.opcode != isa::kOpGruGates) ++index;  // the first stage
      c.edit(job.program[index].gru_gates, vector_bytes);
      const JobResult r = b.run_job(job);
      EXPECT_EQ(r.error_code, c.code) << c.what;
      EXPECT_EQ(r.error_index, index) << c.what;
      b.acknowledge();
    }
    // After the refusals a clean job still runs bit-exact.
    const GruLayer l = small_layer(kPes, false);
    expect_bit_exact(b, l, builder::build_gru_program(l.c.fixed, l.c.sparse, gru_hw(kPes), {}), "after refusals");
  });
  EXPECT_EQ(b.lstm->rejected_instructions(), std::size(cases));
}

TEST(GruProgramBuilder, RefusesWhatDoesNotFitTheEngine) {
  const GruLayer l = small_layer(4, true);
  auto error_of = [&](const LstmConfig& hw, const GruProgramOptions& o) -> std::string {
    try {
      builder::build_gru_program(l.c.fixed, l.c.sparse, hw, o);
    } catch (const builder::BuildError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of(gru_hw(8), {}).find("encoded for 4 PEs"), std::string::npos);
  LstmConfig small = gru_hw(4);
  small.weight_memory_bytes = 64;
  EXPECT_NE(error_of(small, {}).find("weight memory"), std::string::npos);
  LstmConfig tiny_vector = gru_hw(4);
  tiny_vector.vector_buffer_bytes = 256;
  EXPECT_NE(error_of(tiny_vector, {}).find("vector buffer"), std::string::npos);
  GruProgramOptions zero_steps;
  zero_steps.steps = 0;
  EXPECT_NE(error_of(gru_hw(4), zero_steps).find("steps"), std::string::npos);
  LstmConfig wide = gru_hw(4);
  wide.accumulator_bits = 40;
  EXPECT_NE(error_of(wide, {}).find("accumulators"), std::string::npos);
}

}  // namespace
}  // namespace dlvp::test
