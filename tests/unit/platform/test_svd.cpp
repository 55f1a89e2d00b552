// The SoC's CMSIS-SVD description (platform/svd.h): the file the build made (<build>/dlvp.svd) is
// valid against the schema (tools/svd/svd_subset.xsd, xmllint), a file breaking the format is
// not (so the check can fail), and the content is the register tables' and the memory map's.
#include "platform/svd.h"

#include "ip/cnn/cnn_regs.h"
#include "ip/common/soc_map.h"
#include "ip/dma/dma_regs.h"
#include "ip/periph/intc_regs.h"
#include "platform/platform_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using namespace dlvp;

namespace {

const std::string kSchema = std::string(DLVP_SOURCE_DIR) + "/tools/svd/svd_subset.xsd";

// xmllint's exit status and output on `path`.
int validate(const std::string& path, std::string& output) {
  const std::string command = std::string(DLVP_XMLLINT) + " --noout --schema " + kSchema + " " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  return WEXITSTATUS(pclose(pipe));
}

std::string generated() {
  std::ostringstream os;
  write_svd(os, default_svd_options());
  return os.str();
}

// The text of the peripheral named `name`.
std::string peripheral(const std::string& svd, const std::string& name) {
  const size_t at = svd.find("<name>" + name + "</name>");
  if (at == std::string::npos) return "";
  return svd.substr(at, svd.find("</peripheral>", at) - at);
}

}  // namespace

TEST(Svd, TheBuildsFileIsValidAgainstTheSchema) {
  if (std::string(DLVP_XMLLINT).find("NOTFOUND") != std::string::npos) GTEST_SKIP() << "xmllint not installed";
  std::string output;
  EXPECT_EQ(validate(DLVP_SVD_FILE, output), 0) << output;
  EXPECT_NE(output.find("validates"), std::string::npos) << output;
  // The build's file is what write_svd writes now.
  std::ifstream in(DLVP_SVD_FILE);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), generated());
}

TEST(Svd, AFileBreakingTheFormatIsRejected) {
  if (std::string(DLVP_XMLLINT).find("NOTFOUND") != std::string::npos) GTEST_SKIP() << "xmllint not installed";
  const std::string good = generated();
  const std::string dir = testing::TempDir();
  auto rejected = [&](const std::string& text, const char* why) {
    const std::string path = dir + "/broken.svd";
    std::ofstream(path) << text;
    std::string output;
    EXPECT_NE(validate(path, output), 0) << why;
  };
  rejected(std::regex_replace(good, std::regex("<access>read-only</access>"), "<access>readonly</access>"),
           "an access the format does not have");
  rejected(std::regex_replace(good, std::regex("<baseAddress>"), "<base>", std::regex_constants::format_first_only),
           "no baseAddress");
  rejected(std::regex_replace(good, std::regex("(<name>ID</name>)\\s*(<description>[^<]*</description>)"), "$2$1",
                              std::regex_constants::format_first_only),
           "description before name");
  rejected(std::regex_replace(good, std::regex("<name>ID</name>"), "<name>1D</name>"), "not a C identifier");
}

TEST(Svd, EveryBlockAtItsDefaultBaseWithItsRegisters) {
  const std::string svd = generated();
  for (const DeviceSlot& slot : MemoryMapConfig::slots()) {
    std::string name = slot.key;
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string p = peripheral(svd, name);
    ASSERT_FALSE(p.empty()) << name;
    char base[32];
    std::snprintf(base, sizeof base, "<baseAddress>0x%llX</baseAddress>", static_cast<unsigned long long>(slot.default_base));
    EXPECT_NE(p.find(base), std::string::npos) << name;
    EXPECT_EQ(p.find("<interrupt>") != std::string::npos, slot.irq != soc::kNoIrq) << name;
  }
  // The CNN block: every register of its table, with offset, size, access and reset value.
  const std::string cnn = peripheral(svd, "CNN");
  size_t registers = 0;
  for (size_t at = cnn.find("<register>"); at != std::string::npos; at = cnn.find("<register>", at + 1)) ++registers;
  EXPECT_EQ(registers, std::size(cnn_regs::kRegisters));
  EXPECT_TRUE(std::regex_search(cnn, std::regex("<name>ID</name>\\s*<description>block identifier, ASCII 'CNN0'</description>"
                                                "\\s*<addressOffset>0x0</addressOffset>\\s*<size>32</size>"
                                                "\\s*<access>read-only</access>\\s*<resetValue>0x434E4E30</resetValue>")));
  EXPECT_TRUE(std::regex_search(cnn, std::regex("<name>CYCLES</name>[^/]*</description>\\s*<addressOffset>0x40</addressOffset>"
                                                "\\s*<size>64</size>")));
  // The DMA: its global registers, then each channel register as an array over the channels;
  // write-1-to-clear registers say so.
  const std::string dma = peripheral(svd, "DMA");
  EXPECT_TRUE(std::regex_search(dma, std::regex("<dim>2</dim>\\s*<dimIncrement>0x40</dimIncrement>\\s*<name>CH%s_CTRL</name>"
                                                "[^/]*</description>\\s*<addressOffset>0x120</addressOffset>")));
  EXPECT_TRUE(std::regex_search(dma, std::regex("<name>IRQ_STATUS</name>(.|\\n)*?<modifiedWriteValues>oneToClear</modifiedWriteValues>")));
  EXPECT_NE(dma.find("<value>1</value>"), std::string::npos);  // interrupt source 1
  EXPECT_EQ(dma.find("CH0_"), std::string::npos);              // no copies of the array
}
