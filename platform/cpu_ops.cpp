#include "platform/cpu_ops.h"

#include <string.h>

namespace dlvp::cpu {
namespace {

using package::CpuTensor;
using package::StageRecord;

struct Dims {
  uint32_t d[3];
  uint64_t count() const { return uint64_t{d[0]} * d[1] * d[2]; }
  uint64_t index(uint32_t a, uint32_t b, uint32_t c) const { return (uint64_t{a} * d[1] + b) * d[2] + c; }
};

Dims dims_of(const CpuTensor& t) { return Dims{{t.c, t.h, t.w}}; }

int32_t load(const uint8_t* data, uint64_t index, uint32_t element_bytes) {
  if (element_bytes == 1) return static_cast<int8_t>(data[index]);
  const uint8_t* p = data + 2 * index;
  return static_cast<int16_t>(static_cast<uint16_t>(p[0] | (p[1] << 8)));
}

void store(uint8_t* data, uint64_t index, uint32_t element_bytes, int32_t value) {
  if (element_bytes == 1) {
    data[index] = static_cast<uint8_t>(value);
    return;
  }
  data[2 * index] = static_cast<uint8_t>(value);
  data[2 * index + 1] = static_cast<uint8_t>(static_cast<uint32_t>(value) >> 8);
}

void copy_element(const uint8_t* from, uint64_t i, uint8_t* to, uint64_t o, uint32_t element_bytes) {
  memcpy(to + o * element_bytes, from + i * element_bytes, element_bytes);
}

// 2^k for -1022 <= k <= 1023, from its bits.
double pow2(int32_t k) {
  const uint64_t bits = static_cast<uint64_t>(k + 1023) << 52;
  double v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

// floor(y) for |y| < 2^62.
int64_t floor_int(double y) {
  int64_t t = static_cast<int64_t>(y);
  if (static_cast<double>(t) > y) --t;
  return t;
}

double real_of(int32_t q, int32_t frac_bits) { return q * pow2(-frac_bits); }

// Indices fit 32 bits (a tensor is at most kMaxCpuTensorBytes): RV32 multiplies them in one instruction.
void transpose(const StageRecord& s, const uint8_t* in, uint8_t* out) {
  const Dims od = dims_of(s.output);
  const uint32_t input_stride[3] = {s.inputs[0].h * s.inputs[0].w, s.inputs[0].w, 1};
  // The input's step along each output axis.
  const uint32_t step0 = input_stride[s.params[0]], step1 = input_stride[s.params[1]];
  const uint32_t step2 = input_stride[s.params[2]];
  const bool bytes = s.output.element_bytes == 1;
  uint32_t o = 0;
  for (uint32_t a = 0; a < od.d[0]; ++a)
    for (uint32_t b = 0; b < od.d[1]; ++b) {
      uint32_t i = a * step0 + b * step1;
      for (uint32_t c = 0; c < od.d[2]; ++c, ++o, i += step2) {
        if (bytes) out[o] = in[i];
        else out[2 * o] = in[2 * i], out[2 * o + 1] = in[2 * i + 1];
      }
    }
}

// The lines along `axis`: line (o, i) starts at o x length x stride + i and steps by `stride`.
struct Lines {
  uint32_t outer, inner, length, stride;
  uint32_t first(uint32_t o, uint32_t i) const { return o * length * stride + i; }
};

Lines lines_along(const Dims& d, uint32_t axis) {
  const uint32_t inner = axis == 0 ? d.d[1] * d.d[2] : axis == 1 ? d.d[2] : 1;
  const uint32_t outer = static_cast<uint32_t>(d.count() / (uint64_t{inner} * d.d[axis]));
  return Lines{outer, inner, d.d[axis], inner};
}

// exp((q - max) x step) for a softmax: int8 inputs have at most 256 differences, each computed once
// (the same value as computing it again); int16 ones are computed each time.
class ExpOfDifference {
 public:
  ExpOfDifference(double step, uint32_t element_bytes) : step_(step), cached_(element_bytes == 1) {}
  double operator()(int32_t difference) {  // difference = max - q >= 0
    if (!cached_) return exp_nonpositive(-difference * step_);
    if (!known_[difference]) known_[difference] = true, table_[difference] = exp_nonpositive(-difference * step_);
    return table_[difference];
  }

 private:
  double step_;
  bool cached_;
  bool known_[256] = {};
  double table_[256];
};

// softmax(x)_i = exp(x_i - max) / sum_j exp(x_j - max), each exp taken twice (no buffer).
void softmax(const StageRecord& s, const uint8_t* in, uint8_t* out) {
  const CpuTensor& ti = s.inputs[0];
  const Lines l = lines_along(dims_of(ti), s.params[0]);
  ExpOfDifference exp_of(pow2(-ti.frac_bits), ti.element_bytes);
  for (uint32_t o = 0; o < l.outer; ++o)
    for (uint32_t i = 0; i < l.inner; ++i) {
      const uint32_t first = l.first(o, i);
      int32_t most = load(in, first, ti.element_bytes);
      for (uint32_t k = 1; k < l.length; ++k) {
        const int32_t q = load(in, first + k * l.stride, ti.element_bytes);
        if (q > most) most = q;
      }
      double sum = 0;
      for (uint32_t k = 0; k < l.length; ++k) sum += exp_of(most - load(in, first + k * l.stride, ti.element_bytes));
      for (uint32_t k = 0; k < l.length; ++k) {
        const double e = exp_of(most - load(in, first + k * l.stride, ti.element_bytes));
        store(out, first + k * l.stride, s.output.element_bytes,
              to_fixed(e / sum, s.output.frac_bits, s.output.element_bytes));
      }
    }
}

void resize_nearest(const StageRecord& s, const uint8_t* in, uint8_t* out) {
  const Dims id = dims_of(s.inputs[0]), od = dims_of(s.output);
  for (uint32_t c = 0; c < od.d[0]; ++c)
    for (uint32_t y = 0; y < od.d[1]; ++y)
      for (uint32_t x = 0; x < od.d[2]; ++x) {
        const uint32_t sy = static_cast<uint32_t>(uint64_t{y} * id.d[1] / od.d[1]);
        const uint32_t sx = static_cast<uint32_t>(uint64_t{x} * id.d[2] / od.d[2]);
        copy_element(in, id.index(c, sy, sx), out, od.index(c, y, x), s.output.element_bytes);
      }
}

// Mean or max over the axes in params[0]; the output keeps them as size 1.
void reduce(const StageRecord& s, const uint8_t* in, uint8_t* out) {
  const CpuTensor& ti = s.inputs[0];
  const Dims id = dims_of(ti), od = dims_of(s.output);
  const bool mean = s.op == kOpReduceMean;
  const uint64_t n = id.count() / od.count();
  for (uint32_t a = 0; a < od.d[0]; ++a)
    for (uint32_t b = 0; b < od.d[1]; ++b)
      for (uint32_t c = 0; c < od.d[2]; ++c) {
        int64_t sum = 0;
        int32_t most = load(in, id.index(a, b, c), ti.element_bytes);
        // A reduced axis runs over the input's extent; a kept one stays at the output's coordinate.
        for (uint32_t i = 0; i < (od.d[0] == id.d[0] ? 1 : id.d[0]); ++i)
          for (uint32_t j = 0; j < (od.d[1] == id.d[1] ? 1 : id.d[1]); ++j)
            for (uint32_t k = 0; k < (od.d[2] == id.d[2] ? 1 : id.d[2]); ++k) {
              const int32_t q = load(in, id.index(od.d[0] == id.d[0] ? a : i, od.d[1] == id.d[1] ? b : j,
                                                  od.d[2] == id.d[2] ? c : k), ti.element_bytes);
              sum += q;
              if (q > most) most = q;
            }
        const int32_t v = mean ? to_fixed(real_of(1, ti.frac_bits) * static_cast<double>(sum) / static_cast<double>(n),
                                          s.output.frac_bits, s.output.element_bytes)
                               : most;
        store(out, od.index(a, b, c), s.output.element_bytes, v);
      }
}

// LayerNorm over `axis` (without its affine part: the package's arithmetic stages apply it): per
// line, mean = sum q / n, var = sum (q - mean)^2 / n, both in binary64 from the exact reals;
// out_i = to_fixed((x_i - mean) / sqrt(var + eps)).
void layer_norm(const StageRecord& s, const uint8_t* in, uint8_t* out) {
  const CpuTensor& ti = s.inputs[0];
  const Lines l = lines_along(dims_of(ti), s.params[0]);
  float eps_float;
  memcpy(&eps_float, &s.params[1], sizeof eps_float);
  const double eps = eps_float, step = pow2(-ti.frac_bits);
  for (uint32_t o = 0; o < l.outer; ++o)
    for (uint32_t i = 0; i < l.inner; ++i) {
      const uint32_t first = l.first(o, i);
      double sum = 0;
      for (uint32_t k = 0; k < l.length; ++k) sum += load(in, first + k * l.stride, ti.element_bytes) * step;
      const double mean = sum / l.length;
      double squares = 0;
      for (uint32_t k = 0; k < l.length; ++k) {
        const double d = load(in, first + k * l.stride, ti.element_bytes) * step - mean;
        squares += d * d;
      }
      const double scale = 1.0 / sqrt_positive(squares / l.length + eps);
      for (uint32_t k = 0; k < l.length; ++k) {
        const double d = load(in, first + k * l.stride, ti.element_bytes) * step - mean;
        store(out, first + k * l.stride, s.output.element_bytes,
              to_fixed(d * scale, s.output.frac_bits, s.output.element_bytes));
      }
    }
}

double apply(uint32_t op, double a, double b) {
  switch (op) {
    case kAdd: return a + b;
    case kSub: return a - b;
    case kMul: return a * b;
    default: return a / b;
  }
}

// A op B, B broadcast over A (each of B's dims equal to A's or 1). Division by zero saturates by the
// dividend's sign (0 / 0: 0).
void arithmetic(const StageRecord& s, const uint8_t* a, const uint8_t* b, uint8_t* out) {
  const CpuTensor &ta = s.inputs[0], &tb = s.inputs[1], &to = s.output;
  const Dims ad = dims_of(ta), bd = dims_of(tb);
  for (uint32_t i = 0; i < ad.d[0]; ++i)
    for (uint32_t j = 0; j < ad.d[1]; ++j)
      for (uint32_t k = 0; k < ad.d[2]; ++k) {
        const uint64_t at = ad.index(i, j, k);
        const int32_t qa = load(a, at, ta.element_bytes);
        const int32_t qb = load(b, bd.index(bd.d[0] == 1 ? 0 : i, bd.d[1] == 1 ? 0 : j, bd.d[2] == 1 ? 0 : k),
                                tb.element_bytes);
        double r;
        if (s.params[0] == kDiv && qb == 0) r = qa > 0 ? 1e300 : qa < 0 ? -1e300 : 0.0;
        else r = apply(s.params[0], real_of(qa, ta.frac_bits), real_of(qb, tb.frac_bits));
        store(out, at, to.element_bytes, to_fixed(r, to.frac_bits, to.element_bytes));
      }
}

}  // namespace

uint32_t input_count(uint32_t op) {
  if (op == kOpArithmetic) return 2;
  return op >= kOpTranspose && op <= kOpLast ? 1 : 0;
}

const char* op_name(uint32_t op) {
  switch (op) {
    case kOpTranspose: return "transpose";
    case kOpSoftmax: return "softmax";
    case kOpResizeNearest: return "resize_nearest";
    case kOpReduceMean: return "reduce_mean";
    case kOpReduceMax: return "reduce_max";
    case kOpArithmetic: return "arithmetic";
    case kOpLayerNorm: return "layer_norm";
    default: return "unknown";
  }
}

// exp(x) = 2^k x exp(r), k = round(x / ln 2), r = x - k ln 2 (ln 2 in two parts: k x hi is exact),
// exp(r) by its Taylor series to r^13 (|r| <= 0.35: the next term is below 2^-57), Horner's scheme
// on the coefficients 1/n! (the nearest doubles; multiplications only: soft-float division is slow).
double exp_nonpositive(double x) {
  if (!(x <= 0)) return x > 0 ? 1.0 : 0.0;  // callers pass x <= 0; NaN gives 0
  if (x < -708) return 0;
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  const int32_t k = static_cast<int32_t>(floor_int(x * kInvLn2 + 0.5));
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  static constexpr double kInverseFactorials[] = {
      1.6059043836821613e-10, 2.08767569878681e-09, 2.505210838544172e-08, 2.755731922398589e-07,
      2.7557319223985893e-06, 2.48015873015873e-05, 0.0001984126984126984, 0.001388888888888889,
      0.008333333333333333, 0.041666666666666664, 0.16666666666666666, 0.5, 1.0, 1.0};  // 1/13! .. 1/0!
  double p = 0;
  for (const double c : kInverseFactorials) p = p * r + c;
  return p * pow2(k);
}

double sqrt_positive(double x) {
  if (!(x > 0)) return 0;
  // 2^(e/2) for x = m x 2^e: within a factor of 2 of the root, so Newton's steps converge fast.
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  const int32_t exponent = static_cast<int32_t>((bits >> 52) & 0x7ff) - 1023;
  double y = pow2(exponent / 2 < -1022 ? -1022 : exponent / 2);
  for (int i = 0; i < 64; ++i) {  // quadratic convergence: a handful of steps; 64 bounds them
    const double next = (y + x / y) * 0.5;
    if (i > 0 && next >= y) break;  // after the first step the iterates decrease to the root
    y = next;
  }
  return y;
}

int32_t to_fixed(double real, int32_t frac_bits, uint32_t element_bytes) {
  const int32_t most = element_bytes == 1 ? 127 : 32767, least = -most - 1;
  if (real != real) return 0;
  const double y = real * pow2(frac_bits) + 0.5;
  if (y >= most) return most;
  if (y < least) return least;
  int32_t t = static_cast<int32_t>(y);  // toward zero; floor for y < 0 below
  if (t > y) --t;
  return t;
}

void run(const StageRecord& s, const uint8_t* const inputs[2], uint8_t* output) {
  switch (s.op) {
    case kOpTranspose: transpose(s, inputs[0], output); break;
    case kOpSoftmax: softmax(s, inputs[0], output); break;
    case kOpResizeNearest: resize_nearest(s, inputs[0], output); break;
    case kOpReduceMean:
    case kOpReduceMax: reduce(s, inputs[0], output); break;
    case kOpArithmetic: arithmetic(s, inputs[0], inputs[1], output); break;
    case kOpLayerNorm: layer_norm(s, inputs[0], output); break;
    default: break;
  }
}

}  // namespace dlvp::cpu
