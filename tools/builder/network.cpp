#include "tools/builder/network.h"

namespace dlvp::builder {

uint32_t sweep_length(uint32_t in, uint32_t pad_before, uint32_t pad_after, uint32_t window, uint32_t stride) {
  const uint64_t padded = uint64_t{in} + pad_before + pad_after;
  if (window == 0 || stride == 0 || padded < window) return 0;
  return static_cast<uint32_t>((padded - window) / stride + 1);
}

const std::string& layer_name(const Layer& layer) {
  return std::visit([](const auto& l) -> const std::string& { return l.name; }, layer);
}

const char* layer_kind_name(const Layer& layer) {
  static const char* const kNames[] = {"conv", "fc", "pool", "eltwise", "concat", "view", "copy", "cpu"};
  return kNames[layer.index()];
}

namespace {

package::CpuTensor cpu_tensor(const TensorShape& view, int frac_bits) {
  package::CpuTensor t{};
  t.element_bytes = 1;
  t.c = view.c, t.h = view.h, t.w = view.w;
  t.frac_bits = frac_bits;
  return t;
}

}  // namespace

package::StageRecord cpu_stage_of(const CpuLayer& l) {
  package::StageRecord s{};
  s.kind = package::kStageCpu;
  s.op = l.op;
  for (int i = 0; i < 3; ++i) s.params[i] = l.params[i];
  s.inputs[0] = cpu_tensor(l.input_view, l.input_frac);
  if (l.other != kNoOperand) s.inputs[1] = cpu_tensor(l.other_view, l.other_frac);
  s.output = cpu_tensor(l.output_view, l.output_frac);
  return s;
}

}  // namespace dlvp::builder
