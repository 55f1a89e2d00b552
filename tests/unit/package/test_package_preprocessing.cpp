// Package version 7's input preprocessing (docs/package.md, "Version 7: input preprocessing"): the
// writer records the layout, scale, mean, std and the quantization tables; every reader refuses a
// field out of range naming it, and a table entry outside the input element's range naming the
// table and the entry.
#include "ip/common/config_error.h"
#include "platform/package_file.h"
#include "platform/package_validation.h"
#include "tests/support/package_edit.h"
#include "tests/support/package_refusals.h"
#include "tests/support/small_network.h"
#include "tools/builder/program.h"
#include "tools/package/package_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace dlvp::test {
namespace {

using package::PackageHeader;

// One 3x3 convolution on a 4-channel 8 x 8 input, with `tables` input tables (entry p of table c:
// p / 2 - c, inside int8).
std::vector<uint8_t> preprocessed_package(uint32_t tables, uint32_t layout = package::kLayoutHwc) {
  const CnnConfig hw;
  const builder::Program program = builder::build(one_conv_network("conv"), hw);
  package::TensorFormats f;
  f.input_layout = layout;
  f.input_scale = 1.0f / 255.0f;
  f.input_mean = {0.5f, 0.25f, 0.125f, 0.0f};
  f.input_std = {0.5f};
  for (uint32_t c = 0; c < tables; ++c)
    for (uint32_t p = 0; p < 256; ++p) f.input_tables.push_back(static_cast<int16_t>(p / 2 - c));
  return package::write_package(program, hw, nullptr, f);
}

TEST(PackagePreprocessing, TheWriterRecordsTheTablesAndEveryReaderAcceptsThem) {
  for (const uint32_t tables : {0u, 1u, 4u}) {
    const std::vector<uint8_t> blob = preprocessed_package(tables);
    EXPECT_EQ(refusal(blob), "") << tables;
    const PackageHeader h = header_of(blob);
    EXPECT_EQ(h.version, 7u);
    EXPECT_EQ(h.input_table_channels, tables);
    EXPECT_EQ(h.input_layout, uint32_t{package::kLayoutHwc});
    EXPECT_EQ(h.input_mean[1], 0.25f);
    EXPECT_EQ(h.input_std[0], 0.5f);
    if (tables == 0) continue;
    const uint32_t last = tables - 1;
    int16_t entry;
    std::memcpy(&entry, blob.data() + h.input_table_offset + 2 * (last * 256 + 201), 2);
    EXPECT_EQ(entry, 201 / 2 - int(last));
  }
}

TEST(PackagePreprocessing, EveryFieldOutOfRangeIsRefusedByName) {
  const std::vector<uint8_t> good = preprocessed_package(4);
  const PackageHeader g = header_of(good);
  const std::vector<Corruption> cases = {
      {"layout", [](PackageHeader& h) { h.input_layout = 2; }, "input_layout 2 unknown (expected 0 CHW or 1 HWC)"},
      {"channels", [](PackageHeader& h) { h.input_table_channels = 3; },
       "input_table_channels 3 (expected 0, 1 or input_c 4 when at most 4)"},
      {"odd offset", [](PackageHeader& h) { h.input_table_offset += 1; }, "input_table_offset 0x"},
      {"offset in header", [](PackageHeader& h) { h.input_table_offset = 8; }, "input_table_offset 0x8 inside the header"},
      {"offset beyond", [g](PackageHeader& h) { h.input_table_offset = g.total_bytes - 512; },
       "input_table_offset 0x"},
  };
  expect_refusals(good, cases);
}

TEST(PackagePreprocessing, ATableEntryOutsideTheInt8InputIsRefused) {
  std::vector<uint8_t> bad = preprocessed_package(4);
  const PackageHeader h = header_of(bad);
  const int16_t outside = 300;
  std::memcpy(bad.data() + h.input_table_offset + 2 * (2 * 256 + 17), &outside, 2);
  reseal(bad);
  EXPECT_EQ(refusal(bad), "pkg: input table 2 entry 17 is 300, outside the int8 input's -128..127");
}

}  // namespace
}  // namespace dlvp::test
