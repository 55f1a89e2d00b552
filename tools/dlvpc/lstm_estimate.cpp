#include "tools/dlvpc/lstm_estimate.h"

#include "ip/common/config_error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

namespace dlvp::dlvpc {
namespace {

size_t top1(const std::vector<double>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

void compare(OutputAgreement& a, const std::vector<double>& reference, const std::vector<double>& got, int label) {
  ++a.samples;
  const size_t expected = top1(reference), answer = top1(got);
  a.same_top1 += answer == expected;
  a.correct += label >= 0 && answer == static_cast<size_t>(label);
  for (size_t k = 0; k < reference.size(); ++k) {
    a.signal += reference[k] * reference[k];
    a.noise += (got[k] - reference[k]) * (got[k] - reference[k]);
  }
}

double percent(uint64_t part, uint64_t whole) { return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0; }

// What the estimate runs, one-layer or stack alike: batch entry b of an ONNX input as a sequence,
// and that sequence through the float model, the compiled one and the unpruned one.
struct EstimatedModels {
  std::string origin;
  uint32_t batch = 1;
  bool pruned = false;
  std::function<std::vector<double>(const std::vector<double>&, uint32_t)> sequence;
  std::function<std::vector<double>(const std::vector<double>&, uint32_t)> float_output, compiled_output, unpruned_output;
};

// The model quantized as `compiled` was but without dlvpc's pruning (prepare: the path's weight
// preparation), on the same calibration inputs; an empty one when dlvpc pruned nothing.
template <typename Compiled, typename Prepare>
Compiled unpruned_of(const Compiled& compiled, const std::vector<std::vector<double>>& calibration,
                     const LstmCompileOptions& options, const Prepare& prepare) {
  Compiled unpruned;
  if (options.density < 1.0) {
    unpruned.model = compiled.model;
    LstmCompileOptions keep = options;
    keep.density = 1.0;
    keep.calibrated.reset();
    prepare(unpruned, calibration, keep);
  }
  return unpruned;
}

PruneEstimate estimate(const EstimatedModels& m, const std::vector<std::vector<double>>& held_back,
                       const std::vector<uint8_t>& labels, double warn_points) {
  if (!labels.empty() && labels.size() != held_back.size())
    throw ConfigError(m.origin + ": " + std::to_string(labels.size()) + " labels for " + std::to_string(held_back.size()) +
                      " held-back inputs");
  if (!labels.empty() && m.batch != 1)
    throw ConfigError(m.origin + ": labels need a model of batch 1 (one label per input), this one has " +
                      std::to_string(m.batch));
  PruneEstimate e;
  e.labelled = !labels.empty();
  e.pruned = m.pruned;
  e.warn_points = warn_points;
  for (size_t i = 0; i < held_back.size(); ++i) {
    const int label = labels.empty() ? -1 : labels[i];
    for (uint32_t b = 0; b < m.batch; ++b) {
      const std::vector<double> sequence = m.sequence(held_back[i], b);
      const std::vector<double> reference = m.float_output(sequence, b);
      if (label >= static_cast<int>(reference.size()))
        throw ConfigError("dlvpc: --labels: label " + std::to_string(label) + " of held-back input " + std::to_string(i) +
                          " is not one of the model's " + std::to_string(reference.size()) + " outputs");
      compare(e.compiled, reference, m.compiled_output(sequence, b), label);
      if (e.pruned) compare(e.unpruned, reference, m.unpruned_output(sequence, b), label);
      e.float_correct += label >= 0 && top1(reference) == static_cast<size_t>(label);
      ++e.samples;
    }
  }
  if (!e.pruned) e.unpruned = e.compiled;
  return e;
}

}  // namespace

double OutputAgreement::agreement_percent() const { return percent(same_top1, samples); }
double OutputAgreement::accuracy_percent() const { return percent(correct, samples); }
double OutputAgreement::sqnr_db() const {
  return noise > 0 ? 10.0 * std::log10(signal / noise) : std::numeric_limits<double>::infinity();
}

PruneEstimate estimate_pruning(const LstmCompiled& compiled, const std::vector<std::vector<double>>& calibration,
                               const std::vector<std::vector<double>>& held_back, const std::vector<uint8_t>& labels,
                               const LstmCompileOptions& options, double warn_points) {
  const LstmModel& m = compiled.model;
  const LstmCompiled unpruned = unpruned_of(compiled, calibration, options,
                                            [](LstmCompiled& c, const auto& inputs, const LstmCompileOptions& o) {
                                              prepare_lstm_weights(c, inputs, o);
                                            });
  const EstimatedModels models{
      m.origin, m.batch, options.density < 1.0,
      [&](const std::vector<double>& x, uint32_t b) { return m.sequence(x, b); },
      [&](const std::vector<double>& x, uint32_t b) { return lstm_float_output(m, x, b); },
      [&](const std::vector<double>& x, uint32_t b) { return lstm_quantized_output(compiled, x, b); },
      [&](const std::vector<double>& x, uint32_t b) { return lstm_quantized_output(unpruned, x, b); }};
  return estimate(models, held_back, labels, warn_points);
}

PruneEstimate estimate_stack_pruning(const LstmStackCompiled& compiled, const std::vector<std::vector<double>>& calibration,
                                     const std::vector<std::vector<double>>& held_back, const std::vector<uint8_t>& labels,
                                     const LstmCompileOptions& options, double warn_points) {
  const LstmStackModel& m = compiled.model;
  const LstmModel& first = m.levels[0][0];
  const LstmStackCompiled unpruned = unpruned_of(compiled, calibration, options,
                                                 [](LstmStackCompiled& c, const auto& inputs, const LstmCompileOptions& o) {
                                                   prepare_lstm_stack_weights(c, inputs, o);
                                                 });
  // A stack starts from zero states: the batch entry only picks the sequence.
  const EstimatedModels models{
      m.origin, first.batch, options.density < 1.0,
      [&](const std::vector<double>& x, uint32_t b) { return first.sequence(x, b); },
      [&](const std::vector<double>& x, uint32_t) { return lstm_stack_float_output(m, x); },
      [&](const std::vector<double>& x, uint32_t) { return lstm_stack_quantized_output(compiled, x); },
      [&](const std::vector<double>& x, uint32_t) { return lstm_stack_quantized_output(unpruned, x); }};
  return estimate(models, held_back, labels, warn_points);
}

PruneEstimate estimate_pruning(const GruCompiled& compiled, const std::vector<std::vector<double>>& calibration,
                               const std::vector<std::vector<double>>& held_back, const std::vector<uint8_t>& labels,
                               const LstmCompileOptions& options, double warn_points) {
  const GruModel& m = compiled.model;
  const GruCompiled unpruned = unpruned_of(compiled, calibration, options,
                                           [](GruCompiled& c, const auto& inputs, const LstmCompileOptions& o) {
                                             prepare_gru_weights(c, inputs, o);
                                           });
  const EstimatedModels models{
      m.origin, m.batch, options.density < 1.0,
      [&](const std::vector<double>& x, uint32_t b) { return m.sequence(x, b); },
      [&](const std::vector<double>& x, uint32_t b) { return gru_float_output(m, x, b); },
      [&](const std::vector<double>& x, uint32_t b) { return gru_quantized_output(compiled, x, b); },
      [&](const std::vector<double>& x, uint32_t b) { return gru_quantized_output(unpruned, x, b); }};
  return estimate(models, held_back, labels, warn_points);
}

std::string format_estimate(const PruneEstimate& e, const std::string& held_back_what) {
  char line[512];
  std::string text;
  std::snprintf(line, sizeof line, "  estimate on %llu held-back sequences (%s), against the float model as given:\n",
                static_cast<unsigned long long>(e.samples), held_back_what.c_str());
  text += line;
  const auto row = [&](const char* what, const OutputAgreement& a) {
    std::snprintf(line, sizeof line, "    %-28s top-1 agreement %6.2f %%, output SQNR %6.2f dB", what, a.agreement_percent(),
                  a.sqnr_db());
    text += line;
    if (e.labelled) {
      std::snprintf(line, sizeof line, ", accuracy %6.2f %%", a.accuracy_percent());
      text += line;
    }
    text += "\n";
  };
  if (e.labelled) {
    std::snprintf(line, sizeof line, "    %-28s accuracy %6.2f %%\n", "float (unpruned)",
                  percent(e.float_correct, e.samples));
    text += line;
  }
  if (e.pruned) row("quantized, unpruned", e.unpruned);
  row(e.pruned ? "pruned and quantized" : "quantized (no dlvpc pruning)", e.compiled);
  if (e.pruned) {
    std::snprintf(line, sizeof line, "    pruning costs %.2f points of agreement (warning above %.2f: %s)\n", e.agreement_loss(),
                  e.warn_points, e.warns() ? "WARNING" : "ok");
    text += line;
  }
  return text;
}

std::string estimate_warning(const PruneEstimate& e) {
  char line[512];
  std::snprintf(line, sizeof line,
                "dlvpc: warning: pruning loses %.2f points of top-1 agreement with the float model on %llu held-back "
                "sequences (%.2f %% pruned vs %.2f %% unpruned, both quantized; --prune-warn-pct %.2f): retrain the "
                "pruned model (tools/train/prune_retrain.py) or raise --density",
                e.agreement_loss(), static_cast<unsigned long long>(e.samples), e.compiled.agreement_percent(),
                e.unpruned.agreement_percent(), e.warn_points);
  return line;
}

}  // namespace dlvp::dlvpc
