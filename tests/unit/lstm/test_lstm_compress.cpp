// dlvpc's LSTM compression (tools/dlvpc/lstm_compress.h): the CSC layout of docs/lstm.md's worked
// example, round trips through the encoder and the memory image (long gaps, empty columns),
// magnitude pruning in both modes, the report, and the ESE configuration's density after padding.
#include "tests/unit/lstm/lstm_test_util.h"
#include "tools/dlvpc/lstm_compress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

namespace dlvp::dlvpc {
namespace {

using lstm::make_entry;
using lstm_ref::CscMatrix;
using lstm_ref::FixedMatrix;

// docs/lstm.md's worked example: 8 x 3 over 2 PEs.
TEST(LstmCompress, WorkedExampleLayout) {
  const FixedMatrix m{8, 3, 11, {3, 0, 0,    // row 0 -> PE 0, local 0
                                 0, 0, -1,   // row 1 -> PE 1, local 0
                                 0, 0, 0,    // row 2 -> PE 0, local 1
                                 5, 0, 0,    // row 3 -> PE 1, local 1
                                 0, 0, 0,    // row 4 -> PE 0, local 2
                                 0, 0, 2,    // row 5 -> PE 1, local 2
                                 -4, 0, 0,   // row 6 -> PE 0, local 3
                                 0, 0, 0}};  // row 7 -> PE 1, local 3
  const CscMatrix c = encode_csc(m, 2);
  EXPECT_EQ(c.streams[0].pointers, (std::vector<uint32_t>{0, 2, 2, 2}));
  EXPECT_EQ(c.streams[0].entries, (std::vector<uint16_t>{make_entry(3, 0), make_entry(-4, 2)}));
  EXPECT_EQ(c.streams[1].pointers, (std::vector<uint32_t>{0, 1, 1, 3}));
  EXPECT_EQ(c.streams[1].entries, (std::vector<uint16_t>{make_entry(5, 1), make_entry(-1, 0), make_entry(2, 1)}));
  EXPECT_EQ(c.streams[0].entries[1], 0xFFC2);
  EXPECT_EQ(c.streams[1].entries[1], 0xFFF0);
}

// A gap of 39 zero rows: two padding entries (each advancing 16 rows), then the weight with skip 7.
TEST(LstmCompress, LongGapsArePadded) {
  FixedMatrix m{64, 2, 11, std::vector<int16_t>(128, 0)};
  m.q[0 * 2 + 0] = 9;     // local row 0
  m.q[40 * 2 + 0] = -9;   // local row 40
  m.q[63 * 2 + 1] = 1;    // column 1: 63 zero rows before it -> 3 paddings, skip 15
  const CscMatrix c = encode_csc(m, 1);
  EXPECT_EQ(c.streams[0].entries, (std::vector<uint16_t>{make_entry(9, 0), lstm::kPaddingEntry, lstm::kPaddingEntry,
                                                         make_entry(-9, 7), lstm::kPaddingEntry, lstm::kPaddingEntry,
                                                         lstm::kPaddingEntry, make_entry(1, 15)}));
  EXPECT_EQ(c.streams[0].pointers, (std::vector<uint32_t>{0, 4, 8}));
  const MatrixReport r = matrix_report(c, "m");
  EXPECT_EQ(r.nonzeros, 3u);
  EXPECT_EQ(r.padding, 5u);
  EXPECT_EQ(lstm_ref::decode(c).q, m.q);
}

// The memory image parsed back: pointers, then entries, every PE's stream 4-byte aligned.
CscMatrix parse_image(const std::vector<uint8_t>& image, uint32_t rows, uint32_t cols, uint32_t pes, int frac) {
  CscMatrix c;
  c.rows = rows, c.cols = cols, c.pes = pes, c.frac = frac;
  size_t at = 0;
  for (uint32_t pe = 0; pe < pes; ++pe) {
    lstm_ref::CscStream s;
    s.pointers.resize(cols + 1);
    std::memcpy(s.pointers.data(), &image.at(at), (cols + 1) * 4);
    s.entries.resize(s.pointers.back());
    if (!s.entries.empty()) std::memcpy(s.entries.data(), &image.at(at + (cols + 1) * 4), s.entries.size() * 2);
    at += lstm::stream_image_bytes(cols, s.pointers.back());
    c.streams.push_back(std::move(s));
  }
  EXPECT_EQ(at, image.size());
  return c;
}

TEST(LstmCompress, CscRoundTripOnRandomMatrices) {
  std::mt19937 rng(17);
  for (int trial = 0; trial < 50; ++trial) {
    FixedMatrix m;
    m.rows = 1 + rng() % 300, m.cols = 1 + rng() % 30, m.frac = trial % 20 - 5;
    const double density = std::array<double, 6>{0.0, 0.005, 0.03, 0.1, 0.5, 1.0}[trial % 6];
    std::bernoulli_distribution keep(density);
    std::uniform_int_distribution<int> w(lstm::kWeightMin, lstm::kWeightMax);
    for (uint64_t i = 0; i < uint64_t{m.rows} * m.cols; ++i) {
      int v = keep(rng) ? w(rng) : 0;
      m.q.push_back(static_cast<int16_t>(v));
    }
    if (trial % 5 == 0)  // some empty columns
      for (uint32_t r = 0; r < m.rows; ++r) m.q[uint64_t{r} * m.cols] = 0;
    const uint32_t pes = std::array<uint32_t, 5>{1, 2, 7, 32, 400}[trial % 5];
    const CscMatrix c = encode_csc(m, pes);
    for (uint32_t pe = 0; pe < pes; ++pe) ASSERT_TRUE(lstm::validate_stream(c.view(pe)).ok()) << "PE " << pe;
    const FixedMatrix d = lstm_ref::decode(c);
    ASSERT_EQ(d.q, m.q) << "trial " << trial;
    EXPECT_EQ(d.frac, m.frac);
    const CscMatrix parsed = parse_image(matrix_image(c), m.rows, m.cols, pes, m.frac);
    ASSERT_EQ(lstm_ref::decode(parsed).q, m.q);
    // Entries: every non-zero once, plus a padding entry per 16 rows of every gap longer than 15.
    const MatrixReport r = matrix_report(c, "m");
    EXPECT_EQ(r.nonzeros, static_cast<uint64_t>(std::count_if(m.q.begin(), m.q.end(), [](int16_t v) { return v != 0; })));
    EXPECT_EQ(r.weight_bytes, 2 * (r.nonzeros + r.padding));
    EXPECT_EQ(r.pointer_bytes, uint64_t{pes} * (m.cols + 1) * 4);
  }
}

TEST(LstmCompress, PruningKeepsTheLargestToTheTargetCount) {
  std::mt19937 rng(2);
  const uint32_t rows = 96, cols = 40;
  const std::vector<double> w = lstm_test::uniform(rng, rows * cols, -1, 1);
  for (const Pruning mode : {Pruning::kGlobal, Pruning::kBalanced})
    for (const double density : {0.0, 0.1, 0.37, 1.0}) {
      PruneOptions o;
      o.density = density, o.mode = mode, o.pes = 8;
      const std::vector<double> p = prune_matrix(w, rows, cols, o);
      const auto kept = std::count_if(p.begin(), p.end(), [](double v) { return v != 0; });
      EXPECT_EQ(kept, std::llround(density * rows * cols)) << to_string(mode) << " " << density;
      // Within each PE's slice (global: within the matrix) no dropped weight is larger than a kept one.
      for (uint32_t pe = 0; pe < (mode == Pruning::kGlobal ? 1u : o.pes); ++pe) {
        double smallest_kept = 2, largest_dropped = 0;
        for (uint32_t r = 0; r < rows; ++r) {
          if (mode == Pruning::kBalanced && r % o.pes != pe) continue;
          for (uint32_t j = 0; j < cols; ++j) {
            const double v = std::fabs(w[r * cols + j]);
            if (p[r * cols + j] != 0) smallest_kept = std::min(smallest_kept, v);
            else largest_dropped = std::max(largest_dropped, v);
          }
        }
        if (density > 0 && density < 1) {
          EXPECT_GE(smallest_kept, largest_dropped);
        }
      }
    }
  PruneOptions bad;
  bad.density = 1.5;
  EXPECT_THROW(prune_matrix(w, rows, cols, bad), std::invalid_argument);
}

std::vector<uint64_t> per_pe_nonzeros(const std::vector<double>& m, uint32_t rows, uint32_t cols, uint32_t pes) {
  std::vector<uint64_t> n(pes, 0);
  for (uint32_t r = 0; r < rows; ++r)
    for (uint32_t j = 0; j < cols; ++j) n[r % pes] += m[r * cols + j] != 0;
  return n;
}

TEST(LstmCompress, LoadBalancedPruningEqualizesThePes) {
  // A skewed matrix: PE 0's rows (r mod 8 = 0) are ten times larger, and 3 rows are not a multiple
  // of the PEs (PEs 0..2 hold one more row than the others).
  std::mt19937 rng(4);
  const uint32_t rows = 67, cols = 50, pes = 8;
  std::vector<double> w = lstm_test::uniform(rng, rows * cols, -1, 1);
  for (uint32_t r = 0; r < rows; r += pes)
    for (uint32_t j = 0; j < cols; ++j) w[r * cols + j] *= 10;
  PruneOptions o;
  o.density = 0.1, o.pes = pes;
  o.mode = Pruning::kBalanced;
  const auto balanced = per_pe_nonzeros(prune_matrix(w, rows, cols, o), rows, cols, pes);
  o.mode = Pruning::kGlobal;
  const auto global = per_pe_nonzeros(prune_matrix(w, rows, cols, o), rows, cols, pes);
  const auto [bmin, bmax] = std::minmax_element(balanced.begin(), balanced.end());
  const auto [gmin, gmax] = std::minmax_element(global.begin(), global.end());
  EXPECT_LE(*bmax - *bmin, 1u);
  EXPECT_GT(*gmax - *gmin, 100u);  // global pruning keeps PE 0's large weights
  std::printf("skewed 67x50 over 8 PEs at 10%%: load-balanced non-zeros per PE %llu..%llu, global %llu..%llu\n",
              static_cast<unsigned long long>(*bmin), static_cast<unsigned long long>(*bmax),
              static_cast<unsigned long long>(*gmin), static_cast<unsigned long long>(*gmax));
}

// What the compiler produces decodes to the pruned, quantized matrices; pruned weights are 0.
TEST(LstmCompress, CompressedMatricesDecodeToThePrunedQuantizedOnes) {
  std::mt19937 rng(12);
  const lstm_ref::FloatLstm model = lstm_test::random_lstm(rng, 40, 48, 24, true);
  CompressOptions options;
  options.prune.density = 0.08;
  options.prune.pes = 16;
  const CompressedLstm c = compress_lstm(model, lstm_test::random_sequences(rng, 2, 4, 40), options);
  const std::vector<std::pair<const lstm_ref::CscMatrix*, const FixedMatrix*>> pairs = {
      {&c.sparse.w, &c.fixed.w}, {&c.sparse.r, &c.fixed.r}, {&c.sparse.projection, &c.fixed.projection}};
  const std::vector<const std::vector<double>*> pruned = {&c.pruned.w, &c.pruned.r, &c.pruned.projection};
  for (size_t k = 0; k < pairs.size(); ++k) {
    const FixedMatrix d = lstm_ref::decode(*pairs[k].first);
    EXPECT_EQ(d.q, pairs[k].second->q);
    EXPECT_EQ(d.frac, pairs[k].second->frac);
    for (size_t i = 0; i < d.q.size(); ++i) {
      if ((*pruned[k])[i] == 0) {
        ASSERT_EQ(d.q[i], 0) << "element " << i;
      }
    }
    const auto nonzeros = std::count_if(d.q.begin(), d.q.end(), [](int16_t v) { return v != 0; });
    EXPECT_EQ(nonzeros, std::llround(0.08 * static_cast<double>(d.q.size())));
  }
}

// ESE's speech LSTM ([Guo17], [Han17] in docs/references.md): 153 inputs, 1024 cells, 512 projection, pruned to
// 10 % with load balancing over 32 PEs; the paper reports 12.2 % non-zeros with padding.
TEST(LstmCompress, EseConfigurationDensityAfterPadding) {
  std::mt19937 rng(2017);
  const lstm_ref::FloatLstm model = lstm_test::random_lstm(rng, 153, 1024, 512, false, 1.0);
  const auto calibration = lstm_test::random_sequences(rng, 1, 2, 153, 1.0);
  CompressOptions options;
  options.prune.density = 0.1;
  options.prune.pes = 32;
  const std::vector<CompressionReport> reports = pruning_reports(model, calibration, options);
  for (const CompressionReport& r : reports) std::printf("%s", format_report(r).c_str());
  ASSERT_EQ(reports[0].mode, Pruning::kBalanced);
  const MatrixReport& lb = reports[0].total;
  std::printf("ESE configuration, load-balanced 10%% over 32 PEs: %.2f%% non-zeros, %.2f%% with padding "
              "(paper: 12.2%%); imbalance %.4f load-balanced vs %.4f global\n",
              100 * lb.density(), 100 * lb.padded_density(), lb.nonzero_load().imbalance(),
              reports[1].total.nonzero_load().imbalance());
  EXPECT_NEAR(lb.density(), 0.10, 0.001);
  EXPECT_GT(lb.padded_density(), 0.115);
  EXPECT_LT(lb.padded_density(), 0.13);
  EXPECT_LE(lb.nonzero_load().max - lb.nonzero_load().min, 3u);  // within 1 per matrix
  EXPECT_GT(reports[1].total.nonzero_load().imbalance(), lb.nonzero_load().imbalance());
  for (const MatrixReport& m : reports[0].matrices) EXPECT_LE(m.nonzero_load().max - m.nonzero_load().min, 1u) << m.name;
}

}  // namespace
}  // namespace dlvp::dlvpc
