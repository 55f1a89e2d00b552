#include "ip/common/energy_ledger.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

dlvp::TechTable table45() { return dlvp::TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/horowitz-45nm.yaml"); }

TEST(EnergyLedger, EnergyIsCountTimesUnitEnergyPerLevel) {
  dlvp::EnergyLedger ledger(table45());
  const auto mul = ledger.add_counter_from_table("pe", "mul", dlvp::Level::mac, dlvp::Action::compute, "int8_mul");
  const auto add = ledger.add_counter_from_table("pe", "add", dlvp::Level::mac, dlvp::Action::compute, "int32_add");
  const auto rd = ledger.add_counter({"buf", "read", dlvp::Level::buffer, dlvp::Action::read,
                                      ledger.tech().sram_access_64b(32768, false), "64-bit access", "sram"});
  ledger.count(mul, 1000);
  ledger.count(add, 10);
  ledger.count(rd, 3);
  const auto levels = ledger.energy_by_level(0);
  EXPECT_DOUBLE_EQ(levels[int(dlvp::Level::mac)], 1000 * 0.2 + 10 * 0.1);
  EXPECT_DOUBLE_EQ(levels[int(dlvp::Level::buffer)], 3 * 20.0);
  EXPECT_DOUBLE_EQ(ledger.total_energy(0), 200.0 + 1.0 + 60.0);
}

TEST(EnergyLedger, StaticPowerScalesWithTime) {
  dlvp::EnergyLedger ledger(table45());
  const auto leak = ledger.add_static("ddr", "background", dlvp::Level::dram, 2.5, "test");
  EXPECT_DOUBLE_EQ(ledger.energy_of(leak, 1000.0), 2500.0);
  EXPECT_DOUBLE_EQ(ledger.energy_by_level(400.0)[int(dlvp::Level::dram)], 1000.0);
}

TEST(EnergyLedger, AttributionToTags) {
  dlvp::EnergyLedger ledger(table45());
  const auto mul = ledger.add_counter_from_table("pe", "mul", dlvp::Level::mac, dlvp::Action::compute, "int8_mul");
  const auto job = ledger.define_tag("job0");
  const auto layer = ledger.define_tag("job0/conv1");
  ledger.count(mul, 5);  // untagged
  ledger.set_tag(job);
  ledger.count(mul, 7);
  ledger.count_tagged(mul, 11, layer);
  EXPECT_EQ(ledger.count_of(mul), 23u);
  EXPECT_EQ(ledger.count_of(mul, job), 7u);
  EXPECT_EQ(ledger.count_of(mul, layer), 11u);
  EXPECT_DOUBLE_EQ(ledger.energy_of(mul, layer), 11 * 0.2);
  EXPECT_EQ(ledger.tag_name(layer), "job0/conv1");
  ledger.reset_counts();
  EXPECT_EQ(ledger.count_of(mul), 0u);
  EXPECT_EQ(ledger.count_of(mul, job), 0u);
}

TEST(EnergyLedger, UntaggedCountsAreWhatNoTagReceived) {
  dlvp::EnergyLedger ledger(table45());
  const auto mul = ledger.add_counter_from_table("pe", "mul", dlvp::Level::mac, dlvp::Action::compute, "int8_mul");
  const auto layer = ledger.define_tag("layer0");
  ledger.count(mul, 5);
  ledger.count_tagged(mul, 11, layer);
  ledger.count_tagged(mul, 2, dlvp::kUntagged);  // explicitly untagged: ignores the current tag
  EXPECT_EQ(ledger.count_of(mul, dlvp::kUntagged), 7u);
  EXPECT_DOUBLE_EQ(ledger.energy_of(mul, dlvp::kUntagged), 7 * 0.2);
}

TEST(EnergyLedger, TaggedCountsSurviveCountersAndTagsAddedLater) {
  dlvp::EnergyLedger ledger(table45());
  const auto mul = ledger.add_counter_from_table("pe", "mul", dlvp::Level::mac, dlvp::Action::compute, "int8_mul");
  const auto first = ledger.define_tag("layer0");
  ledger.count_tagged(mul, 3, first);
  // The tag table grows for a counter registered after tagged counts exist, and for new tags.
  const auto add = ledger.add_counter_from_table("pe", "add", dlvp::Level::mac, dlvp::Action::compute, "int32_add");
  ledger.count_tagged(add, 4, first);
  std::vector<dlvp::TagId> more;
  for (int i = 1; i <= 20; ++i) more.push_back(ledger.tag_named("layer" + std::to_string(i)));
  for (size_t i = 0; i < more.size(); ++i) ledger.count_tagged(i % 2 ? add : mul, i + 1, more[i]);
  EXPECT_EQ(ledger.count_of(mul, first), 3u);
  EXPECT_EQ(ledger.count_of(add, first), 4u);
  for (size_t i = 0; i < more.size(); ++i) {
    EXPECT_EQ(ledger.count_of(i % 2 ? add : mul, more[i]), i + 1) << i;
    EXPECT_EQ(ledger.count_of(i % 2 ? mul : add, more[i]), 0u) << i;
  }
  EXPECT_EQ(ledger.count_of(mul, dlvp::kUntagged), 0u);
  ledger.reset_counts();
  EXPECT_EQ(ledger.count_of(add, more.back()), 0u);
  ledger.count_tagged(add, 2, more.back());
  EXPECT_EQ(ledger.count_of(add, more.back()), 2u);
}

TEST(EnergyLedger, TagNamedSharesOneTagPerName) {
  dlvp::EnergyLedger ledger(table45());
  const auto first = ledger.tag_named("layer3");
  EXPECT_NE(first, dlvp::kUntagged);
  EXPECT_EQ(ledger.tag_named("layer3"), first) << "a second module resolving the name gets the same tag";
  EXPECT_EQ(ledger.tag_name(first), "layer3");
  const auto other = ledger.tag_named("layer4");
  EXPECT_NE(other, first);
  // define_tag keeps creating tags; a name it defined first is what tag_named resolves to.
  const auto job = ledger.define_tag("job0");
  const auto again = ledger.define_tag("job0");
  EXPECT_NE(again, job);
  EXPECT_EQ(ledger.tag_named("job0"), job);
  EXPECT_EQ(ledger.tag_named("untagged"), dlvp::kUntagged);
  EXPECT_EQ(ledger.tag_count(), 5u);
}

TEST(EnergyLedger, TagOrCurrentFallsBackToTheCurrentTag) {
  dlvp::EnergyLedger ledger(table45());
  const auto job = ledger.define_tag("job0");
  const auto layer = ledger.define_tag("layer0");
  EXPECT_EQ(ledger.tag_or_current(dlvp::kUntagged), dlvp::kUntagged);
  ledger.set_tag(job);
  EXPECT_EQ(ledger.tag_or_current(dlvp::kUntagged), job);
  EXPECT_EQ(ledger.tag_or_current(layer), layer);
}

TEST(EnergyLedger, DramTrafficPerTag) {
  dlvp::EnergyLedger ledger(table45());
  const auto layer = ledger.tag_named("layer0");
  ledger.count_dram_traffic(layer, 100, false);
  ledger.count_dram_traffic(layer, 30, true);
  ledger.count_dram_traffic(dlvp::kUntagged, 64, false);
  EXPECT_EQ(ledger.dram_traffic(layer).read_bytes, 100u);
  EXPECT_EQ(ledger.dram_traffic(layer).write_bytes, 30u);
  EXPECT_EQ(ledger.dram_traffic(dlvp::kUntagged).read_bytes, 64u);
  EXPECT_EQ(ledger.dram_traffic(ledger.tag_named("layer1")).read_bytes, 0u) << "a tag without traffic";
  ledger.reset_counts();
  EXPECT_EQ(ledger.dram_traffic(layer).read_bytes, 0u);
}

TEST(EnergyLedger, SourcesNameTheTableEntry) {
  dlvp::EnergyLedger ledger(table45());
  const auto id = ledger.add_counter_from_table("x", "y", dlvp::Level::mac, dlvp::Action::compute, "int16_mul");
  EXPECT_NE(ledger.spec(id).source.find("horowitz-45nm:int16_mul"), std::string::npos);
  EXPECT_THROW(ledger.add_counter_from_table("x", "z", dlvp::Level::mac, dlvp::Action::compute, "nope"), dlvp::ConfigError);
  EXPECT_EQ(ledger.find("x", "y"), id);
}

}  // namespace
