#include "ip/bus/memory_map.h"
#include "ip/common/config_error.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

using dlvp::ConfigError;
using dlvp::MemoryMap;

namespace {

constexpr uint64_t kTop = std::numeric_limits<uint64_t>::max();

// The message of the ConfigError that `add` throws, or "" when it does not throw.
std::string add_error(MemoryMap& map, const std::string& name, uint64_t base, uint64_t size) {
  try {
    map.add(name, base, size);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

MemoryMap soc_like_map() {
  MemoryMap map("scenarios/hw/test.yaml");
  map.add("ddr", 0x80000000, 0x10000000);
  map.add("uart", 0x10001000, 0x1000);
  map.add("timer", 0x10002000, 0x1000);  // adjacent to uart
  return map;
}

}  // namespace

TEST(BusMemoryMap, AddReturnsIndexesInInsertionOrder) {
  MemoryMap map;
  EXPECT_EQ(map.add("ddr", 0x80000000, 0x1000), 0u);
  EXPECT_EQ(map.add("uart", 0x10000000, 0x100), 1u);
  EXPECT_EQ(map.add("timer", 0x10001000, 0x100), 2u);
  ASSERT_EQ(map.regions().size(), 3u);
  EXPECT_EQ(map.regions()[1].name, "uart");
  EXPECT_EQ(map.regions()[1].base, 0x10000000u);
  EXPECT_EQ(map.regions()[1].size, 0x100u);
  EXPECT_EQ(map.regions()[1].last(), 0x100000ffu);
}

TEST(BusMemoryMap, OverlapNamesBothRegionsAndTheOrigin) {
  MemoryMap map = soc_like_map();
  // Starting inside, ending inside, enclosing, and sharing a base with an existing region.
  const struct {
    uint64_t base, size;
    const char* victim;
  } cases[] = {
      {0x10001800, 0x1000, "uart"}, {0x10000800, 0x1000, "uart"}, {0x7ff00000, 0x20000000, "ddr"},
      {0x10002000, 0x10, "timer"},  {0x8fffffff, 0x1, "ddr"},
  };
  for (const auto& c : cases) {
    const std::string message = add_error(map, "dma", c.base, c.size);
    EXPECT_NE(message.find("'dma'"), std::string::npos) << message;
    EXPECT_NE(message.find(std::string("'") + c.victim + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("scenarios/hw/test.yaml"), std::string::npos) << message;
  }
  EXPECT_EQ(map.size(), 3u) << "a rejected region must not be added";
}

TEST(BusMemoryMap, AdjacentRegionsDoNotOverlap) {
  MemoryMap map;
  map.add("a", 0x1000, 0x1000);
  EXPECT_EQ(add_error(map, "below", 0x0, 0x1000), "");
  EXPECT_EQ(add_error(map, "above", 0x2000, 0x1000), "");
}

TEST(BusMemoryMap, ZeroSizeAndOverflowNameTheRegion) {
  MemoryMap map;
  std::string message = add_error(map, "empty", 0x1000, 0);
  EXPECT_NE(message.find("'empty'"), std::string::npos) << message;
  EXPECT_NE(message.find("size 0"), std::string::npos) << message;

  message = add_error(map, "wraps", kTop - 0xff, 0x101);
  EXPECT_NE(message.find("'wraps'"), std::string::npos) << message;
  EXPECT_NE(message.find("64-bit"), std::string::npos) << message;

  // A region may end exactly at the top of the address space.
  EXPECT_EQ(add_error(map, "top", kTop - 0xff, 0x100), "");
  size_t index = 99;
  ASSERT_NE(map.decode(kTop, 1, index), nullptr);
  EXPECT_EQ(map.regions()[index].name, "top");
}

TEST(BusMemoryMap, DuplicateNameIsRejected) {
  MemoryMap map;
  map.add("uart", 0x1000, 0x100);
  const std::string message = add_error(map, "uart", 0x2000, 0x100);
  EXPECT_NE(message.find("'uart'"), std::string::npos) << message;
}

TEST(BusMemoryMap, DecodeAtRegionEdges) {
  const MemoryMap map = soc_like_map();
  const MemoryMap::Region& ddr = map.regions()[0];
  size_t index = 99;

  const MemoryMap::Region* hit = map.decode(ddr.base, 1, index);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->name, "ddr");
  EXPECT_EQ(index, 0u);
  EXPECT_NE(map.decode(ddr.last(), 1, index), nullptr);
  EXPECT_NE(map.decode(ddr.base, ddr.size, index), nullptr) << "the whole region in one access";
  EXPECT_NE(map.decode(ddr.last() - 7, 8, index), nullptr) << "the last 8 bytes";

  EXPECT_EQ(map.decode(ddr.base - 1, 1, index), nullptr) << "one byte below";
  EXPECT_EQ(map.decode(ddr.last() + 1, 1, index), nullptr) << "one byte past the end";
  EXPECT_EQ(map.decode(ddr.last() - 6, 8, index), nullptr) << "runs one byte past the end";
  EXPECT_EQ(map.decode(ddr.base - 4, 8, index), nullptr) << "starts below the region";
  EXPECT_EQ(map.decode(ddr.base, ddr.size + 1, index), nullptr);
  EXPECT_EQ(map.decode(0, 1, index), nullptr);
  EXPECT_EQ(map.decode(kTop, 1, index), nullptr);
}

TEST(BusMemoryMap, AccessAcrossAdjacentRegionsIsNotDecoded) {
  const MemoryMap map = soc_like_map();
  const MemoryMap::Region& uart = map.regions()[1];
  const MemoryMap::Region& timer = map.regions()[2];
  ASSERT_EQ(uart.last() + 1, timer.base);
  size_t index = 99;
  EXPECT_EQ(map.decode(uart.last() - 1, 4, index), nullptr);
  ASSERT_NE(map.decode(uart.last() - 3, 4, index), nullptr);
  EXPECT_EQ(index, 1u);
  ASSERT_NE(map.decode(timer.base, 4, index), nullptr);
  EXPECT_EQ(index, 2u);
}

TEST(BusMemoryMap, HugeLengthDoesNotWrapAround) {
  MemoryMap map;
  map.add("low", 0, 0x1000);
  map.add("high", kTop - 0xfff, 0x1000);
  size_t index = 99;
  // address + length wraps to a small number; it must not be mistaken for a short access.
  EXPECT_EQ(map.decode(kTop - 0xf, 0x20, index), nullptr);
  EXPECT_EQ(map.decode(0x10, kTop, index), nullptr);
}

TEST(BusMemoryMap, LastHitCacheNeverAnswersWrongly) {
  const MemoryMap map = soc_like_map();
  // Alternate between regions and holes so that the cached region is always the wrong guess.
  const struct {
    uint64_t address;
    int expected;  // region index, -1 for unmapped
  } probes[] = {{0x80000000, 0}, {0x10001004, 1}, {0x80001000, 0}, {0x10002ffc, 2}, {0x10003000, -1},
                {0x10002000, 2}, {0x10000fff, -1}, {0x8fffffff, 0}, {0x10001fff, 1}, {0x90000000, -1}};
  for (const auto& p : probes) {
    size_t index = 99;
    const MemoryMap::Region* hit = map.decode(p.address, 1, index);
    if (p.expected < 0) {
      EXPECT_EQ(hit, nullptr) << std::hex << p.address;
    } else {
      ASSERT_NE(hit, nullptr) << std::hex << p.address;
      EXPECT_EQ(index, static_cast<size_t>(p.expected)) << std::hex << p.address;
      EXPECT_EQ(hit, &map.regions()[index]);
    }
  }
}

TEST(BusMemoryMap, UnmappedRangeIsTheHoleAroundTheAddress) {
  const MemoryMap map = soc_like_map();
  uint64_t first = 0, last = 0;
  ASSERT_TRUE(map.unmapped_range(0x20000000, first, last));
  EXPECT_EQ(first, 0x10003000u);
  EXPECT_EQ(last, 0x7fffffffu);
  ASSERT_TRUE(map.unmapped_range(0x5, first, last));
  EXPECT_EQ(first, 0u);
  EXPECT_EQ(last, 0x10000fffu);
  ASSERT_TRUE(map.unmapped_range(kTop, first, last));
  EXPECT_EQ(first, 0x90000000u);
  EXPECT_EQ(last, kTop);
  EXPECT_FALSE(map.unmapped_range(0x10001000, first, last));
}
