// Activations dlvpc maps onto the output stage's activation unit (ISA version 3, docs/isa.md
// "Version 3: activations and Mul"; docs/dlvpc.md "Activations"): the float function of each,
// how an ONNX node defines it, and its quantization into a clip or a 256-entry table.
#pragma once
#include "tools/builder/network.h"

#include <functional>
#include <string>
#include <vector>

namespace onnx {
class NodeProto;
}

namespace dlvp::dlvpc {

struct ConstTensor;

enum class ActivationKind {
  kNone,
  kClip,              // clamp(x, lo, hi): Clip, torch's ReLU6 / Hardtanh
  kLeakyRelu,         // x >= 0 ? x : alpha x
  kSigmoid,           // 1 / (1 + e^-x)
  kHardSigmoid,       // clamp(alpha x + beta, 0, 1)
  kTanh,
  kHardSwish,         // x clamp(x / 6 + 1/2, 0, 1)
  kSilu,              // x sigmoid(x): Mul(x, Sigmoid(x))
  kGatedHardSigmoid,  // x clamp(alpha x + beta, 0, 1): Mul(x, HardSigmoid(x)) (torch's hardswish at opset 13)
};

struct ActivationFn {
  ActivationKind kind = ActivationKind::kNone;
  float lo = 0, hi = 0;        // kClip
  float alpha = 0, beta = 0;   // kLeakyRelu (alpha), kHardSigmoid / kGatedHardSigmoid

  bool none() const { return kind == ActivationKind::kNone; }
  bool needs_table() const { return kind != ActivationKind::kNone && kind != ActivationKind::kClip; }
  double operator()(double x) const;
};

// The ONNX operators that are an activation (Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh).
bool is_activation_operator(const std::string& op_type);

// The node's function; "" or why it cannot be one. `constant_at(i)` gives the node's i-th input
// when it is a constant (Clip's bounds), else nullptr.
std::string parse_activation(const onnx::NodeProto& node, const std::function<const ConstTensor*(int)>& constant_at,
                             ActivationFn& out);
// x * gate(x) as one function (Sigmoid -> SiLU, HardSigmoid -> gated hard sigmoid); kNone when the
// gate has no such form.
ActivationFn gated(const ActivationFn& gate);
const char* activation_name(ActivationKind kind);
// The largest |f'(x)| (how much f can grow an input's error).
double activation_slope(const ActivationFn& f);
// How far a saturating f still moves beyond the input range [-128, 127] x 2^-in_frac of its
// table (table_input_frac cuts sigmoid, tanh and SiLU where they stop changing): 0 for the others.
double activation_tail(const ActivationFn& f, int in_frac);

// The radix point of a table's int8 input, from the calibrated range [lo, hi] of the function's
// OUTPUT: the input range that produced it, through the function's inverse (docs/dlvpc.md).
int table_input_frac(const ActivationFn& f, float out_lo, float out_hi);

// The activation unit's fields: a clip at the output radix point `out_frac` (the layer's
// pre-activation values are then at out_frac too), or the table of f from `in_frac` to `out_frac`
// (entry y + 128 = sat8(round(f(y 2^-in_frac) 2^out_frac))).
builder::Activation quantize_activation(const ActivationFn& f, int in_frac, int out_frac);

}  // namespace dlvp::dlvpc
