// Lists and maps that software makes grow keep a bounded size: the first entries are kept, the
// rest counted (BoundedRecords) or folded into one overflow entry (bounded_entry); the ledger's
// layer tags likewise (energy_tag.h).
#include "ip/common/bounded_records.h"
#include "ip/common/energy_tag.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace dlvp;

TEST(BoundedRecords, KeepsTheFirstEntriesAndCountsTheRest) {
  BoundedRecords<int> records(3);
  EXPECT_EQ(records.add(10), 0u);
  EXPECT_EQ(records.add(11), 1u);
  EXPECT_EQ(records.add(12), 2u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(records.add(i), BoundedRecords<int>::kNotKept);
  EXPECT_EQ(records.kept(), (std::vector<int>{10, 11, 12}));
  EXPECT_EQ(records.not_kept(), 1000u);
  records.at(1) = 7;
  EXPECT_EQ(records.kept()[1], 7);
}

TEST(BoundedRecords, MapEntriesPastTheCapacityShareTheOverflowEntry) {
  std::map<uint32_t, int> counts;
  for (uint32_t key = 0; key < 100; ++key) ++bounded_entry(counts, key, 10, 999u).second;
  for (uint32_t key = 0; key < 5; ++key) ++bounded_entry(counts, key, 10, 999u).second;  // known keys stay theirs
  EXPECT_EQ(counts.size(), 11u);
  EXPECT_EQ(counts.at(0), 2);
  EXPECT_EQ(counts.at(9), 1);
  EXPECT_EQ(counts.count(10), 0u);
  EXPECT_EQ(counts.at(999), 90);
  EXPECT_EQ(bounded_entry(counts, 50u, 10, 999u).first, 999u);
}

TEST(EnergyTag, LayerTagsAreBoundedWhateverTheProgramNumbersItsLayers) {
  EnergyLedger ledger(TechTable::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/tech/horowitz-45nm.yaml"));
  const TagId first = layer_tag(ledger, 7);
  for (uint32_t layer = 1000; layer < 1000 + 2 * kMaxLayerTags; ++layer) (void)layer_tag(ledger, layer);
  EXPECT_EQ(ledger.tag_count(), kMaxLayerTags + 2);  // "untagged", the layers, the overflow layer
  EXPECT_EQ(layer_tag(ledger, 7), first);
  EXPECT_EQ(ledger.tag_name(layer_tag(ledger, 123456789)), layer_tag_name(kOverflowLayer));
  EXPECT_EQ(layer_tag(ledger, 1000), *ledger.find_tag("layer1000"));
  EXPECT_FALSE(ledger.find_tag("layer123456789"));
}
