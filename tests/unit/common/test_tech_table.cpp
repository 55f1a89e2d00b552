#include "ip/common/config_error.h"
#include "ip/common/tech_table.h"

#include <gtest/gtest.h>

#include <fstream>

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(TechTable, Horowitz45nmHasReferenceFigures) {
  const auto t = dlvp::TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/horowitz-45nm.yaml");
  EXPECT_EQ(t.unit(), "pJ");
  EXPECT_DOUBLE_EQ(t.energy("int8_add"), 0.03);
  EXPECT_DOUBLE_EQ(t.energy("int32_mul"), 3.1);
  EXPECT_DOUBLE_EQ(t.sram_access_64b(8192, false), 10.0);
  EXPECT_DOUBLE_EQ(t.sram_access_64b(32768, false), 20.0);
  EXPECT_DOUBLE_EQ(t.sram_access_64b(1 << 20, true), 100.0);
  // Halfway in log2(size) between 8 KB and 32 KB is 16 KB.
  EXPECT_DOUBLE_EQ(t.sram_access_64b(16384, false), 15.0);
  EXPECT_DOUBLE_EQ(t.sram_access_64b(1024, false), 10.0);  // clamped below the table
}

TEST(TechTable, NormalizedTableKeepsTheHierarchy) {
  const auto t = dlvp::TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/normalized-eyeriss.yaml");
  EXPECT_EQ(t.unit(), "MAC");
  EXPECT_DOUBLE_EQ(t.energy("rf_access_16b") * 2, t.energy("array_transfer_16b"));
  EXPECT_DOUBLE_EQ(t.sram_access_64b(100000, false) / 4, 6.0 * t.energy("rf_access_16b"));
  EXPECT_DOUBLE_EQ(t.energy("dram_access_64b") / 4, 200.0 * t.energy("int8_mul"));
  // A compare (max pooling) is no part of a MAC: it has an energy of its own, as in the pJ table.
  const auto pj = dlvp::TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/horowitz-45nm.yaml");
  EXPECT_GT(t.energy("int8_compare"), 0.0);
  EXPECT_GT(pj.energy("int8_compare"), 0.0);
}

TEST(TechTable, ErrorsNameFileAndKey) {
  const auto missing = write_temp("t1.yaml", "name: x\nunit: pJ\nentries:\n  a: {energy: 1, per: op}\n");
  try {
    dlvp::TechTable::load(missing);
    FAIL();
  } catch (const dlvp::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("'a'"), std::string::npos);
  }
  const auto bad_number = write_temp("t2.yaml", "name: x\nunit: pJ\nentries:\n  a: {energy: lots, per: op, source: s}\n");
  EXPECT_THROW(dlvp::TechTable::load(bad_number), dlvp::ConfigError);
  const auto unknown = write_temp("t3.yaml", "name: x\nunit: pJ\nentriez: {}\n");
  try {
    dlvp::TechTable::load(unknown);
    FAIL();
  } catch (const dlvp::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("entriez"), std::string::npos);
  }
  EXPECT_THROW(dlvp::TechTable::load("/nonexistent/table.yaml"), dlvp::ConfigError);
  const auto t = dlvp::TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/horowitz-45nm.yaml");
  try {
    t.energy("int4_mul");
    FAIL();
  } catch (const dlvp::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("int4_mul"), std::string::npos);
  }
}

// The area section (docs/cost.md): every coefficient with a unit and a source; SRAM area per byte
// interpolated in log2(macro size) like the access energies; area without sram_area is refused.
TEST(TechTable, AreaDataHasSourcesAndInterpolates) {
  const auto t = dlvp::TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/horowitz-45nm.yaml");
  ASSERT_TRUE(t.has_area());
  EXPECT_EQ(t.area("node_nm").value, 45.0);
  EXPECT_FALSE(t.area("nand2").source.empty());
  EXPECT_DOUBLE_EQ(t.sram_um2_per_byte(8192), 6.15);
  EXPECT_DOUBLE_EQ(t.sram_um2_per_byte(16384), (6.15 + 5.03) / 2);
  EXPECT_DOUBLE_EQ(t.sram_um2_per_byte(64ull << 20), 3.95);  // clamped above the table
  EXPECT_FALSE(dlvp::TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/normalized-eyeriss.yaml").has_area());
  const auto half = write_temp("t4.yaml", "name: x\nunit: pJ\nentries: {}\narea:\n  nand2: {value: 1, unit: um2, source: s}\n");
  try {
    dlvp::TechTable::load(half);
    FAIL();
  } catch (const dlvp::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("sram_area"), std::string::npos) << e.what();
  }
  const auto no_source = write_temp("t5.yaml", "name: x\nunit: pJ\nentries: {}\narea:\n  nand2: {value: 1, unit: um2}\n"
                                               "sram_area: {source: s, points: [{bytes: 8, um2_per_byte: 1}]}\n");
  try {
    dlvp::TechTable::load(no_source);
    FAIL();
  } catch (const dlvp::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'nand2'"), std::string::npos) << e.what();
  }
}

}  // namespace
