// Activations on the output stage's activation unit (docs/dlvpc.md, "Activations").
#include "tools/dlvpc/import_activation.h"

#include "ip/ifu/isa.h"
#include "tools/dlvpc/onnx_import.h"
#include "tools/dlvpc/quantizer.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>

namespace dlvp::dlvpc {
namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double hard_sigmoid(double x, double alpha, double beta) { return std::clamp(alpha * x + beta, 0.0, 1.0); }

const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const char* name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
float float_attribute(const onnx::NodeProto& node, const char* name, float fallback) {
  const onnx::AttributeProto* a = attribute(node, name);
  return a ? a->f() : fallback;
}

// Where the functions no longer change by half an output step of an int8 at radix point 7 (the
// finest a [-1, 1] output gets): the input range a table must at least cover, and at most needs.
constexpr double kSigmoidCover = 8.0;  // 1 - sigmoid(8) = 3.4e-4
constexpr double kTanhCover = 4.5;     // 1 - tanh(4.5) = 2.5e-4
constexpr double kSiluCover = 8.0;     // |silu(-8)| = 2.7e-3, silu(x) - x < 3e-3 above 8

}  // namespace

double ActivationFn::operator()(double x) const {
  switch (kind) {
    case ActivationKind::kNone: return x;
    case ActivationKind::kClip: return std::clamp<double>(x, lo, hi);
    case ActivationKind::kLeakyRelu: return x >= 0 ? x : alpha * x;
    case ActivationKind::kSigmoid: return sigmoid(x);
    case ActivationKind::kHardSigmoid: return hard_sigmoid(x, alpha, beta);
    case ActivationKind::kTanh: return std::tanh(x);
    case ActivationKind::kHardSwish: return x * hard_sigmoid(x, 1.0 / 6.0, 0.5);
    case ActivationKind::kSilu: return x * sigmoid(x);
    case ActivationKind::kGatedHardSigmoid: return x * hard_sigmoid(x, alpha, beta);
  }
  return x;
}

bool is_activation_operator(const std::string& op) {
  return op == "Clip" || op == "LeakyRelu" || op == "Sigmoid" || op == "HardSigmoid" || op == "HardSwish" ||
         op == "Tanh";
}

const char* activation_name(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kNone: return "none";
    case ActivationKind::kClip: return "clip";
    case ActivationKind::kLeakyRelu: return "leaky_relu";
    case ActivationKind::kSigmoid: return "sigmoid";
    case ActivationKind::kHardSigmoid: return "hard_sigmoid";
    case ActivationKind::kTanh: return "tanh";
    case ActivationKind::kHardSwish: return "hard_swish";
    case ActivationKind::kSilu: return "silu";
    case ActivationKind::kGatedHardSigmoid: return "x*hard_sigmoid";
  }
  return "?";
}

double activation_slope(const ActivationFn& f) {
  switch (f.kind) {
    case ActivationKind::kSigmoid: return 0.25;
    case ActivationKind::kHardSigmoid: return f.alpha;
    case ActivationKind::kHardSwish: return 1.5;                    // (2x + 3) / 6 at x = 3
    case ActivationKind::kSilu: return 1.1;                         // 1.0998 at x = 2.4
    case ActivationKind::kGatedHardSigmoid: return 2.0 - f.beta;   // 2 alpha x + beta at alpha x + beta = 1
    default: return 1.0;                                            // clip, leaky ReLU (alpha <= 1), tanh
  }
}

double activation_tail(const ActivationFn& f, int in_frac) {
  const double lo = std::ldexp(-128.0, -in_frac), hi = std::ldexp(127.0, -in_frac);
  switch (f.kind) {
    case ActivationKind::kSigmoid: return std::max(sigmoid(lo), 1.0 - sigmoid(hi));
    case ActivationKind::kTanh: return std::max(1.0 + std::tanh(lo), 1.0 - std::tanh(hi));
    case ActivationKind::kSilu: return std::fabs(lo * sigmoid(lo));  // below lo silu lies in (silu(lo), 0)
    default: return 0.0;
  }
}

std::string parse_activation(const onnx::NodeProto& node, const std::function<const ConstTensor*(int)>& constant_at,
                             ActivationFn& f) {
  const std::string& op = node.op_type();
  f = ActivationFn{};
  if (op == "Clip") {
    f.kind = ActivationKind::kClip;
    f.lo = -std::numeric_limits<float>::infinity(), f.hi = std::numeric_limits<float>::infinity();
    if (attribute(node, "min") || attribute(node, "max")) {  // opset < 11: attributes
      f.lo = float_attribute(node, "min", f.lo), f.hi = float_attribute(node, "max", f.hi);
    }
    for (int i = 1; i <= 2 && i < node.input_size(); ++i) {
      if (node.input(i).empty()) continue;
      const ConstTensor* bound = constant_at(i);
      if (!bound) return std::string(i == 1 ? "min" : "max") + " is computed at run time; the clip bounds must be constants";
      if (bound->values.size() != 1) return std::string(i == 1 ? "min" : "max") + " is not one value";
      (i == 1 ? f.lo : f.hi) = static_cast<float>(bound->values[0]);
    }
    if (!(f.lo <= f.hi)) return "min " + value_text(f.lo) + " is above max " + value_text(f.hi);
    return "";
  }
  if (op == "LeakyRelu") {
    f.kind = ActivationKind::kLeakyRelu;
    f.alpha = float_attribute(node, "alpha", 0.01f);
    if (!(f.alpha >= 0 && f.alpha <= 1)) return "alpha " + value_text(f.alpha) + " is outside 0..1";
    return "";
  }
  if (op == "HardSigmoid") {
    f.kind = ActivationKind::kHardSigmoid;
    f.alpha = float_attribute(node, "alpha", 0.2f), f.beta = float_attribute(node, "beta", 0.5f);
    if (!(f.alpha > 0) || !std::isfinite(f.alpha) || !std::isfinite(f.beta))
      return "alpha must be positive and beta finite";
    return "";
  }
  if (op == "Sigmoid") f.kind = ActivationKind::kSigmoid;
  else if (op == "Tanh") f.kind = ActivationKind::kTanh;
  else if (op == "HardSwish") f.kind = ActivationKind::kHardSwish;
  else return "is not an activation";
  return "";
}

ActivationFn gated(const ActivationFn& gate) {
  ActivationFn f = gate;
  if (gate.kind == ActivationKind::kSigmoid) f.kind = ActivationKind::kSilu;
  else if (gate.kind == ActivationKind::kHardSigmoid) f.kind = ActivationKind::kGatedHardSigmoid;
  else f.kind = ActivationKind::kNone;
  return f;
}

int table_input_frac(const ActivationFn& f, float out_lo, float out_hi) {
  // [x_lo, x_hi]: the inputs that gave the calibrated outputs, bounded by where f stops changing.
  double x_lo = 0, x_hi = 0;
  const double lo = out_lo, hi = out_hi;
  switch (f.kind) {
    case ActivationKind::kSigmoid: {
      const auto logit = [](double y) { return std::log(y / (1.0 - y)); };
      x_lo = lo > 0 ? std::max(-kSigmoidCover, logit(lo)) : -kSigmoidCover;
      x_hi = hi < 1 ? std::min(kSigmoidCover, logit(hi)) : kSigmoidCover;
      break;
    }
    case ActivationKind::kTanh:
      x_lo = lo > -1 ? std::max(-kTanhCover, std::atanh(lo)) : -kTanhCover;
      x_hi = hi < 1 ? std::min(kTanhCover, std::atanh(hi)) : kTanhCover;
      break;
    case ActivationKind::kHardSigmoid:  // linear between the inputs that give 0 and 1
      x_lo = (std::max(lo, 0.0) - f.beta) / f.alpha;
      x_hi = (std::min(hi, 1.0) - f.beta) / f.alpha;
      break;
    case ActivationKind::kLeakyRelu:
      x_hi = hi;
      x_lo = f.alpha > 0 ? lo / f.alpha : 0;
      break;
    case ActivationKind::kHardSwish:
    case ActivationKind::kGatedHardSigmoid: {
      // Identity-like above the gate's saturation; below its zero point the output is 0.
      const double alpha = f.kind == ActivationKind::kHardSwish ? 1.0 / 6.0 : f.alpha;
      const double beta = f.kind == ActivationKind::kHardSwish ? 0.5 : f.beta;
      x_hi = std::max(hi, (1.0 - beta) / alpha);
      x_lo = -beta / alpha;
      break;
    }
    case ActivationKind::kSilu:
      x_hi = std::max(hi, 1.0);
      x_lo = -std::min(kSiluCover, std::max(x_hi, 4.0));
      break;
    default: return frac_for(std::max(std::fabs(out_lo), std::fabs(out_hi)));
  }
  ValueRange range;
  range.lo = static_cast<float>(std::min(x_lo, 0.0)), range.hi = static_cast<float>(std::max(x_hi, 0.0));
  return frac_for(range);
}

builder::Activation quantize_activation(const ActivationFn& f, int in_frac, int out_frac) {
  builder::Activation a;
  if (f.none()) return a;
  const double out_scale = std::ldexp(1.0, out_frac);
  const auto to_int8 = [](double v) { return static_cast<int>(std::clamp(std::floor(v + 0.5), -128.0, 127.0)); };
  if (f.kind == ActivationKind::kClip) {
    a.clip = true;
    a.clip_min = std::isinf(f.lo) ? -128 : to_int8(f.lo * out_scale);
    a.clip_max = std::isinf(f.hi) ? 127 : to_int8(f.hi * out_scale);
    return a;
  }
  a.table.resize(isa::kActivationTableBytes);
  for (int y = -128; y <= 127; ++y)
    a.table[static_cast<size_t>(y + 128)] = static_cast<int8_t>(to_int8(f(std::ldexp(y, -in_frac)) * out_scale));
  return a;
}

}  // namespace dlvp::dlvpc
