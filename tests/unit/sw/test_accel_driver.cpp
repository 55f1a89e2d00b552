// The accelerator driver's package checks (sw/driver/accel_driver.h open_package), run on the host
// through the native HAL over a HostSoc whose DDR holds the package: the packages the build makes
// open; a package whose header fields point near 2^64 (checksum recomputed), that runs past the end
// of DDR or whose layer record is out of range is refused with the reason naming the field, and
// the driver never reads outside DDR (the HostSoc aborts the test on a bus fault).
#include "platform/package_validation.h"
#include "sw/driver/accel_driver.h"
#include "tests/support/host_soc.h"
#include "tests/support/package_edit.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace dlvp::test {
namespace {

using package::PackageHeader;
const std::string kSelftestPackage = std::string(DLVP_BUILD_DIR) + "/sw/apps/cnn_selftest.pkg";
const std::string kLstmPackage = std::string(DLVP_BUILD_DIR) + "/models/fashion_lstm.dlvp";

// A SoC with `package` at the start of DDR, `room` bytes of DDR after it, engines that fit it, and
// the driver initialized on it.
struct Rig {
  std::unique_ptr<HostSoc> soc;
  drv::Accelerator accel;

  Rig(std::vector<uint8_t> package, uint64_t room) : Rig(package, room, header_of(package).hardware, header_of(package).lstm) {}
  // Engines of the given geometry.
  Rig(std::vector<uint8_t> package, uint64_t room, const package::HardwareRequirements& cnn,
      const package::LstmRequirements& lstm) {
    package.resize(package.size() + room);
    soc = std::make_unique<HostSoc>(std::move(package));
    soc->add_accelerator(cnn, lstm);
    soc->attach();
    EXPECT_TRUE(accel.init(nullptr));
  }
  std::string open() {
    const char* problem = accel.open_package(soc::kDdrBase);
    return problem ? problem : "";
  }
};

TEST(AccelDriver, TheBuiltPackagesOpenAndTheirTensorsArePlacedInDdr) {
  for (const std::string& file : {kSelftestPackage, kLstmPackage}) {
    const std::vector<uint8_t> blob = read_bytes(file);
    Rig rig(blob, 64 << 20);
    ASSERT_EQ(rig.open(), "") << file;
    const PackageHeader& h = rig.accel.header();
    EXPECT_EQ(h.total_bytes, blob.size());
    ASSERT_GT(h.layer_count, 0u);
    EXPECT_GT(std::strlen(rig.accel.layer(0).name), 0u) << file;
    drv::JobTensors t{};
    EXPECT_EQ(rig.accel.place_job_tensors(soc::kDdrBase + h.total_bytes, false, &t), nullptr) << file;
    EXPECT_LE(t.end, rig.accel.ddr_end());
    EXPECT_GE(t.scratch, t.output + rig.accel.window_size(package::kArgOutput));

    // The same package with no room after it: the job's windows do not fit in DDR.
    Rig tight(blob, 0);
    ASSERT_EQ(tight.open(), "") << file;
    const char* problem = tight.accel.place_job_tensors(soc::kDdrBase + h.total_bytes, false, &t);
    ASSERT_NE(problem, nullptr);
    EXPECT_NE(std::string(problem).find("do not fit in DDR"), std::string::npos) << problem;
  }
}

TEST(AccelDriver, AnEngineThePackageCannotRunOnIsRefusedNamingTheParameterAndBothValues) {
  // The platform's classification (platform/hardware_binding.h): the first refused parameter.
  const std::vector<uint8_t> cnn = read_bytes(kSelftestPackage);
  const PackageHeader c = header_of(cnn);
  package::HardwareRequirements smaller = c.hardware;
  smaller.weight_buffer_bytes /= 2;
  EXPECT_EQ(Rig(cnn, 1 << 20, smaller, c.lstm).open(),
            "package compiled for cnn.weight_buffer_bytes = " + std::to_string(c.hardware.weight_buffer_bytes) +
                ", this SoC has " + std::to_string(smaller.weight_buffer_bytes) +
                ": the program's tiles overrun a smaller memory");
  package::HardwareRequirements more = c.hardware;
  more.pes *= 2, more.input_buffer_bytes *= 2;
  EXPECT_EQ(Rig(cnn, 1 << 20, more, c.lstm).open(), "") << "runs correctly (only the platform warns)";

  const std::vector<uint8_t> lstm = read_bytes(kLstmPackage);
  const PackageHeader l = header_of(lstm);
  package::LstmRequirements fewer = l.lstm;
  fewer.pes /= 2;
  EXPECT_EQ(Rig(lstm, 1 << 20, l.hardware, fewer).open().rfind("package compiled for lstm.pes = " +
                                                                 std::to_string(l.lstm.pes) + ", this SoC has " +
                                                                 std::to_string(fewer.pes) + ": ", 0),
            0u);
  EXPECT_EQ(Rig(lstm, 1 << 20, c.hardware, package::LstmRequirements{}).open(),  // a SoC with only the CNN engine
            "package needs the sparse LSTM engine, which this SoC does not have");
}

TEST(AccelDriver, HeaderFieldsNearTheTopOfTheAddressSpaceAreRefusedByName) {
  const std::vector<uint8_t> good = read_bytes(kSelftestPackage);
  for (const auto& [field, edit] : fields_near_the_top()) {
    const std::vector<uint8_t> blob = with_header(good, edit);
    Rig rig(blob, 1 << 20);
    const std::string problem = rig.open();
    EXPECT_NE(problem.find(field), std::string::npos) << field << ": " << problem;
    // The driver's reason is the shared validation's.
    package::Refusal why;
    const char* expected = package::validate_header(header_of(blob), blob.size() + (1 << 20), &why);
    ASSERT_NE(expected, nullptr) << field;
    EXPECT_EQ(problem, expected);
    // Nothing of the refused package stays open.
    EXPECT_EQ(rig.accel.header().total_bytes, 0u);
    EXPECT_EQ(rig.accel.run(0, 0, 0).error, drv::kErrNoPackage);
    EXPECT_EQ(rig.accel.layer(0).name[0], 0);
  }
}

TEST(AccelDriver, APackageRunningPastTheEndOfDdrOrOutsideItIsRefused) {
  std::vector<uint8_t> blob = read_bytes(kSelftestPackage);
  const uint64_t total = blob.size();
  blob.resize(total - 64);  // DDR ends 64 bytes before the package does
  Rig rig(blob, 0);
  char expected[128];
  std::snprintf(expected, sizeof expected, "total_bytes 0x%llx beyond the 0x%llx bytes available",
                static_cast<unsigned long long>(total), static_cast<unsigned long long>(total - 64));
  EXPECT_EQ(rig.open(), expected);
  const char* problem = rig.accel.open_package(0x1000);
  ASSERT_NE(problem, nullptr);
  EXPECT_EQ(std::string(problem).rfind("address 0x1000 outside DDR [0x80000000, 0x", 0), 0u) << problem;
  // Less DDR than a header from the address on.
  problem = rig.accel.open_package(rig.accel.ddr_end() - 16);
  ASSERT_NE(problem, nullptr);
  EXPECT_NE(std::string(problem).find("only 16 bytes"), std::string::npos) << problem;
}

TEST(AccelDriver, TheChecksumCoversTheHeaderAndLayerRecordsAreChecked) {
  std::vector<uint8_t> blob = read_bytes(kSelftestPackage);
  PackageHeader h = header_of(blob);
  h.reserved0 = 7;  // checked by nothing but the checksum
  std::memcpy(blob.data(), &h, sizeof h);
  Rig rig(blob, 0);
  EXPECT_EQ(rig.open(), "checksum mismatch (corrupt or truncated package)");
  // The header passed its checks: it stays open (a self-test may still run the corrupt stream).
  EXPECT_EQ(rig.accel.header().total_bytes, h.total_bytes);

  const auto bad_layer = with_layer(read_bytes(kSelftestPackage), 1, [](package::LayerRecord& r) {
    r.first_instruction = 0xfffffff0;
  });
  Rig layer_rig(bad_layer, 0);
  EXPECT_EQ(layer_rig.open().rfind("layer 1: first_instruction 4294967280 + instruction_count ", 0), 0u)
      << layer_rig.open();
  EXPECT_EQ(layer_rig.accel.run(0, 0, 0).error, drv::kErrNoPackage);
}

}  // namespace
}  // namespace dlvp::test
