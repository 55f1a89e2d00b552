// Random LSTM models and sequences for the LSTM tests (fixed seeds: every run tests the same cases).
#pragma once
#include "tests/reference/lstm_reference.h"

#include <cstdint>
#include <random>
#include <vector>

namespace dlvp::lstm_test {

inline std::vector<double> uniform(std::mt19937& rng, size_t n, double lo, double hi) {
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = d(rng);
  return v;
}

// Weights uniform in [-scale, scale]; bias in [-0.5, 0.5]; peepholes and a projection on request.
inline lstm_ref::FloatLstm random_lstm(std::mt19937& rng, uint32_t input, uint32_t hidden, uint32_t projection,
                                       bool peephole, double scale = 0.5) {
  lstm_ref::FloatLstm m;
  m.input_size = input, m.hidden_size = hidden, m.projection_size = projection;
  m.w = uniform(rng, size_t{4} * hidden * input, -scale, scale);
  m.r = uniform(rng, size_t{4} * hidden * m.recurrent_size(), -scale, scale);
  m.bias = uniform(rng, size_t{4} * hidden, -0.5, 0.5);
  if (peephole) m.peephole = uniform(rng, size_t{3} * hidden, -scale, scale);
  if (projection) m.projection = uniform(rng, size_t{projection} * hidden, -scale, scale);
  return m;
}

// `count` sequences of `steps` steps, features uniform in [-amplitude, amplitude].
inline std::vector<std::vector<double>> random_sequences(std::mt19937& rng, size_t count, uint32_t steps,
                                                         uint32_t input, double amplitude = 1.0) {
  std::vector<std::vector<double>> s;
  for (size_t i = 0; i < count; ++i) s.push_back(uniform(rng, size_t{steps} * input, -amplitude, amplitude));
  return s;
}

}  // namespace dlvp::lstm_test
