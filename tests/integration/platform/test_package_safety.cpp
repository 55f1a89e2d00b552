// Hostile model packages through dlvp (docs/package.md, "Validation"): the packages the build makes
// with a header field corrupted and the checksum recomputed, so that only the validation can catch
// it. classify, cnn_selftest and run_package refuse each with "<app>: package at 0x... refused:
// <reason naming the field>" and exit 2, natively and on the ISS; nothing crashes and report.json
// is complete. Layer names
// with ill-formed UTF-8, commas, quotes and line breaks reach report.json and layers.csv intact.
#include "platform/model_package.h"
#include "ip/common/hex_text.h"
#include "tests/support/dlvp_cli.h"
#include "tests/support/package_edit.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace dlvp::test {
namespace {

using package::PackageHeader;
const std::string kScenarios = std::string(DLVP_SOURCE_DIR) + "/scenarios/";
const std::string kSelftestPackage = std::string(DLVP_BUILD_DIR) + "/sw/apps/cnn_selftest.pkg";
const std::string kFashionPackage = std::string(DLVP_BUILD_DIR) + "/models/fashion_cnn.dlvp";

// Runs `scenario` (its package at 0x90000000) with `blob` in place of the package; output in `dir`.
CliResult run_with_package(const std::string& scenario, const std::vector<uint8_t>& blob, const std::string& dir,
                           const std::string& extra = "") {
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/package.dlvp";
  write_bytes(file, blob);
  return run_dlvp("run " + kScenarios + scenario + " --set 'software.load[0]={file: \"" + file +
                  "\", address: 0x90000000}' --out " + dir + " " + extra);
}

// The run ended by the app's own exit with its status, and report.json is whole.
void expect_complete_report(const std::string& dir, int status) {
  const nlohmann::json report = read_report(dir);
  EXPECT_TRUE(report["run"]["software_exited"].get<bool>()) << report["run"].dump();
  EXPECT_EQ(report["run"]["exit_code"], status) << report["run"].dump();
  EXPECT_TRUE(report["energy"].contains("total"));
}

// `app` of `scenario` refuses `blob` naming `refusal`, exits 2 without a signal, and report.json is
// complete; case `i` runs natively or on the ISS.
void expect_refused(const std::string& scenario, const std::string& app, const std::vector<uint8_t>& blob,
                    const std::string& refusal, size_t i, const std::string& extra = "") {
  const std::string mode = i % 2 ? "iss" : "native";
  const std::string dir = out_dir("package_safety_" + app + std::to_string(i));
  const CliResult r = run_with_package(scenario, blob, dir, "--set cpu.mode=" + mode + " " + extra);
  EXPECT_EQ(r.signal, 0) << mode << " " << refusal << r.output;
  EXPECT_EQ(r.status, 2) << mode << " " << refusal << r.output;
  const std::string refused = app + ": package at 0x90000000 refused: ";
  const size_t at = r.output.find(refused);
  ASSERT_NE(at, std::string::npos) << r.output;
  EXPECT_NE(r.output.substr(at + refused.size()).find(refusal), std::string::npos)
      << "expected the reason to name " << refusal << ":\n" << r.output;
  expect_complete_report(dir, 2);
}

TEST(PackageSafety, HeaderOffsetsNearTwoToThe64AreRefusedByTheSelfTestAndRunPackage) {
  const std::vector<uint8_t> good = read_bytes(kSelftestPackage);
  const PackageHeader g = header_of(good);
  std::vector<HeaderEdit> cases = fields_near_the_top();
  cases.push_back({"layers_offset " + hex(g.layers_offset) + " + 96 x layer_count 2147483647 beyond total_bytes " +
                       hex(g.total_bytes),
                   [](PackageHeader& h) { h.layer_count = 0x7fffffff; }});
  // Alternate the apps that open the self-test package: each case in one of them.
  for (size_t i = 0; i < cases.size(); ++i) {
    const bool selftest = i % 2 == 0;
    expect_refused(selftest ? "cnn_selftest.yaml" : "conformance.yaml", selftest ? "cnn_selftest" : "run_package",
                   with_header(good, cases[i].edit), cases[i].refusal, i / 2);
  }
}

TEST(PackageSafety, HeaderOffsetsNearTwoToThe64AreRefusedByClassify) {
  const std::vector<uint8_t> good = read_bytes(kFashionPackage);
  const std::vector<HeaderEdit> cases = fields_near_the_top();
  for (size_t i = 0; i < cases.size(); ++i)
    expect_refused("fashion_mnist.yaml", "classify", with_header(good, cases[i].edit), cases[i].refusal, i,
                   "--set 'software.args[3]=5'");
}

TEST(PackageSafety, ClassifyRefusesAnOutputLargerThanItsWindow) {
  // output_c 0xff: before, classify took an argmax over 255 bytes of a 10-byte output and exited 0.
  const auto blob = with_header(read_bytes(kFashionPackage), [](PackageHeader& h) { h.output_c = 0xff; });
  const std::string dir = out_dir("package_safety_output_c");
  const CliResult r = run_with_package("fashion_mnist.yaml", blob, dir, "--set 'software.args[3]=5'");
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("classify: package at 0x90000000 refused: output tensor 255x1x1 x sequences 1 x 1-byte "
                          "elements at output_offset 0x0 beyond the output window (args[2].size 10)"),
            std::string::npos)
      << r.output;
  expect_complete_report(dir, 2);
}

TEST(PackageSafety, AnOldVersionAndAnEditedHeaderAreRefused) {
  const std::vector<uint8_t> good = read_bytes(kSelftestPackage);
  const std::string dir = out_dir("package_safety_version");
  CliResult r = run_with_package("conformance.yaml", with_header(good, [](PackageHeader& h) { h.version = 6; }), dir);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("run_package: package at 0x90000000 refused: unsupported package version 6 (expected 7)"),
            std::string::npos)
      << r.output;
  // A header byte that only the checksum covers, changed without re-sealing.
  std::vector<uint8_t> edited = good;
  edited[offsetof(PackageHeader, reserved0)] ^= 1;
  const std::string edited_dir = out_dir("package_safety_checksum");
  r = run_with_package("conformance.yaml", edited, edited_dir);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("refused: checksum mismatch (corrupt or truncated package)"), std::string::npos) << r.output;
  expect_complete_report(edited_dir, 2);
}

// The cells of an RFC 4180 CSV text, row by row.
std::vector<std::vector<std::string>> parse_rfc4180(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') cell += '"', ++i;
      else if (c == '"') quoted = false;
      else cell += c;
    } else if (c == '"' && cell.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',' || c == '\n') {
      rows.back().push_back(cell);
      cell.clear();
      was_quoted = false;
      if (c == '\n') rows.emplace_back();
    } else {
      cell += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

TEST(PackageSafety, AnyLayerNameReachesReportJsonAndLayersCsvIntact) {
  // Without the whole-names section the records' names are the names (an older producer's package).
  std::vector<uint8_t> blob = with_header(read_bytes(kSelftestPackage), [](package::PackageHeader& h) {
    h.names_offset = 0;
    h.names_size = 0;
  });
  const auto rename = [&](uint32_t index, const std::string& name) {
    blob = with_layer(blob, index, [&](package::LayerRecord& r) {
      std::memset(r.name, 0, sizeof r.name);
      std::memcpy(r.name, name.data(), name.size());
    });
  };
  rename(0, "conv\xff\xc3(1)");             // ill-formed UTF-8
  rename(1, "a,b \"quoted\"");              // comma and quotes
  rename(2, "line\nbreak\r\nfc");           // line breaks
  const std::string dir = out_dir("package_safety_names");
  const CliResult r = run_with_package("conformance.yaml", blob, dir);  // run_package prints no names
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json report = read_report(dir);
  const nlohmann::json& layers = report["accelerator"]["packages"][0]["layers"];
  ASSERT_EQ(layers.size(), 3u) << report["accelerator"].dump();
  const std::vector<std::string> expected = {"conv\xEF\xBF\xBD\xEF\xBF\xBD(1)", "a,b \"quoted\"", "line\nbreak\r\nfc"};
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(layers[i]["name"], expected[i]);
  EXPECT_FALSE(report["accelerator"].contains("package_problems"));

  const auto rows = parse_rfc4180(read_text(dir, "layers.csv"));
  ASSERT_EQ(rows.size(), 5u) << read_text(dir, "layers.csv");  // header, 3 layers, total
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rows[i + 1].size(), rows[0].size()) << i;
    EXPECT_EQ(rows[i + 1][2], expected[i]);
  }
}

TEST(PackageSafety, TheLayerReportNamesAPackageItsReaderRefuses) {
  // A refused package listed in software.load (its program never runs: the good one at another
  // address does) is named with the reason; the layers of the program that ran are named from the
  // package loaded where it runs.
  std::vector<uint8_t> bad = read_bytes(kSelftestPackage);
  bad[bad.size() - 1] ^= 1;  // checksum mismatch
  const std::string dir = out_dir("package_safety_report");
  std::filesystem::create_directories(dir);
  write_bytes(dir + "/bad.dlvp", bad);
  const CliResult r = run_dlvp("run " + kScenarios + "cnn_selftest.yaml --set 'software.load=[{file: \"" + dir +
                               "/bad.dlvp\", address: 0x98000000}, {file: \"" + kSelftestPackage +
                               "\", address: 0x90000000}]' --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json a = read_report(dir)["accelerator"];
  EXPECT_EQ(a["package_problems"][0], dir + "/bad.dlvp: checksum mismatch (corrupt or truncated package)") << a.dump();
  // The self-test's package, then the corrupt program it runs to see the IFU refuse it.
  ASSERT_GE(a["packages"].size(), 1u) << a.dump();
  EXPECT_EQ(a["packages"][0]["name"], "cnn_selftest");
  EXPECT_EQ(a["packages"][0]["layers"][0]["name"], "conv1") << "named from the good package";
}

}  // namespace
}  // namespace dlvp::test
