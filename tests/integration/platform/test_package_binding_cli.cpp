// A package bound to its hardware through `dlvp run` (docs/package.md, "Binding to the hardware"):
// the Fashion-MNIST package the build compiles for the Zynq board, on a platform with a smaller
// input buffer (refused before the simulation: status 122, the buffer and both sizes named, the
// dlvpc command that recompiles it), with 4 PEs and with larger buffers (runs, with a warning and
// the differences in report.json), and on the DDR4-2400 board (runs, the differences only listed).
// Expected values come from the package's own header.
#include "platform/exit_status.h"
#include "platform/model_package.h"
#include "tests/support/dlvp_cli.h"
#include "tests/support/package_edit.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

namespace dlvp::test {
namespace {

const std::string kScenario = std::string(DLVP_SOURCE_DIR) + "/scenarios/fashion_mnist.yaml";
const std::string kPackage = std::string(DLVP_BUILD_DIR) + "/models/fashion_cnn.dlvp";
const std::string kPackageFile = "@build/models/fashion_cnn.dlvp";  // as the scenario names it

// The scenario on a few images, with `sets` as extra options.
CliResult run_fashion(const std::string& dir, const std::string& sets) {
  return run_dlvp("run " + kScenario + " --set 'software.args[3]=3' --out " + dir + " " + sets);
}

package::HardwareRequirements compiled_for() { return header_of(read_bytes(kPackage)).hardware; }

const nlohmann::json& the_package(const nlohmann::json& report) {
  static const nlohmann::json none;
  return report.contains("packages") && report["packages"].size() == 1 ? report["packages"][0] : none;
}

TEST(PackageBindingCli, ASmallerInputBufferIsRefusedNamingItBothSizesAndTheRecompileCommand) {
  const uint64_t compiled = compiled_for().input_buffer_bytes, here = compiled / 3 * 2;
  const std::string dir = out_dir("binding_smaller");
  const CliResult r = run_fashion(dir, "--set cnn.input_buffer_bytes=" + std::to_string(here));
  EXPECT_EQ(r.status, exit_status::kBadInput) << r.output;
  EXPECT_NE(r.output.find("dlvp: error: " + kPackageFile + ": compiled for cnn.input_buffer_bytes = " +
                          std::to_string(compiled) + ", this platform has " + std::to_string(here) + " ("),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("dlvp: error: " + kPackageFile + ": recompile it for this hardware: dlvpc compile "),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("/scenarios/models/fashion_cnn.onnx --hw "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--calib-count 500 --set cnn.input_buffer_bytes="), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" -o " + kPackage), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/report.json")) << "refused before the simulation";
}

TEST(PackageBindingCli, FourPesRunWithAWarningAndTheDifferenceInTheReport) {
  const std::string dir = out_dir("binding_pes");
  const CliResult r = run_fashion(dir, "--set cnn.pes=4");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("warning: package " + kPackageFile + " was compiled for other hardware (cnn.pes = " +
                          std::to_string(compiled_for().pes) + ", here 4): it runs, but was tiled for other hardware: these "
                          "figures may not be this hardware's best; recompile it for this hardware: dlvpc compile "),
            std::string::npos)
      << r.output;
  const nlohmann::json p = the_package(read_report(dir));
  EXPECT_EQ(p["file"], kPackageFile);
  EXPECT_EQ(p["binding"], "suboptimal");
  ASSERT_EQ(p["differences"].size(), 1u) << p;
  EXPECT_EQ(p["differences"][0]["parameter"], "cnn.pes");
  EXPECT_EQ(p["differences"][0]["package"], compiled_for().pes);
  EXPECT_EQ(p["differences"][0]["platform"], 4);
  EXPECT_EQ(p["differences"][0]["class"], "suboptimal");
  EXPECT_NE(p["compiled_for"]["hardware_file"].get<std::string>().find("zynq7020.yaml"), std::string::npos) << p;
}

TEST(PackageBindingCli, LargerBuffersRunWithAWarningListingEachBuffer) {
  const package::HardwareRequirements hw = compiled_for();
  const uint64_t larger = 512 * 1024;
  ASSERT_GT(larger, std::max({hw.input_buffer_bytes, hw.weight_buffer_bytes, hw.output_buffer_bytes}));
  const std::string dir = out_dir("binding_larger");
  const std::string size = std::to_string(larger);
  const CliResult r = run_fashion(dir, "--set cnn.input_buffer_bytes=" + size + " --set cnn.weight_buffer_bytes=" + size +
                                           " --set cnn.output_buffer_bytes=" + size);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("cnn.input_buffer_bytes = " + std::to_string(hw.input_buffer_bytes) + ", here " + size +
                          "; cnn.weight_buffer_bytes = " + std::to_string(hw.weight_buffer_bytes) + ", here " + size +
                          "; cnn.output_buffer_bytes = " + std::to_string(hw.output_buffer_bytes) + ", here " + size),
            std::string::npos)
      << r.output;
  const nlohmann::json p = the_package(read_report(dir));
  EXPECT_EQ(p["binding"], "suboptimal");
  ASSERT_EQ(p["differences"].size(), 3u) << p;
  for (const nlohmann::json& d : p["differences"]) {
    EXPECT_EQ(d["class"], "suboptimal") << d;
    EXPECT_EQ(d["platform"], larger) << d;
  }
}

TEST(PackageBindingCli, AFasterDdrRunsWithTheDifferencesOnlyListed) {
  const std::string dir = out_dir("binding_ddr4");
  const CliResult r = run_fashion(dir, "--set hw=ddr4-2400");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.find("warning: package"), std::string::npos) << r.output;
  const nlohmann::json p = the_package(read_report(dir));
  EXPECT_EQ(p["binding"], "informational") << p;
  bool bandwidth = false;
  for (const nlohmann::json& d : p["differences"]) {
    EXPECT_EQ(d["class"], "informational") << d;
    if (d["parameter"] == "memory_bytes_per_second") {
      bandwidth = true;
      EXPECT_GT(d["platform"].get<double>(), d["package"].get<double>()) << d;
    }
  }
  EXPECT_TRUE(bandwidth) << p;
}

}  // namespace
}  // namespace dlvp::test
