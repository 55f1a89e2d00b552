// dlvpc's activation radix points (docs/dlvpc.md, "Quantization", --activation-radix): the
// calibration histogram, its squared-error estimate against the exact error of the values
// themselves, and the radix point each rule picks.
#include "tools/dlvpc/quantizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace dlvp::dlvpc {
namespace {

// The exact squared error of holding `values` as int8 at radix point frac (round half to even as
// the estimate's nearbyint; ties are measure-zero for these random values).
double exact_error(const std::vector<float>& values, int frac) {
  double error = 0;
  for (const float v : values) {
    const double q = std::clamp(std::nearbyint(std::ldexp(double{v}, frac)), -128.0, 127.0);
    const double d = double{v} - std::ldexp(q, -frac);
    error += d * d;
  }
  return error;
}

ValueRange range_of(const std::vector<float>& values) {
  ValueRange r;
  r.add(values);
  return r;
}

std::vector<float> laplace(size_t n, double scale, unsigned seed) {
  std::mt19937 rng(seed);
  std::exponential_distribution<double> magnitude(1 / scale);
  std::bernoulli_distribution negative(0.5);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(negative(rng) ? -magnitude(rng) : magnitude(rng));
  return v;
}

TEST(ActivationRadix, TheHistogramCountsEveryNonZeroValueOnce) {
  const ValueRange r = range_of({0.0f, 1.0f, 1.01f, -1.0f, 3.0f, 0.0f});
  ASSERT_EQ(r.histogram.size(), ValueRange::kHistogramBins);
  uint64_t total = 0;
  double sum = 0;
  for (const HistogramBin& bin : r.histogram) total += bin.count, sum += bin.sum;
  EXPECT_EQ(total, 4u);  // zeros cost nothing at any radix point
  EXPECT_NEAR(sum, 1.0 + 1.01 - 1.0 + 3.0, 1e-6);
  EXPECT_EQ(r.lo, -1.0f);
  EXPECT_EQ(r.hi, 3.0f);
  EXPECT_TRUE(range_of({0.0f, 0.0f}).histogram.size() == ValueRange::kHistogramBins);
}

TEST(ActivationRadix, TheErrorEstimateFollowsTheValuesOwnError) {
  // Bins that round to one level (below a step, or saturated) are exact from their moments; the
  // others are taken as evenly filled. With many values that is within 3 % of the values' own error.
  for (const double scale : {0.05, 1.0, 7.0}) {
    std::vector<float> values = laplace(20000, scale, 3);
    values.push_back(static_cast<float>(40 * scale));  // an outlier that saturates at the finer points
    const ValueRange r = range_of(values);
    const int widest = frac_for(r);
    for (int frac = widest; frac <= widest + kMseExtraBits; ++frac) {
      const double exact = exact_error(values, frac), estimate = quantization_error(r, frac);
      EXPECT_NEAR(estimate, exact, 0.03 * exact) << "scale " << scale << " frac " << frac;
    }
  }
}

TEST(ActivationRadix, ASaturatedBinsErrorIsExact) {
  const std::vector<float> values = {40.0f, 41.5f, -100.0f};  // every one saturates from frac 2 on
  const ValueRange r = range_of(values);
  for (int frac = 2; frac <= 4; ++frac)
    EXPECT_NEAR(quantization_error(r, frac), exact_error(values, frac), 1e-9 * exact_error(values, frac)) << frac;
}

TEST(ActivationRadix, MseTakesTheCandidateWithTheLeastErrorAndMaxTheWidest) {
  // 100,000 values uniform in [-1, 1] and one 8: max needs radix point 3 (8 x 16 > 127). Exact errors:
  // frac 3: 1e5 (1/8)^2 / 12 = 130; 4: 32.6 + (8 - 127/16)^2; 5: 8.1 + (8 - 127/32)^2 = 24.4;
  // 6: 2.0 + 36.2. So 5.
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> values(100000);
  for (float& v : values) v = uniform(rng);
  values.push_back(8.0f);
  const ValueRange r = range_of(values);
  EXPECT_EQ(frac_for(r, ActivationRadix::kMax), 3);
  EXPECT_EQ(frac_for(r, ActivationRadix::kMse), 5);
  int best = 3;
  for (int frac = 4; frac <= 3 + kMseExtraBits; ++frac)
    if (exact_error(values, frac) < exact_error(values, best)) best = frac;
  EXPECT_EQ(best, 5);
}

TEST(ActivationRadix, ATensorWithoutOutliersKeepsTheWidestRadixPoint) {
  std::vector<float> values(1000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 2 ? 1.0 : -1.0);  // all at the max
  const ValueRange r = range_of(values);
  EXPECT_EQ(frac_for(r, ActivationRadix::kMse), frac_for(r));
  EXPECT_EQ(frac_for(ValueRange{}, ActivationRadix::kMse), 7);  // nothing seen: as the max rule
}

TEST(ActivationRadix, OptionTextsRoundTripAndOthersAreRefused) {
  EXPECT_EQ(parse_activation_radix("max", "x"), ActivationRadix::kMax);
  EXPECT_EQ(parse_activation_radix("mse", "x"), ActivationRadix::kMse);
  EXPECT_THROW(parse_activation_radix("kl", "dlvpc: --activation-radix kl"), ConfigError);
}

}  // namespace
}  // namespace dlvp::dlvpc
