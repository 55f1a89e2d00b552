// The model package's validation (platform/package_validation.h), checksum (model_package.h) and
// host-side reader (platform/package_file.h) on a package written by the package writer: every
// header field out of range, with the checksum recomputed so that only the validation can catch
// it, is refused with a reason naming the field; the checksum covers the header; layer records and
// names are checked; the writer keeps a long name's tail whole (UTF-8); the optional sections (the
// prediction, the whole names) round-trip, may be absent, and every field of theirs is checked.
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
#include <limits>
#include <string>
#include <vector>

namespace dlvp::test {
namespace {

using package::PackageHeader;
constexpr uint64_t kNear64 = std::numeric_limits<uint64_t>::max();

// One 3x3 convolution, 4 -> 8 channels on 8 x 8, with (zero) test data.
std::vector<uint8_t> small_package(const std::string& layer_name = "conv", const package::Provenance& provenance = {}) {
  const CnnConfig hw;
  const builder::Program program = builder::build(one_conv_network(layer_name), hw);
  const package::TestData test{std::vector<int8_t>(4 * 8 * 8), std::vector<int8_t>(8 * 8 * 8)};
  return package::write_package(program, hw, &test, {}, provenance);
}

TEST(PackageValidation, TheWrittenPackageIsAcceptedWithItsLayers) {
  const std::vector<uint8_t> blob = small_package();
  const package::PackageContents c = package::read_package(blob, "pkg");
  EXPECT_EQ(c.header.version, 7u);
  ASSERT_EQ(c.layers.size(), 1u);
  EXPECT_EQ(package::layer_name(c.layers[0]), "conv");
  package::Refusal why;
  EXPECT_EQ(package::validate_header(c.header, blob.size(), &why), nullptr);
}

TEST(PackageValidation, TheChecksumCoversTheHeader) {
  // reserved0 is checked by nothing but the checksum.
  std::vector<uint8_t> blob = small_package();
  PackageHeader h = header_of(blob);
  h.reserved0 = 1;
  std::memcpy(blob.data(), &h, sizeof h);
  EXPECT_EQ(refusal(blob), "pkg: checksum mismatch (corrupt or truncated package)");
  reseal(blob);
  EXPECT_EQ(refusal(blob), "");
  // A byte of the layer table, and the last byte of the package.
  std::vector<uint8_t> layer = small_package();
  layer[h.layers_offset + 40] ^= 1;
  EXPECT_EQ(refusal(layer), "pkg: checksum mismatch (corrupt or truncated package)");
  std::vector<uint8_t> last = small_package();
  last.back() ^= 1;
  EXPECT_EQ(refusal(last), "pkg: checksum mismatch (corrupt or truncated package)");
}

TEST(PackageValidation, AnOldVersionIsRefusedByNumber) {
  const auto blob = with_header(small_package(), [](PackageHeader& h) { h.version = package::kVersion - 1; });
  EXPECT_EQ(refusal(blob), "pkg: unsupported package version " + std::to_string(package::kVersion - 1) + " (expected " +
                               std::to_string(package::kVersion) + ")");
}

TEST(PackageValidation, ATruncatedPackageIsRefused) {
  std::vector<uint8_t> blob = small_package();
  blob.resize(blob.size() - 64);
  EXPECT_NE(refusal(blob).find("beyond the 0x"), std::string::npos) << refusal(blob);
  blob.resize(100);
  EXPECT_EQ(refusal(blob), "pkg: only 100 bytes, shorter than a package header (" +
                               std::to_string(sizeof(PackageHeader)) + " bytes)");
}


TEST(PackageValidation, EveryHeaderFieldOutOfRangeIsRefusedByName) {
  const std::vector<uint8_t> good = small_package();
  const PackageHeader g = header_of(good);
  const std::string in = std::to_string(g.input_arg), out = std::to_string(g.output_arg);
  const std::vector<Corruption> cases = {
      {"magic", [](PackageHeader& h) { h.magic[0] = 'X'; }, "not a dlvp model package (bad magic)"},
      {"header_bytes", [](PackageHeader& h) { h.header_bytes = 64; }, "header_bytes 64 (expected "},
      {"total_bytes huge", [](PackageHeader& h) { h.total_bytes = kNear64; }, "total_bytes 0xffffffffffffffff beyond the 0x"},
      {"total_bytes small", [](PackageHeader& h) { h.total_bytes = 8; }, "total_bytes 0x8 smaller than the header"},
      {"isa", [](PackageHeader& h) { h.hardware.isa_version = 9; }, "hardware.isa_version 9"},
      {"layers_offset", [](PackageHeader& h) { h.layers_offset = kNear64 - 7; },
       "layers_offset 0xfffffffffffffff8 + 96 x layer_count 1 beyond total_bytes 0x"},
      {"layers_offset in header", [](PackageHeader& h) { h.layers_offset = 8; }, "layers_offset 0x8 inside the header"},
      {"layer_count", [](PackageHeader& h) { h.layer_count = 0x7fffffff; }, "96 x layer_count 2147483647 beyond"},
      {"instructions_offset", [](PackageHeader& h) { h.instructions_offset = kNear64 - 63; },
       "instructions_offset 0xffffffffffffffc0 + 64 x instruction_count"},
      {"instruction_count", [](PackageHeader& h) { h.instruction_count = 0xffffffff; },
       "64 x instruction_count 4294967295 beyond total_bytes"},
      {"no instructions", [](PackageHeader& h) { h.instruction_count = 0; }, "instruction_count 0"},
      {"overlap", [](PackageHeader& h) { h.instructions_offset = h.layers_offset; }, "overlap"},
      {"weight loads", [](PackageHeader& h) { h.weight_load_instructions = h.instruction_count + 1; },
       "weight_load_instructions"},
      {"arg kind", [](PackageHeader& h) { h.args[5].kind = 9; }, "args[5].kind 9 unknown"},
      {"in-package offset", [](PackageHeader& h) { h.args[0].offset = kNear64; },
       "args[0] (in the package): offset 0xffffffffffffffff"},
      {"in-package size", [](PackageHeader& h) { h.args[0].size = kNear64; }, "args[0].size 0xffffffffffffffff beyond the limit"},
      {"window size", [&](PackageHeader& h) { h.args[h.output_arg].size = uint64_t{1} << 41; }, "args[" + out + "].size"},
      {"input_arg", [](PackageHeader& h) { h.input_arg = 8; }, "input_arg 8 is not a window of kind input"},
      {"output_arg", [](PackageHeader& h) { h.output_arg = h.input_arg; }, "output_arg " + in + " is not"},
      {"input elements", [](PackageHeader& h) { h.input_element_bytes = 3; }, "input_element_bytes 3 (expected 1 or 2)"},
      {"output elements", [](PackageHeader& h) { h.output_element_bytes = 0; }, "output_element_bytes 0"},
      {"sequences", [](PackageHeader& h) { h.sequences = 0; }, "sequences 0"},
      {"frac", [](PackageHeader& h) { h.input_frac_bits = 64; }, "input_frac_bits 64"},
      {"postprocess", [](PackageHeader& h) { h.cpu_postprocess = 2; }, "cpu_postprocess 2 unknown"},
      {"input zero dim", [](PackageHeader& h) { h.input_c = 0; }, "input tensor 0x8x8"},
      {"input huge", [](PackageHeader& h) { h.input_c = 0xffffffff; }, "input tensor 4294967295x8x8"},
      {"input sequences", [](PackageHeader& h) { h.sequences = 0x80000000; }, "sequences 2147483648"},
      {"output_c", [](PackageHeader& h) { h.output_c = 0xff; }, "output tensor 255x8x8"},
      {"output_offset", [](PackageHeader& h) { h.output_offset = kNear64; }, "output_offset 0xffffffffffffffff"},
      {"test_input_offset", [](PackageHeader& h) { h.test_input_offset = kNear64; }, "test_input_offset 0xffffffffffffffff"},
      {"test_input_size", [](PackageHeader& h) { h.test_input_size = kNear64; }, "test_input_size 0xffffffffffffffff outside"},
      {"test_input_size small", [](PackageHeader& h) { h.test_input_size = 1; }, "test_input_size 1 differs from the input window"},
      {"test_expected_offset", [](PackageHeader& h) { h.test_expected_offset = 8; }, "test_expected_offset 0x8"},
      {"test_expected_size", [](PackageHeader& h) { h.test_expected_size = kNear64 - 1; },
       "test_expected_size 0xfffffffffffffffe outside"},
      {"producer without NUL", [](PackageHeader& h) { std::memset(h.origin.producer, 'a', sizeof h.origin.producer); },
       "origin.producer without a NUL within its 32 bytes"},
      {"options without NUL", [](PackageHeader& h) { std::memset(h.origin.options, 'a', sizeof h.origin.options); },
       "origin.options without a NUL within its 512 bytes"},
      {"model_file ill-formed", [](PackageHeader& h) { std::strcpy(h.origin.model_file, "m\xC3("); },
       "origin.model_file: byte 1 (0xc3) is not UTF-8 text"},
      {"hardware_file overlong", [](PackageHeader& h) { std::strcpy(h.origin.hardware_file, "\xC0\xAF"); },
       "origin.hardware_file: byte 0 (0xc0)"},
      {"hardware_overrides surrogate", [](PackageHeader& h) { std::strcpy(h.origin.hardware_overrides, "x\xED\xA0\x80"); },
       "origin.hardware_overrides: byte 1 (0xed)"},
      {"options control character", [](PackageHeader& h) { std::strcpy(h.origin.options, "--calib a\nb"); },
       "origin.options: byte 9 (0x0a)"},
      {"model_file truncated sequence", [](PackageHeader& h) { std::strcpy(h.origin.model_file, "\xF0\x9F\x98"); },
       "origin.model_file: byte 0 (0xf0)"},
  };
  expect_refusals(good, cases);
}

TEST(PackageValidation, LayerRecordsAreChecked) {
  const std::vector<uint8_t> good = small_package();
  const uint32_t count = header_of(good).instruction_count;
  EXPECT_EQ(refusal(with_layer(good, 0, [&](package::LayerRecord& r) { r.first_instruction = count; })),
            "pkg: layer 0: first_instruction " + std::to_string(count) + " + instruction_count " +
                std::to_string(package::read_package(good, "").layers[0].instruction_count) +
                " beyond the package's " + std::to_string(count) + " instructions");
  EXPECT_EQ(refusal(with_layer(good, 0, [](package::LayerRecord& r) { r.instruction_count = 0xffffffff; })).find(
                "layer 0: first_instruction"),
            5u);
  EXPECT_EQ(refusal(with_layer(good, 0, [](package::LayerRecord& r) { std::memset(r.name, 'A', sizeof r.name); })),
            "pkg: layer 0: name without a NUL within its 32 bytes");
  EXPECT_EQ(refusal(with_layer(good, 0, [](package::LayerRecord& r) { r.kind = 0; })), "pkg: layer 0: kind 0 unknown");
}

TEST(PackageValidation, LayerNamesAreTextUpToTheirNulWithIllFormedUtf8Replaced) {
  package::LayerRecord r{};
  std::memcpy(r.name, "ab\xff\xfe\0zz", 7);
  EXPECT_EQ(package::layer_name(r), "ab\xEF\xBF\xBD\xEF\xBF\xBD");
  std::memset(r.name, 'x', sizeof r.name);  // no NUL: a reader stops at 31 bytes
  EXPECT_EQ(package::layer_name(r), std::string(31, 'x'));
}

TEST(PackageWriter, ALongNameKeepsItsTailCutAtACharacterBoundary) {
  std::string name;
  for (int i = 0; i < 20; ++i) name += "\xC3\xA9";  // é: 40 bytes; the last 31 would start mid-character
  const package::PackageContents c = package::read_package(small_package("model/" + name), "pkg");
  std::string expected;
  for (int i = 0; i < 15; ++i) expected += "\xC3\xA9";
  EXPECT_EQ(package::layer_name(c.layers[0]), expected);
  EXPECT_EQ(std::string(c.layers[0].name), expected) << "the record itself holds valid UTF-8";
  // Ill-formed input names are made valid before they are cut.
  const package::PackageContents bad = package::read_package(small_package("a\xff" "b"), "pkg");
  EXPECT_EQ(std::string(bad.layers[0].name), "a\xEF\xBF\xBD" "b");
}

TEST(PackageValidation, OriginTextsInUtf8AreAccepted) {
  const auto blob = with_header(small_package(), [](PackageHeader& h) {
    std::strcpy(h.origin.model_file, "mod\xC3\xA8les/\xE2\x82\xAC/\xF0\x9F\x98\x80.onnx");  // 2-, 3- and 4-byte characters
  });
  EXPECT_EQ(refusal(blob), "");
}

TEST(PackageWriter, TheOriginIsRecordedWholeOrRefused) {
  package::Provenance p;
  p.producer = "dlvpc";
  p.model_file = "models/x.onnx";
  p.hardware_file = "zynq7020";
  p.hardware_overrides = "--set cnn.pes=4";
  p.options = "--calib random:2 --single-buffer";
  p.platform.ddr_size_bytes = 1 << 20;
  p.platform.bus_bytes_per_second = 1'712'000'000;
  p.platform.ddr_peak_bytes_per_second = 4'264'000'000;
  const package::PackageHeader h = header_of(small_package("conv", p));
  EXPECT_STREQ(h.origin.producer, "dlvpc");
  EXPECT_STREQ(h.origin.model_file, "models/x.onnx");
  EXPECT_STREQ(h.origin.hardware_file, "zynq7020");
  EXPECT_STREQ(h.origin.hardware_overrides, "--set cnn.pes=4");
  EXPECT_STREQ(h.origin.options, "--calib random:2 --single-buffer");
  EXPECT_EQ(h.platform.ddr_size_bytes, 1u << 20);
  EXPECT_EQ(h.platform.bus_bytes_per_second, 1'712'000'000u);
  EXPECT_EQ(h.platform.ddr_peak_bytes_per_second, 4'264'000'000u);
  EXPECT_EQ(h.platform.cnn_clock_khz, 214'000u) << "the engine's clock, from its configuration";
  EXPECT_EQ(h.platform.lstm_clock_khz, 0u) << "a CNN package does not use the LSTM engine";

  package::Provenance too_long = p;
  too_long.model_file = std::string(package::kFileNameBytes, 'm');
  try {
    small_package("conv", too_long);
    FAIL() << "a model file name longer than its field was recorded";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model file name (256 bytes) is longer than the 255 bytes"), std::string::npos)
        << e.what();
  }
  package::Provenance control = p;
  control.options = "--calib a\tb";
  EXPECT_THROW(small_package("conv", control), ConfigError);
}

// A hand-made prediction of the one-layer package: its parts add up to the layer's time, the
// layer's time to the job's.
constexpr package::LayerPrediction kLayerPrediction{1000, 600, 250, 100, 50};

std::vector<uint8_t> predicted_package(const std::string& layer_name = "conv") {
  const CnnConfig hw;
  const builder::Program program = builder::build(one_conv_network(layer_name), hw);
  const package::TestData test{std::vector<int8_t>(4 * 8 * 8), std::vector<int8_t>(8 * 8 * 8)};
  return package::write_package(program, hw, &test, {}, {}, package::Prediction{1000, {kLayerPrediction}});
}

TEST(PackageSections, ThePredictionAndTheWholeNameRoundTrip) {
  const std::string name = "model/features/" + std::string(40, 'x') + "/conv_\xC3\xA9";
  const package::PackageContents c = package::read_package(predicted_package(name), "pkg");
  EXPECT_EQ(c.header.predicted_job_ps, 1000u);
  ASSERT_EQ(c.predictions.size(), 1u);
  const package::LayerPrediction& p = c.predictions[0];
  EXPECT_EQ(p.time_ps, 1000u);
  EXPECT_EQ(p.engine_busy_ps, 600u);
  EXPECT_EQ(p.memory_stall_ps, 250u);
  EXPECT_EQ(p.store_tail_ps, 100u);
  EXPECT_EQ(p.other_ps, 50u);
  ASSERT_EQ(c.names.size(), 1u);
  EXPECT_EQ(package::layer_name(c, 0), name);
  EXPECT_EQ(package::layer_name(c.layers[0]), name.substr(name.size() - 31)) << "the record keeps the tail";
  EXPECT_EQ(package::layer_name(c, 1), "");
}

TEST(PackageSections, ANameBeyondTheLimitKeepsItsTailAndControlCharactersAreReplaced) {
  const std::string name = std::string(2000, 'a') + "\x01tail";
  const package::PackageContents c = package::read_package(predicted_package(name), "pkg");
  const std::string whole = package::layer_name(c, 0);
  EXPECT_EQ(whole.size(), size_t{package::kMaxLayerNameBytes});
  EXPECT_EQ(whole.substr(whole.size() - 5), "?tail");
}

TEST(PackageSections, APackageWithoutTheSectionsIsAccepted) {
  // What the older producers write (the conformance tool, make_cnn_selftest before the names).
  const auto blob = with_header(predicted_package(), [](PackageHeader& h) {
    h.prediction_offset = h.prediction_size = h.predicted_job_ps = 0;
    h.names_offset = h.names_size = 0;
  });
  const package::PackageContents c = package::read_package(blob, "pkg");
  EXPECT_TRUE(c.predictions.empty());
  EXPECT_TRUE(c.names.empty());
  EXPECT_EQ(package::layer_name(c, 0), "conv") << "the record's name";
  // A package written without a prediction has the names only.
  const package::PackageContents plain = package::read_package(small_package(), "pkg");
  EXPECT_TRUE(plain.predictions.empty());
  EXPECT_EQ(plain.header.predicted_job_ps, 0u);
  EXPECT_EQ(plain.names, std::vector<std::string>{"conv"});
}

TEST(PackageSections, EveryHeaderFieldOfTheSectionsIsChecked) {
  const std::vector<uint8_t> good = predicted_package();
  const std::vector<Corruption> cases = {
      {"prediction_size", [](PackageHeader& h) { h.prediction_size = 39; },
       "prediction_size 39 differs from layer_count x 40 (40 bytes)"},
      {"prediction_offset in header", [](PackageHeader& h) { h.prediction_offset = 8; }, "prediction_offset 0x8 + "},
      {"prediction_offset beyond", [](PackageHeader& h) { h.prediction_offset = h.total_bytes - 8; }, "outside the package"},
      {"predicted_job_ps alone", [](PackageHeader& h) { h.prediction_size = 0; },
       "predicted_job_ps 1000 without a prediction section"},
      {"predicted_job_ps huge", [](PackageHeader& h) { h.predicted_job_ps = package::kMaxPredictedPs + 1; },
       "predicted_job_ps 1152921504606846977 beyond the limit"},
      {"names_offset in header", [](PackageHeader& h) { h.names_offset = 8; }, "names_offset 0x8 + names_size"},
      {"names_offset beyond", [](PackageHeader& h) { h.names_offset = h.total_bytes; }, "outside the package"},
      {"names_size small", [](PackageHeader& h) { h.names_size = 7; }, "names_size 7 outside 8..1032"},
      {"names_size large", [](PackageHeader& h) { h.names_offset = h.header_bytes, h.names_size = 1033; }, "names_size 1033 outside 8..1032"},
  };
  expect_refusals(good, cases);
}

TEST(PackageSections, EveryFieldOfAPredictionRecordIsChecked) {
  const std::vector<uint8_t> good = predicted_package();
  const uint64_t at = header_of(good).prediction_offset;
  using Edit = std::function<void(package::LayerPrediction&)>;
  const std::vector<std::pair<Edit, std::string>> cases = {
      {[](auto& p) { p.time_ps = 1001; }, "layer 0: predicted time_ps 1001 beyond predicted_job_ps 1000"},
      {[](auto& p) { p.engine_busy_ps = 2000; }, "layer 0: predicted engine_busy_ps 2000 beyond predicted_job_ps 1000"},
      {[](auto& p) { p.memory_stall_ps = 1u << 20; }, "layer 0: predicted memory_stall_ps 1048576 beyond predicted_job_ps 1000"},
      {[](auto& p) { p.store_tail_ps = ~uint64_t{0}; }, "layer 0: predicted store_tail_ps 18446744073709551615 beyond predicted_job_ps 1000"},
      {[](auto& p) { p.other_ps = 1001; }, "layer 0: predicted other_ps 1001 beyond predicted_job_ps 1000"},
      {[](auto& p) { p.other_ps = 51; }, "layer 0: predicted time_ps 1000 differs from the sum of its parts (1001)"},
      {[](auto& p) { p.time_ps = 900, p.engine_busy_ps = 500; },
       "the predicted layer times add up to 900 ps, not predicted_job_ps 1000"},
  };
  for (const auto& [edit, expected] : cases)
    EXPECT_EQ(refusal(with_record_at<package::LayerPrediction>(good, at, edit)), "pkg: " + expected);
}

TEST(PackageSections, EveryFieldOfANameEntryAndItsBytesAreChecked) {
  const std::vector<uint8_t> good = predicted_package("conv");
  const PackageHeader h = header_of(good);
  ASSERT_EQ(h.names_size, 12u) << "one entry and \"conv\"";
  using Edit = std::function<void(package::LayerNameEntry&)>;
  const std::string outside = "pkg: layer 0: name at offset ";
  const std::vector<std::pair<Edit, std::string>> cases = {
      {[](auto& e) { e.offset = 0; }, outside + "0, 4 bytes, outside the names' bytes [8, 12) or longer than 1024"},
      {[](auto& e) { e.offset = 0xffffffff; }, outside + "4294967295, 4 bytes"},
      {[](auto& e) { e.bytes = 5; }, outside + "8, 5 bytes"},
      {[](auto& e) { e.bytes = 1025; }, outside + "8, 1025 bytes"},
  };
  for (const auto& [edit, expected] : cases)
    EXPECT_EQ(refusal(with_record_at<package::LayerNameEntry>(good, h.names_offset, edit)).substr(0, expected.size()),
              expected);
  for (const auto& [byte, text] : {std::pair{uint8_t{0xFF}, "0xff"}, std::pair{uint8_t{'\n'}, "0x0a"},
                                   std::pair{uint8_t{0}, "0x00"}}) {
    std::vector<uint8_t> bad = good;
    bad[h.names_offset + 8 + 2] = byte;
    reseal(bad);
    EXPECT_EQ(refusal(bad), "pkg: layer 0: name byte 2 (" + std::string(text) +
                                ") is not UTF-8 text (ill-formed or a control character)");
  }
}

}  // namespace
}  // namespace dlvp::test

// classify's label of the float figure: dlvpc's `--density D` below 1 in the recorded options.
namespace dlvp::test {
namespace {

bool pruned_with(const char* options) {
  package::PackageOrigin origin{};
  std::strncpy(origin.options, options, sizeof origin.options - 1);
  return package::pruned_by_compiler(origin);
}

TEST(PackageOrigin, PrunedByTheCompilerOnlyWithADensityBelowOne) {
  EXPECT_FALSE(pruned_with(""));
  EXPECT_FALSE(pruned_with("--calib train.idx --calib-count 500"));
  EXPECT_FALSE(pruned_with("--density 1"));
  EXPECT_FALSE(pruned_with("--density 1.000 --dense"));
  EXPECT_FALSE(pruned_with("--calib x--density 0.1"));  // not the option: part of another word
  EXPECT_TRUE(pruned_with("--density 0.1"));
  EXPECT_TRUE(pruned_with("--calib x --density .25 --pruning global"));
  EXPECT_TRUE(pruned_with("--density 1e-1"));
  // The last byte of a full options field: the flag without its value is never read past the end.
  package::PackageOrigin full{};
  std::memset(full.options, 'x', sizeof full.options);
  std::memcpy(full.options + sizeof full.options - 10, "--density ", 10);
  EXPECT_FALSE(package::pruned_by_compiler(full));
}

}  // namespace
}  // namespace dlvp::test
