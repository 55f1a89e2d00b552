// The CPU stages' operations (platform/cpu_ops.h, docs/cpu_ops.md) against references written here
// independently: index arithmetic for the data movement, exact integer (rational) arithmetic for
// the means and Add/Sub/Mul, libm's exp for softmax (within one step of the output format, the
// sums to 1), on small and edge shapes (1x1x1, an axis of 1, int16, saturation, division by zero).
#include "platform/cpu_ops.h"
#include "platform/model_package.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <random>
#include <vector>

namespace dlvp::test {
namespace {

using package::CpuTensor;
using package::StageRecord;

CpuTensor tensor(uint32_t c, uint32_t h, uint32_t w, int32_t frac = 0, uint32_t element_bytes = 1) {
  return CpuTensor{0, element_bytes, 0, c, h, w, frac};
}

uint64_t count(const CpuTensor& t) { return uint64_t{t.c} * t.h * t.w; }

std::vector<uint8_t> random_bytes(const CpuTensor& t, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(count(t) * t.element_bytes);
  for (uint8_t& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

int32_t element(const std::vector<uint8_t>& v, uint64_t i, uint32_t element_bytes) {
  if (element_bytes == 1) return static_cast<int8_t>(v[i]);
  return static_cast<int16_t>(static_cast<uint16_t>(v[2 * i] | (v[2 * i + 1] << 8)));
}

std::vector<uint8_t> run(const StageRecord& s, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b = {}) {
  std::vector<uint8_t> out(count(s.output) * s.output.element_bytes, 0xAA);
  const uint8_t* inputs[2] = {a.data(), b.empty() ? nullptr : b.data()};
  cpu::run(s, inputs, out.data());
  return out;
}

StageRecord stage(uint32_t op, const CpuTensor& in, const CpuTensor& out, uint32_t p0 = 0, uint32_t p1 = 0,
                  uint32_t p2 = 0) {
  StageRecord s{};
  s.kind = package::kStageCpu;
  s.op = op;
  s.params[0] = p0, s.params[1] = p1, s.params[2] = p2;
  s.inputs[0] = in;
  s.output = out;
  return s;
}

TEST(CpuOps, TransposeMovesEveryElementOfEveryPermutation) {
  const uint32_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (uint32_t element_bytes : {1u, 2u})
    for (const auto& p : perms) {
      const CpuTensor in = tensor(3, 4, 5, 2, element_bytes);
      const uint32_t d[3] = {3, 4, 5};
      const CpuTensor out = tensor(d[p[0]], d[p[1]], d[p[2]], 2, element_bytes);
      const std::vector<uint8_t> a = random_bytes(in, 7);
      const std::vector<uint8_t> y = run(stage(cpu::kOpTranspose, in, out, p[0], p[1], p[2]), a);
      for (uint32_t i = 0; i < 3; ++i)
        for (uint32_t j = 0; j < 4; ++j)
          for (uint32_t k = 0; k < 5; ++k) {
            const uint32_t x[3] = {i, j, k};
            const uint64_t o = (uint64_t{x[p[0]]} * out.h + x[p[1]]) * out.w + x[p[2]];
            ASSERT_EQ(element(y, o, element_bytes), element(a, (i * 4 + j) * 5 + k, element_bytes))
                << p[0] << p[1] << p[2] << " at " << i << "," << j << "," << k;
          }
    }
}

// ShuffleNet's channel shuffle: Reshape [c][h][w] -> [g][c/g][h*w], Transpose (1, 0, 2), Reshape back:
// output channel k x g + j is input channel j x c/g + k.
TEST(CpuOps, ChannelShuffleIsATransposeOfTheGroupedView) {
  const uint32_t c = 12, g = 2, hw = 3 * 3;
  const std::vector<uint8_t> a = random_bytes(tensor(c, 3, 3), 3);
  const std::vector<uint8_t> y =
      run(stage(cpu::kOpTranspose, tensor(g, c / g, hw), tensor(c / g, g, hw), 1, 0, 2), a);
  for (uint32_t k = 0; k < c / g; ++k)
    for (uint32_t j = 0; j < g; ++j)
      for (uint32_t p = 0; p < hw; ++p)
        EXPECT_EQ(element(y, (k * g + j) * hw + p, 1), element(a, (j * (c / g) + k) * hw + p, 1));
}

TEST(CpuOps, ExpMatchesLibmToWithinTwoToTheMinus50) {
  for (double x = 0; x > -750; x -= 0.0137) {
    const double want = std::exp(x);
    const double got = cpu::exp_nonpositive(x);
    if (x < -708) {
      EXPECT_EQ(got, 0.0);
      continue;
    }
    ASSERT_LE(std::fabs(got - want), want * std::ldexp(1.0, -50)) << x;
  }
  EXPECT_EQ(cpu::exp_nonpositive(0.0), 1.0);
}

TEST(CpuOps, ToFixedRoundsHalfUpAndSaturates) {
  EXPECT_EQ(cpu::to_fixed(0.25, 1, 1), 1);    // 0.5 -> 1
  EXPECT_EQ(cpu::to_fixed(-0.25, 1, 1), 0);   // -0.5 -> 0
  EXPECT_EQ(cpu::to_fixed(-0.26, 1, 1), -1);
  EXPECT_EQ(cpu::to_fixed(1.0, 7, 1), 127);   // 128 saturates
  EXPECT_EQ(cpu::to_fixed(-1e300, 0, 2), -32768);
  EXPECT_EQ(cpu::to_fixed(1e300, 0, 2), 32767);
  EXPECT_EQ(cpu::to_fixed(std::nan(""), 3, 1), 0);
}

// softmax along each axis of a 3x4x5 tensor and of an axis of length 1 (every output 1.0).
TEST(CpuOps, SoftmaxAlongAnyAxisIsWithinOneStepOfLibmAndSumsToOne) {
  const CpuTensor in = tensor(3, 4, 5, 4), out = tensor(3, 4, 5, 7);
  const std::vector<uint8_t> a = random_bytes(in, 11);
  for (uint32_t axis = 0; axis < 3; ++axis) {
    const std::vector<uint8_t> y = run(stage(cpu::kOpSoftmax, in, out, axis), a);
    const uint32_t d[3] = {3, 4, 5};
    const uint64_t stride = axis == 0 ? 20 : axis == 1 ? 5 : 1;
    for (uint64_t first = 0; first < 60; ++first) {
      const uint64_t along = first / stride % d[axis];
      if (along != 0) continue;  // one line per start
      double sum = 0, most = -1e9;
      for (uint32_t k = 0; k < d[axis]; ++k) most = std::max(most, element(a, first + k * stride, 1) / 16.0);
      for (uint32_t k = 0; k < d[axis]; ++k) sum += std::exp(element(a, first + k * stride, 1) / 16.0 - most);
      double total = 0;
      for (uint32_t k = 0; k < d[axis]; ++k) {
        const double want = std::exp(element(a, first + k * stride, 1) / 16.0 - most) / sum * 128;
        const int32_t got = element(y, first + k * stride, 1);
        EXPECT_LE(std::fabs(got - std::min(127.0, want)), 0.5 + 1e-9) << axis << " " << first << " " << k;
        total += got / 128.0;
      }
      EXPECT_NEAR(total, 1.0, d[axis] / 256.0 + 1e-9);
    }
  }
  const std::vector<uint8_t> one = run(stage(cpu::kOpSoftmax, tensor(1, 1, 1, 0, 2), tensor(1, 1, 1, 14, 2), 0),
                                       std::vector<uint8_t>{0x00, 0x80});
  EXPECT_EQ(element(one, 0, 2), 1 << 14);
}

TEST(CpuOps, ResizeNearestTakesTheFloorOfTheScaledCoordinate) {
  const CpuTensor in = tensor(2, 3, 2), out = tensor(2, 6, 5);
  const std::vector<uint8_t> a = random_bytes(in, 5);
  const std::vector<uint8_t> y = run(stage(cpu::kOpResizeNearest, in, out), a);
  for (uint32_t c = 0; c < 2; ++c)
    for (uint32_t i = 0; i < 6; ++i)
      for (uint32_t j = 0; j < 5; ++j)
        EXPECT_EQ(element(y, (c * 6 + i) * 5 + j, 1), element(a, (c * 3 + i / 2) * 2 + j * 2 / 5, 1));
}

// Mean and max over every non-empty set of axes; the mean against exact rational rounding.
TEST(CpuOps, ReduceMeanAndMaxOverAnyAxes) {
  const CpuTensor in = tensor(3, 4, 5, 3, 2);
  const std::vector<uint8_t> a = random_bytes(in, 9);
  for (uint32_t mask = 1; mask <= 7; ++mask) {
    const uint32_t d[3] = {3, 4, 5};
    const uint32_t o[3] = {mask & 1 ? 1 : d[0], mask & 2 ? 1 : d[1], mask & 4 ? 1 : d[2]};
    const CpuTensor mean_out = tensor(o[0], o[1], o[2], 5, 2), max_out = tensor(o[0], o[1], o[2], 3, 2);
    const std::vector<uint8_t> mean = run(stage(cpu::kOpReduceMean, in, mean_out, mask), a);
    const std::vector<uint8_t> most = run(stage(cpu::kOpReduceMax, in, max_out, mask), a);
    for (uint32_t i = 0; i < o[0]; ++i)
      for (uint32_t j = 0; j < o[1]; ++j)
        for (uint32_t k = 0; k < o[2]; ++k) {
          int64_t sum = 0, n = 0;
          int32_t best = INT32_MIN;
          for (uint32_t x = 0; x < 3; ++x)
            for (uint32_t y = 0; y < 4; ++y)
              for (uint32_t z = 0; z < 5; ++z) {
                if ((!(mask & 1) && x != i) || (!(mask & 2) && y != j) || (!(mask & 4) && z != k)) continue;
                const int32_t q = element(a, (x * 4 + y) * 5 + z, 2);
                sum += q, ++n, best = std::max(best, q);
              }
          // mean x 2^(5 - 3) rounded half up: floor((4 sum + n/2 ... ) / n) exactly: floor((8 sum + n) / 2n).
          const int64_t num = 8 * sum + n, den = 2 * n;
          const int64_t want = num >= 0 ? num / den : -((-num + den - 1) / den);
          const uint64_t at = (uint64_t{i} * o[1] + j) * o[2] + k;
          EXPECT_EQ(element(mean, at, 2), std::clamp<int64_t>(want, -32768, 32767)) << mask;
          EXPECT_EQ(element(most, at, 2), best) << mask;
        }
  }
}

// A op B with B broadcast (per channel, per row, a scalar, a whole tensor), exact for + - x.
TEST(CpuOps, ArithmeticBroadcastsAndRoundsExactly) {
  const CpuTensor a_t = tensor(2, 3, 4, 2);
  const std::vector<uint8_t> a = random_bytes(a_t, 1);
  const CpuTensor operands[] = {tensor(2, 1, 1, 3), tensor(1, 3, 1, 1), tensor(1, 1, 1, 0), tensor(2, 3, 4, 2)};
  for (const CpuTensor& b_t : operands)
    for (uint32_t op = cpu::kAdd; op <= cpu::kDiv; ++op) {
      const std::vector<uint8_t> b = random_bytes(b_t, 2 + op);
      StageRecord s = stage(cpu::kOpArithmetic, a_t, tensor(2, 3, 4, 3), op);
      s.inputs[1] = b_t;
      const std::vector<uint8_t> y = run(s, a, b);
      for (uint32_t i = 0; i < 2; ++i)
        for (uint32_t j = 0; j < 3; ++j)
          for (uint32_t k = 0; k < 4; ++k) {
            const int64_t qa = element(a, (i * 3 + j) * 4 + k, 1);
            const uint32_t bi = b_t.c == 1 ? 0 : i, bj = b_t.h == 1 ? 0 : j, bk = b_t.w == 1 ? 0 : k;
            const int64_t qb = element(b, (uint64_t{bi} * b_t.h + bj) * b_t.w + bk, 1);
            const int32_t got = element(y, (i * 3 + j) * 4 + k, 1);
            // Exactly: A = qa/4, B = qb/2^fb; the result x 8, rounded half up, saturated.
            const int64_t fb = b_t.frac_bits;
            int64_t want;
            if (op == cpu::kDiv) {
              if (qb == 0) {
                want = qa > 0 ? 127 : qa < 0 ? -128 : 0;
              } else {
                const double r = (qa / 4.0) / (qb / std::ldexp(1.0, int(fb))) * 8;
                EXPECT_LE(std::fabs(got - std::clamp(r, -128.0, 127.0)), 0.5 + 1e-9);
                continue;
              }
            } else {
              // numerators over 2^(2 + fb) (x 2^fb for +/-, over 2^(2 + fb) for x), then x 8
              const int64_t den = op == cpu::kMul ? int64_t{1} << (2 + fb) : int64_t{1} << (fb > 2 ? fb : 2);
              const int64_t align_a = op == cpu::kMul ? 1 : den / 4, align_b = op == cpu::kMul ? 1 : den >> fb;
              const int64_t num = op == cpu::kMul ? qa * qb : op == cpu::kAdd ? qa * align_a + qb * align_b
                                                                              : qa * align_a - qb * align_b;
              const int64_t scaled = 2 * 8 * num + den, d2 = 2 * den;  // floor(8 num/den + 1/2)
              want = scaled >= 0 ? scaled / d2 : -((-scaled + d2 - 1) / d2);
              want = std::clamp<int64_t>(want, -128, 127);
            }
            EXPECT_EQ(got, want) << op << " " << i << j << k << " qa " << qa << " qb " << qb;
          }
    }
}

// CPUC: sqrt with + - * / only is within an ulp of libm's correctly rounded root.
TEST(CpuOps, SqrtIsWithinOneUlpOfLibm) {
  for (double x = 1e-300; x < 1e300; x *= 1.37) {
    const double want = std::sqrt(x), got = cpu::sqrt_positive(x);
    EXPECT_LE(std::fabs(got - want), std::nextafter(want, INFINITY) - want) << x;
  }
  EXPECT_EQ(cpu::sqrt_positive(4.0), 2.0);
  EXPECT_EQ(cpu::sqrt_positive(0.0), 0.0);
}

// LayerNorm along each axis: every line comes out with mean ~0 and variance ~1 (within the output's
// rounding), computed as libm would to one output step.
TEST(CpuOps, LayerNormNormalizesEveryLineAlongItsAxis) {
  const CpuTensor in = tensor(3, 4, 5, 4), out = tensor(3, 4, 5, 5);
  const std::vector<uint8_t> a = random_bytes(in, 11);
  const float eps = 1e-5f;
  uint32_t eps_bits;
  std::memcpy(&eps_bits, &eps, sizeof eps);
  const uint32_t dims[3] = {3, 4, 5};
  for (uint32_t axis = 0; axis < 3; ++axis) {
    const std::vector<uint8_t> y = run(stage(cpu::kOpLayerNorm, in, out, axis, eps_bits), a);
    const uint32_t inner = axis == 0 ? 20 : axis == 1 ? 5 : 1, length = dims[axis];
    for (uint32_t first = 0; first < 60; ++first) {
      if ((first / inner) % length != 0) continue;  // the first element of each line
      double sum = 0, squares = 0;
      for (uint32_t k = 0; k < length; ++k) sum += element(a, first + k * inner, 1) / 16.0;
      for (uint32_t k = 0; k < length; ++k) squares += std::pow(element(a, first + k * inner, 1) / 16.0 - sum / length, 2);
      const double sd = std::sqrt(squares / length + eps);
      for (uint32_t k = 0; k < length; ++k) {
        const double want = (element(a, first + k * inner, 1) / 16.0 - sum / length) / sd * 32.0;
        EXPECT_LE(std::fabs(element(y, first + k * inner, 1) - std::clamp(want, -128.0, 127.0)), 0.5 + 1e-9)
            << "axis " << axis << " element " << first + k * inner;
      }
    }
  }
}

}  // namespace
}  // namespace dlvp::test
