// A package bound to its hardware (platform/hardware_binding.h, platform/package_binding.h): every
// recorded parameter classified when the platform differs (refuse, suboptimal, informational; the
// table of docs/package.md), nothing when it matches; the platform's hardware from its
// configuration; the refusal's lines (file, parameter, both values, the recompile command with the
// platform's overrides), report.json's `packages` and the summary's warning.
#include "ip/common/config_error.h"
#include "platform/package_binding.h"
#include "platform/scenario.h"
#include "tests/support/small_network.h"
#include "tools/builder/program.h"
#include "tools/package/package_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace dlvp {
namespace {

namespace fs = std::filesystem;
using package::HardwareAtHand;
using package::PackageHeader;

constexpr uint64_t kDdrBytes = uint64_t{512} << 20;
constexpr uint64_t kBandwidth = 1'712'000'000;

// A CNN package's header as the writer fills it for the default engine (values from CnnConfig).
PackageHeader cnn_header() {
  const CnnConfig cnn;
  PackageHeader h{};
  h.hardware = {isa::kVersion, cnn.pes, cnn.convolvers, cnn.kernel, cnn.input_buffer_bytes, cnn.weight_buffer_bytes,
                cnn.output_buffer_bytes, cnn.accumulator_bits, 0};
  h.platform = {kDdrBytes, kBandwidth, static_cast<uint32_t>(std::lround(cnn.clock_mhz * 1000)), 0};
  h.total_bytes = 1 << 20;
  h.args[1] = {package::kArgInput, 0, 0, 4096};
  h.args[2] = {package::kArgOutput, 0, 0, 4096};
  h.args[3] = {package::kArgScratch, 0, 0, 1 << 20};
  return h;
}

// An LSTM package's header for the default sparse LSTM engine.
PackageHeader lstm_header() {
  const LstmConfig lstm;
  PackageHeader h = cnn_header();
  h.hardware = {isa::kVersion, 0, 0, 0, 0, 0, 0, 0, 0};
  h.lstm = {lstm.pes, lstm.accumulator_bits, lstm.weight_memory_bytes, lstm.vector_buffer_bytes};
  h.platform = {kDdrBytes, 0, 0, static_cast<uint32_t>(std::lround(lstm.clock_mhz * 1000))};
  return h;
}

// The platform as the package recorded it, both engines present.
HardwareAtHand same_as(const PackageHeader& h) {
  HardwareAtHand hw = package::recorded_hardware(h);
  hw.has_cnn = hw.has_lstm = true;
  return hw;
}

struct Case {
  const char* name;
  std::function<void(HardwareAtHand&)> edit;
  const char* key;
  package::BindingClass binding;
};

void expect_one_difference(const PackageHeader& h, const Case& c) {
  HardwareAtHand hw = same_as(h);
  c.edit(hw);
  package::ParameterList list;
  package::compare_hardware(h, hw, &list);
  ASSERT_EQ(list.count, 1u) << c.name;
  const package::ParameterDifference& d = list.items[0];
  EXPECT_STREQ(d.key, c.key) << c.name;
  EXPECT_EQ(d.binding, c.binding) << c.name << ": " << package::to_string(d.binding) << " (" << d.reason << ")";
  EXPECT_NE(d.package_value, d.platform_value) << c.name;
}

TEST(HardwareBinding, TheRecordedHardwareMatchesItselfAndListsEveryParameter) {
  for (const PackageHeader& h : {cnn_header(), lstm_header()}) {
    package::ParameterList list;
    package::compare_hardware(h, same_as(h), &list);
    EXPECT_EQ(list.count, 0u);
  }
  package::ParameterList cnn;
  package::list_parameters(cnn_header(), same_as(cnn_header()), &cnn);
  EXPECT_EQ(cnn.count, 10u) << "7 CNN engine parameters, DDR size, bandwidth, clock";
  package::ParameterList lstm;
  package::list_parameters(lstm_header(), same_as(lstm_header()), &lstm);
  EXPECT_EQ(lstm.count, 6u) << "4 LSTM engine parameters, DDR size, clock";
}

TEST(HardwareBinding, EveryCnnParameterIsClassifiedByWhatTheProgramDependsOn) {
  const PackageHeader h = cnn_header();
  const uint64_t in = h.hardware.input_buffer_bytes, weight = h.hardware.weight_buffer_bytes;
  const uint64_t out = h.hardware.output_buffer_bytes;
  const std::vector<Case> cases = {
      {"smaller input buffer", [&](HardwareAtHand& hw) { hw.cnn.input_buffer_bytes = in / 2; }, "cnn.input_buffer_bytes",
       package::kBindRefuse},
      {"larger input buffer", [&](HardwareAtHand& hw) { hw.cnn.input_buffer_bytes = in * 4; }, "cnn.input_buffer_bytes",
       package::kBindSuboptimal},
      {"smaller weight buffer", [&](HardwareAtHand& hw) { hw.cnn.weight_buffer_bytes = weight - 64; },
       "cnn.weight_buffer_bytes", package::kBindRefuse},
      {"larger weight buffer", [&](HardwareAtHand& hw) { hw.cnn.weight_buffer_bytes = weight + 64; },
       "cnn.weight_buffer_bytes", package::kBindSuboptimal},
      {"smaller output buffer", [&](HardwareAtHand& hw) { hw.cnn.output_buffer_bytes = out / 3; },
       "cnn.output_buffer_bytes", package::kBindRefuse},
      {"larger output buffer", [&](HardwareAtHand& hw) { hw.cnn.output_buffer_bytes = out * 2; },
       "cnn.output_buffer_bytes", package::kBindSuboptimal},
      {"narrower accumulator", [&](HardwareAtHand& hw) { hw.cnn.accumulator_bits = h.hardware.accumulator_bits - 8; },
       "cnn.accumulator_bits", package::kBindRefuse},
      {"more PEs", [&](HardwareAtHand& hw) { hw.cnn.pes = h.hardware.pes * 2; }, "cnn.pes", package::kBindSuboptimal},
      {"fewer PEs", [&](HardwareAtHand& hw) { hw.cnn.pes = h.hardware.pes - 1; }, "cnn.pes", package::kBindSuboptimal},
      {"fewer convolvers", [&](HardwareAtHand& hw) { hw.cnn.convolvers = h.hardware.convolvers / 2; }, "cnn.convolvers",
       package::kBindSuboptimal},
      {"another kernel", [&](HardwareAtHand& hw) { hw.cnn.kernel = h.hardware.kernel + 2; }, "cnn.kernel",
       package::kBindInformational},
      {"faster clock", [&](HardwareAtHand& hw) { hw.platform.cnn_clock_khz = h.platform.cnn_clock_khz * 2; },
       "cnn.clock_mhz", package::kBindInformational},
      {"faster memory", [&](HardwareAtHand& hw) { hw.platform.memory_bytes_per_second = kBandwidth * 10; },
       "memory_bytes_per_second", package::kBindInformational},
      {"larger DDR", [&](HardwareAtHand& hw) { hw.platform.ddr_size_bytes = kDdrBytes * 4; }, "ddr.size_bytes",
       package::kBindInformational},
      {"smaller DDR that holds the job", [&](HardwareAtHand& hw) { hw.platform.ddr_size_bytes = kDdrBytes / 64; },
       "ddr.size_bytes", package::kBindInformational},
      {"DDR smaller than the job",
       [&](HardwareAtHand& hw) { hw.platform.ddr_size_bytes = package::ddr_bytes_needed(h) - 1; }, "ddr.size_bytes",
       package::kBindRefuse},
  };
  for (const Case& c : cases) expect_one_difference(h, c);
}

TEST(HardwareBinding, EveryLstmParameterIsClassifiedByWhatTheProgramDependsOn) {
  const PackageHeader h = lstm_header();
  const std::vector<Case> cases = {
      {"fewer PEs", [&](HardwareAtHand& hw) { hw.lstm.pes = h.lstm.pes / 2; }, "lstm.pes", package::kBindRefuse},
      {"more PEs", [&](HardwareAtHand& hw) { hw.lstm.pes = h.lstm.pes * 2; }, "lstm.pes", package::kBindRefuse},
      {"another accumulator", [&](HardwareAtHand& hw) { hw.lstm.accumulator_bits = h.lstm.accumulator_bits + 8; },
       "lstm.accumulator_bits", package::kBindRefuse},
      {"smaller weight memory", [&](HardwareAtHand& hw) { hw.lstm.weight_memory_bytes = h.lstm.weight_memory_bytes / 2; },
       "lstm.weight_memory_bytes", package::kBindRefuse},
      {"larger weight memory", [&](HardwareAtHand& hw) { hw.lstm.weight_memory_bytes = h.lstm.weight_memory_bytes * 2; },
       "lstm.weight_memory_bytes", package::kBindSuboptimal},
      {"smaller vector buffer", [&](HardwareAtHand& hw) { hw.lstm.vector_buffer_bytes = h.lstm.vector_buffer_bytes / 2; },
       "lstm.vector_buffer_bytes", package::kBindRefuse},
      {"larger vector buffer", [&](HardwareAtHand& hw) { hw.lstm.vector_buffer_bytes = h.lstm.vector_buffer_bytes * 2; },
       "lstm.vector_buffer_bytes", package::kBindInformational},
      {"slower clock", [&](HardwareAtHand& hw) { hw.platform.lstm_clock_khz = h.platform.lstm_clock_khz / 2; },
       "lstm.clock_mhz", package::kBindInformational},
      {"no LSTM engine", [&](HardwareAtHand& hw) { hw.has_lstm = false; }, "lstm.enabled", package::kBindRefuse},
  };
  for (const Case& c : cases) expect_one_difference(h, c);
  // A CNN-only platform value does not matter to an LSTM package.
  HardwareAtHand hw = same_as(h);
  hw.cnn.pes = 7, hw.platform.cnn_clock_khz = 1;
  package::ParameterList list;
  package::compare_hardware(h, hw, &list);
  EXPECT_EQ(list.count, 0u);
}

TEST(HardwareBinding, ValuesThePlatformDoesNotKnowOrThePackageDidNotUseAreNotCompared) {
  HardwareAtHand hw = same_as(cnn_header());
  hw.platform = {};  // a SoC as its driver sees it: no DDR size or bandwidth known
  package::ParameterList list;
  package::compare_hardware(cnn_header(), hw, &list);
  EXPECT_EQ(list.count, 0u);
  PackageHeader generated = cnn_header();
  generated.platform.ddr_size_bytes = generated.platform.memory_bytes_per_second = 0;  // a tool that read neither
  package::compare_hardware(generated, same_as(cnn_header()), &list);
  EXPECT_EQ(list.count, 0u);
}

// ---------------------------------------------------------------------------------------------
// The platform side: a package file, a scenario naming it, the configuration.

class PackageBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("binding_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
  }

  PlatformConfig config(const std::vector<std::string>& overrides = {}) const {
    const fs::path scenario = dir_ / "s.yaml";
    std::ofstream(scenario) << "hw: zynq7020\nsoftware:\n  load:\n    - {file: x.dlvp, address: 0x90000000}\n";
    return load_platform_config(Scenario::load(scenario.string(), overrides), "");
  }

  // The package dlvpc would write for the zynq7020 board.
  void write_package(const package::Provenance& origin) const {
    std::ofstream(dir_ / "x.dlvp");  // the scenario names it: it must exist to load the board's configuration
    const PlatformConfig board = config();
    package::Provenance p = origin;
    p.platform.ddr_size_bytes = board.ddr.size_bytes;
    p.platform.memory_bytes_per_second = static_cast<uint64_t>(std::llround(memory_path_bytes_per_second(board)));
    package::write_package_file((dir_ / "x.dlvp").string(),
                                package::write_package(builder::build(test::one_conv_network(), board.cnn), board.cnn, nullptr, {}, p));
  }

  static package::Provenance dlvpc_origin() {
    package::Provenance p;
    p.producer = "dlvpc";
    p.model_file = "models/my model.onnx";
    p.hardware_file = "zynq7020";
    p.options = "--calib random:2";
    return p;
  }

  static std::string refusal(const std::vector<PackageBinding>& bindings) {
    try {
      refuse_unbindable(bindings);
      return "";
    } catch (const ConfigError& e) {
      return e.what();
    }
  }

  static std::string effective(const PlatformConfig& c, const std::string& key) {
    for (const auto& e : c.effective)
      if (e.key == key) return e.value;
    return "";
  }

  fs::path dir_;
};

TEST_F(PackageBindingTest, APackageForThisBoardIsExact) {
  write_package(dlvpc_origin());
  const std::vector<PackageBinding> b = bind_packages(config());
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b[0].differences.empty());
  EXPECT_EQ(refusal(b), "");
  const nlohmann::json r = packages_report(b);
  EXPECT_EQ(r[0]["file"], "x.dlvp");
  EXPECT_EQ(r[0]["binding"], "exact");
  EXPECT_EQ(r[0]["compiled_for"]["hardware_file"], "zynq7020");
  EXPECT_EQ(r[0]["compiled_for"]["model_file"], "models/my model.onnx");
  EXPECT_EQ(r[0]["compiled_for"]["hardware"]["cnn.pes"], CnnConfig{}.pes);
  EXPECT_EQ(r[0]["compiled_for"]["hardware"]["ddr.size_bytes"], config().ddr.size_bytes);
  EXPECT_EQ(r[0]["compiled_for"]["hardware"]["cnn.clock_mhz"], CnnConfig{}.clock_mhz);
}

TEST_F(PackageBindingTest, SmallerBuffersAreRefusedNamingEachBufferBothSizesAndTheRecompileCommand) {
  write_package(dlvpc_origin());
  const uint64_t compiled = CnnConfig{}.input_buffer_bytes, here = compiled * 2 / 3 / 1024 * 1024;
  const PlatformConfig platform = config({"cnn.input_buffer_bytes=" + std::to_string(here), "cnn.output_buffer_bytes=4096"});
  const std::string message = refusal(bind_packages(platform));
  EXPECT_NE(message.find("x.dlvp: compiled for cnn.input_buffer_bytes = " + std::to_string(compiled) +
                         ", this platform has " + std::to_string(here) + " ("),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("x.dlvp: compiled for cnn.output_buffer_bytes = " + std::to_string(CnnConfig{}.output_buffer_bytes) +
                         ", this platform has 4096 ("),
            std::string::npos)
      << message;
  const std::string command = "x.dlvp: recompile it for this hardware: dlvpc compile 'models/my model.onnx' --hw " +
                              platform.hw_path + " --calib random:2 --set cnn.input_buffer_bytes=" +
                              effective(platform, "cnn.input_buffer_bytes") + " --set cnn.output_buffer_bytes=" +
                              effective(platform, "cnn.output_buffer_bytes") + " -o " + (dir_ / "x.dlvp").string();
  EXPECT_NE(message.find(command), std::string::npos) << message << "\nexpected: " << command;
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 2) << "one line per parameter, one for the command";
}

TEST_F(PackageBindingTest, MorePesRunWithAWarningAndTheDifferenceInTheReport) {
  write_package(dlvpc_origin());
  const uint32_t pes = CnnConfig{}.pes * 2;
  const std::vector<PackageBinding> b = bind_packages(config({"cnn.pes=" + std::to_string(pes)}));
  EXPECT_EQ(refusal(b), "");
  nlohmann::json report;
  report["packages"] = packages_report(b);
  const nlohmann::json& p = report["packages"][0];
  EXPECT_EQ(p["binding"], "suboptimal");
  ASSERT_EQ(p["differences"].size(), 1u);
  EXPECT_EQ(p["differences"][0]["parameter"], "cnn.pes");
  EXPECT_EQ(p["differences"][0]["package"], CnnConfig{}.pes);
  EXPECT_EQ(p["differences"][0]["platform"], pes);
  EXPECT_EQ(p["differences"][0]["class"], "suboptimal");
  std::ostringstream os;
  print_package_warnings(os, report);
  EXPECT_NE(os.str().find("warning: package x.dlvp was compiled for other hardware (cnn.pes = " +
                          std::to_string(CnnConfig{}.pes) + ", here " + std::to_string(pes) +
                          "): it runs, but was tiled for other hardware: these figures may not be this hardware's best"),
            std::string::npos)
      << os.str();
  EXPECT_NE(os.str().find("--set cnn.pes=" + std::to_string(pes)), std::string::npos) << os.str();
}

TEST_F(PackageBindingTest, AFasterDdrIsOnlyListed) {
  write_package(dlvpc_origin());
  const PlatformConfig faster = config({"hw=ddr4-2400"});
  const std::vector<PackageBinding> b = bind_packages(faster);
  EXPECT_EQ(refusal(b), "");
  const nlohmann::json p = packages_report(b)[0];
  EXPECT_EQ(p["binding"], "informational");
  for (const nlohmann::json& d : p["differences"]) EXPECT_EQ(d["class"], "informational") << d;
  bool bandwidth = false;
  for (const nlohmann::json& d : p["differences"])
    if (d["parameter"] == "memory_bytes_per_second") {
      bandwidth = true;
      EXPECT_EQ(d["platform"], std::llround(memory_path_bytes_per_second(faster)));
    }
  EXPECT_TRUE(bandwidth) << p;
  std::ostringstream os;
  print_package_warnings(os, nlohmann::json{{"packages", packages_report(b)}});
  EXPECT_EQ(os.str(), "") << "no warning: the program is the same";
}

TEST_F(PackageBindingTest, APackageNotFromAModelSaysWhatMadeIt) {
  package::Provenance selftest;
  selftest.producer = "make_cnn_selftest";
  selftest.options = "--single-buffer";
  write_package(selftest);
  const std::string message = refusal(bind_packages(config({"cnn.accumulator_bits=24"})));
  EXPECT_NE(message.find("x.dlvp: compiled for cnn.accumulator_bits = 32, this platform has 24"), std::string::npos)
      << message;
  EXPECT_NE(message.find("x.dlvp: rebuild it for this hardware (it was made by 'make_cnn_selftest --single-buffer'"),
            std::string::npos)
      << message;
}

TEST(PackageBinding, ThePlatformsHardwareAndTheRecordedText) {
  PlatformConfig c;
  c.lstm.enabled = false;
  c.cnn.clock_mhz = 123.4567;
  const HardwareAtHand hw = hardware_at_hand(c);
  EXPECT_TRUE(hw.has_cnn);
  EXPECT_FALSE(hw.has_lstm);
  EXPECT_EQ(hw.cnn.pes, c.cnn.pes);
  EXPECT_EQ(hw.cnn.input_buffer_bytes, c.cnn.input_buffer_bytes);
  EXPECT_EQ(hw.platform.cnn_clock_khz, 123457u);
  EXPECT_EQ(hw.platform.ddr_size_bytes, c.ddr.size_bytes);
  const std::string text = recorded_hardware_text(cnn_header());
  for (const char* key : {"cnn.input_buffer_bytes", "cnn.weight_buffer_bytes", "cnn.output_buffer_bytes",
                          "cnn.accumulator_bits", "cnn.pes", "cnn.convolvers", "cnn.kernel", "ddr.size_bytes",
                          "memory_bytes_per_second", "cnn.clock_mhz = 214"})
    EXPECT_NE(text.find(key), std::string::npos) << key << " in " << text;
}

TEST(PackageBinding, ShellWords) {
  EXPECT_EQ(shell_word("/a/b_c-d.onnx"), "/a/b_c-d.onnx");
  EXPECT_EQ(shell_word("cnn.pes=4"), "cnn.pes=4");
  EXPECT_EQ(shell_word("my model.onnx"), "'my model.onnx'");
  EXPECT_EQ(shell_word("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_word("$(x)"), "'$(x)'");
  EXPECT_EQ(shell_word(""), "''");
}

}  // namespace
}  // namespace dlvp
