// DDR presets, the `ddr` scenario section and the address mapping.
#include "ip/common/config_error.h"
#include "ip/ddr/ddr_address_map.h"
#include "ip/ddr/ddr_config.h"
#include "ip/ddr/ddr_timing.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>

using dlvp::ConfigError;
using dlvp::DdrAddressMap;
using dlvp::DdrConfig;
using dlvp::DdrLocation;
using dlvp::DdrTiming;

namespace {

std::string preset_path(const std::string& name) {
  return std::string(DLVP_SOURCE_DIR) + "/scenarios/hw/ddr/" + name + ".yaml";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A copy of the DDR3 preset with the line starting with `key + ":"` replaced by `replacement`
// (removed when empty); returns its path.
std::string preset_variant(const std::string& key, const std::string& replacement, const std::string& file_name) {
  std::istringstream original(read_file(preset_path("ddr3-1066-x32")));
  std::ostringstream edited;
  bool found = false;
  for (std::string line; std::getline(original, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      found = true;
      if (!replacement.empty()) edited << replacement << "\n";
    } else {
      edited << line << "\n";
    }
  }
  if (!found) edited << replacement << "\n";
  const std::string path = testing::TempDir() + file_name;
  std::ofstream(path) << edited.str();
  return path;
}

std::string load_error(const std::string& path) {
  try {
    DdrTiming::load(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

DdrConfig bind_config(const std::string& yaml) {
  DdrConfig config;
  dlvp::ParamBinder binder(YAML::Load(yaml), "ddr", [](const std::string&) { return std::string("test.yaml"); });
  DdrConfig::bind(binder, config);
  binder.finish();
  return config;
}

std::string bind_error(const std::string& yaml) {
  try {
    bind_config(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(DdrTiming, PresetsLoadAndDerivePeakBandwidthFromClockAndWidth) {
  const DdrTiming ddr3 = DdrTiming::load(preset_path("ddr3-1066-x32"));
  const DdrTiming ddr4 = DdrTiming::load(preset_path("ddr4-2400-x64"));
  for (const DdrTiming* t : {&ddr3, &ddr4}) {
    const double expected = t->data_rate * (1e12 / double(t->tCK_ps)) * (t->bus_width_bits / 8.0);
    EXPECT_DOUBLE_EQ(t->peak_bandwidth_Bps(), expected) << t->name;
    EXPECT_EQ(t->burst_bytes(), uint64_t(t->burst_length) * t->bus_width_bits / 8) << t->name;
    EXPECT_EQ(t->burst_time(), sc_core::sc_time(double(t->tCK_ps * t->burst_length / t->data_rate), sc_core::SC_PS));
    // Refresh every 7.8 us, as both datasheets specify.
    EXPECT_NEAR(double(t->tREFI) * double(t->tCK_ps) / 1e6, 7.8, 0.01) << t->name;
  }
  EXPECT_EQ(ddr3.name, "ddr3-1066-x32");
  EXPECT_EQ(ddr3.devices_per_rank(), 2u);   // two x16 devices on 32 bits
  EXPECT_EQ(ddr4.devices_per_rank(), 8u);   // eight x8 devices on 64 bits
  EXPECT_NEAR(ddr3.peak_bandwidth_Bps() / 1e9, 4.264, 4.264 * 0.0005);  // docs/references.md: 4.26 GB/s
  EXPECT_NEAR(ddr4.peak_bandwidth_Bps() / 1e9, 19.2, 19.2 * 0.001);     // docs/references.md: 19.2 GB/s
  EXPECT_EQ(ddr3.tWTR_L, ddr3.tWTR_S);  // DDR3: one tWTR, one tRRD
  EXPECT_EQ(ddr3.tRRD_L, ddr3.tRRD_S);
}

TEST(DdrTiming, UnknownKeyIsAnErrorNamingKeyAndFile) {
  const std::string path = preset_variant("tXYZ", "tXYZ: 5", "ddr_unknown_key.yaml");
  const std::string error = load_error(path);
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("'tXYZ'"), std::string::npos) << error;
}

TEST(DdrTiming, NegativeValueIsAnErrorNamingKeyAndFile) {
  const std::string path = preset_variant("tRCD", "tRCD: -3", "ddr_negative.yaml");
  const std::string error = load_error(path);
  EXPECT_NE(error.find(path + ":"), std::string::npos) << error;  // with the line number
  EXPECT_NE(error.find("'tRCD'"), std::string::npos) << error;
  const std::string current_path = preset_variant("IDD0", "IDD0: -75", "ddr_negative_current.yaml");
  EXPECT_NE(load_error(current_path).find("'IDD0'"), std::string::npos);
}

TEST(DdrTiming, MissingKeyAndMissingFileAreErrors) {
  const std::string path = preset_variant("tRP", "", "ddr_missing_key.yaml");
  const std::string error = load_error(path);
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("'tRP'"), std::string::npos) << error;
  const std::string absent = testing::TempDir() + "no_such_preset.yaml";
  EXPECT_NE(load_error(absent).find(absent), std::string::npos);
}

TEST(DdrTiming, InconsistentValuesAreErrorsNamingTheKey) {
  const std::string banks = preset_variant("banks", "banks: 6", "ddr_banks.yaml");
  EXPECT_TRUE(load_error(banks).empty()) << "DDR3 has one bank group, so 6 banks divide evenly";
  const std::string width = preset_variant("bus_width_bits", "bus_width_bits: 24", "ddr_width.yaml");
  EXPECT_NE(load_error(width).find("'bus_width_bits'"), std::string::npos);
  const std::string idd = preset_variant("IDD4R", "IDD4R: 10", "ddr_idd.yaml");
  EXPECT_NE(load_error(idd).find("'IDD4R'"), std::string::npos);
  const std::string refi = preset_variant("tREFI", "tREFI: 100", "ddr_refi.yaml");
  EXPECT_NE(load_error(refi).find("'tREFI'"), std::string::npos);
}

TEST(DdrConfig, DefaultsAndValidation) {
  const DdrConfig defaults = bind_config("{}");
  EXPECT_EQ(defaults.preset, "ddr3-1066-x32");
  EXPECT_EQ(defaults.size_bytes, uint64_t(1) << 30);
  EXPECT_EQ(defaults.page_policy, "open");
  EXPECT_EQ(defaults.address_mapping, "row_bank_col");
  EXPECT_TRUE(defaults.refresh);
  const DdrConfig set = bind_config("{channels: 2, ranks: 2, page_policy: closed, size_bytes: 0x20000000}");
  EXPECT_EQ(set.channels, 2u);
  EXPECT_TRUE(set.closed_page());
  EXPECT_EQ(set.size_bytes, uint64_t(512) << 20);
  EXPECT_NE(bind_error("{size_bytes: 1050000}").find("'ddr.size_bytes'"), std::string::npos);  // not 4 KiB multiple
  EXPECT_NE(bind_error("{size_bytes: 0x400000000000}").find("'ddr.size_bytes'"), std::string::npos);
  EXPECT_NE(bind_error("{channels: 5}").find("'ddr.channels'"), std::string::npos);
  EXPECT_NE(bind_error("{channel_interleave_bytes: 384}").find("'ddr.channel_interleave_bytes'"), std::string::npos);
  EXPECT_NE(bind_error("{page_policy: adaptive}").find("'ddr.page_policy'"), std::string::npos);
  EXPECT_NE(bind_error("{banks: 8}").find("'ddr.banks'"), std::string::npos);  // unknown key
}

TEST(DdrAddressMap, DecodeAndEncodeAreInverse) {
  const DdrTiming ddr4 = DdrTiming::load(preset_path("ddr4-2400-x64"));
  std::mt19937_64 random(7);
  for (const char* mapping : {"row_bank_col", "bank_row_col"}) {
    DdrConfig config;
    config.channels = 2;
    config.ranks = 2;
    config.address_mapping = mapping;
    config.size_bytes = uint64_t(16) << 30;
    const DdrAddressMap map(config, ddr4);
    for (int i = 0; i < 10000; ++i) {
      const uint64_t address = random() % config.size_bytes / map.burst_bytes() * map.burst_bytes();
      const DdrLocation loc = map.decode(address);
      ASSERT_LT(loc.bank, ddr4.banks);
      ASSERT_LT(loc.rank, config.ranks);
      ASSERT_LT(loc.channel, config.channels);
      ASSERT_LT(loc.column, ddr4.columns);
      ASSERT_EQ(map.encode(loc), address) << mapping;
    }
  }
}

TEST(DdrAddressMap, RowBankColumnKeepsSequentialBytesInOpenRows) {
  const DdrTiming ddr4 = DdrTiming::load(preset_path("ddr4-2400-x64"));
  const DdrConfig config;
  const DdrAddressMap map(config, ddr4);
  // One row in each bank group: consecutive bursts alternate groups, all in row 0.
  std::set<unsigned> banks;
  const uint64_t stripe = ddr4.row_bytes() * ddr4.bank_groups;
  for (uint64_t a = 0; a < stripe; a += map.burst_bytes()) {
    const DdrLocation loc = map.decode(a);
    EXPECT_EQ(loc.row, 0u);
    banks.insert(loc.bank);
    if (a > 0) {
      EXPECT_NE(map.bank_group(loc.bank), map.bank_group(map.decode(a - map.burst_bytes()).bank));
    }
  }
  EXPECT_EQ(banks.size(), ddr4.bank_groups);
  // The next stripe moves on to other banks, still row 0; the row changes after all banks.
  EXPECT_EQ(banks.count(map.decode(stripe).bank), 0u);
  EXPECT_EQ(map.decode(ddr4.row_bytes() * ddr4.banks - 1).row, 0u);
  EXPECT_EQ(map.decode(ddr4.row_bytes() * ddr4.banks).row, 1u);

  const DdrTiming ddr3 = DdrTiming::load(preset_path("ddr3-1066-x32"));
  const DdrAddressMap map3(config, ddr3);
  EXPECT_EQ(map3.decode(0).bank, map3.decode(ddr3.row_bytes() - 1).bank);
  EXPECT_NE(map3.decode(0).bank, map3.decode(ddr3.row_bytes()).bank);
}

TEST(DdrAddressMap, BankRowColumnFillsOneBankFirst) {
  const DdrTiming ddr3 = DdrTiming::load(preset_path("ddr3-1066-x32"));
  DdrConfig config;
  config.address_mapping = "bank_row_col";
  const DdrAddressMap map(config, ddr3);
  EXPECT_EQ(map.decode(ddr3.row_bytes()).bank, 0u);
  EXPECT_EQ(map.decode(ddr3.row_bytes()).row, 1u);
  EXPECT_EQ(map.decode(ddr3.row_bytes() * ddr3.rows).bank, 1u);
}

TEST(DdrAddressMap, ChannelsInterleaveAndSplitRanges) {
  const DdrTiming ddr4 = DdrTiming::load(preset_path("ddr4-2400-x64"));
  DdrConfig config;
  config.channels = 3;
  config.channel_interleave_bytes = 256;
  const DdrAddressMap map(config, ddr4);
  EXPECT_EQ(map.decode(0).channel, 0u);
  EXPECT_EQ(map.decode(256).channel, 1u);
  EXPECT_EQ(map.decode(512).channel, 2u);
  EXPECT_EQ(map.decode(768).channel, 0u);
  // Channel-local addresses continue where the channel left off: 768 is the channel's byte 256.
  EXPECT_EQ(map.decode(768).column, map.decode(256).column + 256 / ddr4.bus_bytes() / ddr4.bank_groups);
  std::mt19937_64 random(3);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t address = random() % (uint64_t(1) << 30), bytes = random() % 100000 + 1;
    const std::vector<uint64_t> split = map.bytes_per_channel(address, bytes);
    std::vector<uint64_t> expected(3, 0);
    for (uint64_t a = address; a < address + bytes; ++a) ++expected[(a / 256) % 3];
    ASSERT_EQ(split, expected) << address << " + " << bytes;
  }
  DdrConfig bad = config;
  bad.channel_interleave_bytes = 32;  // below one 64-byte burst
  EXPECT_THROW(DdrAddressMap(bad, ddr4), ConfigError);
}
