// Stacked and bidirectional LSTMs (docs/lstm.md, "Stacked and bidirectional LSTMs"): the reference
// model's stack against its single-layer runs, and random stacks compressed by dlvpc, programmed by
// build_lstm_stack_program and run through the IFU, the DMA and the engine in one job, bit-exact
// with the reference (resident and streamed weights, heads on the last step), race-free, each layer
// counted under its own tag.
#include "tests/reference/lstm_stack_reference.h"
#include "tests/unit/builder/schedule_checker.h"
#include "tests/unit/lstm/lstm_bench_util.h"
#include "tests/unit/lstm/lstm_race_check.h"
#include "tests/unit/lstm/lstm_test_util.h"
#include "tools/builder/lstm_stack_program.h"
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/lstm_compress.h"
#include "tools/dlvpc/lstm_stack_compress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <tuple>

namespace dlvp::test {
namespace {

using builder::LstmStackOptions;
using builder::LstmStackProgram;
using dlvpc::CompressedStack;
using dlvpc::FloatStackLevel;
using lstm_ref::FixedState;

// The shapes of a random stack: the levels' directions (1: forward, -1: reverse, 2: both).
struct Shape {
  std::vector<int> levels;
  bool projection = false, peephole = false;
};

std::string describe(const Shape& s) {
  std::string d;
  for (const int l : s.levels) d += l == 2 ? "bi " : l < 0 ? "rev " : "fwd ";
  return d + (s.projection ? "proj " : "") + (s.peephole ? "peep" : "");
}

struct Stack {
  CompressedStack c;
  std::vector<std::vector<int16_t>> inputs;  // per channel [T][I]
  std::vector<FixedState> initial;           // per layer, one channel's; empty: zeros
  uint32_t steps = 0, channels = 0;
};

Stack random_stack(std::mt19937& rng, const Shape& shape, uint32_t pes, double density) {
  std::vector<FloatStackLevel> levels;
  uint32_t input = 1 + rng() % 20;
  const uint32_t first_input = input;
  for (const int dirs : shape.levels) {
    const uint32_t hidden = 1 + rng() % 20, projection = shape.projection ? 1 + rng() % 12 : 0;
    FloatStackLevel level;
    for (int d = 0; d < (dirs == 2 ? 2 : 1); ++d)
      level.push_back({lstm_test::random_lstm(rng, input, hidden, projection, shape.peephole, 0.6), dirs < 0 || d == 1});
    input = static_cast<uint32_t>(level.size()) * (projection ? projection : hidden);
    levels.push_back(level);
  }
  Stack s;
  s.steps = 2 + rng() % 4;
  s.channels = 1 + rng() % 3;
  const auto seqs = lstm_test::random_sequences(rng, s.channels, s.steps, first_input, 1.0);
  dlvpc::CompressOptions options;
  options.prune.density = density;
  options.prune.pes = pes;
  s.c = dlvpc::compress_lstm_stack(levels, seqs, options);
  for (const auto& seq : seqs) s.inputs.push_back(lstm_ref::quantize16(seq, s.c.levels[0][0].fixed.x_frac));
  return s;
}

// Random states for every layer (the same for every channel: the program's state is per channel,
// the test writes this one into each).
void random_initial(std::mt19937& rng, Stack& s) {
  for (const auto& level : s.c.levels)
    for (const dlvpc::CompressedLstm& l : level) {
      FixedState st;
      for (uint32_t k = 0; k < l.fixed.recurrent_size(); ++k) st.recurrent.push_back(static_cast<int16_t>(rng() % 20001) - 10000);
      for (uint32_t k = 0; k < l.fixed.hidden_size; ++k) st.c.push_back(static_cast<int16_t>(rng() % 20001) - 10000);
      s.initial.push_back(st);
    }
}

struct Head {
  lstm_ref::FixedLinear layer;
  lstm_ref::CscMatrix sparse;
};

Head random_head(std::mt19937& rng, uint32_t inputs, int input_frac, uint32_t pes) {
  Head h;
  lstm_ref::FixedLinear& f = h.layer;
  f.matrix.rows = 1 + rng() % 12;
  f.matrix.cols = inputs;
  f.matrix.frac = 10;
  std::uniform_int_distribution<int> weight(-600, 600);
  for (uint64_t i = 0; i < uint64_t{f.matrix.rows} * inputs; ++i) f.matrix.q.push_back(static_cast<int16_t>(rng() % 3 ? weight(rng) : 0));
  f.input_frac = input_frac;
  f.acc_frac = f.matrix.frac + input_frac;
  f.output_frac = std::clamp(f.acc_frac - 12, lstm::kMinFrac, lstm::kMaxFrac);
  for (uint32_t n = 0; n < f.matrix.rows; ++n) f.bias.push_back(static_cast<int32_t>(rng() % 200001) - 100000);
  f.check();
  h.sparse = dlvpc::encode_csc(f.matrix, pes);
  return h;
}

// Runs the program on the bench and compares the last level's stored outputs, every layer's last
// c and the head's output with the reference stack, channel by channel.
void run_and_compare(Bench& b, const Stack& s, const LstmStackProgram& sp, const Head* head, const std::string& what) {
  const builder::LstmProgram& p = sp.program;
  std::vector<uint8_t> constants = p.constants;
  for (size_t k = 0; k < s.initial.size(); ++k) {
    const uint64_t rn = s.initial[k].recurrent.size(), h = s.initial[k].c.size();
    for (uint32_t ch = 0; ch < s.channels; ++ch) {
      std::memcpy(constants.data() + sp.initial_state_offsets[k] + ch * rn * 2, s.initial[k].recurrent.data(), rn * 2);
      std::memcpy(constants.data() + sp.initial_state_offsets[k] + (s.channels * rn + ch * h) * 2, s.initial[k].c.data(), h * 2);
    }
  }
  b.write_memory(kConstantsWindow, constants.data(), constants.size());
  const uint32_t input = s.c.levels[0][0].fixed.input_size;
  std::vector<int16_t> x;  // [T][channels][I]
  for (uint32_t t = 0; t < s.steps; ++t)
    for (const auto& seq : s.inputs) x.insert(x.end(), seq.begin() + t * input, seq.begin() + (t + 1) * input);
  b.write_memory(kInputWindow, x.data(), x.size() * 2);
  const std::vector<uint8_t> stale(p.output_bytes, 0x5a);
  b.write_memory(kOutputWindow, stale.data(), stale.size());
  const JobResult r = b.run_job(lstm_job(p.instructions));
  EXPECT_TRUE(r.interrupted) << what;
  EXPECT_EQ(r.status & (ifu::kStatusDone | ifu::kStatusError), ifu::kStatusDone)
      << what << ": error " << r.error_code << " at " << r.error_index;
  const std::vector<int16_t> out = int16_of(b.read_memory(kOutputWindow, p.output_bytes));
  const auto levels = s.c.fixed_levels();
  const auto sparse = s.c.sparse();
  const uint32_t dirs = static_cast<uint32_t>(levels.back().size()), rn = levels.back()[0].layer->output_size();
  EXPECT_EQ(sp.step_output_bytes, uint64_t{dirs} * s.channels * rn * 2) << what;
  for (uint32_t ch = 0; ch < s.channels; ++ch) {
    const lstm_ref::FixedStackRun want =
        lstm_ref::run_fixed_stack(levels, &sparse, s.inputs[ch], s.initial.empty() ? nullptr : &s.initial);
    const uint32_t first_stored = s.steps - p.stored_steps;
    for (uint32_t st = 0; st < p.stored_steps; ++st)
      for (uint32_t d = 0; d < dirs; ++d)
        for (uint32_t n = 0; n < rn; ++n)
          ASSERT_EQ(out[((uint64_t{st} * dirs + d) * s.channels + ch) * rn + n],
                    want.y[(uint64_t{first_stored + st} * dirs + d) * rn + n])
              << what << ": Y, channel " << ch << " step " << first_stored + st << " direction " << d << " element " << n;
    for (size_t k = 0; k < want.last.size(); ++k) {
      const size_t h = want.last[k].c.size();
      for (size_t n = 0; n < h; ++n)
        ASSERT_EQ(out[sp.final_c_offsets[k] / 2 + ch * h + n], want.last[k].c[n])
            << what << ": last c of layer " << k << ", channel " << ch << " cell " << n;
    }
    if (head) {
      // The head on the last step, or on every step ([channel][step][output], head_every_step).
      const uint32_t outputs = head->layer.outputs(), width = dirs * rn;
      const uint32_t steps = static_cast<uint32_t>(p.head_output_bytes / (uint64_t{s.channels} * outputs * 2));
      ASSERT_TRUE(steps == 1 || steps == s.steps) << what;
      for (uint32_t st = 0; st < steps; ++st) {
        const uint64_t t = s.steps - steps + st;
        const std::vector<int16_t> y(want.y.begin() + t * width, want.y.begin() + (t + 1) * width);
        const std::vector<int16_t> expect = lstm_ref::run_linear(head->layer, &head->sparse, y);
        for (uint32_t n = 0; n < outputs; ++n)
          ASSERT_EQ(out[p.head_output_offset / 2 + (uint64_t{ch} * steps + st) * outputs + n], expect[n])
              << what << ": head output, channel " << ch << " step " << t << " element " << n;
      }
    }
  }
  b.acknowledge();
}

// ---------------------------------------------------------------------------------------------
// The reference stack

TEST(LstmStackReference, OneForwardLevelIsTheLayerAndAReverseLevelWalksBackwards) {
  std::mt19937 rng(7);
  for (const int dirs : {1, -1, 2}) {
    Stack s = random_stack(rng, {{dirs}, false, true}, 4, 0.5);
    const auto levels = s.c.fixed_levels();
    const lstm_ref::FixedLstm& f = *levels[0][0].layer;
    const lstm_ref::FixedStackRun run = lstm_ref::run_fixed_stack(levels, nullptr, s.inputs[0]);
    const uint32_t n = f.output_size(), d = static_cast<uint32_t>(levels[0].size());
    for (uint32_t k = 0; k < d; ++k) {
      const lstm_ref::FixedLstm& layer = *levels[0][k].layer;
      const bool reverse = levels[0][k].reverse;
      const lstm_ref::FixedRun one =
          lstm_ref::run_fixed(layer, nullptr, reverse ? lstm_ref::reverse_steps(s.inputs[0], f.input_size) : s.inputs[0]);
      for (uint32_t t = 0; t < s.steps; ++t)
        for (uint32_t e = 0; e < n; ++e)
          EXPECT_EQ(run.y[(uint64_t{t} * d + k) * n + e], one.y[uint64_t{reverse ? s.steps - 1 - t : t} * n + e])
              << dirs << " direction " << k << " step " << t;
      EXPECT_EQ(run.last[k].c, one.last.c);
    }
  }
}

TEST(LstmStackReference, TheSecondLevelReadsTheFirstLevelsOutputAtItsRadixPoint) {
  std::mt19937 rng(8);
  Stack s = random_stack(rng, {{2, 1}, false, false}, 4, 1.0);
  const auto levels = s.c.fixed_levels();
  EXPECT_EQ(levels[1][0].layer->input_size, 2 * levels[0][0].layer->output_size());
  EXPECT_EQ(levels[1][0].layer->x_frac, levels[0][0].layer->output_frac());
  EXPECT_EQ(levels[0][1].layer->output_frac(), levels[0][0].layer->output_frac());
  // Level 1 alone on level 0's output gives the stack's output.
  const lstm_ref::FixedStackRun both = lstm_ref::run_fixed_stack(levels, nullptr, s.inputs[0]);
  const lstm_ref::FixedStackRun first = lstm_ref::run_fixed_stack({levels[0]}, nullptr, s.inputs[0]);
  const lstm_ref::FixedRun second = lstm_ref::run_fixed(*levels[1][0].layer, nullptr, first.y);
  EXPECT_EQ(both.y, second.y);
  // A level whose input radix point is not the previous level's output's is refused.
  lstm_ref::FixedLstm shifted = *levels[1][0].layer;
  shifted.x_frac -= 1;
  EXPECT_THROW(lstm_ref::run_fixed_stack({levels[0], {{&shifted, false}}}, nullptr, s.inputs[0]), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// The engine, bit-exact

// (PEs, streamed): one bench per process, as SystemC allows.
class LstmStackBitExact : public ::testing::TestWithParam<std::tuple<uint32_t, bool>> {};

const std::vector<Shape> kShapes = {
    {{1, 1}, false, false}, {{2}, false, true},      {{2, 2}, false, false}, {{-1}, false, false},
    {{1, 2}, true, false},  {{2, 1, 1}, false, true}, {{2, 2}, true, true},  {{-1, 2}, false, false},
};

TEST_P(LstmStackBitExact, RandomStacksMatchTheReferenceResidentAndStreamed) {
  const auto [pes, streamed] = GetParam();
  {
    // 512 B per PE: the stacks' weights mostly exceed it (streamed by the rule); 32 KiB: resident.
    BenchOptions options = lstm_bench(pes, lstm::kDefaultAccumulatorBits, streamed ? 512 : 32768);
    Bench b(options);
    std::mt19937 rng(900 + pes + (streamed ? 50 : 0));
    int run = 0;
    b.run([&](RegisterInitiator&) {
      for (size_t trial = 0; trial < kShapes.size(); ++trial) {
        const Shape& shape = kShapes[trial];
        Stack s = random_stack(rng, shape, pes, std::array<double, 4>{0.3, 1.0, 0.1, 0.5}[trial % 4]);
        if (trial % 2) random_initial(rng, s);
        const auto levels = s.c.program_levels();
        const uint32_t out = static_cast<uint32_t>(levels.back().size()) * levels.back()[0].model->output_size();
        const bool with_head = trial % 3 != 1;
        const Head head = random_head(rng, out, levels.back()[0].model->output_frac(), pes);
        LstmStackOptions o;
        o.steps = s.steps, o.channels = s.channels, o.tag = 10, o.head_tag = 99;
        o.max_chunk_cols = trial % 4 == 2 ? 1 + rng() % 5 : 0;
        o.stream_weights = streamed;
        o.store_sequence = trial % 4 != 3;
        o.sequences_through_ddr = trial % 3 == 2;
        o.head_every_step = trial % 2 == 0;  // stored every step (trial % 4 != 3), so through DDR too
        const LstmStackProgram p = builder::build_lstm_stack_program(
            levels, *options.lstm, o, with_head ? builder::LstmHead{&head.layer, &head.sparse} : builder::LstmHead{});
        const std::string what = "PEs " + std::to_string(pes) + (streamed ? " streamed" : " resident") + " trial " +
                                 std::to_string(trial) + " (" + describe(shape) + ", channels " +
                                 std::to_string(s.channels) + ", steps " + std::to_string(s.steps) +
                                 (with_head && o.head_every_step ? ", head on every step" : "") + ")";
        EXPECT_EQ(p.program.streamed, streamed) << what;
        EXPECT_EQ(p.through_ddr, o.sequences_through_ddr) << what;
        EXPECT_EQ(builder::check::token_balance(p.program.instructions).error, "") << what;
        EXPECT_EQ(first_lstm_race(p.program.instructions, *options.lstm), "") << what;
        EXPECT_TRUE(builder::check::runs_to_end(p.program.instructions, 2)) << what;
        run_and_compare(b, s, p, with_head ? &head : nullptr, what);
        ++run;
      }
    });
    EXPECT_EQ(run, static_cast<int>(kShapes.size()));
    EXPECT_EQ(b.lstm->rejected_instructions(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(PesAndWeights, LstmStackBitExact,
                         ::testing::Combine(::testing::Values(1u, 4u, 8u), ::testing::Bool()));

TEST(LstmStack, EveryLayerHasItsOwnRowsUnderItsTag) {
  constexpr uint32_t kPes = 4;
  BenchOptions options = lstm_bench(kPes);
  Bench b(options);
  std::mt19937 rng(31);
  Stack s = random_stack(rng, {{2, 1}, false, false}, kPes, 0.5);
  const auto levels = s.c.program_levels();
  const Head head = random_head(rng, levels.back()[0].model->output_size(), levels.back()[0].model->output_frac(), kPes);
  LstmStackOptions o;
  o.steps = s.steps, o.channels = s.channels, o.tag = 4, o.head_tag = 9;
  const LstmStackProgram p = builder::build_lstm_stack_program(levels, *options.lstm, o, {&head.layer, &head.sparse});
  b.run([&](RegisterInitiator&) { run_and_compare(b, s, p, &head, "tags"); });
  // Layers 0 (forward), 1 (backward), 2 (level 1) under tags 4, 5, 6: each did its steps' MACs,
  // its own matrices' entries (one step each: W and R, every channel).
  std::map<uint32_t, uint64_t> entries, cells;
  for (const auto& [ledger_tag, layer] : b.lstm->layer_stats()) {
    entries[layer.tag] += layer.timing.entries;
    cells[layer.tag] += layer.timing.cells;
  }
  const auto sparse = s.c.sparse();
  for (uint32_t k = 0; k < 3; ++k) {
    uint64_t per_step = 0;
    for (const lstm_ref::CscMatrix* m : {&sparse[k]->w, &sparse[k]->r})
      for (const lstm_ref::CscStream& st : m->streams) per_step += st.entries.size();
    EXPECT_EQ(entries[4 + k], per_step * s.steps) << "layer " << k;
    const auto fixed = s.c.fixed_levels();
    const uint32_t hidden = k < 2 ? fixed[0][k].layer->hidden_size : fixed[1][0].layer->hidden_size;
    EXPECT_EQ(cells[4 + k], uint64_t{hidden} * s.channels * s.steps) << "layer " << k;
  }
  EXPECT_GT(entries[9], 0u);  // the head
}

TEST(LstmStackProgramBuilder, RefusesWhatDoesNotChainOrFit) {
  constexpr uint32_t kPes = 4;
  std::mt19937 rng(41);
  Stack s = random_stack(rng, {{2, 1}, false, false}, kPes, 0.5);
  const LstmConfig hw = *lstm_bench(kPes).lstm;
  LstmStackOptions o;
  o.steps = s.steps, o.channels = s.channels;
  auto levels = s.c.program_levels();
  EXPECT_NO_THROW(builder::build_lstm_stack_program(levels, hw, o));
  auto wrong_order = levels;
  std::swap(wrong_order[0][0], wrong_order[0][1]);  // reverse first
  EXPECT_THROW(builder::build_lstm_stack_program(wrong_order, hw, o), builder::BuildError);
  lstm_ref::FixedLstm shifted = *levels[1][0].model;
  shifted.x_frac += 1;
  auto unchained = levels;
  unchained[1][0].model = &shifted;
  try {
    builder::build_lstm_stack_program(unchained, hw, o);
    ADD_FAILURE() << "a level reading another radix point was accepted";
  } catch (const builder::BuildError& e) {
    EXPECT_NE(std::string(e.what()).find("level 1 reads"), std::string::npos) << e.what();
  }
  LstmConfig small = hw;
  small.vector_buffer_bytes = 512;
  try {
    builder::build_lstm_stack_program(levels, small, o);
    ADD_FAILURE() << "a stack larger than the vector buffer was accepted";
  } catch (const builder::BuildError& e) {
    EXPECT_NE(std::string(e.what()).find("vector buffer needs"), std::string::npos) << e.what();
  }
  EXPECT_THROW(builder::build_lstm_stack_program({}, hw, o), builder::BuildError);
}

// ---------------------------------------------------------------------------------------------
// The levels' sequences through DDR (docs/lstm.md, "Stacked and bidirectional LSTMs: through DDR")

// DRAM bytes moved under the stack's layer and head tags so far (the engine's LOADs and STOREs;
// not the instruction fetches).
uint64_t layer_dram_bytes(const Bench& b) {
  uint64_t bytes = 0;
  for (const auto& [ledger_tag, layer] : b.lstm->layer_stats()) {
    const DramTraffic t = b.ledger.dram_traffic(layer.ledger_tag);
    bytes += t.read_bytes + t.write_bytes;
  }
  return bytes;
}

// What passing the sequences through DDR adds to a job, from the shapes: D_l directions of S_l =
// D_l x channels x output_l x 2 B per step and level; level l < L - 1 STOREs its T slots and each
// direction of level l + 1 LOADs them back (1 + D_{l+1} transfers of T S_l), every direction of the
// first level LOADs x_t (D_0 - 1 more than once), and the head LOADs the last level's last step.
uint64_t ddr_extra_bytes(const std::vector<builder::LstmStackLevel>& levels, uint32_t steps, uint32_t channels, bool head) {
  const auto slot = [&](size_t l) { return uint64_t{levels[l].size()} * channels * levels[l][0].model->output_size() * 2; };
  uint64_t bytes = uint64_t{steps} * channels * levels[0][0].model->input_size * 2 * (levels[0].size() - 1);
  for (size_t l = 0; l + 1 < levels.size(); ++l) bytes += uint64_t{steps} * slot(l) * (1 + levels[l + 1].size());
  return bytes + (head ? slot(levels.size() - 1) : 0);
}

TEST(LstmStackThroughDdr, SameResultsAndTheExtraDdrBytesTheShapesGive) {
  constexpr uint32_t kPes = 4;
  BenchOptions options = lstm_bench(kPes);
  Bench b(options);
  std::mt19937 rng(77);
  int runs = 0;
  b.run([&](RegisterInitiator&) {
    for (const Shape& shape : {Shape{{1, 1}, false, false}, Shape{{2, 2}, true, false}, Shape{{2, 1, -1}, false, true},
                               Shape{{-1, 2}, false, false}}) {
      for (const bool store_sequence : {true, false}) {
        Stack s = random_stack(rng, shape, kPes, 0.5);
        const auto levels = s.c.program_levels();
        const uint32_t out = static_cast<uint32_t>(levels.back().size()) * levels.back()[0].model->output_size();
        const Head head = random_head(rng, out, levels.back()[0].model->output_frac(), kPes);
        LstmStackOptions o;
        o.steps = s.steps, o.channels = s.channels, o.tag = 1, o.head_tag = 20, o.store_sequence = store_sequence;
        const std::string what = describe(shape) + (store_sequence ? ", every step stored" : ", last step stored");
        const LstmStackProgram in_buffer = builder::build_lstm_stack_program(levels, *options.lstm, o, {&head.layer, &head.sparse});
        o.sequences_through_ddr = true;
        const LstmStackProgram through = builder::build_lstm_stack_program(levels, *options.lstm, o, {&head.layer, &head.sparse});
        ASSERT_FALSE(in_buffer.through_ddr) << what;
        ASSERT_TRUE(through.through_ddr) << what;
        EXPECT_EQ(first_lstm_race(through.program.instructions, *options.lstm), "") << what;
        EXPECT_EQ(builder::check::token_balance(through.program.instructions).error, "") << what;
        const uint64_t before = layer_dram_bytes(b);
        run_and_compare(b, s, in_buffer, &head, what + ", in the vector buffer");
        const uint64_t middle = layer_dram_bytes(b);
        run_and_compare(b, s, through, &head, what + ", through DDR");
        const uint64_t after = layer_dram_bytes(b);
        EXPECT_EQ((after - middle) - (middle - before), ddr_extra_bytes(levels, s.steps, s.channels, true)) << what;
        ++runs;
      }
    }
  });
  EXPECT_EQ(runs, 8);
}

TEST(LstmStackThroughDdr, AStackTooLongForTheVectorBufferRunsThroughDdr) {
  constexpr uint32_t kPes = 4, kSteps = 60;
  std::mt19937 rng(78);
  Stack s = random_stack(rng, {{2, 1}, false, false}, kPes, 0.4);
  // The same layers over 60 steps (the sequences are what grows with the steps).
  s.steps = kSteps;
  const uint32_t input = s.c.levels[0][0].fixed.input_size;
  const auto seqs = lstm_test::random_sequences(rng, s.channels, kSteps, input, 1.0);
  s.inputs.clear();
  for (const auto& seq : seqs) s.inputs.push_back(lstm_ref::quantize16(seq, s.c.levels[0][0].fixed.x_frac));
  const auto levels = s.c.program_levels();
  LstmStackOptions o;
  o.steps = kSteps, o.channels = s.channels;
  BenchOptions options = lstm_bench(kPes);
  const LstmStackProgram in_buffer = builder::build_lstm_stack_program(levels, *options.lstm, o);
  o.sequences_through_ddr = true;
  const uint64_t ddr_bytes = builder::build_lstm_stack_program(levels, *options.lstm, o).vector_bytes;
  o.sequences_through_ddr = false;
  // An engine whose vector buffer holds the stack only through DDR: the builder chooses it.
  ASSERT_LT(ddr_bytes, in_buffer.vector_bytes);
  options.lstm->vector_buffer_bytes = ddr_bytes;
  const LstmStackProgram p = builder::build_lstm_stack_program(levels, *options.lstm, o);
  EXPECT_TRUE(p.through_ddr);
  EXPECT_EQ(p.vector_bytes, ddr_bytes);
  std::printf("%u steps, %u channels: %llu B of vector buffer in it, %llu B through DDR\n", kSteps, s.channels,
              static_cast<unsigned long long>(in_buffer.vector_bytes), static_cast<unsigned long long>(ddr_bytes));
  Bench b(options);
  b.run([&](RegisterInitiator&) { run_and_compare(b, s, p, nullptr, "through DDR"); });
  EXPECT_EQ(b.lstm->rejected_instructions(), 0u);
  // One byte less and it does not fit either way.
  LstmConfig smaller = *options.lstm;
  smaller.vector_buffer_bytes = ddr_bytes - 1;
  EXPECT_THROW(builder::build_lstm_stack_program(levels, smaller, o), builder::BuildError);
}

// ---------------------------------------------------------------------------------------------
// ESE's speech LSTM as two stacked layers (docs/lstm.md, "Stacked and bidirectional LSTMs: the ESE
// stack"): 153 -> 1024 cells -> 512 projection, then 512 -> 1024 -> 512, random weights pruned to
// 10 % load-balanced over 32 PEs, both layers' weights streamed from DDR every step (as ESE does:
// together they do not fit 32 x 32 KiB). A frame is one step of both layers; its time is each
// layer's steady-state step (between the LSTM_GATES of consecutive steps) summed.
void ese_stack(const char* memory, const BenchOptions& options) {
  constexpr uint32_t kSteps = 4;
  std::mt19937 rng(12);
  std::vector<FloatStackLevel> levels = {{{lstm_test::random_lstm(rng, 153, 1024, 512, false, 0.1), false}},
                                         {{lstm_test::random_lstm(rng, 512, 1024, 512, false, 0.1), false}}};
  const auto seqs = lstm_test::random_sequences(rng, 1, kSteps, 153);
  dlvpc::CompressOptions co;
  co.prune.density = 0.1;
  co.prune.pes = 32;
  const CompressedStack c = dlvpc::compress_lstm_stack(levels, seqs, co);
  Stack s;
  s.c = c;
  s.inputs = {lstm_ref::quantize16(seqs[0], c.levels[0][0].fixed.x_frac)};
  s.steps = kSteps, s.channels = 1;
  Bench b(options);
  LstmStackOptions o;
  o.steps = kSteps, o.tag = 1;
  const LstmStackProgram p = builder::build_lstm_stack_program(s.c.program_levels(), *options.lstm, o);
  EXPECT_TRUE(p.program.streamed);  // chosen: two layers' 2.4 MB do not fit 1 MiB of weight memory
  b.run([&](RegisterInitiator&) { run_and_compare(b, s, p, {}, memory); });
  // Each layer's steady-state step: between its LSTM_GATES of steps 1 and 2 (step 0 also waits for
  // its first chunk).
  std::map<uint32_t, std::vector<sc_time>> gates;
  for (const auto& [index, rec] : b.records_of_job(0))
    if (p.program.instructions[index].header.opcode == isa::kOpLstmGates)
      gates[p.program.instructions[index].header.tag].push_back(rec.end);
  double frame_us = 0;
  for (const auto& [tag, ends] : gates) {
    ASSERT_EQ(ends.size(), kSteps);
    const double step_us = (ends[2] - ends[1]).to_seconds() * 1e6;
    const LstmEngine::LayerStats* stats = nullptr;
    for (const auto& [ledger_tag, layer] : b.lstm->layer_stats())
      if (layer.tag == tag) stats = &layer;
    ASSERT_NE(stats, nullptr);
    const DramTraffic t = b.ledger.dram_traffic(stats->ledger_tag);
    std::printf("ESE stack from %s, layer %u: %.1f us/step, %llu DRAM B/step, %llu entries/step, %llu engine "
                "cycles/step\n",
                memory, tag, step_us, static_cast<unsigned long long>((t.read_bytes + t.write_bytes) / kSteps),
                static_cast<unsigned long long>(stats->timing.entries / kSteps),
                static_cast<unsigned long long>(stats->timing.cycles / kSteps));
    frame_us += step_us;
    // Every step brings its entries (2 B each) through the LSTM buffers' port: the step cannot be
    // shorter than that transfer.
    const double entry_bytes = 2.0 * stats->timing.entries / kSteps;
    EXPECT_GT(t.read_bytes / kSteps, entry_bytes);
    EXPECT_GE(step_us, entry_bytes / (options.lstm->buffer_port_bytes * options.lstm->clock_mhz)) << tag;
  }
  std::printf("ESE stack from %s: %.1f us per frame (2 layers), %llu weight B per frame\n", memory, frame_us,
              static_cast<unsigned long long>(p.program.weight_bytes_per_step));
  std::fflush(stdout);
}

// The bidirectional schedule (docs/lstm.md, "Stacked and bidirectional LSTMs: one direction after
// the other"): the engine's cycles of a bidirectional level as built (the forward layer's steps,
// then the reverse layer's, each on all P PEs) against the split the ISA cannot express (each
// direction on its own P / 2 PEs, both at once), derived from the engine's timing model: each
// direction pruned and encoded for P / 2 PEs, built alone and timed by predict_lstm_cycles (the
// engine's own spmv_timing / gates_timing); the split takes the slower direction's cycles. Engine
// cycles only: streamed weights share the DDR port either way, so the split cannot shorten the
// transfers.
struct ScheduleCycles {
  uint64_t sequential = 0, split = 0;
};

uint64_t engine_cycles(const std::vector<builder::LstmStackLevel>& levels, const LstmConfig& hw, uint32_t steps) {
  LstmStackOptions o;
  o.steps = steps;
  const LstmStackProgram p = builder::build_lstm_stack_program(levels, hw, o);
  uint64_t cycles = 0;
  for (const auto& [tag, t] : dlvpc::predict_lstm_cycles(p.program, hw)) cycles += t.cycles;
  return cycles;
}

ScheduleCycles bidirectional_schedules(uint32_t inputs, uint32_t hidden, uint32_t projection, uint32_t pes, uint32_t steps) {
  std::mt19937 rng(5);
  const FloatStackLevel level = {{lstm_test::random_lstm(rng, inputs, hidden, projection, false, 0.1), false},
                                 {lstm_test::random_lstm(rng, inputs, hidden, projection, false, 0.1), true}};
  const auto seqs = lstm_test::random_sequences(rng, 1, steps, inputs);
  dlvpc::CompressOptions co;
  co.prune.density = 0.1;
  LstmConfig hw = *lstm_bench(pes).lstm;
  hw.weight_memory_bytes = LstmConfig().weight_memory_bytes;
  ScheduleCycles c;
  co.prune.pes = pes;
  c.sequential = engine_cycles(dlvpc::compress_lstm_stack({level}, seqs, co).program_levels(), hw, steps);
  LstmConfig half = hw;
  half.pes = pes / 2;
  co.prune.pes = half.pes;
  for (const dlvpc::FloatStackLayer& direction : level)
    c.split = std::max(c.split, engine_cycles(dlvpc::compress_lstm_stack({{direction}}, seqs, co).program_levels(), half, steps));
  return c;
}

TEST(LstmStackTiming, BidirectionalOneDirectionAfterTheOtherAgainstSplitPes) {
  struct Shape {
    const char* name;
    uint32_t inputs, hidden, projection, pes;
  };
  for (const Shape& s : {Shape{"ESE shape 153 -> 1024 -> 512", 153, 1024, 512, 32}, Shape{"Fashion rows 28 -> 64", 28, 64, 0, 32},
                         Shape{"Fashion rows 28 -> 128", 28, 128, 0, 32}}) {
    constexpr uint32_t kSteps = 4;
    const ScheduleCycles c = bidirectional_schedules(s.inputs, s.hidden, s.projection, s.pes, kSteps);
    std::printf("bidirectional %s, 10 %%, %u PEs: %llu engine cycles per step one direction after the other on all PEs, "
                "%llu split (%u PEs per direction, both at once): split / sequential %.3f\n",
                s.name, s.pes, static_cast<unsigned long long>(c.sequential / kSteps),
                static_cast<unsigned long long>(c.split / kSteps), s.pes / 2, double(c.split) / double(c.sequential));
    // Fewer PEs are never faster, so each direction on P / 2 PEs takes at least its time on P PEs,
    // and the slower of the two at least half of both in turn: the split can at most halve the time.
    EXPECT_GE(2 * c.split, c.sequential) << s.name;
    EXPECT_GT(c.split, 0u) << s.name;
  }
  std::fflush(stdout);
}

TEST(LstmStackTiming, EseTwoLayersFromDdr4) { ese_stack("DDR4-2400 x64", ddr4_bench()); }

TEST(LstmStackTiming, EseTwoLayersFromDdr4WithA64ByteBufferPort) {
  BenchOptions o = ddr4_bench();
  o.lstm->buffer_port_bytes = 64;
  ese_stack("DDR4-2400 x64, 64 B LSTM buffer port", o);
}

}  // namespace
}  // namespace dlvp::test
