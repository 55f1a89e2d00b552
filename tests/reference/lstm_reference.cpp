#include "tests/reference/lstm_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace dlvp::lstm_ref {
namespace {

using lstm::LutFunction;

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument("lstm reference: " + what); }

void require_size(const char* name, size_t actual, uint64_t expected) {
  if (actual != expected)
    invalid(std::string(name) + " has " + std::to_string(actual) + " elements, expected " + std::to_string(expected));
}

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// ---------------------------------------------------------------------------------------------
// Fixed-point rules (docs/lstm.md, "Arithmetic"), on exact int64 values.

// Counts every value a saturation clips.
struct Saturation {
  uint64_t count = 0;
  int64_t clamp(int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) ++count;
    return std::clamp(v, lo, hi);
  }
};

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// round_shift(v, s) for any s in [-62, 62]: s > 0: floor((v + 2^(s-1)) / 2^s) (round half up);
// s < 0: v x 2^-s, where a result beyond +-2^62 is returned as +-2^62 (every caller saturates it to
// 48 bits or less, so the clipped value saturates exactly as the true one would).
int64_t round_shift(int64_t v, int s) {
  if (s > 0) return floor_div(v + (int64_t{1} << (s - 1)), int64_t{1} << s);
  const int64_t limit = int64_t{1} << 62;
  for (int i = 0; i < -s; ++i) {
    if (v >= limit / 2) return limit;
    if (v <= -limit / 2) return -limit;
    v *= 2;
  }
  return v;
}

int64_t acc_max(uint32_t bits) { return (int64_t{1} << (bits - 1)) - 1; }

int16_t sat16(int64_t v, Saturation* sat) {
  const int64_t lo = lstm::kActivationMin, hi = lstm::kActivationMax;
  return static_cast<int16_t>(sat ? sat->clamp(v, lo, hi) : std::clamp(v, lo, hi));
}

// A gate accumulator (at gate_frac) as the LUT's Q4.11 input.
int16_t lut_input(int64_t acc, int frac) { return sat16(round_shift(acc, frac - lstm::kLutInputFrac), nullptr); }

void check_frac(const char* name, int frac) {
  if (frac < lstm::kMinFrac || frac > lstm::kMaxFrac)
    invalid(std::string(name) + " radix point " + std::to_string(frac) + " is outside " +
            std::to_string(lstm::kMinFrac) + ".." + std::to_string(lstm::kMaxFrac));
}

void check_matrix(const char* name, const FixedMatrix& m, uint32_t rows, uint32_t cols) {
  if (m.rows != rows || m.cols != cols)
    invalid(std::string(name) + " is " + std::to_string(m.rows) + "x" + std::to_string(m.cols) + ", expected " +
            std::to_string(rows) + "x" + std::to_string(cols));
  require_size(name, m.q.size(), uint64_t{rows} * cols);
  for (const int16_t q : m.q)
    if (q < lstm::kWeightMin || q > lstm::kWeightMax) invalid(std::string(name) + " has a weight outside 12 bits");
  check_frac(name, m.frac);
}

// Row-major matrix-vector product of doubles: out[r] += sum_j m[r][j] v[j].
void add_product(const std::vector<double>& m, uint32_t rows, uint32_t cols, const double* v, double* out) {
  for (uint32_t r = 0; r < rows; ++r) {
    double s = 0;
    for (uint32_t j = 0; j < cols; ++j) s += m[uint64_t{r} * cols + j] * v[j];
    out[r] += s;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Float LSTM

void FloatLstm::check() const {
  if (input_size == 0 || hidden_size == 0) invalid("input_size and hidden_size must be >= 1");
  require_size("W", w.size(), uint64_t{gate_rows()} * input_size);
  require_size("R", r.size(), uint64_t{gate_rows()} * recurrent_size());
  if (!bias.empty()) require_size("bias", bias.size(), gate_rows());
  if (!peephole.empty()) require_size("peephole", peephole.size(), uint64_t{lstm::kPeepholeCount} * hidden_size);
  require_size("projection", projection.size(), uint64_t{projection_size} * hidden_size);
}

FloatRun run_float(const FloatLstm& m, const std::vector<double>& x, const std::vector<double>& h0,
                   const std::vector<double>& c0) {
  m.check();
  const uint32_t H = m.hidden_size, G = m.gate_rows(), I = m.input_size, Rn = m.recurrent_size();
  if (x.size() % I != 0) invalid("x is not a whole number of steps of " + std::to_string(I));
  if (!h0.empty()) require_size("h0", h0.size(), Rn);
  if (!c0.empty()) require_size("c0", c0.size(), H);
  FloatRun run;
  run.steps = static_cast<uint32_t>(x.size() / I);
  std::vector<double> rec = h0.empty() ? std::vector<double>(Rn, 0.0) : h0;
  std::vector<double> c = c0.empty() ? std::vector<double>(H, 0.0) : c0;
  std::vector<double> pre(G), gate(G), h(H), y(Rn);
  const bool peep = !m.peephole.empty();
  for (uint32_t t = 0; t < run.steps; ++t) {
    for (uint32_t n = 0; n < G; ++n) pre[n] = m.bias.empty() ? 0.0 : m.bias[n];
    add_product(m.w, G, I, &x[uint64_t{t} * I], pre.data());
    add_product(m.r, G, Rn, rec.data(), pre.data());
    for (uint32_t k = 0; k < H; ++k) {
      double& pi = pre[lstm::kGateInput * H + k];
      double& pf = pre[lstm::kGateForget * H + k];
      double& po = pre[lstm::kGateOutput * H + k];
      const double pc = pre[lstm::kGateCell * H + k];
      if (peep) {
        pi += m.peephole[lstm::kPeepholeInput * H + k] * c[k];
        pf += m.peephole[lstm::kPeepholeForget * H + k] * c[k];
      }
      const double i = sigmoid(pi), f = sigmoid(pf), g = std::tanh(pc);
      c[k] = f * c[k] + i * g;
      if (peep) po += m.peephole[lstm::kPeepholeOutput * H + k] * c[k];
      const double o = sigmoid(po);
      h[k] = o * std::tanh(c[k]);
      gate[lstm::kGateInput * H + k] = i;
      gate[lstm::kGateForget * H + k] = f;
      gate[lstm::kGateCell * H + k] = g;
      gate[lstm::kGateOutput * H + k] = o;
    }
    if (m.projection_size) {
      std::fill(y.begin(), y.end(), 0.0);
      add_product(m.projection, m.projection_size, H, h.data(), y.data());
    } else {
      y = h;
    }
    rec = y;
    run.y.insert(run.y.end(), y.begin(), y.end());
    run.h.insert(run.h.end(), h.begin(), h.end());
    run.c.insert(run.c.end(), c.begin(), c.end());
    run.preacts.insert(run.preacts.end(), pre.begin(), pre.end());
    run.gates.insert(run.gates.end(), gate.begin(), gate.end());
  }
  return run;
}

std::vector<double> onnx_sequence(const std::vector<double>& x, uint32_t seq_length, uint32_t batch,
                                  uint32_t input_size, int layout, uint32_t b) {
  if (layout != 0 && layout != 1) invalid("layout " + std::to_string(layout) + " (ONNX has 0 and 1)");
  require_size("X", x.size(), uint64_t{seq_length} * batch * input_size);
  if (b >= batch) invalid("sequence " + std::to_string(b) + " of a batch of " + std::to_string(batch));
  std::vector<double> seq(uint64_t{seq_length} * input_size);
  for (uint32_t t = 0; t < seq_length; ++t) {
    const uint64_t row = layout == 0 ? uint64_t{t} * batch + b : uint64_t{b} * seq_length + t;
    std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(row * input_size), input_size,
                seq.begin() + static_cast<std::ptrdiff_t>(uint64_t{t} * input_size));
  }
  return seq;
}

OnnxLstmOutputs run_float_onnx(const FloatLstm& m, const std::vector<double>& x, uint32_t seq_length,
                               uint32_t batch, int layout, const std::vector<double>& initial_h,
                               const std::vector<double>& initial_c) {
  const uint32_t H = m.hidden_size, out = m.output_size();
  if (!initial_h.empty()) require_size("initial_h", initial_h.size(), uint64_t{batch} * m.recurrent_size());
  if (!initial_c.empty()) require_size("initial_c", initial_c.size(), uint64_t{batch} * H);
  OnnxLstmOutputs o;
  o.y.resize(uint64_t{seq_length} * batch * out);
  o.y_h.resize(uint64_t{batch} * out);
  o.y_c.resize(uint64_t{batch} * H);
  for (uint32_t b = 0; b < batch; ++b) {
    const auto slice = [&](const std::vector<double>& s, uint32_t n) {
      return s.empty() ? s : std::vector<double>(s.begin() + b * n, s.begin() + (b + 1) * n);
    };
    const FloatRun run = run_float(m, onnx_sequence(x, seq_length, batch, m.input_size, layout, b),
                                   slice(initial_h, m.recurrent_size()), slice(initial_c, H));
    for (uint32_t t = 0; t < seq_length; ++t) {
      const uint64_t row = layout == 0 ? uint64_t{t} * batch + b : uint64_t{b} * seq_length + t;
      std::copy_n(run.y.begin() + static_cast<std::ptrdiff_t>(uint64_t{t} * out), out,
                  o.y.begin() + static_cast<std::ptrdiff_t>(row * out));
    }
    if (seq_length == 0) continue;
    std::copy_n(run.y.end() - out, out, o.y_h.begin() + static_cast<std::ptrdiff_t>(uint64_t{b} * out));
    std::copy_n(run.c.end() - H, H, o.y_c.begin() + static_cast<std::ptrdiff_t>(uint64_t{b} * H));
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Fixed point

lstm::StreamView CscMatrix::view(uint32_t pe) const {
  if (pe >= pes || pe >= streams.size()) invalid("PE " + std::to_string(pe) + " has no stream");
  const CscStream& s = streams[pe];
  if (s.pointers.size() != uint64_t{cols} + 1)
    invalid("PE " + std::to_string(pe) + " has " + std::to_string(s.pointers.size()) + " pointers, expected " +
            std::to_string(uint64_t{cols} + 1));
  lstm::StreamView v;
  v.pointers = s.pointers.data();
  v.entries = s.entries.data();
  v.cols = cols;
  v.entry_count = static_cast<uint32_t>(s.entries.size());
  v.slice_rows = lstm::slice_rows(rows, pes, pe);
  return v;
}

void FixedLstm::check() const {
  if (input_size == 0 || hidden_size == 0) invalid("input_size and hidden_size must be >= 1");
  if (input_size > lstm::kMaxColumns || recurrent_size() > lstm::kMaxColumns || hidden_size > lstm::kMaxColumns)
    invalid("a matrix has more than " + std::to_string(lstm::kMaxColumns) + " columns");
  if (accumulator_bits < lstm::kMinAccumulatorBits || accumulator_bits > lstm::kMaxAccumulatorBits)
    invalid("accumulator_bits " + std::to_string(accumulator_bits) + " is outside " +
            std::to_string(lstm::kMinAccumulatorBits) + ".." + std::to_string(lstm::kMaxAccumulatorBits));
  check_matrix("W", w, gate_rows(), input_size);
  check_matrix("R", r, gate_rows(), recurrent_size());
  if (projection_size) check_matrix("projection", projection, projection_size, hidden_size);
  require_size("bias", bias.size(), gate_rows());
  if (!peephole.empty()) {
    require_size("peephole", peephole.size(), uint64_t{lstm::kPeepholeCount} * hidden_size);
    for (const int16_t p : peephole)
      if (p < lstm::kWeightMin || p > lstm::kWeightMax) invalid("peephole has a weight outside 12 bits");
    check_frac("peephole", peephole_frac);
  }
  check_frac("x", x_frac);
  check_frac("h", h_frac);
  check_frac("c", c_frac);
  if (projection_size) check_frac("y", y_frac);
  if (gate_frac < 2 * lstm::kMinFrac || gate_frac > 2 * lstm::kMaxFrac) invalid("gate radix point out of range");
  for (const int s : {w_shift(), r_shift()})
    if (s < 0 || s > lstm::kMaxProductShift)
      invalid("product shift " + std::to_string(s) + " is outside 0.." + std::to_string(lstm::kMaxProductShift));
}

void FixedLinear::check() const {
  if (outputs() == 0 || inputs() == 0) invalid("linear layer: empty matrix");
  if (inputs() > lstm::kMaxColumns) invalid("linear layer: more than " + std::to_string(lstm::kMaxColumns) + " inputs");
  if (accumulator_bits < lstm::kMinAccumulatorBits || accumulator_bits > lstm::kMaxAccumulatorBits)
    invalid("linear layer: accumulator_bits " + std::to_string(accumulator_bits) + " out of range");
  check_matrix("linear layer", matrix, outputs(), inputs());
  if (!bias.empty()) require_size("linear layer bias", bias.size(), outputs());
  check_frac("linear layer input", input_frac);
  check_frac("linear layer output", output_frac);
  if (product_shift() < 0 || product_shift() > lstm::kMaxProductShift)
    invalid("linear layer: product shift " + std::to_string(product_shift()) + " is outside 0.." +
            std::to_string(lstm::kMaxProductShift));
  if (output_shift() < lstm::kMinOutputShift || output_shift() > lstm::kMaxOutputShift)
    invalid("linear layer: output shift " + std::to_string(output_shift()) + " is outside " +
            std::to_string(lstm::kMinOutputShift) + ".." + std::to_string(lstm::kMaxOutputShift));
}

void accumulate_dense(const FixedMatrix& m, const int16_t* a, int shift, std::vector<int64_t>& acc) {
  require_size("accumulators", acc.size(), m.rows);
  require_size("matrix", m.q.size(), uint64_t{m.rows} * m.cols);
  for (uint32_t j = 0; j < m.cols; ++j)
    for (uint32_t r = 0; r < m.rows; ++r)
      acc[r] += (int64_t{m.q[uint64_t{r} * m.cols + j]} * a[j]) * (int64_t{1} << shift);
}

namespace {

// Walks PE `pe`'s stream, calling f(row, column, weight) for every entry (padding included).
template <typename F>
void walk_stream(const CscMatrix& m, uint32_t pe, F f) {
  const lstm::StreamView v = m.view(pe);
  const lstm::StreamCheck check = lstm::validate_stream(v);
  if (!check.ok())
    invalid("PE " + std::to_string(pe) + " stream: " + lstm::to_string(check.error) + " (code " +
            std::to_string(check.error) + ", index " + std::to_string(check.index) + ")");
  for (uint32_t j = 0; j < m.cols; ++j) {
    int64_t local = -1;
    for (uint32_t e = v.pointers[j]; e < v.pointers[j + 1]; ++e) {
      local += lstm::entry_skip(v.entries[e]) + 1;
      f(lstm::global_row(pe, static_cast<uint32_t>(local), m.pes), j, lstm::entry_weight(v.entries[e]));
    }
  }
}

}  // namespace

void accumulate_sparse(const CscMatrix& m, const int16_t* a, int shift, std::vector<int64_t>& acc) {
  require_size("accumulators", acc.size(), m.rows);
  if (m.pes == 0) invalid("a CSC matrix with 0 PEs");
  for (uint32_t pe = 0; pe < m.pes; ++pe)
    walk_stream(m, pe, [&](uint32_t row, uint32_t col, int32_t w) {
      acc[row] += (int64_t{w} * a[col]) * (int64_t{1} << shift);
    });
}

FixedMatrix decode(const CscMatrix& m) {
  if (m.pes == 0) invalid("a CSC matrix with 0 PEs");
  FixedMatrix d;
  d.rows = m.rows, d.cols = m.cols, d.frac = m.frac;
  d.q.assign(uint64_t{m.rows} * m.cols, 0);
  for (uint32_t pe = 0; pe < m.pes; ++pe)
    walk_stream(m, pe, [&](uint32_t row, uint32_t col, int32_t w) {
      d.q[uint64_t{row} * m.cols + col] = static_cast<int16_t>(w);
    });
  return d;
}

namespace {

// One time step of the fixed-point LSTM (docs/lstm.md, "Arithmetic").
class FixedStepper {
 public:
  FixedStepper(const FixedLstm& m, const SparseLstm* sparse) : m_(m), sparse_(sparse), acc_(m.gate_rows()) {}

  // Consumes x_t, updates state in place, returns y_t.
  std::vector<int16_t> step(const int16_t* x, FixedState& state, Saturation& sat);

 private:
  void product(const FixedMatrix& dense, const CscMatrix* csc, const int16_t* a, int shift, std::vector<int64_t>& acc) {
    if (csc) accumulate_sparse(*csc, a, shift, acc);
    else accumulate_dense(dense, a, shift, acc);
  }
  int64_t sat_acc(int64_t v, Saturation& sat) const {
    return sat.clamp(v, -acc_max(m_.accumulator_bits) - 1, acc_max(m_.accumulator_bits));
  }
  // Adds the peephole term p x c (at peephole_frac + c_frac) to a gate accumulator.
  int64_t add_peephole(int64_t acc, uint32_t which, uint32_t k, int16_t c, Saturation& sat) const {
    if (m_.peephole.empty()) return acc;
    const int64_t p = m_.peephole[which * m_.hidden_size + k];
    return sat_acc(acc + round_shift(p * c, m_.peephole_frac + m_.c_frac - m_.gate_frac), sat);
  }
  int16_t gate(LutFunction f, int64_t acc) const { return lstm::lut_lookup(f, lut_input(acc, m_.gate_frac)); }

  const FixedLstm& m_;
  const SparseLstm* sparse_;
  std::vector<int64_t> acc_;
};

std::vector<int16_t> FixedStepper::step(const int16_t* x, FixedState& state, Saturation& sat) {
  const uint32_t H = m_.hidden_size;
  for (uint32_t n = 0; n < m_.gate_rows(); ++n) acc_[n] = m_.bias[n];
  product(m_.w, sparse_ ? &sparse_->w : nullptr, x, m_.w_shift(), acc_);
  product(m_.r, sparse_ ? &sparse_->r : nullptr, state.recurrent.data(), m_.r_shift(), acc_);
  for (int64_t& a : acc_) a = sat_acc(a, sat);

  // c_t = f c_{t-1} + i g, exact at radix point F = max(15 + c_frac, 30), rounded once.
  const int F = std::max(lstm::kGateFrac + m_.c_frac, 2 * lstm::kGateFrac);
  std::vector<int16_t> h(H);
  for (uint32_t k = 0; k < H; ++k) {
    const int16_t c_prev = state.c[k];
    const int16_t i = gate(LutFunction::kSigmoid, add_peephole(acc_[lstm::kGateInput * H + k], lstm::kPeepholeInput, k, c_prev, sat));
    const int16_t f = gate(LutFunction::kSigmoid, add_peephole(acc_[lstm::kGateForget * H + k], lstm::kPeepholeForget, k, c_prev, sat));
    const int16_t g = gate(LutFunction::kTanh, acc_[lstm::kGateCell * H + k]);
    const int64_t sum = round_shift(int64_t{f} * c_prev, lstm::kGateFrac + m_.c_frac - F) +
                        round_shift(int64_t{i} * g, 2 * lstm::kGateFrac - F);  // both exact left shifts
    const int16_t c = sat16(round_shift(sum, F - m_.c_frac), &sat);
    state.c[k] = c;
    const int16_t o = gate(LutFunction::kSigmoid, add_peephole(acc_[lstm::kGateOutput * H + k], lstm::kPeepholeOutput, k, c, sat));
    const int16_t tc = lstm::lut_lookup(LutFunction::kTanh, sat16(round_shift(c, m_.c_frac - lstm::kLutInputFrac), nullptr));
    h[k] = sat16(round_shift(int64_t{o} * tc, 2 * lstm::kGateFrac - m_.h_frac), &sat);
  }
  if (!m_.projection_size) {
    state.recurrent = h;
    return h;
  }
  std::vector<int64_t> pacc(m_.projection_size, 0);
  product(m_.projection, sparse_ ? &sparse_->projection : nullptr, h.data(), 0, pacc);
  std::vector<int16_t> y(m_.projection_size);
  for (uint32_t n = 0; n < m_.projection_size; ++n)
    y[n] = sat16(round_shift(sat_acc(pacc[n], sat), m_.projection_acc_frac() - m_.y_frac), &sat);
  state.recurrent = y;
  return y;
}

}  // namespace

FixedRun run_fixed(const FixedLstm& m, const SparseLstm* sparse, const std::vector<int16_t>& x,
                   const FixedState* initial) {
  m.check();
  if (sparse) {
    const auto same = [](const CscMatrix& c, const FixedMatrix& d, const char* name) {
      if (c.rows != d.rows || c.cols != d.cols || c.frac != d.frac)
        invalid(std::string("sparse ") + name + " does not match the model's shape or radix point");
    };
    same(sparse->w, m.w, "W");
    same(sparse->r, m.r, "R");
    if (m.projection_size) same(sparse->projection, m.projection, "projection");
  }
  if (x.size() % m.input_size != 0) invalid("x is not a whole number of steps of " + std::to_string(m.input_size));
  FixedState state;
  state.recurrent.assign(m.recurrent_size(), 0);
  state.c.assign(m.hidden_size, 0);
  if (initial) {
    require_size("initial recurrent state", initial->recurrent.size(), m.recurrent_size());
    require_size("initial cell state", initial->c.size(), m.hidden_size);
    state = *initial;
  }
  FixedRun run;
  run.steps = static_cast<uint32_t>(x.size() / m.input_size);
  FixedStepper stepper(m, sparse);
  Saturation sat;
  for (uint32_t t = 0; t < run.steps; ++t) {
    const std::vector<int16_t> y = stepper.step(&x[uint64_t{t} * m.input_size], state, sat);
    run.y.insert(run.y.end(), y.begin(), y.end());
    run.c.insert(run.c.end(), state.c.begin(), state.c.end());
  }
  run.last = std::move(state);
  run.saturations = sat.count;
  return run;
}

std::vector<FixedRun> run_fixed_channels(const FixedLstm& m, const SparseLstm* sparse,
                                         const std::vector<std::vector<int16_t>>& channels,
                                         const std::vector<FixedState>* initial) {
  if (initial) require_size("initial states", initial->size(), channels.size());
  std::vector<FixedRun> runs;
  for (size_t ch = 0; ch < channels.size(); ++ch)
    runs.push_back(run_fixed(m, sparse, channels[ch], initial ? &(*initial)[ch] : nullptr));
  return runs;
}

std::vector<int16_t> run_linear(const FixedLinear& layer, const CscMatrix* sparse, const std::vector<int16_t>& input) {
  layer.check();
  require_size("linear layer input", input.size(), layer.inputs());
  if (sparse && (sparse->rows != layer.outputs() || sparse->cols != layer.inputs() || sparse->frac != layer.matrix.frac))
    invalid("sparse linear layer does not match the matrix's shape or radix point");
  std::vector<int64_t> acc(layer.outputs(), 0);
  if (!layer.bias.empty()) std::copy(layer.bias.begin(), layer.bias.end(), acc.begin());
  if (sparse) accumulate_sparse(*sparse, input.data(), layer.product_shift(), acc);
  else accumulate_dense(layer.matrix, input.data(), layer.product_shift(), acc);
  const int64_t top = acc_max(layer.accumulator_bits);
  std::vector<int16_t> y(layer.outputs());
  for (uint32_t n = 0; n < layer.outputs(); ++n)
    y[n] = sat16(round_shift(std::clamp(acc[n], -top - 1, top), layer.output_shift()), nullptr);
  return y;
}

int16_t quantize16(double v, int frac) {
  const double scaled = std::floor(std::ldexp(v, frac) + 0.5);
  return static_cast<int16_t>(std::clamp(scaled, double{lstm::kActivationMin}, double{lstm::kActivationMax}));
}

std::vector<int16_t> quantize16(const std::vector<double>& v, int frac) {
  std::vector<int16_t> q(v.size());
  for (size_t i = 0; i < v.size(); ++i) q[i] = quantize16(v[i], frac);
  return q;
}

double dequantize(int64_t q, int frac) { return std::ldexp(static_cast<double>(q), -frac); }

std::vector<double> dequantize(const std::vector<int16_t>& q, int frac) {
  std::vector<double> v(q.size());
  for (size_t i = 0; i < q.size(); ++i) v[i] = dequantize(q[i], frac);
  return v;
}

double lut_max_error(LutFunction f) {
  double worst = 0;
  for (int32_t code = lstm::kActivationMin; code <= lstm::kActivationMax; ++code) {
    const double x = std::ldexp(code, -lstm::kLutInputFrac);
    const double exact = f == LutFunction::kSigmoid ? sigmoid(x) : std::tanh(x);
    const double got = std::ldexp(lstm::lut_lookup(f, static_cast<int16_t>(code)), -lstm::kLutOutputFrac);
    worst = std::max(worst, std::fabs(got - exact));
  }
  return worst;
}

// ---------------------------------------------------------------------------------------------
// Error bound (docs/lstm.md, "Tolerance"). Each quantity's bound is propagated from the float
// values: for a product, |a'b' - ab| <= |a' - a||b| + |a||b' - b| + |a' - a||b' - b|; a rounding
// half up adds half a unit of its radix point; sigmoid is 1/4-Lipschitz, tanh 1-Lipschitz.

namespace {

double half_unit(int frac) { return std::ldexp(0.5, -frac); }
// The rounding a round_shift by `shift` makes at the result's radix point `frac`.
double rounding(int shift, int frac) { return shift > 0 ? half_unit(frac) : 0.0; }

// How far v lies outside the int16 range of radix point frac (a saturation's extra error).
double excess16(double v, int frac) {
  const double hi = std::ldexp(double{lstm::kActivationMax}, -frac), lo = std::ldexp(double{lstm::kActivationMin}, -frac);
  return v > hi ? v - hi : v < lo ? lo - v : 0.0;
}

double product_error(double a, double da, double b, double db) { return da * std::fabs(b) + std::fabs(a) * db + da * db; }

// A gate's bound through the LUT: the pre-activation's bound, the rounding to Q4.11, the table's
// error and the clamp to the domain the accumulator and the LUT input can represent.
class LutBound {
 public:
  LutBound(uint32_t accumulator_bits, int gate_frac)
      : gate_frac_(gate_frac), eps_sigmoid_(lut_max_error(LutFunction::kSigmoid)),
        eps_tanh_(lut_max_error(LutFunction::kTanh)) {
    // The gate pre-activation domain the fixed model can represent: the LUT input's Q4.11 range
    // within the accumulator's range.
    const double acc_range = std::ldexp(1.0, static_cast<int>(accumulator_bits) - 1 - gate_frac);
    hi_ = std::min(16.0 - std::ldexp(1.0, -lstm::kLutInputFrac), acc_range - std::ldexp(1.0, -gate_frac));
    lo_ = std::max(-16.0, -acc_range);
  }

  // Bound of the gate value from the bound `da` of its pre-activation `a`.
  double gate(LutFunction f, double a, double da) const {
    const bool sig = f == LutFunction::kSigmoid;
    const double lipschitz = sig ? 0.25 : 1.0;
    const auto fn = [&](double v) { return sig ? sigmoid(v) : std::tanh(v); };
    const double tail = std::fabs(fn(std::clamp(a, lo_, hi_)) - fn(a));
    const double d = lipschitz * (da + rounding(gate_frac_ - lstm::kLutInputFrac, lstm::kLutInputFrac)) +
                     (sig ? eps_sigmoid_ : eps_tanh_) + tail;
    return std::min(d, sig ? 1.0 : 2.0);
  }
  double eps_tanh() const { return eps_tanh_; }

 private:
  int gate_frac_;
  double eps_sigmoid_, eps_tanh_;
  double lo_ = -16, hi_ = 16;
};

class BoundPropagator {
 public:
  BoundPropagator(const FloatLstm& m, const FixedLstm& q) : m_(m), q_(q), lut_(q.accumulator_bits, q.gate_frac) {}

  double gate_bound(LutFunction f, double a, double da) const { return lut_.gate(f, a, da); }

  // Bounds of the gate pre-activations of one step, without peepholes: sum over the input and the
  // recurrent products and the bias.
  // x: the quantized input (exact), dx: its distance from the float input.
  std::vector<double> preact_bounds(const double* xq, const double* dx, const double* rec,
                                    const std::vector<double>& drec) const {
    const uint32_t G = m_.gate_rows(), I = m_.input_size, Rn = m_.recurrent_size();
    std::vector<double> d(G, 0.0);
    const double wscale = std::ldexp(1.0, -q_.w.frac), rscale = std::ldexp(1.0, -q_.r.frac);
    for (uint32_t n = 0; n < G; ++n) {
      double s = 0;
      for (uint32_t j = 0; j < I; ++j) {
        const double w = m_.w[uint64_t{n} * I + j], wq = q_.w.q[uint64_t{n} * I + j] * wscale;
        // W'x' - Wx = (W' - W) x' + W (x' - x)
        s += std::fabs(wq - w) * std::fabs(xq[j]) + std::fabs(w) * dx[j];
      }
      for (uint32_t j = 0; j < Rn; ++j) {
        const double r = m_.r[uint64_t{n} * Rn + j], rq = q_.r.q[uint64_t{n} * Rn + j] * rscale;
        // R'r' - Rr = (R' - R) r + R' (r' - r)
        s += std::fabs(rq - r) * std::fabs(rec[j]) + std::fabs(rq) * drec[j];
      }
      const double b = m_.bias.empty() ? 0.0 : m_.bias[n];
      s += std::fabs(dequantize(q_.bias[n], q_.gate_frac) - b);
      d[n] = s;
    }
    return d;
  }

  // The bound the peephole term p . c adds to a gate pre-activation.
  double peephole_bound(uint32_t which, uint32_t k, double c, double dc) const {
    if (m_.peephole.empty()) return 0.0;
    const uint32_t idx = which * m_.hidden_size + k;
    const double p = m_.peephole[idx], pq = dequantize(q_.peephole[idx], q_.peephole_frac);
    return std::fabs(pq - p) * std::fabs(c) + std::fabs(pq) * dc +
           rounding(q_.peephole_frac + q_.c_frac - q_.gate_frac, q_.gate_frac);
  }

  double eps_tanh() const { return lut_.eps_tanh(); }

 private:
  const FloatLstm& m_;
  const FixedLstm& q_;
  LutBound lut_;
};

}  // namespace

ErrorBound output_error_bound(const FloatLstm& m, const FixedLstm& q, const std::vector<double>& x,
                              const FloatRun& run, const std::vector<double>& h0, const std::vector<double>& c0) {
  m.check();
  q.check();
  if (m.input_size != q.input_size || m.hidden_size != q.hidden_size || m.projection_size != q.projection_size)
    invalid("the float and fixed models differ in shape");
  const uint32_t H = m.hidden_size, I = m.input_size, Rn = m.recurrent_size(), G = m.gate_rows();
  require_size("x", x.size(), uint64_t{run.steps} * I);
  BoundPropagator prop(m, q);

  // The quantized input and initial state: their errors are known exactly.
  std::vector<double> xq(x.size()), dx(x.size());
  for (size_t j = 0; j < x.size(); ++j) {
    xq[j] = dequantize(quantize16(x[j], q.x_frac), q.x_frac);
    dx[j] = std::fabs(xq[j] - x[j]);
  }
  std::vector<double> rec = h0.empty() ? std::vector<double>(Rn, 0.0) : h0;
  std::vector<double> c = c0.empty() ? std::vector<double>(H, 0.0) : c0;
  std::vector<double> drec(Rn), dc(H);
  for (uint32_t j = 0; j < Rn; ++j) drec[j] = std::fabs(dequantize(quantize16(rec[j], q.recurrent_frac()), q.recurrent_frac()) - rec[j]);
  for (uint32_t k = 0; k < H; ++k) dc[k] = std::fabs(dequantize(quantize16(c[k], q.c_frac), q.c_frac) - c[k]);

  ErrorBound bound;
  const int F = std::max(lstm::kGateFrac + q.c_frac, 2 * lstm::kGateFrac);
  for (uint32_t t = 0; t < run.steps; ++t) {
    const std::vector<double> da = prop.preact_bounds(&xq[uint64_t{t} * I], &dx[uint64_t{t} * I], rec.data(), drec);
    const double* pre = &run.preacts[uint64_t{t} * G];
    const double* gv = &run.gates[uint64_t{t} * G];
    const double* ct = &run.c[uint64_t{t} * H];
    std::vector<double> dh(H);
    for (uint32_t k = 0; k < H; ++k) {
      const uint32_t ri = lstm::kGateInput * H + k, rf = lstm::kGateForget * H + k;
      const uint32_t ro = lstm::kGateOutput * H + k, rc = lstm::kGateCell * H + k;
      const double di = prop.gate_bound(LutFunction::kSigmoid, pre[ri], da[ri] + prop.peephole_bound(lstm::kPeepholeInput, k, c[k], dc[k]));
      const double df = prop.gate_bound(LutFunction::kSigmoid, pre[rf], da[rf] + prop.peephole_bound(lstm::kPeepholeForget, k, c[k], dc[k]));
      const double dg = prop.gate_bound(LutFunction::kTanh, pre[rc], da[rc]);
      const double dct = product_error(gv[rf], df, c[k], dc[k]) + product_error(gv[ri], di, gv[rc], dg) +
                         rounding(F - q.c_frac, q.c_frac) + excess16(ct[k], q.c_frac);
      const double d_o = prop.gate_bound(LutFunction::kSigmoid, pre[ro], da[ro] + prop.peephole_bound(lstm::kPeepholeOutput, k, ct[k], dct));
      const double tc = std::tanh(ct[k]);
      const double dtc = std::min(2.0, dct + rounding(q.c_frac - lstm::kLutInputFrac, lstm::kLutInputFrac) +
                                           prop.eps_tanh() + std::fabs(std::tanh(std::clamp(ct[k], -16.0, 16.0)) - tc));
      dh[k] = product_error(gv[ro], d_o, tc, dtc) + rounding(2 * lstm::kGateFrac - q.h_frac, q.h_frac) +
              excess16(run.h[uint64_t{t} * H + k], q.h_frac);
      dc[k] = dct;
      c[k] = ct[k];
    }
    std::vector<double> dy = dh;
    if (m.projection_size) {
      dy.assign(m.projection_size, 0.0);
      const double pscale = std::ldexp(1.0, -q.projection.frac);
      for (uint32_t n = 0; n < m.projection_size; ++n) {
        double s = 0;
        for (uint32_t k = 0; k < H; ++k) {
          const double p = m.projection[uint64_t{n} * H + k], pq = q.projection.q[uint64_t{n} * H + k] * pscale;
          s += std::fabs(pq - p) * std::fabs(run.h[uint64_t{t} * H + k]) + std::fabs(pq) * dh[k];
        }
        dy[n] = s + rounding(q.projection_acc_frac() - q.y_frac, q.y_frac) +
                excess16(run.y[uint64_t{t} * Rn + n], q.y_frac);
      }
    }
    rec.assign(run.y.begin() + static_cast<std::ptrdiff_t>(uint64_t{t} * Rn),
               run.y.begin() + static_cast<std::ptrdiff_t>(uint64_t{t + 1} * Rn));
    drec = dy;
    bound.y.insert(bound.y.end(), dy.begin(), dy.end());
    for (const double d : dy) bound.max_y = std::max(bound.max_y, d);
  }
  bound.c = dc;
  return bound;
}

// ---------------------------------------------------------------------------------------------
// GRU

void FloatGru::check() const {
  if (input_size == 0 || hidden_size == 0) invalid("GRU: input_size and hidden_size must be >= 1");
  require_size("GRU W", w.size(), uint64_t{gate_rows()} * input_size);
  require_size("GRU R", r.size(), uint64_t{gate_rows()} * hidden_size);
  if (!wb.empty()) require_size("GRU Wb", wb.size(), gate_rows());
  if (!rb.empty()) require_size("GRU Rb", rb.size(), gate_rows());
}

FloatGruRun run_float(const FloatGru& m, const std::vector<double>& x, const std::vector<double>& h0) {
  m.check();
  const uint32_t H = m.hidden_size, G = m.gate_rows(), I = m.input_size;
  if (x.size() % I != 0) invalid("x is not a whole number of steps of " + std::to_string(I));
  if (!h0.empty()) require_size("h0", h0.size(), H);
  FloatGruRun run;
  run.steps = static_cast<uint32_t>(x.size() / I);
  std::vector<double> h = h0.empty() ? std::vector<double>(H, 0.0) : h0;
  std::vector<double> ax(G), ar(G), rh(H), an(H), pre(G);
  auto bias = [](const std::vector<double>& b, uint32_t n) { return b.empty() ? 0.0 : b[n]; };
  for (uint32_t t = 0; t < run.steps; ++t) {
    for (uint32_t n = 0; n < G; ++n) ax[n] = bias(m.wb, n), ar[n] = bias(m.rb, n);
    add_product(m.w, G, I, &x[uint64_t{t} * I], ax.data());
    add_product(m.r, G, H, h.data(), ar.data());  // R_h's rows are recomputed below without lbr
    std::vector<double> r(H), z(H);
    for (uint32_t k = 0; k < H; ++k) {
      pre[k] = ax[k] + ar[k];
      pre[H + k] = ax[H + k] + ar[H + k];
      z[k] = sigmoid(pre[k]);
      r[k] = sigmoid(pre[H + k]);
      rh[k] = r[k] * h[k];
    }
    if (!m.linear_before_reset) {
      for (uint32_t k = 0; k < H; ++k) an[k] = bias(m.rb, 2 * H + k);
      add_product(std::vector<double>(m.r.begin() + uint64_t{2} * H * H, m.r.end()), H, H, rh.data(), an.data());
    }
    for (uint32_t k = 0; k < H; ++k) {
      pre[2 * H + k] = ax[2 * H + k] + (m.linear_before_reset ? r[k] * ar[2 * H + k] : an[k]);
      const double n = std::tanh(pre[2 * H + k]);
      h[k] = (1 - z[k]) * n + z[k] * h[k];
    }
    run.h.insert(run.h.end(), h.begin(), h.end());
    run.preacts.insert(run.preacts.end(), pre.begin(), pre.end());
  }
  return run;
}

FixedMatrix FixedGru::r_rows(uint32_t first, uint32_t count) const {
  if (uint64_t{first} + count > r.rows) invalid("GRU R has no rows " + std::to_string(first) + ".." + std::to_string(first + count));
  FixedMatrix m;
  m.rows = count, m.cols = r.cols, m.frac = r.frac;
  m.q.assign(r.q.begin() + uint64_t{first} * r.cols, r.q.begin() + (uint64_t{first} + count) * r.cols);
  return m;
}

void FixedGru::check() const {
  if (input_size == 0 || hidden_size == 0) invalid("GRU: input_size and hidden_size must be >= 1");
  if (input_size > lstm::kMaxColumns || hidden_size > lstm::kMaxColumns)
    invalid("GRU: more than " + std::to_string(lstm::kMaxColumns) + " columns");
  if (accumulator_bits < lstm::kMinAccumulatorBits || accumulator_bits > lstm::kMaxAccumulatorBits)
    invalid("GRU: accumulator_bits " + std::to_string(accumulator_bits) + " is outside " +
            std::to_string(lstm::kMinAccumulatorBits) + ".." + std::to_string(lstm::kMaxAccumulatorBits));
  check_matrix("GRU W", w, gate_rows(), input_size);
  check_matrix("GRU R", r, gate_rows(), hidden_size);
  check_frac("GRU x", x_frac);
  check_frac("GRU h", h_frac);
  if (gate_frac < 2 * lstm::kMinFrac || gate_frac > 2 * lstm::kMaxFrac) invalid("GRU: gate radix point out of range");
  for (const int shift : {w_shift(), r_shift()})
    if (shift < 0 || shift > lstm::kMaxProductShift)
      invalid("GRU: product shift " + std::to_string(shift) + " is outside 0.." + std::to_string(lstm::kMaxProductShift));
  require_size("GRU bias_x", bias_x.size(), gate_rows());
  require_size("GRU bias_n", bias_n.size(), linear_before_reset ? hidden_size : 0);
}

FixedGruRun run_fixed(const FixedGru& m, const SparseGru* sparse, const std::vector<int16_t>& x,
                      const std::vector<int16_t>& h0) {
  m.check();
  const uint32_t H = m.hidden_size, I = m.input_size;
  if (x.size() % I != 0) invalid("x is not a whole number of steps of " + std::to_string(I));
  if (!h0.empty()) require_size("h0", h0.size(), H);
  const FixedMatrix r_zr = m.r_rows(0, 2 * H), r_h = m.r_rows(2 * H, H);
  auto product = [&](const FixedMatrix& dense, const CscMatrix* csc, const int16_t* a, int shift,
                     std::vector<int64_t>& acc) {
    if (csc) accumulate_sparse(*csc, a, shift, acc);
    else accumulate_dense(dense, a, shift, acc);
  };
  Saturation sat;
  const int64_t top = acc_max(m.accumulator_bits);
  auto sat_acc = [&](int64_t v) { return sat.clamp(v, -top - 1, top); };
  auto gate = [&](LutFunction f, int64_t acc) { return int64_t{lstm::lut_lookup(f, lut_input(acc, m.gate_frac))}; };
  const int F = std::max(lstm::kGateFrac + m.h_frac, 2 * lstm::kGateFrac);

  FixedGruRun run;
  run.steps = static_cast<uint32_t>(x.size() / I);
  std::vector<int16_t> h = h0.empty() ? std::vector<int16_t>(H, 0) : h0, rh(H);
  for (uint32_t t = 0; t < run.steps; ++t) {
    std::vector<int64_t> ax(m.bias_x.begin(), m.bias_x.end()), ar(2 * uint64_t{H}, 0), an(H, 0);
    product(m.w, sparse ? &sparse->w : nullptr, &x[uint64_t{t} * I], m.w_shift(), ax);
    product(r_zr, sparse ? &sparse->r_zr : nullptr, h.data(), m.r_shift(), ar);
    std::vector<int64_t> z(H), r(H);
    for (uint32_t k = 0; k < H; ++k) {
      z[k] = gate(LutFunction::kSigmoid, sat_acc(ax[k] + ar[k]));
      r[k] = gate(LutFunction::kSigmoid, sat_acc(ax[H + k] + ar[H + k]));
      if (!m.linear_before_reset) rh[k] = sat16(round_shift(r[k] * h[k], lstm::kGateFrac), &sat);
    }
    if (m.linear_before_reset) std::copy(m.bias_n.begin(), m.bias_n.end(), an.begin());
    product(r_h, sparse ? &sparse->r_h : nullptr, m.linear_before_reset ? h.data() : rh.data(), m.r_shift(), an);
    for (uint32_t k = 0; k < H; ++k) {
      const int64_t candidate = m.linear_before_reset
                                    ? ax[2 * H + k] + round_shift(r[k] * sat_acc(an[k]), lstm::kGateFrac)
                                    : ax[2 * H + k] + an[k];
      const int64_t n = gate(LutFunction::kTanh, sat_acc(candidate));
      const int64_t sum = round_shift(((int64_t{1} << lstm::kGateFrac) - z[k]) * n, 2 * lstm::kGateFrac - F) +
                          round_shift(z[k] * h[k], lstm::kGateFrac + m.h_frac - F);  // both exact left shifts
      h[k] = sat16(round_shift(sum, F - m.h_frac), &sat);
    }
    run.h.insert(run.h.end(), h.begin(), h.end());
  }
  run.saturations = sat.count;
  return run;
}

namespace {

// sum_j |M'_nj - M_nj| |v_j| + |M'_nj| dv_j for rows [first, first + count) of a [rows][cols]
// matrix: the bound of M'v' - Mv with v' - v bounded by dv.
std::vector<double> product_bounds(const std::vector<double>& m, const FixedMatrix& q, uint32_t first, uint32_t count,
                                   const double* v, const std::vector<double>& dv) {
  const uint32_t cols = q.cols;
  const double scale = std::ldexp(1.0, -q.frac);
  std::vector<double> d(count, 0.0);
  for (uint32_t n = 0; n < count; ++n)
    for (uint32_t j = 0; j < cols; ++j) {
      const uint64_t at = uint64_t{first + n} * cols + j;
      d[n] += std::fabs(q.q[at] * scale - m[at]) * std::fabs(v[j]) + std::fabs(q.q[at] * scale) * dv[j];
    }
  return d;
}

}  // namespace

GruErrorBound gru_output_error_bound(const FloatGru& m, const FixedGru& q, const std::vector<double>& x,
                                     const std::vector<double>& h0) {
  m.check();
  q.check();
  if (m.input_size != q.input_size || m.hidden_size != q.hidden_size || m.linear_before_reset != q.linear_before_reset)
    invalid("the float and fixed GRUs differ in shape or linear_before_reset");
  const uint32_t H = m.hidden_size, I = m.input_size;
  if (x.size() % I != 0) invalid("x is not a whole number of steps of " + std::to_string(I));
  const uint32_t steps = static_cast<uint32_t>(x.size() / I);
  const LutBound lut(q.accumulator_bits, q.gate_frac);
  auto bias = [](const std::vector<double>& b, uint32_t n) { return b.empty() ? 0.0 : b[n]; };
  std::vector<double> xq(x.size()), dx(x.size());
  for (size_t j = 0; j < x.size(); ++j) {
    xq[j] = dequantize(quantize16(x[j], q.x_frac), q.x_frac);
    dx[j] = std::fabs(xq[j] - x[j]);
  }
  std::vector<double> h = h0.empty() ? std::vector<double>(H, 0.0) : h0, dh(H);
  for (uint32_t k = 0; k < H; ++k) dh[k] = std::fabs(dequantize(quantize16(h[k], q.h_frac), q.h_frac) - h[k]);
  const double u_gate = half_unit(q.gate_frac), u_h = half_unit(q.h_frac);
  const std::vector<double> r_h(m.r.begin() + uint64_t{2} * H * H, m.r.end());

  GruErrorBound bound;
  for (uint32_t t = 0; t < steps; ++t) {
    // The float step with its intermediate values, and the bounds of its pre-activations.
    std::vector<double> ax(3 * uint64_t{H}), ar(3 * uint64_t{H});
    for (uint32_t n = 0; n < 3 * H; ++n) ax[n] = bias(m.wb, n), ar[n] = bias(m.rb, n);
    add_product(m.w, 3 * H, I, &x[uint64_t{t} * I], ax.data());
    add_product(m.r, 3 * H, H, h.data(), ar.data());
    const std::vector<double> dw = product_bounds(m.w, q.w, 0, 3 * H, &xq[uint64_t{t} * I],
                                                  std::vector<double>(dx.begin() + uint64_t{t} * I, dx.begin() + uint64_t{t + 1} * I));
    const std::vector<double> dr = product_bounds(m.r, q.r, 0, 3 * H, h.data(), dh);
    std::vector<double> z(H), r(H), dz(H), drg(H), rh(H), drh(H);
    for (uint32_t k = 0; k < H; ++k) {
      for (const uint32_t g : {0u, 1u}) {
        const uint32_t n = g * H + k;
        const double a = ax[n] + ar[n];
        const double da = dw[n] + dr[n] + std::fabs(dequantize(q.bias_x[n], q.gate_frac) - bias(m.wb, n) - bias(m.rb, n));
        (g == 0 ? z : r)[k] = sigmoid(a);
        (g == 0 ? dz : drg)[k] = lut.gate(LutFunction::kSigmoid, a, da);
      }
      rh[k] = r[k] * h[k];
      drh[k] = product_error(r[k], drg[k], h[k], dh[k]) + u_h + excess16(rh[k], q.h_frac);
    }
    std::vector<double> an(H), dan(H);
    if (m.linear_before_reset) {
      for (uint32_t k = 0; k < H; ++k) {
        const uint32_t n = 2 * H + k;
        const double mh = ar[n];  // R_h h + Rb_h
        const double dm = dr[n] + std::fabs(dequantize(q.bias_n[k], q.gate_frac) - bias(m.rb, n));
        an[k] = ax[n] + r[k] * mh;
        dan[k] = dw[n] + product_error(r[k], drg[k], mh, dm) + u_gate +
                 std::fabs(dequantize(q.bias_x[n], q.gate_frac) - bias(m.wb, n));
      }
    } else {
      std::vector<double> rhp(H, 0.0);
      add_product(r_h, H, H, rh.data(), rhp.data());
      const std::vector<double> drp = product_bounds(m.r, q.r, 2 * H, H, rh.data(), drh);
      for (uint32_t k = 0; k < H; ++k) {
        const uint32_t n = 2 * H + k;
        an[k] = ax[n] + rhp[k] + bias(m.rb, n);
        dan[k] = dw[n] + drp[k] + std::fabs(dequantize(q.bias_x[n], q.gate_frac) - bias(m.wb, n) - bias(m.rb, n));
      }
    }
    for (uint32_t k = 0; k < H; ++k) {
      const double n = std::tanh(an[k]), dn = lut.gate(LutFunction::kTanh, an[k], dan[k]);
      const double ht = (1 - z[k]) * n + z[k] * h[k];
      dh[k] = product_error(1 - z[k], dz[k], n, dn) + product_error(z[k], dz[k], h[k], dh[k]) + u_h +
              excess16(ht, q.h_frac);
      h[k] = ht;
    }
    bound.h.insert(bound.h.end(), dh.begin(), dh.end());
    for (const double d : dh) bound.max_h = std::max(bound.max_h, d);
  }
  return bound;
}

}  // namespace dlvp::lstm_ref
