// ip/lstm/lstm_format.h: the CSC entry fields, the row interleaving, the stream validator's error
// codes and indices, and the sigmoid/tanh tables and their measured accuracy.
#include "ip/lstm/lstm_format.h"
#include "tests/reference/lstm_reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace dlvp::lstm {
namespace {

TEST(LstmFormat, EntryFieldsRoundTrip) {
  for (int32_t w = kWeightMin; w <= kWeightMax; ++w)
    for (uint32_t skip = 0; skip <= kMaxSkip; ++skip) {
      const uint16_t e = make_entry(w, skip);
      ASSERT_EQ(entry_weight(e), w);
      ASSERT_EQ(entry_skip(e), skip);
    }
  EXPECT_EQ(entry_weight(kPaddingEntry), 0);
  EXPECT_EQ(entry_skip(kPaddingEntry), 15u);
  EXPECT_EQ(make_entry(-1, 3), 0xFFF3);  // weight in bits 15..4, skip in bits 3..0
  EXPECT_EQ(make_entry(5, 0), 0x0050);
}

TEST(LstmFormat, RowsInterleaveOverPes) {
  for (uint32_t rows : {1u, 5u, 31u, 32u, 33u, 100u, 4096u})
    for (uint32_t pes : {1u, 2u, 3u, 32u, 64u}) {
      std::vector<uint32_t> count(pes, 0);
      for (uint32_t r = 0; r < rows; ++r) {
        const uint32_t pe = pe_of_row(r, pes);
        EXPECT_EQ(global_row(pe, local_row(r, pes), pes), r);
        EXPECT_LT(local_row(r, pes), slice_rows(rows, pes, pe));
        ++count[pe];
      }
      for (uint32_t pe = 0; pe < pes; ++pe) EXPECT_EQ(count[pe], slice_rows(rows, pes, pe)) << rows << " rows, " << pes << " PEs";
    }
}

TEST(LstmFormat, StreamImageBytes) {
  EXPECT_EQ(stream_image_bytes(3, 0), 16u);      // 4 pointers
  EXPECT_EQ(stream_image_bytes(3, 1), 20u);      // + 2 bytes, padded to 4
  EXPECT_EQ(stream_image_bytes(3, 2), 20u);
  EXPECT_EQ(stream_image_bytes(0, 3), 4u + 8u);  // one pointer, 6 bytes -> 8
}

// One PE's slice of 20 rows, 3 columns: column 0 rows 0 and 19 (a padding entry bridges the gap
// of 18), column 1 empty, column 2 row 5.
struct Stream {
  std::vector<uint32_t> pointers = {0, 3, 3, 4};
  std::vector<uint16_t> entries = {make_entry(7, 0), kPaddingEntry, make_entry(-3, 2), make_entry(100, 5)};
  StreamView view(uint32_t slice = 20) const {
    StreamView v;
    v.pointers = pointers.data();
    v.entries = entries.data();
    v.cols = 3;
    v.entry_count = static_cast<uint32_t>(entries.size());
    v.slice_rows = slice;
    return v;
  }
};

TEST(LstmFormat, ValidatorAcceptsAWellFormedStream) {
  const Stream s;
  EXPECT_TRUE(validate_stream(s.view()).ok());
  // Row 19 is the last row: a 19-row slice is too short for it, at entry 2.
  const StreamCheck short_slice = validate_stream(s.view(19));
  EXPECT_EQ(short_slice.error, kStreamIndexPastSlice);
  EXPECT_EQ(short_slice.index, 2u);
}

TEST(LstmFormat, ValidatorNamesTheErrorAndIndex) {
  struct Case {
    const char* what;
    std::vector<uint32_t> pointers;
    std::vector<uint16_t> entries;
    StreamError error;
    uint32_t index;
  };
  const Stream good;
  const std::vector<Case> cases = {
      {"first pointer", {1, 3, 3, 4}, good.entries, kStreamFirstPointer, 0},
      {"pointer past the end", {0, 3, 9, 4}, good.entries, kStreamPointerPastEnd, 2},
      {"not monotonic", {0, 3, 2, 4}, good.entries, kStreamPointerNotMonotonic, 2},
      {"last pointer short", {0, 3, 3, 3}, good.entries, kStreamLength, 3},
      {"skip overflow", {0, 3, 3, 4}, {make_entry(7, 0), kPaddingEntry, make_entry(-3, 15), make_entry(100, 5)},
       kStreamIndexPastSlice, 2},
      {"padding past the slice", {0, 2, 2, 2}, {kPaddingEntry, kPaddingEntry}, kStreamIndexPastSlice, 1},
  };
  for (const Case& c : cases) {
    StreamView v = good.view();
    v.pointers = c.pointers.data();
    v.entries = c.entries.data();
    v.entry_count = static_cast<uint32_t>(c.entries.size());
    const StreamCheck check = validate_stream(v);
    EXPECT_EQ(check.error, c.error) << c.what << ": " << to_string(check.error);
    EXPECT_EQ(check.index, c.index) << c.what;
  }
}

TEST(LstmFormat, ValidatorChecksAColumnRangeOfAStream) {
  // Columns 2.. of the stream above: pointers are absolute, entries start at stream entry 3.
  const Stream s;
  StreamView v = s.view();
  v.pointers = &s.pointers[2];
  v.cols = 1;
  v.first_entry = 3;
  v.entries = &s.entries[3];
  v.entry_count = 1;
  EXPECT_TRUE(validate_stream(v).ok());
  v.slice_rows = 5;  // row 5 does not exist: the fault is stream entry 3
  const StreamCheck c = validate_stream(v);
  EXPECT_EQ(c.error, kStreamIndexPastSlice);
  EXPECT_EQ(c.index, 3u);
}

double exact(LutFunction f, double x) { return f == LutFunction::kSigmoid ? 1.0 / (1.0 + std::exp(-x)) : std::tanh(x); }

TEST(LstmFormat, LutSamplesAreTheRoundedFunction) {
  // The constexpr tables equal f(x_k) rounded half up with libm's exp/tanh, sample for sample.
  for (const LutFunction f : {LutFunction::kSigmoid, LutFunction::kTanh}) {
    const LutTable& t = lut_table(f);
    for (uint32_t k = 0; k < kLutSamples; ++k) {
      const double v = std::clamp(std::floor(exact(f, lut_sample_input(f, k)) * 32768.0 + 0.5), -32768.0, 32767.0);
      ASSERT_EQ(t.sample[k], static_cast<int16_t>(v)) << "table " << int(f) << " sample " << k;
    }
    // A sample point reads its sample exactly.
    const LutSpec s = lut_spec(f);
    for (uint32_t k = 0; k < kLutSegments; k += 97)
      EXPECT_EQ(lut_lookup(f, static_cast<int16_t>(s.first_code + static_cast<int32_t>(k << s.segment_shift))), t.sample[k]);
  }
  EXPECT_EQ(lut_lookup(LutFunction::kSigmoid, 0), 16384);  // 0.5
  EXPECT_EQ(lut_lookup(LutFunction::kTanh, 0), 0);
}

TEST(LstmFormat, LutAccuracyAndMonotonicity) {
  const double sig = lstm_ref::lut_max_error(LutFunction::kSigmoid);
  const double tanh = lstm_ref::lut_max_error(LutFunction::kTanh);
  std::printf("LUT accuracy over all 65536 Q4.11 inputs: sigmoid max |error| = %.3g (%.2f LSB of Q0.15), "
              "tanh max |error| = %.3g (%.2f LSB)\n", sig, sig * 32768, tanh, tanh * 32768);
  // docs/lstm.md states these figures: below 1.3 and 1.6 units of the output's last place.
  EXPECT_LT(sig, 1.3 / 32768);
  EXPECT_LT(tanh, 1.6 / 32768);
  for (const LutFunction f : {LutFunction::kSigmoid, LutFunction::kTanh}) {
    int16_t previous = lut_lookup(f, -32768);
    for (int32_t x = -32767; x <= 32767; ++x) {
      const int16_t y = lut_lookup(f, static_cast<int16_t>(x));
      ASSERT_GE(y, previous) << "not monotonic at code " << x;
      previous = y;
    }
  }
}

}  // namespace
}  // namespace dlvp::lstm
