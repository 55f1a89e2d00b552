#include "tests/reference/network_reference.h"

#include "tests/reference/cnn_reference.h"
#include "platform/cpu_ops.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace dlvp::ref {
namespace {

using builder::TensorShape;

Activation activation_of(const builder::Activation& a) {
  Activation r;
  r.clip = a.clip, r.clip_min = a.clip_min, r.clip_max = a.clip_max, r.table = a.table;
  return r;
}

std::vector<int8_t> run_conv(const builder::ConvLayer& c, const std::vector<int8_t>& x, uint32_t accumulator_bits) {
  ConvLayer r;
  r.in_c = c.in_c, r.in_h = c.in_h, r.in_w = c.in_w, r.out_c = c.out_c;
  r.kernel_h = c.kernel_h, r.kernel_w = c.kernel_w, r.stride_h = c.stride_h, r.stride_w = c.stride_w;
  r.pad_top = c.pad_top, r.pad_left = c.pad_left, r.pad_bottom = c.pad_bottom, r.pad_right = c.pad_right;
  r.groups = c.groups;
  r.bias_shift = c.bias_shift, r.output_shift = c.output_shift, r.relu = c.relu;
  r.channel_shifts = c.channel_shifts;
  r.pool = c.pooled(), r.pool_size = c.pool_size, r.pool_stride = c.pool_stride;
  r.accumulator_bits = accumulator_bits;
  r.activation = activation_of(c.activation);
  return conv2d(r, x, c.weights, c.bias);
}

std::vector<int8_t> run_fc(const builder::FcLayer& f, const std::vector<int8_t>& x, uint32_t accumulator_bits) {
  FcLayer r;
  r.n_in = f.n_in, r.n_out = f.n_out, r.bias_shift = f.bias_shift, r.output_shift = f.output_shift;
  r.channel_shifts = f.channel_shifts;
  r.relu = f.relu, r.accumulator_bits = accumulator_bits;
  r.activation = activation_of(f.activation);
  return fully_connected(r, x, f.weights, f.bias);
}

PoolLayer pool_of(const builder::PoolLayer& p, const TensorShape& in) {
  PoolLayer r;
  r.c = in.c, r.in_h = in.h, r.in_w = in.w, r.size = p.size, r.stride = p.stride;
  r.pad_top = p.pad_top, r.pad_left = p.pad_left, r.pad_bottom = p.pad_bottom, r.pad_right = p.pad_right;
  r.average = p.kind == builder::PoolKind::kAverage, r.relu = p.relu;
  return r;
}

}  // namespace

std::vector<std::vector<int8_t>> run_network_layers(const builder::Network& net, const TensorShape& input_shape,
                                                    const std::vector<int8_t>& input, uint32_t accumulator_bits) {
  if (input.size() != input_shape.elements())
    throw std::invalid_argument("reference: input has " + std::to_string(input.size()) + " elements, shape needs " +
                                std::to_string(input_shape.elements()));
  std::vector<std::vector<int8_t>> outs;
  std::vector<TensorShape> shapes;
  const auto operand = [&](int source, size_t layer) -> std::pair<const std::vector<int8_t>*, TensorShape> {
    if (source == builder::kNetworkInput) return {&input, input_shape};
    if (source < 0 || static_cast<size_t>(source) >= layer)
      throw std::invalid_argument("reference: layer " + std::to_string(layer) + " reads " + std::to_string(source) +
                                  ", not an earlier layer");
    return {&outs[source], shapes[source]};
  };
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const builder::Layer& layer = net.layers[i];
    if (const auto* concat = std::get_if<builder::ConcatLayer>(&layer)) {
      // Channel slices one after the other: [c][h][w] keeps each source contiguous.
      std::vector<int8_t> joined;
      TensorShape shape{0, 0, 0};
      for (const int s : concat->sources) {
        const auto [x, source_shape] = operand(s, i);
        joined.insert(joined.end(), x->begin(), x->end());
        shape = {shape.c + source_shape.c, source_shape.h, source_shape.w};
      }
      outs.push_back(std::move(joined));
      shapes.push_back(shape);
      continue;
    }
    const int declared = std::visit([](const builder::LayerBase& l) { return l.input; }, layer);
    const auto [x, shape] = operand(declared == builder::kPreviousLayer ? static_cast<int>(i) - 1 : declared, i);
    if (const auto* c = std::get_if<builder::ConvLayer>(&layer)) {
      outs.push_back(run_conv(*c, *x, accumulator_bits));
      shapes.push_back({c->out_c, c->result_h(), c->result_w()});
    } else if (const auto* f = std::get_if<builder::FcLayer>(&layer)) {
      outs.push_back(run_fc(*f, *x, accumulator_bits));
      shapes.push_back({f->n_out, 1, 1});
    } else if (const auto* p = std::get_if<builder::PoolLayer>(&layer)) {
      const PoolLayer r = pool_of(*p, shape);
      outs.push_back(pool2d(r, *x));
      shapes.push_back({shape.c, r.out_h(), r.out_w()});
    } else if (const auto* v = std::get_if<builder::ViewLayer>(&layer)) {
      // Channels [begin, begin + channels): one contiguous range of [c][h][w].
      const size_t plane = size_t{shape.h} * shape.w;
      if (uint64_t{v->channel_begin} + v->channels > shape.c)
        throw std::invalid_argument("reference: layer " + std::to_string(i) + " views channels beyond its input's");
      outs.emplace_back(x->begin() + v->channel_begin * plane, x->begin() + (v->channel_begin + v->channels) * plane);
      shapes.push_back({v->channels, shape.h, shape.w});
    } else if (std::holds_alternative<builder::CopyLayer>(layer)) {
      outs.push_back(*x);
      shapes.push_back(shape);
    } else if (const auto* cpu = std::get_if<builder::CpuLayer>(&layer)) {
      // CPUC: the driver's own code (platform/cpu_ops), so the SoC matches by construction.
      const std::vector<int8_t>* other = cpu->other == builder::kConstantOperand ? &cpu->constant
                                         : cpu->other == builder::kNoOperand  ? nullptr
                                                                              : operand(cpu->other, i).first;
      if (x->size() != cpu->input_view.elements() || (other && other->size() != cpu->other_view.elements()))
        throw std::invalid_argument("reference: layer " + std::to_string(i) + "'s views do not cover its operands");
      const uint8_t* inputs[2] = {reinterpret_cast<const uint8_t*>(x->data()),
                                  other ? reinterpret_cast<const uint8_t*>(other->data()) : nullptr};
      std::vector<int8_t> y(cpu->output_view.elements());
      cpu::run(builder::cpu_stage_of(*cpu), inputs, reinterpret_cast<uint8_t*>(y.data()));
      outs.push_back(std::move(y));
      shapes.push_back(cpu->output);
    } else {
      const auto& e = std::get<builder::EltwiseLayer>(layer);
      EltwiseLayer r;
      r.a_shift = e.a_shift, r.b_shift = e.b_shift, r.output_shift = e.output_shift, r.relu = e.relu;
      r.mul = e.op == builder::EltwiseOp::kMul;
      r.broadcast = e.channel_broadcast ? shape.h * shape.w : 1;
      r.activation = activation_of(e.activation);
      outs.push_back(eltwise_add(r, *x, *operand(e.other, i).first));
      shapes.push_back(shape);
    }
  }
  return outs;
}

ProgramRun run_program(const builder::Program& p, const CnnConfig& hw, const std::vector<int8_t>& input) {
  constexpr uint64_t kDdrBase = 0x8000'0000;
  constexpr uint8_t kPoison = 0xA5;
  if (input.size() != p.plan.window_bytes[builder::kArgInput])
    throw std::invalid_argument("reference: input has " + std::to_string(input.size()) + " bytes, the program's window " +
                                std::to_string(p.plan.window_bytes[builder::kArgInput]));
  DdrImage ddr;
  ddr.base = kDdrBase;
  ArgWindows args{};
  uint64_t at = 0;
  for (uint8_t a = 0; a < builder::kArgsUsed; ++a) {
    args[a] = {kDdrBase + at, p.plan.window_bytes[a]};
    at += (p.plan.window_bytes[a] + 4095) / 4096 * 4096;
  }
  ddr.bytes.assign(at, kPoison);
  std::copy(p.constants.begin(), p.constants.end(), ddr.bytes.begin() + (args[builder::kArgConstants].base - kDdrBase));
  if (!input.empty()) std::memcpy(ddr.bytes.data() + (args[builder::kArgInput].base - kDdrBase), input.data(), input.size());

  MachineConfig machine;
  machine.buffer_bytes = {hw.input_buffer_bytes, hw.weight_buffer_bytes, hw.output_buffer_bytes};
  machine.accumulator_bits = hw.accumulator_bits;
  IsaInterpreter interpreter(machine);
  ProgramRun out;
  out.result = interpreter.run(p.instructions, ddr, args);
  const auto* o = reinterpret_cast<const int8_t*>(ddr.bytes.data() + (args[builder::kArgOutput].base - kDdrBase) +
                                                  p.plan.output.offset);
  out.output.assign(o, o + p.plan.output.bytes());
  return out;
}

}  // namespace dlvp::ref
