#include "package_writer.h"

#include "platform/model_package.h"

#include <algorithm>
#include <cstring>

namespace dlvp::package {
namespace {

constexpr uint64_t kSectionAlign = 64;

uint64_t align(uint64_t v) { return (v + kSectionAlign - 1) / kSectionAlign * kSectionAlign; }

// Appends `bytes` at the next aligned offset; returns that offset.
uint64_t append(std::vector<uint8_t>& blob, const void* bytes, uint64_t size) {
  const uint64_t offset = align(blob.size());
  blob.resize(offset + size);
  if (size) std::memcpy(blob.data() + offset, bytes, size);
  return offset;
}

uint32_t kind_of(builder::LayerKind kind) {
  switch (kind) {
    case builder::LayerKind::kConv: return kLayerConv;
    case builder::LayerKind::kFc: return kLayerFc;
    case builder::LayerKind::kPool: return kLayerPool;
    case builder::LayerKind::kEltwise: return kLayerEltwise;
    case builder::LayerKind::kConcat: return kLayerConcat;
  }
  return 0;
}

}  // namespace

std::vector<uint8_t> write_package(const builder::Program& program, const CnnConfig& hw, const TestData* test,
                                   const TensorFormats& formats) {
  PackageHeader h{};
  std::memcpy(h.magic, kMagic, sizeof h.magic);
  h.version = kVersion;
  h.header_bytes = sizeof(PackageHeader);
  h.layer_count = static_cast<uint32_t>(program.layers.size());
  h.instruction_count = static_cast<uint32_t>(program.instructions.size());
  h.hardware = HardwareRequirements{isa::kVersion, hw.pes, hw.convolvers, hw.kernel, hw.input_buffer_bytes,
                                    hw.weight_buffer_bytes, hw.output_buffer_bytes, hw.accumulator_bits, 0};

  std::vector<uint8_t> blob(sizeof(PackageHeader), 0);
  std::vector<LayerRecord> layers(program.layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const builder::LayerInfo& info = program.layers[i];
    LayerRecord& r = layers[i];
    // Long names (ONNX paths) keep their tail, which says what the node is.
    const size_t keep = std::min(info.name.size(), sizeof r.name - 1);
    std::memcpy(r.name, info.name.data() + info.name.size() - keep, keep);
    r.kind = kind_of(info.kind);
    r.tag = static_cast<uint32_t>(i);
    r.first_instruction = info.first_instruction;
    r.instruction_count = info.instructions();
    r.macs = info.macs;
    r.weight_bytes = info.weight_bytes;
    r.in_c = info.input.c, r.in_h = info.input.h, r.in_w = info.input.w;
    r.out_c = info.output.c, r.out_h = info.output.h, r.out_w = info.output.w;
    r.tiles = info.tiles;
  }
  h.layers_offset = append(blob, layers.data(), layers.size() * sizeof(LayerRecord));
  const std::vector<uint8_t> instructions = program.instruction_bytes();
  h.instructions_offset = append(blob, instructions.data(), instructions.size());
  const uint64_t constants_offset = append(blob, program.constants.data(), program.constants.size());

  const auto& window = program.plan.window_bytes;
  h.args[builder::kArgConstants] = ArgWindow{kArgInPackage, 0, constants_offset,
                                             std::max<uint64_t>(window[builder::kArgConstants], program.constants.size())};
  h.args[builder::kArgInput] = ArgWindow{kArgInput, 0, 0, window[builder::kArgInput]};
  h.args[builder::kArgOutput] = ArgWindow{kArgOutput, 0, 0, window[builder::kArgOutput]};
  h.args[builder::kArgScratch] = ArgWindow{window[builder::kArgScratch] ? kArgScratch : kArgUnused, 0, 0,
                                           window[builder::kArgScratch]};
  h.input_arg = builder::kArgInput;
  h.output_arg = builder::kArgOutput;
  h.input_frac_bits = formats.input_frac_bits;
  h.output_frac_bits = formats.output_frac_bits;
  const builder::TensorShape& in = program.plan.input.shape;
  const builder::TensorShape& out = program.plan.output.shape;
  h.input_c = in.c, h.input_h = in.h, h.input_w = in.w;
  h.output_c = out.c, h.output_h = out.h, h.output_w = out.w;
  h.cpu_postprocess = formats.cpu_postprocess;
  h.input_zero_point = formats.input_zero_point;
  if (test) {
    h.test_input_offset = append(blob, test->input.data(), test->input.size());
    h.test_input_size = test->input.size();
    h.test_expected_offset = append(blob, test->expected.data(), test->expected.size());
    h.test_expected_size = test->expected.size();
  }
  blob.resize(align(blob.size()));
  h.total_bytes = blob.size();
  h.checksum = checksum(blob.data() + sizeof(PackageHeader), blob.size() - sizeof(PackageHeader));
  std::memcpy(blob.data(), &h, sizeof h);
  return blob;
}

}  // namespace dlvp::package
