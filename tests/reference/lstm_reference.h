// The reference model of the sparse LSTM engine (docs/lstm.md): a float LSTM (double, ONNX's
// definition) and the bit-exact fixed-point LSTM the engine must reproduce, with the matrix-vector
// products done both ways — over the per-PE CSC streams exactly as the PEs walk them, and dense
// over the same quantized matrix (the two must agree bit for bit).
//
// Plain C++ written from docs/lstm.md and ip/lstm/lstm_format.h only, independent of any engine.
// Obvious loops over exact int64 sums; every shape is checked (std::invalid_argument). A golden
// model for tests and for the compiler's expected outputs, never on a simulation path.
#pragma once
#include "ip/lstm/lstm_format.h"

#include <cstdint>
#include <vector>

namespace dlvp::lstm_ref {

// ---------------------------------------------------------------------------------------------
// Float LSTM (ONNX's LSTM, forward direction, default activations f = sigmoid, g = h = tanh):
//   i = f(W_i x_t + R_i r_{t-1} + P_i . c_{t-1} + b_i)      r: h (or y with a projection)
//   f = f(W_f x_t + R_f r_{t-1} + P_f . c_{t-1} + b_f)      b = W_b + R_b
//   g = g(W_c x_t + R_c r_{t-1} + b_c)
//   c_t = f . c_{t-1} + i . g
//   o = f(W_o x_t + R_o r_{t-1} + P_o . c_t + b_o)
//   h_t = o . h(c_t)
//   y_t = W_proj h_t with a projection (ESE's / Google's LSTMP, not in ONNX), else h_t.

struct FloatLstm {
  uint32_t input_size = 0;       // I
  uint32_t hidden_size = 0;      // H (cells)
  uint32_t projection_size = 0;  // P (0: no projection)
  std::vector<double> w;           // [4H][I], gate blocks i, o, f, c (lstm::Gate)
  std::vector<double> r;           // [4H][recurrent_size()]
  std::vector<double> bias;        // [4H] (W_b + R_b); empty: zeros
  std::vector<double> peephole;    // [3H]: P_i, P_o, P_f; empty: none
  std::vector<double> projection;  // [P][H]; empty when projection_size is 0

  uint32_t gate_rows() const { return lstm::kGateCount * hidden_size; }
  uint32_t recurrent_size() const { return projection_size ? projection_size : hidden_size; }
  uint32_t output_size() const { return recurrent_size(); }
  // Throws std::invalid_argument naming the first tensor whose size does not match.
  void check() const;
};

// One sequence's float trajectory, every step recorded (calibration and error bounds need them).
struct FloatRun {
  uint32_t steps = 0;
  std::vector<double> y;         // [T][output_size]: the layer's output (= h without projection)
  std::vector<double> h;         // [T][H]
  std::vector<double> c;         // [T][H]
  std::vector<double> preacts;   // [T][4H] gate pre-activations (peepholes included)
  std::vector<double> gates;     // [T][4H] gate values i, o, f, g
};

// x: [T][I]. h0: [recurrent_size] (empty: zeros), c0: [H] (empty: zeros).
FloatRun run_float(const FloatLstm& model, const std::vector<double>& x, const std::vector<double>& h0 = {},
                   const std::vector<double>& c0 = {});

// ONNX's tensors (num_directions 1). layout 0: X [T][B][I], Y [T][1][B][H], Y_h, Y_c and the
// initial states [1][B][H]; layout 1: X [B][T][I], Y [B][T][1][H], states [B][1][H]. With one
// direction both layouts store a state as [B][H].
struct OnnxLstmOutputs {
  std::vector<double> y, y_h, y_c;
};
// Sequence b of X as [T][I].
std::vector<double> onnx_sequence(const std::vector<double>& x, uint32_t seq_length, uint32_t batch,
                                  uint32_t input_size, int layout, uint32_t b);
OnnxLstmOutputs run_float_onnx(const FloatLstm& model, const std::vector<double>& x, uint32_t seq_length,
                               uint32_t batch, int layout, const std::vector<double>& initial_h = {},
                               const std::vector<double>& initial_c = {});

// ---------------------------------------------------------------------------------------------
// Fixed point (docs/lstm.md, "Arithmetic").

// A quantized dense matrix: 12-bit weights (in int16) q with w = q x 2^-frac, row-major.
struct FixedMatrix {
  uint32_t rows = 0, cols = 0;
  int frac = 0;
  std::vector<int16_t> q;  // [rows][cols]
};

// The same matrix as per-PE CSC streams (lstm_format.h): rows interleaved over `pes`.
struct CscStream {
  std::vector<uint32_t> pointers;  // cols + 1
  std::vector<uint16_t> entries;
};
struct CscMatrix {
  uint32_t rows = 0, cols = 0, pes = 0;
  int frac = 0;
  std::vector<CscStream> streams;  // [pes]
  // PE `pe`'s whole stream (throws std::invalid_argument if the PE or its pointers are missing).
  lstm::StreamView view(uint32_t pe) const;
};

struct FixedLstm {
  uint32_t input_size = 0, hidden_size = 0, projection_size = 0;
  uint32_t accumulator_bits = lstm::kDefaultAccumulatorBits;
  int x_frac = 0;   // input x
  int h_frac = 0;   // hidden h
  int c_frac = 0;   // cell state
  int y_frac = 0;   // projection output (with a projection)
  int gate_frac = 0;  // the gate accumulators (and the bias)
  FixedMatrix w;           // [4H][I]
  FixedMatrix r;           // [4H][recurrent_size()]
  FixedMatrix projection;  // [P][H]
  std::vector<int32_t> bias;      // [4H] at gate_frac
  std::vector<int16_t> peephole;  // [3H] 12-bit, P_i P_o P_f; empty: none
  int peephole_frac = 0;

  uint32_t gate_rows() const { return lstm::kGateCount * hidden_size; }
  uint32_t recurrent_size() const { return projection_size ? projection_size : hidden_size; }
  uint32_t output_size() const { return recurrent_size(); }
  int recurrent_frac() const { return projection_size ? y_frac : h_frac; }
  int output_frac() const { return recurrent_frac(); }
  int w_shift() const { return gate_frac - w.frac - x_frac; }  // input products' left shift
  int r_shift() const { return gate_frac - r.frac - recurrent_frac(); }
  int projection_acc_frac() const { return projection.frac + h_frac; }
  // Throws std::invalid_argument naming the first field out of range (sizes, 12-bit weights,
  // radix points in [kMinFrac, kMaxFrac], product shifts in [0, kMaxProductShift], accumulator
  // width in [kMinAccumulatorBits, kMaxAccumulatorBits]).
  void check() const;
};

// The encoded matrices of a FixedLstm (projection empty without one).
struct SparseLstm {
  CscMatrix w, r, projection;
};

// A fully connected layer run by the engine after the last time step (a classifier head: one
// LSTM_SPMV from the bias producing its output), on an int16 input at input_frac:
//   y = sat16(round_shift(sat_acc(bias + sum_j m[n][j] x a[j] << product_shift()), output_shift()))
struct FixedLinear {
  FixedMatrix matrix;          // [outputs][inputs], 12-bit
  std::vector<int32_t> bias;   // [outputs] at acc_frac; empty: none
  int input_frac = 0, acc_frac = 0, output_frac = 0;
  uint32_t accumulator_bits = lstm::kDefaultAccumulatorBits;

  uint32_t outputs() const { return matrix.rows; }
  uint32_t inputs() const { return matrix.cols; }
  int product_shift() const { return acc_frac - matrix.frac - input_frac; }
  int output_shift() const { return acc_frac - output_frac; }
  // Throws std::invalid_argument naming the first field out of range.
  void check() const;
};

struct FixedState {
  std::vector<int16_t> recurrent;  // r_{t-1}: h, or y with a projection (recurrent_frac)
  std::vector<int16_t> c;          // c_{t-1} (c_frac)
};

struct FixedRun {
  uint32_t steps = 0;
  std::vector<int16_t> y;  // [T][output_size] at output_frac
  std::vector<int16_t> c;  // [T][H] at c_frac
  FixedState last;
  uint64_t saturations = 0;  // values clipped by sat_acc or sat16 (the LUTs' domain clamp not counted)
};

// acc[row] += sum_j m[row][j] x a[j] << shift (exact). Dense: every column, every row.
void accumulate_dense(const FixedMatrix& m, const int16_t* a, int shift, std::vector<int64_t>& acc);
// Sparse: PE by PE, column by column over its stream, a row cursor advanced by skip + 1 per entry.
// Throws std::invalid_argument naming the PE, the StreamError and its index on a malformed stream.
void accumulate_sparse(const CscMatrix& m, const int16_t* a, int shift, std::vector<int64_t>& acc);
// The dense matrix a CSC matrix encodes (same errors).
FixedMatrix decode(const CscMatrix& m);

// One sequence: x [T][I] at x_frac. sparse: the encoded matrices (null: dense products over the
// FixedLstm's own matrices). initial: null for zeros.
FixedRun run_fixed(const FixedLstm& model, const SparseLstm* sparse, const std::vector<int16_t>& x,
                   const FixedState* initial = nullptr);
// Independent sequences (channels); initial: null, or one state per channel.
std::vector<FixedRun> run_fixed_channels(const FixedLstm& model, const SparseLstm* sparse,
                                         const std::vector<std::vector<int16_t>>& channels,
                                         const std::vector<FixedState>* initial = nullptr);

// One input vector through a FixedLinear; sparse: its encoding (null: the dense matrix).
std::vector<int16_t> run_linear(const FixedLinear& layer, const CscMatrix* sparse, const std::vector<int16_t>& input);

// q = floor(v x 2^frac + 1/2) saturated to int16; and back.
int16_t quantize16(double v, int frac);
std::vector<int16_t> quantize16(const std::vector<double>& v, int frac);
double dequantize(int64_t q, int frac);
std::vector<double> dequantize(const std::vector<int16_t>& q, int frac);

// max |lut_lookup(x) x 2^-15 - f(x x 2^-11)| over all 65536 input codes (f = logistic, std::tanh).
double lut_max_error(lstm::LutFunction f);

// A rigorous bound on |fixed - float| for every output element [T][output_size] (and the final
// cell state [H]) when `fixed` runs on quantize16(x, x_frac) from the quantized initial state,
// propagated along the float trajectory `run` of `model` on x (docs/lstm.md, "Tolerance"). Assumes
// the float trajectory stays inside the 16-bit ranges of `fixed` (true when `fixed` was calibrated
// on these inputs); outside, the excess is added.
struct ErrorBound {
  std::vector<double> y;  // [T][output_size]
  std::vector<double> c;  // [H], the last step
  double max_y = 0;
};
ErrorBound output_error_bound(const FloatLstm& model, const FixedLstm& fixed, const std::vector<double>& x,
                              const FloatRun& run, const std::vector<double>& h0 = {},
                              const std::vector<double>& c0 = {});

// ---------------------------------------------------------------------------------------------
// GRU (ONNX's GRU, forward direction, default activations; docs/lstm.md "GRU"). Gate order z, r, h:
//   z = sigmoid(W_z x_t + R_z h_{t-1} + Wb_z + Rb_z)
//   r = sigmoid(W_r x_t + R_r h_{t-1} + Wb_r + Rb_r)
//   n = tanh(W_h x_t + R_h (r . h_{t-1}) + Rb_h + Wb_h)          linear_before_reset = 0
//   n = tanh(W_h x_t + r . (R_h h_{t-1} + Rb_h) + Wb_h)          linear_before_reset = 1
//   h_t = (1 - z) . n + z . h_{t-1}

constexpr uint32_t kGruGates = 3;  // z, r, h

struct FloatGru {
  uint32_t input_size = 0, hidden_size = 0;
  bool linear_before_reset = false;
  std::vector<double> w;   // [3H][I], gate blocks z, r, h
  std::vector<double> r;   // [3H][H]
  std::vector<double> wb;  // [3H]; empty: zeros
  std::vector<double> rb;  // [3H]; empty: zeros
  uint32_t gate_rows() const { return kGruGates * hidden_size; }
  void check() const;
};

struct FloatGruRun {
  uint32_t steps = 0;
  std::vector<double> h;        // [T][H]
  std::vector<double> preacts;  // [T][3H]: z, r and n's pre-activations
};
FloatGruRun run_float(const FloatGru& model, const std::vector<double>& x, const std::vector<double>& h0 = {});

// The fixed-point GRU the engine runs (docs/isa.md "Version 3: GRU"): W [3H][I] and R [3H][H]
// (one radix point each), all sums exact at the gate accumulators' radix point gate_frac.
// bias_x [3H]: Wb + Rb for z and r; for h Wb_h + Rb_h (linear_before_reset 0) or Wb_h (1);
// bias_n [H]: Rb_h with linear_before_reset, else empty.
struct FixedGru {
  uint32_t input_size = 0, hidden_size = 0;
  uint32_t accumulator_bits = lstm::kDefaultAccumulatorBits;
  bool linear_before_reset = false;
  int x_frac = 0, h_frac = 0, gate_frac = 0;
  FixedMatrix w;  // [3H][I]
  FixedMatrix r;  // [3H][H]
  std::vector<int32_t> bias_x, bias_n;
  uint32_t gate_rows() const { return kGruGates * hidden_size; }
  int w_shift() const { return gate_frac - w.frac - x_frac; }
  int r_shift() const { return gate_frac - r.frac - h_frac; }
  // Rows [first, first + count) of R (the engine's R_zr = rows 0..2H, R_h = rows 2H..3H).
  FixedMatrix r_rows(uint32_t first, uint32_t count) const;
  void check() const;  // as FixedLstm::check
};

// The encoded matrices: W [3H][I], R_zr [2H][H], R_h [H][H] (each interleaved over the PEs).
struct SparseGru {
  CscMatrix w, r_zr, r_h;
};

struct FixedGruRun {
  uint32_t steps = 0;
  std::vector<int16_t> h;  // [T][H] at h_frac
  uint64_t saturations = 0;
};
// One sequence x [T][I] at x_frac from h0 [H] (empty: zeros); sparse: null for dense products.
FixedGruRun run_fixed(const FixedGru& model, const SparseGru* sparse, const std::vector<int16_t>& x,
                      const std::vector<int16_t>& h0 = {});

// A rigorous bound on |fixed - float| for every h [T][H] when `fixed` runs on quantize16(x, x_frac)
// from the quantized h0, propagated along the float GRU's trajectory as output_error_bound does
// (docs/lstm.md "GRU: tolerance"). Assumes no accumulator saturates (check FixedGruRun::saturations).
struct GruErrorBound {
  std::vector<double> h;  // [T][H]
  double max_h = 0;
};
GruErrorBound gru_output_error_bound(const FloatGru& model, const FixedGru& fixed, const std::vector<double>& x,
                                     const std::vector<double>& h0 = {});

}  // namespace dlvp::lstm_ref
