#include "ip/lstm/lstm_arith.h"

#include "ip/common/range_check.h"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace dlvp::lstm {
namespace {

constexpr uint64_t kAccBytes = 8;    // gate accumulators: int64 in the vector buffer
constexpr uint64_t kBiasBytes = 4;   // biases: int32
constexpr uint64_t kValueBytes = 2;  // x, h, y, c, peepholes: int16
constexpr int64_t kShiftLimit = int64_t{1} << 62;
constexpr int kMinGateFrac = 2 * kMinFrac, kMaxGateFrac = 2 * kMaxFrac;

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // little-endian, like the SoC and every supported host
  return v;
}
template <typename T>
void store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

Verdict fail(isa::ErrorCode code, const std::ostringstream& why) { return Verdict{code, why.str()}; }

// Checks that [offset, offset + bytes) lies inside the vector buffer; appends to `why` otherwise.
bool vector_region(const EngineMemory& m, const char* what, uint64_t offset, uint64_t bytes, std::ostringstream& why) {
  if (range_within(offset, bytes, 0, m.vector_bytes)) return true;
  why << what << " at " << offset << " spanning " << bytes << " B runs past the vector buffer (" << m.vector_bytes
      << " B)";
  return false;
}

bool frac_in_range(int frac) { return frac >= kMinFrac && frac <= kMaxFrac; }

uint64_t pointer_bytes(uint32_t cols) { return (uint64_t{cols} + 1) * kPointerBytes; }

// ---------------------------------------------------------------------------------------------
// LSTM_SPMV

struct SpmvFlags {
  bool acc_first, bias, acc_last;
  explicit SpmvFlags(uint16_t flags)
      : acc_first(flags & isa::kFlagAccFirst),
        bias(acc_first && !(flags & isa::kFlagNoBias)),
        acc_last(flags & isa::kFlagAccLast) {}
  bool reads_acc() const { return !acc_first; }
  bool writes_acc() const { return !acc_last; }
};

Verdict check_spmv_fields(const isa::LstmSpmv& s, const SpmvFlags& f) {
  std::ostringstream why;
  if (s.rows == 0 || s.cols == 0 || s.channels == 0)
    why << "empty product: " << s.rows << " rows x " << s.cols << " columns x " << s.channels << " channels";
  else if (s.product_shift > kMaxProductShift)
    why << "product_shift " << unsigned{s.product_shift} << " is above " << kMaxProductShift;
  else if (f.acc_last && (s.output_shift < kMinOutputShift || s.output_shift > kMaxOutputShift))
    why << "output_shift " << int{s.output_shift} << " is outside " << kMinOutputShift << ".." << kMaxOutputShift;
  else if (s.channels > 1 && uint64_t{s.first_col} + s.cols > s.input_stride)
    why << "input_stride " << s.input_stride << " is below first_col + cols = " << s.first_col + s.cols
        << ": the channels' inputs would overlap";
  else if (s.weight_offset % kPointerBytes != 0)
    why << "weight_offset " << s.weight_offset << " is not a multiple of " << kPointerBytes;
  else if (s.chunk_bytes < pointer_bytes(s.cols))
    why << "chunk_bytes " << s.chunk_bytes << " cannot hold the chunk's " << s.cols + 1 << " pointers";
  else
    return Verdict{};
  return fail(isa::kErrBadField, why);
}

Verdict check_spmv_regions(const isa::LstmSpmv& s, const SpmvFlags& f, const EngineMemory& m) {
  std::ostringstream why;
  const uint64_t input_elements = uint64_t{s.channels - 1u} * s.input_stride + s.first_col + s.cols;
  const uint64_t accs = uint64_t{s.channels} * s.rows;
  bool ok = true;
  if (!range_within(s.weight_offset, s.chunk_bytes, 0, m.slice_bytes)) {
    why << "weight chunk at " << s.weight_offset << " spanning " << s.chunk_bytes
        << " B runs past a PE's weight memory (" << m.slice_bytes << " B)";
    ok = false;
  }
  ok = ok && vector_region(m, "input", s.input_offset, input_elements * kValueBytes, why);
  if (ok && (f.reads_acc() || f.writes_acc())) ok = vector_region(m, "accumulators", s.acc_offset, accs * kAccBytes, why);
  if (ok && f.bias) ok = vector_region(m, "bias", s.bias_offset, uint64_t{s.rows} * kBiasBytes, why);
  if (ok && f.acc_last) ok = vector_region(m, "output", s.output_offset, accs * kValueBytes, why);
  return ok ? Verdict{} : fail(isa::kErrBufferOverrun, why);
}

// PE `pe`'s chunk: where it starts in the weight memory and its entries.
const uint8_t* chunk_of(const isa::LstmSpmv& s, const EngineMemory& m, uint32_t pe) {
  return m.weight + uint64_t{pe} * m.slice_bytes + s.weight_offset;
}

// Validates PE `pe`'s chunk: its pointers are absolute stream indices; its entries (after the
// pointers) are those from pointers[0] to pointers[cols], as many as the chunk can hold at most.
// On success records the PE's entries per column and counts non-zeros and padding.
StreamCheck check_chunk(const isa::LstmSpmv& s, const EngineMemory& m, uint32_t pe, SpmvWork& work) {
  const uint8_t* chunk = chunk_of(s, m, pe);
  std::vector<uint32_t> pointers(uint64_t{s.cols} + 1);
  std::memcpy(pointers.data(), chunk, pointers.size() * kPointerBytes);
  const uint64_t capacity = (s.chunk_bytes - pointer_bytes(s.cols)) / kEntryBytes;
  const uint32_t first = pointers.front(), last = pointers.back();
  const auto count = static_cast<uint32_t>(last >= first ? std::min<uint64_t>(last - first, capacity) : 0);
  std::vector<uint16_t> entries(count);
  if (count) std::memcpy(entries.data(), chunk + pointer_bytes(s.cols), uint64_t{count} * kEntryBytes);

  StreamView view;
  view.pointers = pointers.data();
  view.entries = entries.data();
  view.cols = s.cols;
  view.first_entry = first;
  view.entry_count = count;
  view.slice_rows = slice_rows(s.rows, m.pes, pe);
  const StreamCheck check = validate_stream(view);
  if (!check.ok()) return check;
  for (uint32_t j = 0; j < s.cols; ++j) work.entries[uint64_t{j} * m.pes + pe] = pointers[j + 1] - pointers[j];
  for (const uint16_t e : entries) ++(entry_weight(e) != 0 ? work.nonzeros : work.padding);
  return check;
}

// ---------------------------------------------------------------------------------------------
// LSTM_GATES

Verdict check_gates_fields(const isa::LstmGates& g) {
  std::ostringstream why;
  const bool peephole = g.header.flags & isa::kFlagPeephole;
  if (g.hidden == 0 || g.channels == 0)
    why << "empty stage: " << g.hidden << " cells x " << g.channels << " channels";
  else if (g.gate_frac < kMinGateFrac || g.gate_frac > kMaxGateFrac)
    why << "gate_frac " << int{g.gate_frac} << " is outside " << kMinGateFrac << ".." << kMaxGateFrac;
  else if (!frac_in_range(g.c_frac) || !frac_in_range(g.h_frac) || (peephole && !frac_in_range(g.peephole_frac)))
    why << "a radix point (c " << int{g.c_frac} << ", h " << int{g.h_frac} << ", peephole " << int{g.peephole_frac}
        << ") is outside " << kMinFrac << ".." << kMaxFrac;
  else
    return Verdict{};
  return fail(isa::kErrBadField, why);
}

Verdict check_gates_regions(const isa::LstmGates& g, const EngineMemory& m) {
  std::ostringstream why;
  const uint64_t cells = uint64_t{g.channels} * g.hidden;
  bool ok = vector_region(m, "accumulators", g.acc_offset, cells * kGateCount * kAccBytes, why) &&
            vector_region(m, "cell state", g.c_offset, cells * kValueBytes, why) &&
            vector_region(m, "hidden state", g.h_offset, cells * kValueBytes, why);
  if (ok && (g.header.flags & isa::kFlagPeephole))
    ok = vector_region(m, "peepholes", g.peephole_offset, uint64_t{kPeepholeCount} * g.hidden * kValueBytes, why);
  return ok ? Verdict{} : fail(isa::kErrBufferOverrun, why);
}

// The element-wise stage of one cell (docs/lstm.md, "Arithmetic" steps 2-6).
class CellStage {
 public:
  explicit CellStage(const isa::LstmGates& g, uint32_t accumulator_bits)
      : g_(g), bits_(accumulator_bits), peephole_(g.header.flags & isa::kFlagPeephole),
        cell_frac_(std::max(kGateFrac + g.c_frac, 2 * kGateFrac)) {}

  // acc: the cell's four saturated accumulators (i, o, f, c); p: its peepholes (P_i, P_o, P_f).
  // Returns h_t; updates c in place.
  int16_t run(const int64_t (&acc)[kGateCount], const int16_t (&p)[kPeepholeCount], int16_t& c) const {
    const int16_t c_prev = c;
    const int16_t i = gate(LutFunction::kSigmoid, with_peephole(acc[kGateInput], p[kPeepholeInput], c_prev));
    const int16_t f = gate(LutFunction::kSigmoid, with_peephole(acc[kGateForget], p[kPeepholeForget], c_prev));
    const int16_t g = gate(LutFunction::kTanh, acc[kGateCell]);
    // c_t = f c_{t-1} + i g, both products exact at radix point F, rounded once.
    const int F = cell_frac_;
    const int64_t sum = round_shift(int64_t{f} * c_prev, kGateFrac + g_.c_frac - F) +
                        round_shift(int64_t{i} * g, 2 * kGateFrac - F);
    c = saturate16(round_shift(sum, F - g_.c_frac));
    const int16_t o = gate(LutFunction::kSigmoid, with_peephole(acc[kGateOutput], p[kPeepholeOutput], c));
    const int16_t tanh_c = lut_lookup(LutFunction::kTanh, saturate16(round_shift(c, g_.c_frac - kLutInputFrac)));
    return saturate16(round_shift(int64_t{o} * tanh_c, 2 * kGateFrac - g_.h_frac));
  }

 private:
  int64_t with_peephole(int64_t acc, int16_t p, int16_t c) const {
    if (!peephole_) return acc;
    return saturate(acc + round_shift(int64_t{p} * c, g_.peephole_frac + g_.c_frac - g_.gate_frac), bits_);
  }
  int16_t gate(LutFunction f, int64_t acc) const {
    return lut_lookup(f, saturate16(round_shift(acc, g_.gate_frac - kLutInputFrac)));
  }

  const isa::LstmGates& g_;
  uint32_t bits_;
  bool peephole_;
  int cell_frac_;
};

}  // namespace

int64_t round_shift(int64_t v, int s) {
  if (s > 62) return 0;  // callers' values are below 2^61 in magnitude
  if (s > 0) {
    const int64_t t = v + (int64_t{1} << (s - 1));
    return t >= 0 ? t >> s : ~((~t) >> s);  // floor(t / 2^s), no shift of a negative value
  }
  const int left = -s;
  if (v == 0 || left == 0) return v;
  if (left >= 62) return v > 0 ? kShiftLimit : -kShiftLimit;
  const int64_t bound = kShiftLimit >> left;  // |v| < bound keeps |v x 2^left| below 2^62
  if (v >= bound) return kShiftLimit;
  if (v <= -bound) return -kShiftLimit;
  return v * (int64_t{1} << left);
}

int64_t saturate(int64_t v, uint32_t bits) {
  const int64_t hi = (int64_t{1} << (bits - 1)) - 1;
  return std::clamp(v, -hi - 1, hi);
}

int16_t saturate16(int64_t v) { return static_cast<int16_t>(std::clamp<int64_t>(v, kActivationMin, kActivationMax)); }

Verdict check_spmv_operands(const isa::LstmSpmv& s, const EngineMemory& m) {
  const SpmvFlags f(s.header.flags);
  if (Verdict v = check_spmv_fields(s, f); !v.ok()) return v;
  return check_spmv_regions(s, f, m);
}

Verdict check_spmv(const isa::LstmSpmv& s, const EngineMemory& m, SpmvWork& work, StreamFault& fault) {
  if (Verdict v = check_spmv_operands(s, m); !v.ok()) return v;
  return check_spmv_streams(s, m, work, fault);
}

Verdict check_spmv_streams(const isa::LstmSpmv& s, const EngineMemory& m, SpmvWork& work, StreamFault& fault) {
  const SpmvFlags f(s.header.flags);
  work = SpmvWork{};
  work.pes = m.pes, work.rows = s.rows, work.cols = s.cols, work.channels = s.channels;
  work.acc_first = f.acc_first, work.bias = f.bias, work.acc_last = f.acc_last;
  work.entries.assign(uint64_t{s.cols} * m.pes, 0);
  for (uint32_t pe = 0; pe < m.pes; ++pe) {
    const StreamCheck check = check_chunk(s, m, pe, work);
    if (check.ok()) continue;
    fault = StreamFault{pe, check};
    std::ostringstream why;
    why << "PE " << pe << "'s stream chunk at " << s.weight_offset << ": " << to_string(check.error) << " (stream error "
        << unsigned{check.error} << ", index " << check.index << ")";
    return fail(isa::kErrBadStream, why);
  }
  return Verdict{};
}

namespace {

// Accumulators carried over from an earlier instruction are whatever the vector buffer holds (the
// guest may have put anything there): clamped to +-2^62 so that one instruction's products (below
// 2^57: 65,535 columns x 2^41) cannot overflow int64. Every value that leaves through the
// accumulator saturation (48 bits at most) is unchanged by the clamp.
int64_t carried_acc(int64_t v) { return std::clamp(v, -kShiftLimit, kShiftLimit); }

}  // namespace

void execute_spmv(const isa::LstmSpmv& s, const EngineMemory& m) {
  const SpmvFlags f(s.header.flags);
  const uint64_t rows = s.rows, channels = s.channels;
  uint8_t* vec = m.vector;
  std::vector<int64_t> acc(channels * rows);
  for (uint64_t c = 0; c < channels; ++c)
    for (uint64_t r = 0; r < rows; ++r)
      acc[c * rows + r] = !f.acc_first ? carried_acc(load<int64_t>(vec + s.acc_offset + (c * rows + r) * kAccBytes))
                          : f.bias     ? load<int32_t>(vec + s.bias_offset + r * kBiasBytes)
                                       : 0;

  const int64_t scale = int64_t{1} << s.product_shift;
  std::vector<int64_t> x(channels);
  // The chunk was validated (check_spmv_streams); the bounds tests below only keep a stream that
  // changed since (which no write path allows without invalidating the verdict) inside the buffers.
  const uint64_t capacity = (s.chunk_bytes - pointer_bytes(s.cols)) / kEntryBytes;
  for (uint32_t pe = 0; pe < m.pes; ++pe) {
    const uint8_t* chunk = chunk_of(s, m, pe);
    const uint8_t* entries = chunk + pointer_bytes(s.cols);
    const uint32_t first = load<uint32_t>(chunk);
    for (uint32_t j = 0; j < s.cols; ++j) {
      const uint32_t begin = load<uint32_t>(chunk + uint64_t{j} * kPointerBytes);
      const uint32_t end = load<uint32_t>(chunk + uint64_t{j + 1} * kPointerBytes);
      if (begin >= end || begin < first || end - first > capacity) continue;
      for (uint64_t c = 0; c < channels; ++c)
        x[c] = scale * load<int16_t>(vec + s.input_offset + (c * s.input_stride + s.first_col + j) * kValueBytes);
      uint64_t local = 0;
      bool started = false;
      for (uint32_t e = begin; e < end; ++e) {
        const uint16_t entry = load<uint16_t>(entries + uint64_t{e - first} * kEntryBytes);
        local += entry_skip(entry) + (started ? 1 : 0);
        started = true;
        const int64_t w = entry_weight(entry);
        if (w == 0) continue;  // padding: the PE spends the cycle, the sum does not change
        const uint64_t row = uint64_t{global_row(pe, static_cast<uint32_t>(local), m.pes)};
        if (row >= rows) break;
        for (uint64_t c = 0; c < channels; ++c) acc[c * rows + row] += w * x[c];
      }
    }
  }

  for (uint64_t c = 0; c < channels; ++c)
    for (uint64_t r = 0; r < rows; ++r) {
      const int64_t a = acc[c * rows + r];
      if (f.acc_last)
        store<int16_t>(vec + s.output_offset + (c * rows + r) * kValueBytes,
                       saturate16(round_shift(saturate(a, m.accumulator_bits), s.output_shift)));
      else
        store<int64_t>(vec + s.acc_offset + (c * rows + r) * kAccBytes, a);
    }
}

Verdict check_gates(const isa::LstmGates& g, const EngineMemory& m) {
  if (Verdict v = check_gates_fields(g); !v.ok()) return v;
  return check_gates_regions(g, m);
}

void execute_gates(const isa::LstmGates& g, const EngineMemory& m) {
  const CellStage stage(g, m.accumulator_bits);
  const bool peephole = g.header.flags & isa::kFlagPeephole;
  const uint64_t H = g.hidden;
  uint8_t* vec = m.vector;
  for (uint64_t ch = 0; ch < g.channels; ++ch)
    for (uint64_t k = 0; k < H; ++k) {
      int64_t acc[kGateCount];
      for (uint32_t gate = 0; gate < kGateCount; ++gate)
        acc[gate] = saturate(load<int64_t>(vec + g.acc_offset + ((ch * kGateCount + gate) * H + k) * kAccBytes),
                             m.accumulator_bits);
      int16_t p[kPeepholeCount] = {};
      if (peephole)
        for (uint32_t which = 0; which < kPeepholeCount; ++which)
          p[which] = load<int16_t>(vec + g.peephole_offset + (which * H + k) * kValueBytes);
      uint8_t* c_at = vec + g.c_offset + (ch * H + k) * kValueBytes;
      int16_t c = load<int16_t>(c_at);
      const int16_t h = stage.run(acc, p, c);
      store<int16_t>(c_at, c);
      store<int16_t>(vec + g.h_offset + (ch * H + k) * kValueBytes, h);
    }
}

}  // namespace dlvp::lstm

// ---------------------------------------------------------------------------------------------
// GRU_GATES (ISA version 3, GRU)

namespace dlvp::lstm {
namespace {

constexpr uint32_t kGruGates = 3;      // z, r, h: the rows of W per unit
constexpr uint32_t kGruRecurrent = 2;  // z, r: the rows of R_zr per unit

bool linear_before_reset(const isa::GruGates& g) { return g.header.flags & isa::kFlagLinearBeforeReset; }

Verdict check_gru_fields(const isa::GruGates& g) {
  std::ostringstream why;
  if (g.hidden == 0 || g.channels == 0)
    why << "empty stage: " << g.hidden << " units x " << g.channels << " channels";
  else if (g.gate_frac < kMinGateFrac || g.gate_frac > kMaxGateFrac)
    why << "gate_frac " << int{g.gate_frac} << " is outside " << kMinGateFrac << ".." << kMaxGateFrac;
  else if (!frac_in_range(g.h_frac))
    why << "h_frac " << int{g.h_frac} << " is outside " << kMinFrac << ".." << kMaxFrac;
  else if (g.stage > 1)
    why << "stage " << unsigned{g.stage} << " is neither 0 (reset) nor 1 (update)";
  else if (g.stage == 0 && linear_before_reset(g))
    why << "stage 0 (reset) with LinearBeforeReset: the reset gate applies after R_h's product in stage 1";
  else
    return Verdict{};
  return fail(isa::kErrBadField, why);
}

Verdict check_gru_regions(const isa::GruGates& g, const EngineMemory& m) {
  std::ostringstream why;
  const uint64_t units = uint64_t{g.channels} * g.hidden;
  bool ok = vector_region(m, "x_acc", g.x_acc_offset, units * kGruGates * kAccBytes, why) &&
            vector_region(m, "r_acc", g.r_acc_offset, units * kGruRecurrent * kAccBytes, why) &&
            vector_region(m, "h_prev", g.h_prev_offset, units * kValueBytes, why) &&
            vector_region(m, "out", g.out_offset, units * kValueBytes, why);
  if (ok && g.stage == 1) ok = vector_region(m, "n_acc", g.n_acc_offset, units * kAccBytes, why);  // stage 0 ignores it
  return ok ? Verdict{} : fail(isa::kErrBufferOverrun, why);
}

// One unit's sums, as the vector buffer holds them (exact, carried over from LSTM_SPMVs).
struct GruSums {
  int64_t x[kGruGates];       // W x_t + biases: z, r, h
  int64_t r[kGruRecurrent];   // R_z h, R_r h
  int64_t n = 0;              // R_h h + Rb_h, or R_h (r . h)
};

class GruStage {
 public:
  GruStage(const isa::GruGates& g, uint32_t accumulator_bits)
      : g_(g), bits_(accumulator_bits), mix_frac_(std::max(kGateFrac + g.h_frac, 2 * kGateFrac)) {}

  // The sigmoid of gate z or r: x + R h saturated once, then the LUT.
  int16_t sigmoid_gate(const GruSums& s, uint32_t gate) const {
    return lut(LutFunction::kSigmoid, saturate(carried_acc(s.x[gate]) + carried_acc(s.r[gate]), bits_));
  }
  // Stage 0: r . h_{t-1} at h's radix point.
  int16_t reset(const GruSums& s, int16_t h_prev) const {
    const int16_t r = sigmoid_gate(s, 1);
    return saturate16(round_shift(int64_t{r} * h_prev, kGateFrac));
  }
  // Stage 1: h_t = (1 - z) n + z h_{t-1}, both products exact at radix point F, rounded once.
  int16_t update(const GruSums& s, int16_t h_prev) const {
    const int64_t z = sigmoid_gate(s, 0);
    int64_t candidate = carried_acc(s.x[2]);
    if (g_.header.flags & isa::kFlagLinearBeforeReset)
      candidate += round_shift(sigmoid_gate(s, 1) * saturate(carried_acc(s.n), bits_), kGateFrac);
    else
      candidate += carried_acc(s.n);
    const int64_t n = lut(LutFunction::kTanh, saturate(candidate, bits_));
    const int F = mix_frac_;
    const int64_t sum = round_shift(((int64_t{1} << kGateFrac) - z) * n, 2 * kGateFrac - F) +
                        round_shift(z * h_prev, kGateFrac + g_.h_frac - F);
    return saturate16(round_shift(sum, F - g_.h_frac));
  }

 private:
  int16_t lut(LutFunction f, int64_t acc) const {
    return lut_lookup(f, saturate16(round_shift(acc, g_.gate_frac - kLutInputFrac)));
  }

  const isa::GruGates& g_;
  uint32_t bits_;
  int mix_frac_;
};

}  // namespace

Verdict check_gru_gates(const isa::GruGates& g, const EngineMemory& m) {
  if (Verdict v = check_gru_fields(g); !v.ok()) return v;
  return check_gru_regions(g, m);
}

void execute_gru_gates(const isa::GruGates& g, const EngineMemory& m) {
  const GruStage stage(g, m.accumulator_bits);
  const uint64_t H = g.hidden;
  uint8_t* vec = m.vector;
  for (uint64_t ch = 0; ch < g.channels; ++ch)
    for (uint64_t k = 0; k < H; ++k) {
      GruSums s{};
      for (uint32_t gate = 0; gate < kGruGates; ++gate)
        s.x[gate] = load<int64_t>(vec + g.x_acc_offset + ((ch * kGruGates + gate) * H + k) * kAccBytes);
      for (uint32_t gate = 0; gate < kGruRecurrent; ++gate)
        s.r[gate] = load<int64_t>(vec + g.r_acc_offset + ((ch * kGruRecurrent + gate) * H + k) * kAccBytes);
      if (g.stage == 1) s.n = load<int64_t>(vec + g.n_acc_offset + (ch * H + k) * kAccBytes);
      const int16_t h_prev = load<int16_t>(vec + g.h_prev_offset + (ch * H + k) * kValueBytes);
      const int16_t out = g.stage == 0 ? stage.reset(s, h_prev) : stage.update(s, h_prev);
      store<int16_t>(vec + g.out_offset + (ch * H + k) * kValueBytes, out);
    }
}

}  // namespace dlvp::lstm
