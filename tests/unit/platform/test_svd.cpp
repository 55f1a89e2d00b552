// The SoC's CMSIS-SVD description (platform/svd.h): the file the build made (<build>/dlvp.svd) is
// valid against the schema (tools/svd/svd_subset.xsd, xmllint), a file breaking the format is
// not (so the check can fail), and the content is the register tables' and the memory map's.
#include "platform/svd.h"

#include "ip/cnn/cnn_regs.h"
#include "ip/common/soc_map.h"
#include "ip/dma/dma_regs.h"
#include "ip/ifu/ifu_regs.h"
#include "ip/lstm/lstm_regs.h"
#include "ip/periph/intc_regs.h"
#include "ip/periph/uart_regs.h"
#include "platform/platform_config.h"

#include <gtest/gtest.h>

#include <bitset>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
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

// The text of register `name` in peripheral text `p`.
std::string register_text(const std::string& p, const std::string& name) {
  const size_t at = p.find("<name>" + name + "</name>");
  if (at == std::string::npos) return "";
  return p.substr(at, p.find("</register>", at) - at);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The SVD field `name` of register text `r` at the bits of `mask`, with `access`.
void expect_field(const std::string& r, const char* name, uint64_t mask, const char* access) {
  ASSERT_NE(mask, 0u) << name;
  const int offset = __builtin_ctzll(mask);
  const size_t width = std::bitset<64>(mask).count();
  ASSERT_EQ(mask >> offset, (width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1)) << name << ": bits not contiguous";
  const std::regex field(std::string("<field>\\s*<name>") + name + "</name>\\s*<description>[^<]+</description>" +
                         "\\s*<bitOffset>" + std::to_string(offset) + "</bitOffset>\\s*<bitWidth>" +
                         std::to_string(width) + "</bitWidth>\\s*<access>" + access + "</access>");
  EXPECT_TRUE(std::regex_search(r, field)) << name << " at bit " << offset << " width " << width << " in\n" << r;
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
  rejected(std::regex_replace(good, std::regex("(<bitOffset>[^<]*</bitOffset>)\\s*(<bitWidth>[^<]*</bitWidth>)"), "$2$1",
                              std::regex_constants::format_first_only),
           "bitWidth before bitOffset");
  rejected(std::regex_replace(good, std::regex("<bitOffset>[^<]*</bitOffset>\\s*<bitWidth>[^<]*</bitWidth>"), "",
                              std::regex_constants::format_first_only),
           "a field without its bits");
}

// The schema's fields part is the format's: a bit range as lsb/msb or "[msb:lsb]", readAction and
// named values are valid too (dlvp.svd writes bitOffset/bitWidth and no named values).
TEST(Svd, TheFormatsOtherFieldFormsAreAccepted) {
  if (std::string(DLVP_XMLLINT).find("NOTFOUND") != std::string::npos) GTEST_SKIP() << "xmllint not installed";
  const std::string good = generated();
  const std::string dir = testing::TempDir();
  auto accepted = [&](const std::string& text, const char* form) {
    ASSERT_NE(text, good) << form;
    const std::string path = dir + "/other.svd";
    std::ofstream(path) << text;
    std::string output;
    EXPECT_EQ(validate(path, output), 0) << form << "\n" << output;
  };
  const std::regex bits("<bitOffset>0</bitOffset>\\s*<bitWidth>1</bitWidth>");
  const auto first = std::regex_constants::format_first_only;
  accepted(std::regex_replace(good, bits, "<lsb>0</lsb><msb>0</msb>", first), "lsb and msb");
  accepted(std::regex_replace(good, bits, "<bitRange>[0:0]</bitRange>", first), "bitRange");
  accepted(std::regex_replace(good, std::regex("(<bitWidth>1</bitWidth>\\s*<access>[^<]*</access>)"),
                              "$1<readAction>clear</readAction><enumeratedValues><usage>read</usage><enumeratedValue>"
                              "<name>IDLE</name><value>0</value></enumeratedValue><enumeratedValue><name>OTHER</name>"
                              "<isDefault>true</isDefault></enumeratedValue></enumeratedValues>",
                              first),
           "readAction and enumeratedValues");
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

// The fields are the register headers' lists, at the bits of the constants the driver and the
// models use; a field of a write-1-to-clear register says so, a read-only bit in it is read-only.
TEST(Svd, FieldsAreTheBitsTheDriversUse) {
  const std::string svd = generated();
  const std::string ifu = peripheral(svd, "IFU");
  expect_field(register_text(ifu, "CTRL"), "START", ifu::kCtrlStart, "read-write");
  expect_field(register_text(ifu, "CTRL"), "DONE_IRQ_ENABLE", ifu::kCtrlDoneIrqEnable, "read-write");
  expect_field(register_text(ifu, "CTRL"), "ERROR_IRQ_ENABLE", ifu::kCtrlErrorIrqEnable, "read-write");
  const std::string status = register_text(ifu, "STATUS");
  expect_field(status, "BUSY", ifu::kStatusBusy, "read-only");
  expect_field(status, "DONE", ifu::kStatusDone, "read-write");
  expect_field(status, "ERROR", ifu::kStatusError, "read-write");
  EXPECT_EQ(count(status, "<modifiedWriteValues>oneToClear</modifiedWriteValues>"), 3u) << status;  // register, DONE, ERROR

  const std::string dma = peripheral(svd, "DMA");
  const std::string ctrl = register_text(dma, "CH%s_CTRL");
  expect_field(ctrl, "START", dma::kCtrlStart, "read-write");
  expect_field(ctrl, "IRQ_ENABLE", dma::kCtrlIrqEnable, "read-write");
  expect_field(ctrl, "SRC_SPACE", dma::kCtrlSrcSpace, "read-write");
  expect_field(ctrl, "DST_SPACE", dma::kCtrlDstSpace, "read-write");
  expect_field(register_text(dma, "CH%s_STATUS"), "BUSY", dma::kStatusBusy, "read-only");
  expect_field(register_text(dma, "CH%s_STATUS"), "ERROR", dma::kStatusError, "read-write");
  expect_field(register_text(dma, "IRQ_STATUS"), "CHANNELS", (1u << dma::kMaxChannels) - 1, "read-write");

  const std::string uart = peripheral(svd, "UART");
  expect_field(register_text(uart, "RXDATA"), "DATA", uart::kRxDataMask, "read-only");
  expect_field(register_text(uart, "RXDATA"), "EMPTY", uart::kRxEmpty, "read-only");
  expect_field(register_text(uart, "STATUS"), "RX_ENDED", uart::kStatusRxEnded, "read-only");
  const std::string lstm = peripheral(svd, "LSTM");
  expect_field(register_text(lstm, "LAST_STREAM_ERROR"), "PE", uint64_t{0xFFFF} << lstm_regs::kStreamErrorPeShift,
               "read-only");
}

// Every field of every list is in the file once; registers without fields have no <fields>.
TEST(Svd, EveryFieldOfTheListsIsListed) {
  const std::string svd = generated();
  EXPECT_EQ(count(peripheral(svd, "IFU"), "<field>"), std::size(ifu::kFieldDefs));
  EXPECT_EQ(count(peripheral(svd, "DMA"), "<field>"), std::size(dma::kGlobalFieldDefs) + std::size(dma::kChannelFieldDefs));
  EXPECT_EQ(count(peripheral(svd, "CNN"), "<field>"), std::size(cnn_regs::kFields));
  EXPECT_EQ(count(peripheral(svd, "LSTM"), "<field>"), std::size(lstm_regs::kFields));
  EXPECT_EQ(count(peripheral(svd, "INTC"), "<field>"), std::size(intc::kFields));
  EXPECT_EQ(count(peripheral(svd, "UART"), "<field>"), std::size(uart::kFields));
  EXPECT_EQ(count(peripheral(svd, "TIMER"), "<field>"), 0u);
  EXPECT_EQ(register_text(peripheral(svd, "CNN"), "CYCLES").find("<fields>"), std::string::npos);
  const std::string version = register_text(peripheral(svd, "CNN"), "VERSION");
  EXPECT_EQ(count(version, "<field>"), 2u) << version;
  // The count per block, as docs/periph.md ("SVD") quotes it (docs/figures.yaml).
  std::cout << "SVD fields:";
  for (const DeviceSlot& slot : MemoryMapConfig::slots()) {
    std::string name = slot.key;
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::cout << " " << name << " " << count(peripheral(svd, name), "<field>");
  }
  std::cout << "; total " << count(svd, "<field>") << "\n";
}
