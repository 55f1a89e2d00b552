#include "tools/dlvpc/quantizer.h"

#include "platform/cpu_ops.h"
#include "tools/dlvpc/cpu_stage.h"
#include "tools/dlvpc/import_activation.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

namespace dlvp::dlvpc {
namespace {

// Ops whose output holds their input's values without a shift (pooling, views, copies, the CPU's
// data movement): they keep their input's radix point.
bool holds_input_values(const FloatOp& op) {
  return op.kind == OpKind::kPool || op.kind == OpKind::kView || op.kind == OpKind::kCopy || cpu_moves_data(op);
}

float max_abs(const std::vector<float>& v) {
  float m = 0;
  for (const float x : v) m = std::max(m, std::fabs(x));
  return m;
}

int8_t to_int8(double scaled) {
  return static_cast<int8_t>(std::clamp(std::floor(scaled + 0.5), -128.0, 127.0));
}

class LayerQuantizer {
 public:
  // `release`: the graph whose ops' float weights are freed once quantized (nullptr: kept).
  LayerQuantizer(const FloatGraph& graph, const CalibrationStats& stats, QuantizedModel& model, FloatGraph* release,
                 const LayerDone& on_layer, const QuantizeOptions& options)
      : graph_(graph), stats_(stats), model_(model), release_(release), on_layer_(on_layer), options_(options) {}

  void run();

 private:
  [[noreturn]] void fail(size_t index, const std::string& why) const {
    const FloatOp& op = graph_.ops[index];
    throw QuantizeError("dlvpc: layer " + std::to_string(index) + " '" + op.name + "' (" + op.onnx_ops + "): " + why);
  }
  int input_frac(int source) const { return source == kGraphInput ? model_.input_frac : model_.op_frac[source]; }
  void require_shift(size_t index, int shift, int lo, int hi, const char* what) const {
    if (shift < lo || shift > hi)
      fail(index, std::string(what) + " " + std::to_string(shift) + " is outside " + std::to_string(lo) + ".." +
                      std::to_string(hi) + " (the tensors' ranges are too far apart for the ISA's shifts)");
  }
  builder::LayerBase base(size_t index) const {
    builder::LayerBase b;
    b.name = graph_.ops[index].name;
    const int source = graph_.ops[index].inputs[0];
    b.input = source == kGraphInput ? builder::kNetworkInput : source;
    return b;
  }
  // ACT: the radix point of op `index`'s values before its activation unit: a table's input, from
  // the calibrated output range through the function's inverse; else the op's output radix point.
  int pre_activation_frac(size_t index) const {
    const FloatOp& op = graph_.ops[index];
    if (!op.activation.needs_table()) return model_.op_frac[index];
    return table_input_frac(op.activation, stats_.ops[index].lo, stats_.ops[index].hi);
  }
  builder::Activation activation(size_t index) const {
    return quantize_activation(graph_.ops[index].activation, pre_activation_frac(index), model_.op_frac[index]);
  }
  // Weights at their radix point and the bias at the accumulator's; sets bias_shift/output_shift.
  template <typename Layer>
  void weights_and_bias(size_t index, Layer& layer);
  // CPUC: a CPU op as the CPU runs it on int8 tensors at their radix points (a constant operand at
  // the radix point its largest magnitude needs, recorded as the layer's weight radix point).
  builder::CpuLayer cpu_layer(size_t index);
  // Each output channel's weight radix point (all the layer's with per-layer formats).
  std::vector<int> channel_weight_fracs(size_t index, uint32_t outputs) const;
  // Every tensor's radix point: the calibrated one, but pooling keeps its input's (it has no
  // shift) and a concatenation's sources share its radix point (their bytes are its slices).
  void assign_radix_points();
  // Makes `source`'s tensor hold at most radix point `frac`, and what it must agree with.
  void lower_radix_point(int source, int frac);

  const FloatGraph& graph_;
  const CalibrationStats& stats_;
  QuantizedModel& model_;
  FloatGraph* release_;
  const LayerDone& on_layer_;
  const QuantizeOptions& options_;
};

std::vector<int> LayerQuantizer::channel_weight_fracs(size_t index, uint32_t outputs) const {
  const FloatOp& op = graph_.ops[index];
  const int layer_frac = frac_for(max_abs(op.weights));
  std::vector<int> fracs(outputs, layer_frac);
  if (options_.weight_format == WeightFormat::kPerLayer || outputs == 0) return fracs;
  // A channel's own radix point, at most what keeps its output shift within the ISA's 31 (a
  // coarser one than needed loses nothing the layer's would keep: it is never below the layer's).
  const int most = 31 + pre_activation_frac(index) - input_frac(op.inputs[0]);
  const size_t per_output = op.weights.size() / outputs;
  bool differ = false;
  for (uint32_t oc = 0; oc < outputs; ++oc) {
    const std::vector<float> row(op.weights.begin() + static_cast<std::ptrdiff_t>(oc * per_output),
                                 op.weights.begin() + static_cast<std::ptrdiff_t>((oc + 1) * per_output));
    fracs[oc] = std::max(layer_frac, std::min(frac_for(max_abs(row)), most));
    differ = differ || fracs[oc] != layer_frac;
  }
  if (options_.weight_format == WeightFormat::kAuto && !differ) return std::vector<int>(outputs, layer_frac);
  return fracs;
}

template <typename Layer>
void LayerQuantizer::weights_and_bias(size_t index, Layer& layer) {
  const FloatOp& op = graph_.ops[index];
  const auto outputs = static_cast<uint32_t>(op.bias.size());
  const std::vector<int> wf = channel_weight_fracs(index, outputs);
  const bool per_channel = options_.weight_format == WeightFormat::kPerChannel ||
                           (outputs > 0 && *std::max_element(wf.begin(), wf.end()) != *std::min_element(wf.begin(), wf.end()));
  const size_t per_output = outputs ? op.weights.size() / outputs : 0;
  model_.weight_frac[index] = outputs ? *std::min_element(wf.begin(), wf.end()) : 0;
  model_.weight_frac_max[index] = outputs ? *std::max_element(wf.begin(), wf.end()) : 0;
  layer.weights.resize(op.weights.size());
  for (size_t i = 0; i < op.weights.size(); ++i) layer.weights[i] = to_int8(op.weights[i] * std::ldexp(1.0, wf[i / per_output]));
  // Channel oc's accumulator radix point. The bias enters the accumulator as bias << bias_shift:
  // store it with acc_frac - bias_shift fractional bits, the smallest shift (one for the layer)
  // with which every channel's bias fits int32.
  const int in_frac = input_frac(op.inputs[0]);
  int bias_shift = 0;
  for (uint32_t oc = 0; oc < outputs; ++oc) {
    const double magnitude = std::max(1e-30, std::fabs(static_cast<double>(op.bias[oc])));
    while (bias_shift < 31 && magnitude * std::ldexp(1.0, in_frac + wf[oc] - bias_shift) > 2147483647.0) ++bias_shift;
  }
  layer.bias_shift = bias_shift;
  layer.bias.resize(outputs);
  for (uint32_t oc = 0; oc < outputs; ++oc)
    layer.bias[oc] = static_cast<int32_t>(std::clamp(
        std::floor(op.bias[oc] * std::ldexp(1.0, in_frac + wf[oc] - bias_shift) + 0.5), -2147483648.0, 2147483647.0));
  // The output stage's radix point: before the activation unit (its table maps it to the op's).
  const int stage_frac = pre_activation_frac(index);
  layer.output_shift = in_frac + (outputs ? wf[0] : 0) - stage_frac;
  require_shift(index, layer.output_shift, -31, 31, "output shift");
  layer.activation = activation(index);
  if (per_channel) {
    layer.channel_shifts.resize(outputs);
    for (uint32_t oc = 0; oc < outputs; ++oc) {
      const int shift = in_frac + wf[oc] - stage_frac;
      require_shift(index, shift, -31, 31, "output shift");
      layer.channel_shifts[oc] = static_cast<int8_t>(shift);
    }
  }
  if (release_) std::vector<float>().swap(release_->ops[index].weights);
}

builder::CpuLayer LayerQuantizer::cpu_layer(size_t index) {
  const FloatOp& op = graph_.ops[index];
  builder::CpuLayer l;
  static_cast<builder::LayerBase&>(l) = base(index);
  l.op = op.cpu_op;
  std::copy(std::begin(op.cpu_params), std::end(op.cpu_params), l.params);
  l.input_view = op.input_view, l.other_view = op.other_view, l.output_view = op.output_view;
  l.output = op.output;
  l.input_frac = input_frac(op.inputs[0]);
  l.output_frac = model_.op_frac[index];
  if (op.inputs.size() > 1) {
    l.other = op.inputs[1] == kGraphInput ? builder::kNetworkInput : op.inputs[1];
    l.other_frac = input_frac(op.inputs[1]);
  } else if (op.cpu_op == cpu::kOpArithmetic) {
    l.other = builder::kConstantOperand;
    l.other_frac = model_.weight_frac[index] = model_.weight_frac_max[index] = frac_for(max_abs(op.weights));
    l.constant = quantize_tensor(op.weights, l.other_frac);
    if (release_) std::vector<float>().swap(release_->ops[index].weights);
  }
  return l;
}

void LayerQuantizer::lower_radix_point(int source, int frac) {
  if (source == kGraphInput) {
    model_.input_frac = std::min(model_.input_frac, frac);
    return;
  }
  if (model_.op_frac[source] <= frac) return;
  model_.op_frac[source] = frac;
  const FloatOp& op = graph_.ops[source];
  if (holds_input_values(op)) lower_radix_point(op.inputs[0], frac);
  if (op.kind == OpKind::kConcat)
    for (const int s : op.inputs) lower_radix_point(s, frac);
}

void LayerQuantizer::assign_radix_points() {
  model_.input_frac = frac_for(stats_.input, options_.activation_radix);
  const size_t n = graph_.ops.size();
  model_.op_frac.assign(n, 0);
  // Pooling starts unconstrained: it takes its input's radix point below.
  for (size_t i = 0; i < n; ++i)
    model_.op_frac[i] = holds_input_values(graph_.ops[i]) ? 24 : frac_for(stats_.ops[i], options_.activation_radix);
  // Radix points only ever decrease, so this settles.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < n; ++i) {
      const FloatOp& op = graph_.ops[i];
      if (!holds_input_values(op) && op.kind != OpKind::kConcat) continue;
      int common = model_.op_frac[i];
      for (const int s : op.inputs) common = std::min(common, input_frac(s));
      bool agreed = model_.op_frac[i] == common;
      for (const int s : op.inputs) agreed = agreed && input_frac(s) == common;
      if (agreed) continue;
      lower_radix_point(static_cast<int>(i), common);
      for (const int s : op.inputs) lower_radix_point(s, common);
      changed = true;
    }
  }
}

void LayerQuantizer::run() {
  const size_t n = graph_.ops.size();
  assign_radix_points();
  model_.weight_frac.assign(n, 0);
  model_.weight_frac_max.assign(n, 0);
  model_.network.input = graph_.input;
  for (size_t i = 0; i < n; ++i) {
    const FloatOp& op = graph_.ops[i];
    switch (op.kind) {
      case OpKind::kConv: {
        builder::ConvLayer l;
        static_cast<builder::LayerBase&>(l) = base(i);
        l.in_c = op.input.c, l.in_h = op.input.h, l.in_w = op.input.w, l.out_c = op.output.c, l.groups = op.groups;
        l.kernel_h = op.kernel_h, l.kernel_w = op.kernel_w, l.stride_h = op.stride_h, l.stride_w = op.stride_w;
        l.pad_top = op.pad_top, l.pad_left = op.pad_left, l.pad_bottom = op.pad_bottom, l.pad_right = op.pad_right;
        l.relu = op.relu, l.pool_size = op.pool_size, l.pool_stride = op.pool_stride;
        weights_and_bias(i, l);
        model_.network.add(std::move(l));
        break;
      }
      case OpKind::kFc: {
        builder::FcLayer l;
        static_cast<builder::LayerBase&>(l) = base(i);
        l.n_in = static_cast<uint32_t>(op.input.elements()), l.n_out = op.output.c, l.relu = op.relu;
        weights_and_bias(i, l);
        model_.network.add(std::move(l));
        break;
      }
      case OpKind::kPool: {
        builder::PoolLayer l;
        static_cast<builder::LayerBase&>(l) = base(i);
        l.kind = op.average ? builder::PoolKind::kAverage : builder::PoolKind::kMax;
        l.size = op.pool_size, l.stride = op.pool_stride, l.relu = op.relu;
        l.pad_top = op.pad_top, l.pad_left = op.pad_left, l.pad_bottom = op.pad_bottom, l.pad_right = op.pad_right;
        model_.network.add(std::move(l));
        break;
      }
      case OpKind::kAdd: {
        builder::EltwiseLayer l;
        static_cast<builder::LayerBase&>(l) = base(i);
        l.other = op.inputs[1] == kGraphInput ? builder::kNetworkInput : op.inputs[1];
        const int fa = input_frac(op.inputs[0]), fb = input_frac(op.inputs[1]), common = std::max(fa, fb);
        l.a_shift = common - fa, l.b_shift = common - fb;
        require_shift(i, std::max(l.a_shift, l.b_shift), 0, 15, "operand alignment shift");
        l.output_shift = common + (op.mean ? 1 : 0) - pre_activation_frac(i);
        l.channel_broadcast = op.channel_broadcast;
        require_shift(i, l.output_shift, -31, 31, "output shift");
        l.relu = op.relu;
        l.activation = activation(i);
        model_.network.add(std::move(l));
        break;
      }
      case OpKind::kMul: {  // ACT: a x b at fa + fb fractional bits, shifted to the output's
        builder::EltwiseLayer l;
        static_cast<builder::LayerBase&>(l) = base(i);
        l.other = op.inputs[1] == kGraphInput ? builder::kNetworkInput : op.inputs[1];
        l.op = builder::EltwiseOp::kMul;
        l.channel_broadcast = op.channel_broadcast;
        l.output_shift = input_frac(op.inputs[0]) + input_frac(op.inputs[1]) - pre_activation_frac(i);
        require_shift(i, l.output_shift, -31, 31, "output shift");
        l.relu = op.relu;
        l.activation = activation(i);
        model_.network.add(std::move(l));
        break;
      }
      case OpKind::kView: {
        builder::ViewLayer l;
        static_cast<builder::LayerBase&>(l) = base(i);
        l.channel_begin = op.channel_begin, l.channels = op.output.c;
        model_.network.add(std::move(l));
        break;
      }
      case OpKind::kCopy: {
        builder::CopyLayer l;
        static_cast<builder::LayerBase&>(l) = base(i);
        model_.network.add(std::move(l));
        break;
      }
      case OpKind::kCpu:
        model_.network.add(cpu_layer(i));
        break;
      case OpKind::kConcat: {
        builder::ConcatLayer l;
        static_cast<builder::LayerBase&>(l) = base(i);
        for (const int s : op.inputs) {
          if (s == kGraphInput) fail(i, "concatenates the graph input, which would need a copy");
          l.sources.push_back(s);
        }
        model_.network.add(std::move(l));
        break;
      }
    }
    if (on_layer_) on_layer_(i + 1);
  }
}

}  // namespace

void ValueRange::add(const std::vector<float>& values) {
  if (histogram.empty()) histogram.resize(kHistogramBins);
  for (const float v : values) {
    lo = std::min(lo, v), hi = std::max(hi, v);
    if (v == 0) continue;  // a zero is exact at every radix point
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    HistogramBin& bin = histogram[bits >> kHistogramShift];
    ++bin.count;
    bin.sum += v;
    bin.sum_squares += double{v} * v;
  }
}

void CalibrationStats::add(const std::vector<float>& input_values, const std::vector<std::vector<float>>& op_outputs) {
  ++samples;
  input.add(input_values);
  ops.resize(op_outputs.size());
  for (size_t i = 0; i < op_outputs.size(); ++i) ops[i].add(op_outputs[i]);
}

namespace {

// The largest frac in [-24, 24] with magnitude x 2^frac <= limit (24 for magnitude 0).
int largest_frac(double magnitude, double limit) {
  if (!(magnitude > 0) || !std::isfinite(magnitude)) return 24;
  int frac = std::clamp(static_cast<int>(std::floor(std::log2(limit / magnitude))), -24, 24);
  // log2 is inexact near powers of two: settle on the largest frac that does not saturate.
  while (frac < 24 && magnitude * std::ldexp(1.0, frac + 1) <= limit) ++frac;
  while (frac > -24 && magnitude * std::ldexp(1.0, frac) > limit) --frac;
  return frac;
}

}  // namespace

int frac_for(float max_abs_value) {
  if (!(max_abs_value > 0) || !std::isfinite(max_abs_value)) return 7;
  return largest_frac(max_abs_value, 127.0);
}

int frac_for(const ValueRange& range) {
  if (!(range.hi > 0) && !(range.lo < 0)) return 7;
  return std::min(largest_frac(range.hi, 127.0), largest_frac(-static_cast<double>(range.lo), 128.0));
}

namespace {

// The int8 level (-128..127) value v rounds to at `step`.
double level_of(double v, double step) { return std::clamp(std::floor(v / step + 0.5), -128.0, 127.0); }

// The squared error of holding values spread evenly over [a, b] (a < b) as int8 at radix point
// frac, summed over the interval: over each piece that rounds to one q, the integral of (v - q s)^2.
// A bin (1/16 of an octave) spans at most about 9 steps below saturation, so the pieces are few.
double interval_error(double a, double b, double step) {
  double total = 0;
  for (double x = a; x < b;) {
    const double q = level_of(x, step);
    const double end = q >= 127 ? b : std::min(b, (q + 0.5) * step);
    const double from = x - q * step, to = end - q * step;
    total += (to * to * to - from * from * from) / 3;
    x = end;
  }
  return total;
}

// The values a histogram bin can hold, with their sign, as [a, b] (a < b).
std::pair<double, double> bin_interval(size_t bin) {
  const uint32_t low_bits = static_cast<uint32_t>(bin) << ValueRange::kHistogramShift;
  const uint32_t next_bits = low_bits + (uint32_t{1} << ValueRange::kHistogramShift);
  float low, next;
  std::memcpy(&low, &low_bits, sizeof low);
  std::memcpy(&next, &next_bits, sizeof next);
  const double a = low, b = next;
  return a < b ? std::pair{a, b} : std::pair{b, a};
}

// One bin's squared error. Where the whole bin rounds to one level c (below one step, or beyond
// saturation) its moments give it exactly: sum (v - c)^2 = S2 - 2 c S1 + n c^2. Where the bin spans
// a rounding boundary, its values are taken as spread evenly over it (count x the mean error).
double bin_error(size_t index, const HistogramBin& bin, double step) {
  const auto [a, b] = bin_interval(index);
  if (!std::isfinite(a) || !std::isfinite(b)) return 0;
  const double level = level_of(a, step);
  if (level == level_of(std::nextafter(b, a), step)) {
    const double c = level * step;
    return std::max(0.0, bin.sum_squares - 2 * c * bin.sum + static_cast<double>(bin.count) * c * c);
  }
  return static_cast<double>(bin.count) * interval_error(a, b, step) / (b - a);
}

}  // namespace

double quantization_error(const ValueRange& range, int frac) {
  const double step = std::ldexp(1.0, -frac);
  double error = 0;
  for (size_t index = 0; index < range.histogram.size(); ++index)
    if (range.histogram[index].count != 0) error += bin_error(index, range.histogram[index], step);
  return error;
}

int frac_for(const ValueRange& range, ActivationRadix radix) {
  const int widest = frac_for(range);
  if (radix == ActivationRadix::kMax || range.histogram.empty()) return widest;
  int best = widest;
  double least = quantization_error(range, widest);
  for (int frac = widest + 1; frac <= std::min(widest + kMseExtraBits, 24); ++frac) {
    const double error = quantization_error(range, frac);
    if (error < least) best = frac, least = error;
  }
  return best;
}

const char* to_string(ActivationRadix radix) { return radix == ActivationRadix::kMse ? "mse" : "max"; }

ActivationRadix parse_activation_radix(const std::string& text, const std::string& what) {
  for (const ActivationRadix r : {ActivationRadix::kMax, ActivationRadix::kMse})
    if (text == to_string(r)) return r;
  throw ConfigError(what + ": expected max or mse");
}

namespace {

QuantizedModel quantize_graph(const FloatGraph& graph, const CalibrationStats& stats, FloatGraph* release,
                              const LayerDone& on_layer, const QuantizeOptions& options) {
  if (stats.samples == 0 || stats.ops.size() != graph.ops.size())
    throw QuantizeError("dlvpc: no calibration statistics for this graph");
  QuantizedModel model;
  LayerQuantizer(graph, stats, model, release, on_layer, options).run();
  return model;
}

}  // namespace

QuantizedModel quantize(const FloatGraph& graph, const CalibrationStats& stats, const LayerDone& on_layer,
                        const QuantizeOptions& options) {
  return quantize_graph(graph, stats, nullptr, on_layer, options);
}

QuantizedModel quantize_releasing_weights(FloatGraph& graph, const CalibrationStats& stats, const LayerDone& on_layer,
                                          const QuantizeOptions& options) {
  return quantize_graph(graph, stats, &graph, on_layer, options);
}

const char* to_string(WeightFormat format) {
  switch (format) {
    case WeightFormat::kPerLayer: return "per-layer";
    case WeightFormat::kPerChannel: return "per-channel";
    default: return "auto";
  }
}

WeightFormat parse_weight_format(const std::string& text, const std::string& what) {
  for (const WeightFormat f : {WeightFormat::kPerLayer, WeightFormat::kPerChannel, WeightFormat::kAuto})
    if (text == to_string(f)) return f;
  throw ConfigError(what + ": expected per-layer, per-channel or auto");
}

std::vector<int8_t> quantize_tensor(const std::vector<float>& values, int frac) {
  std::vector<int8_t> q(values.size());
  const double scale = std::ldexp(1.0, frac);
  for (size_t i = 0; i < values.size(); ++i) q[i] = to_int8(values[i] * scale);
  return q;
}

std::vector<float> dequantize(const std::vector<int8_t>& values, int frac) {
  std::vector<float> v(values.size());
  const float scale = static_cast<float>(std::ldexp(1.0, -frac));
  for (size_t i = 0; i < values.size(); ++i) v[i] = values[i] * scale;
  return v;
}

}  // namespace dlvp::dlvpc
