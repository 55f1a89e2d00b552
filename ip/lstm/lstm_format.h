// The sparse LSTM engine's data formats (docs/lstm.md): fixed-point formats, the compressed
// sparse column (CSC) encoding of a matrix interleaved by rows over the PEs, the stream validator,
// and the sigmoid/tanh lookup tables. One header shared by the engine model (ip/lstm), the
// software (sw/), the compiler (tools/dlvpc) and the reference model (tests/reference): every
// fact below is defined here and nowhere else.
// Freestanding: only <stdint.h>; no containers, no exceptions, no libm (the tables are computed
// by constexpr code, so every user gets the same bits).
#pragma once
#include <stdint.h>

namespace dlvp::lstm {

// ---------------------------------------------------------------------------------------------
// Fixed-point formats. A value v with radix point f ("frac") is stored as the integer q with
// v = q x 2^-f. Rounding is half up everywhere (round_shift of docs/isa.md), saturation is to the
// stored width.

constexpr uint32_t kWeightBits = 12;  // matrix and peephole weights, one radix point per matrix
constexpr int32_t kWeightMax = 2047;
constexpr int32_t kWeightMin = -2048;

constexpr uint32_t kActivationBits = 16;  // x, h, y and the cell state c, one radix point per tensor
constexpr int32_t kActivationMax = 32767;
constexpr int32_t kActivationMin = -32768;

constexpr uint32_t kBiasBits = 32;  // gate biases (W_b + R_b) at the gate accumulators' radix point

// Gate accumulators sum exactly and saturate once to this width when a gate leaves the
// accumulator (like the CNN engine's accumulator_bits). 32 bits: the quantizer keeps the gate
// accumulators' radix point <= bits - 5 so that their range covers the LUT input's [-16, 16), and
// the projection's so that it covers the output's 16-bit range: saturation never clips a value
// the next stage could still represent.
constexpr uint32_t kDefaultAccumulatorBits = 32;
constexpr uint32_t kMinAccumulatorBits = 24;
constexpr uint32_t kMaxAccumulatorBits = 48;

// Products of the input matrix and of the recurrent matrix are aligned to the gate accumulators'
// radix point by a left shift of 0..kMaxProductShift (exact, no rounding).
constexpr int kMaxProductShift = 15;
// LSTM_SPMV's output_shift with AccLast: accumulators to the 16-bit output's radix point.
constexpr int kMinOutputShift = -31;
constexpr int kMaxOutputShift = 62;
// Radix points the compiler may choose (weights and activations).
constexpr int kMinFrac = -16;
constexpr int kMaxFrac = 30;
// A matrix has at most this many columns (bounds the exact sums: 2^26 x 2^15 x 2 x 2^16 < 2^63).
constexpr uint32_t kMaxColumns = 65535;

// Gate values (i, f, o, g) and tanh(c) come out of the LUTs as Q0.15.
constexpr int kGateFrac = 15;

// Gate order of the stacked matrices W [4H][I], R [4H][H_rec] and the bias [4H] (ONNX's order):
// rows [k H, (k + 1) H) belong to gate k.
enum Gate : uint32_t { kGateInput = 0, kGateOutput = 1, kGateForget = 2, kGateCell = 3, kGateCount = 4 };
// Peephole weights [3H] (ONNX's P): Pi, Po, Pf.
enum Peephole : uint32_t { kPeepholeInput = 0, kPeepholeOutput = 1, kPeepholeForget = 2, kPeepholeCount = 3 };

// ---------------------------------------------------------------------------------------------
// Rows interleaved over the PEs: row r of a matrix belongs to PE r mod N, as that PE's local row
// r / N. With H a multiple of N, the four gate rows of cell k all live on PE k mod N.

constexpr uint32_t kDefaultPes = 32;

constexpr uint32_t pe_of_row(uint32_t row, uint32_t pes) { return row % pes; }
constexpr uint32_t local_row(uint32_t row, uint32_t pes) { return row / pes; }
constexpr uint32_t global_row(uint32_t pe, uint32_t local, uint32_t pes) { return local * pes + pe; }
// Rows of a `rows`-row matrix that PE `pe` holds.
constexpr uint32_t slice_rows(uint32_t rows, uint32_t pes, uint32_t pe) {
  return pe < rows ? (rows - pe + pes - 1) / pes : 0;
}

// ---------------------------------------------------------------------------------------------
// CSC entries. Each PE stores its slice column by column; within a column, its non-zeros in
// ascending local row order, each as one 16-bit entry:
//
//   bits 15..4  weight, 12-bit two's complement
//   bits  3..0  skip: the number of zero rows of the PE's slice passed over before this entry
//               (counted from the previous entry of the column, or from local row 0)
//
// Decoding a column: row = -1; for each entry: row += skip + 1; slice[row] gets weight. A gap of
// more than 15 zero rows is bridged by padding entries (weight 0, skip 15), each advancing 16 rows.
// Zeros after a column's last entry need nothing. A column without non-zeros has no entries.

constexpr uint32_t kEntryBytes = 2;
constexpr uint32_t kSkipBits = 4;
constexpr uint32_t kMaxSkip = 15;

constexpr uint16_t make_entry(int32_t weight, uint32_t skip) {
  return static_cast<uint16_t>(((static_cast<uint32_t>(weight) & 0xFFFu) << kSkipBits) | (skip & kMaxSkip));
}
constexpr int32_t entry_weight(uint16_t entry) {
  const int32_t w = entry >> kSkipBits;
  return w > kWeightMax ? w - 4096 : w;
}
constexpr uint32_t entry_skip(uint16_t entry) { return entry & kMaxSkip; }
constexpr uint16_t kPaddingEntry = make_entry(0, kMaxSkip);

// Pointers: per PE and matrix, cols + 1 unsigned 32-bit entry indices into that PE's stream;
// column j's entries are [pointers[j], pointers[j + 1]), pointers[0] = 0 and pointers[cols] = the
// stream's entry count.
constexpr uint32_t kPointerBytes = 4;

// One PE's stream in memory (little-endian): the cols + 1 pointers, then the entries, padded with
// zero bytes to a multiple of 4. A matrix is its PEs' streams in PE order.
constexpr uint64_t stream_image_bytes(uint32_t cols, uint32_t entries) {
  return (uint64_t{cols} + 1) * kPointerBytes + ((uint64_t{entries} * kEntryBytes + 3) / 4) * 4;
}

// ---------------------------------------------------------------------------------------------
// Stream validation: what the engine checks before it trusts a stream (it comes from DDR) and
// what the compiler's tests check. The first error found, in this order: the pointers (first,
// then each in column order: past the end, then not monotonic; then the last), then the entries in
// stream order.

enum StreamError : uint8_t {
  kStreamOk = 0,
  kStreamFirstPointer = 1,       // pointers[0] != first_entry               index: 0 (pointer)
  kStreamPointerPastEnd = 2,     // a pointer beyond the stream's last entry index: that pointer (column)
  kStreamPointerNotMonotonic = 3,  // pointers[j] < pointers[j - 1]           index: j (pointer)
  kStreamLength = 4,             // pointers[cols] != first_entry + entry_count  index: cols (pointer)
  kStreamIndexPastSlice = 5,     // an entry's row lands past the PE's slice  index: the entry's
};                               //                                           stream index

constexpr const char* to_string(StreamError e) {
  return e == kStreamOk                    ? "ok"
         : e == kStreamFirstPointer        ? "first pointer is not the stream's first entry"
         : e == kStreamPointerPastEnd      ? "pointer past the end of the stream"
         : e == kStreamPointerNotMonotonic ? "pointers not monotonic"
         : e == kStreamLength              ? "last pointer is not the stream's length"
         : e == kStreamIndexPastSlice      ? "relative row index runs past the PE's slice"
                                           : "unknown stream error";
}

// A view of (part of) one PE's stream of one matrix: `cols` columns whose pointers are absolute
// stream indices, and the entries [first_entry, first_entry + entry_count) those columns cover
// (entries[0] is the stream's entry first_entry). A whole stream has first_entry 0.
struct StreamView {
  const uint32_t* pointers = nullptr;  // cols + 1
  const uint16_t* entries = nullptr;   // entry_count
  uint32_t cols = 0;
  uint32_t first_entry = 0;
  uint32_t entry_count = 0;
  uint32_t slice_rows = 0;  // rows of the PE's slice (slice_rows(rows, pes, pe))
};

struct StreamCheck {
  StreamError error = kStreamOk;
  uint32_t index = 0;  // the pointer or entry at fault (see StreamError)
  constexpr bool ok() const { return error == kStreamOk; }
};

constexpr StreamCheck validate_stream(const StreamView& s) {
  const uint64_t end = uint64_t{s.first_entry} + s.entry_count;
  if (s.pointers[0] != s.first_entry) return {kStreamFirstPointer, 0};
  for (uint32_t j = 1; j <= s.cols; ++j) {
    if (s.pointers[j] > end) return {kStreamPointerPastEnd, j};
    if (s.pointers[j] < s.pointers[j - 1]) return {kStreamPointerNotMonotonic, j};
  }
  if (s.pointers[s.cols] != end) return {kStreamLength, s.cols};
  for (uint32_t j = 0; j < s.cols; ++j) {
    int64_t row = -1;
    for (uint32_t e = s.pointers[j]; e < s.pointers[j + 1]; ++e) {
      row += int64_t{entry_skip(s.entries[e - s.first_entry])} + 1;
      if (row >= s.slice_rows) return {kStreamIndexPastSlice, e};
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Sigmoid and tanh by lookup table with linear interpolation.
//
// Input: int16 at Q4.11 (kLutInputFrac), i.e. [-16, 16) in steps of 2^-11. Output: int16 Q0.15.
// Each table has kLutSamples = 1025 samples f(x_k), rounded half up to Q0.15 and saturated to
// int16, at x_k = first + k x 2^(segment_shift - 11) for k = 0..1024:
//   sigmoid: the whole input range, segments of 2^-5 (64 input codes);
//   tanh:    [-8, 8), segments of 2^-6 (32 codes); inputs outside are clamped (|tanh| > 1 - 2.3e-7
//            there).
// Lookup of code x: u = clamp(x, first, last) - first, k = u >> segment_shift,
// r = u mod 2^segment_shift, y = T[k] + round_shift((T[k+1] - T[k]) x r, segment_shift).
// Accuracy (max |y x 2^-15 - f(x x 2^-11)| over all 65536 codes) is measured by the tests and
// stated in docs/lstm.md.

enum class LutFunction : uint8_t { kSigmoid = 0, kTanh = 1 };

constexpr int kLutInputFrac = 11;
constexpr int kLutOutputFrac = 15;
constexpr uint32_t kLutSegments = 1024;
constexpr uint32_t kLutSamples = kLutSegments + 1;

struct LutSpec {
  int32_t first_code;      // smallest input code of the domain
  int32_t last_code;       // largest; codes outside [first, last] are clamped
  uint32_t segment_shift;  // log2 of the input codes per segment
};

constexpr LutSpec lut_spec(LutFunction f) {
  return f == LutFunction::kSigmoid ? LutSpec{-32768, 32767, 6} : LutSpec{-16384, 16383, 5};
}

namespace lut_detail {

constexpr double kLn2 = 0.693147180559945309417232121458;

// exp(x) for |x| <= 64, relative error ~1e-15: x = n ln2 + r with |r| <= ln2 / 2, a Taylor
// series for e^r, times 2^n.
constexpr double const_exp(double x) {
  const double scaled = x / kLn2;
  const int64_t n = static_cast<int64_t>(scaled >= 0 ? scaled + 0.5 : scaled - 0.5);
  const double r = x - static_cast<double>(n) * kLn2;
  double term = 1, sum = 1;
  for (int k = 1; k <= 24; ++k) {
    term *= r / k;
    sum += term;
  }
  for (int64_t i = 0; i < n; ++i) sum *= 2;
  for (int64_t i = 0; i > n; --i) sum /= 2;
  return sum;
}

constexpr double function(LutFunction f, double x) {
  if (f == LutFunction::kSigmoid) return 1.0 / (1.0 + const_exp(-x));
  const double e = const_exp(-2.0 * (x < 0 ? -x : x));
  const double t = (1.0 - e) / (1.0 + e);
  return x < 0 ? -t : t;
}

// floor(v + 1/2) saturated to int16.
constexpr int16_t round_to_int16(double v) {
  const double s = v + 0.5;
  if (s >= 32767.0) return 32767;
  if (s <= -32768.0) return -32768;
  int64_t t = static_cast<int64_t>(s);
  if (static_cast<double>(t) > s) --t;
  return static_cast<int16_t>(t);
}

}  // namespace lut_detail

struct LutTable {
  int16_t sample[kLutSamples];
};

// The input value of sample k (for the tables and the accuracy tests).
constexpr double lut_sample_input(LutFunction f, uint32_t k) {
  const LutSpec s = lut_spec(f);
  return static_cast<double>(int64_t{s.first_code} + (int64_t{k} << s.segment_shift)) / (1 << kLutInputFrac);
}

constexpr LutTable make_lut(LutFunction f) {
  LutTable t{};
  for (uint32_t k = 0; k < kLutSamples; ++k)
    t.sample[k] = lut_detail::round_to_int16(lut_detail::function(f, lut_sample_input(f, k)) * (1 << kLutOutputFrac));
  return t;
}

inline constexpr LutTable kSigmoidTable = make_lut(LutFunction::kSigmoid);
inline constexpr LutTable kTanhTable = make_lut(LutFunction::kTanh);

constexpr const LutTable& lut_table(LutFunction f) { return f == LutFunction::kSigmoid ? kSigmoidTable : kTanhTable; }

// f(x x 2^-11) x 2^15, by the table.
constexpr int16_t lut_lookup(LutFunction f, int16_t x) {
  const LutSpec s = lut_spec(f);
  const int32_t clamped = x < s.first_code ? s.first_code : x > s.last_code ? s.last_code : x;
  const uint32_t u = static_cast<uint32_t>(clamped - s.first_code);
  const uint32_t k = u >> s.segment_shift;
  const int32_t r = static_cast<int32_t>(u & ((1u << s.segment_shift) - 1));
  const LutTable& t = lut_table(f);
  const int32_t a = t.sample[k], b = t.sample[k + 1];
  // round_shift((b - a) r, shift): floor((d + half) / 2^shift), written without >> on negatives.
  const int32_t d = (b - a) * r + (1 << (s.segment_shift - 1));
  const int32_t divisor = 1 << s.segment_shift;
  const int32_t step = d >= 0 ? d / divisor : -((-d + divisor - 1) / divisor);
  return static_cast<int16_t>(a + step);
}

}  // namespace dlvp::lstm
