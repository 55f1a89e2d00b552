// CPU stages in the package (version 7, docs/package.md "Version 7: CPU stages"): the writer's
// stages and cpu layers read back; every stage field out of range (a bad operation, a bad shape, a
// tensor beyond its window, an output into the package, ...) is refused by the host-side reader
// with a reason naming the field, the checksum recomputed so that only the validation can catch it.
#include "ip/common/config_error.h"
#include "platform/cpu_ops.h"
#include "platform/package_file.h"
#include "tests/support/package_edit.h"
#include "tests/support/package_refusal.h"
#include "tests/support/staged_package.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace dlvp::test {
namespace {

using package::PackageHeader;
using package::StageRecord;

std::vector<uint8_t> with_stage(const std::vector<uint8_t>& blob, uint32_t index,
                                const std::function<void(StageRecord&)>& edit) {
  const uint64_t at = header_of(blob).stages_offset + uint64_t{index} * sizeof(StageRecord);
  return with_record_at<StageRecord>(blob, at, edit);
}

TEST(StageValidation, TheWrittenStagesAndCpuLayersReadBack) {
  const std::vector<uint8_t> blob = staged_package();
  const package::PackageContents c = package::read_package(blob, "pkg");
  ASSERT_EQ(c.stages.size(), 3u);
  EXPECT_EQ(c.stages[0].kind, package::kStageAccelerator);
  EXPECT_EQ(c.stages[0].instruction_count, c.header.instruction_count);
  ASSERT_EQ(c.layers.size(), 3u);
  EXPECT_EQ(c.stages[1].layer, 1u);
  EXPECT_EQ(c.stages[2].layer, 2u);
  EXPECT_EQ(c.layers[1].kind, package::kLayerCpu);
  EXPECT_EQ(c.layers[1].instruction_count, 0u);
  EXPECT_EQ(package::layer_name(c, 2), "softmax");
  EXPECT_EQ(c.layers[2].out_c, 16u);
}

TEST(StageValidation, EveryStageFieldOutOfRangeIsRefusedNamingIt) {
  const std::vector<uint8_t> good = staged_package();
  ASSERT_EQ(refusal(good), "");
  const struct {
    uint32_t stage;
    std::function<void(StageRecord&)> edit;
    std::string refusal;
  } cases[] = {
      {0, [](StageRecord& s) { s.kind = 9; }, "stage 0: kind 9 unknown"},
      {0, [](StageRecord& s) { s.instruction_count = 0; }, "stage 0: first_instruction 0 + instruction_count 0"},
      {0, [](StageRecord& s) { s.first_instruction = 0xFFFFFFFFu; }, "stage 0: first_instruction 4294967295"},
      {1, [](StageRecord& s) { s.op = 99; }, "stage 1: op 99 unknown"},
      {1, [](StageRecord& s) { s.layer = 3; }, "stage 1: layer 3 beyond layer_count 3"},
      {1, [](StageRecord& s) { s.layer = 0; }, "stage 1: layer 0 is of kind 1, not cpu"},
      {1, [](StageRecord& s) { s.inputs[0].window = 8; }, "stage 1: inputs[0].window 8 is not a window"},
      {1, [](StageRecord& s) { s.inputs[0].window = 5; }, "stage 1: inputs[0].window 5 is not a window"},
      {1, [](StageRecord& s) { s.output.window = builder::kArgConstants; },
       "stage 1: output.window 0 is not an output or scratch window"},
      {1, [](StageRecord& s) { s.output.window = builder::kArgInput; },
       "stage 1: output.window 1 is not an output or scratch window"},
      {1, [](StageRecord& s) { s.inputs[0].element_bytes = 4; }, "stage 1: inputs[0].element_bytes 4"},
      {1, [](StageRecord& s) { s.inputs[0].c = 0; }, "stage 1: inputs[0] 0x8x64 x 1-byte elements: a dimension 0"},
      {1, [](StageRecord& s) { s.inputs[0].c = s.inputs[0].h = s.inputs[0].w = 0x10000; },
       "more than 524288 bytes"},
      {1, [](StageRecord& s) { s.inputs[0].offset = 0xFFFFFFFFFFFFFFF0ull; },
       "stage 1: inputs[0].offset 0xfffffffffffffff0 + 1024 bytes beyond window 2"},
      {1, [](StageRecord& s) { s.output.offset = 1; }, "stage 1: output.offset 0x1 + 1024 bytes beyond window 2"},
      {1, [](StageRecord& s) { s.output.frac_bits = 25; }, "stage 1: output.frac_bits 25 outside -24..24"},
      {1, [](StageRecord& s) { s.output.frac_bits = 3; }, "transpose output format (1-byte, frac 3) differs"},
      {1, [](StageRecord& s) { s.inputs[0].frac_bits = s.output.frac_bits = -25; }, "inputs[0].frac_bits -25 outside"},
      {1, [](StageRecord& s) { s.params[1] = 1; }, "stage 1: transpose params 1 1 2 are not a permutation"},
      {1, [](StageRecord& s) { s.params[0] = 3; }, "are not a permutation"},
      {1, [](StageRecord& s) { s.output.c = 2, s.output.h = 8; }, "transpose output 2x8x64 is not its input 2x8x64 permuted"},
      {2, [](StageRecord& s) { s.params[0] = 3; }, "stage 2: softmax axis 3"},
      {2, [](StageRecord& s) { s.output.c = 8, s.output.h = 16; }, "stage 2: softmax output 8x16x8 differs from its input"},
      {2, [](StageRecord& s) { s.op = cpu::kOpReduceMean; }, "reduce_mean axes mask 0"},
      {2, [](StageRecord& s) { s.op = cpu::kOpReduceMean, s.params[0] = 1; }, "does not keep the reduced axes as 1"},
      {2, [](StageRecord& s) { s.op = cpu::kOpArithmetic, s.inputs[1] = s.inputs[0], s.params[0] = 4; },
       "arithmetic op 4 unknown"},
      {2, [](StageRecord& s) { s.op = cpu::kOpArithmetic, s.inputs[1] = s.inputs[0], s.inputs[1].h = 2; },
       "arithmetic operand 16x2x8 does not broadcast over 16x8x8"},
      {2, [](StageRecord& s) { s.op = cpu::kOpArithmetic; }, "stage 2: inputs[1].element_bytes 0"},
      {2, [](StageRecord& s) { s.op = cpu::kOpResizeNearest, s.output.c = 15; },
       "resize_nearest output format (1-byte, frac 7) differs"},
      // CPUC: layer_norm's axis and epsilon (binary32 bits: 0 and a NaN refused).
      {2, [](StageRecord& s) { s.op = cpu::kOpLayerNorm, s.params[0] = 3, s.params[1] = 0x3727c5acu; },
       "stage 2: layer_norm axis 3 (expected 0..2)"},
      {2, [](StageRecord& s) { s.op = cpu::kOpLayerNorm, s.params[0] = 0, s.params[1] = 0; },
       "layer_norm epsilon bits 0x00000000 are not a positive finite float"},
      {2, [](StageRecord& s) { s.op = cpu::kOpLayerNorm, s.params[0] = 0, s.params[1] = 0x7fc00000u; },
       "layer_norm epsilon bits 0x7fc00000"},
  };
  for (const auto& c : cases) {
    const std::string why = refusal(with_stage(good, c.stage, c.edit));
    EXPECT_NE(why.find(c.refusal), std::string::npos) << "expected \"" << c.refusal << "\", got \"" << why << "\"";
  }
}

TEST(StageValidation, TheStageTableIsInsideThePackage) {
  const std::vector<uint8_t> good = staged_package();
  EXPECT_NE(refusal(with_header(good, [](PackageHeader& h) { h.stage_count = 0x7FFFFFFF; }))
                .find("stages_offset 0x"), std::string::npos);
  EXPECT_NE(refusal(with_header(good, [](PackageHeader& h) { h.stages_offset = 8; }))
                .find("stages_offset 0x8 inside the header"), std::string::npos);
  EXPECT_NE(refusal(with_header(good, [](PackageHeader& h) { h.stage_count = 0; }))
                .find("without stages"), std::string::npos);
  const uint32_t unknown_kind = package::kLayerCopy + 1;
  EXPECT_NE(refusal(with_layer(good, 1, [&](package::LayerRecord& r) { r.kind = unknown_kind; }))
                .find("layer 1: kind " + std::to_string(unknown_kind) + " unknown"),
            std::string::npos);
}

}  // namespace
}  // namespace dlvp::test
