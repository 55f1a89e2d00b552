// The L1 tag model: hits, LRU replacement, write-back of dirty victims only, the inline check of
// the most recently used way.
#include "ip/cpu/rv32_cache.h"

#include <gtest/gtest.h>

using namespace dlvp::rv32;

TEST(Rv32Cache, MissThenHit) {
  Cache c(CacheGeometry{1024, 2, 32});  // 16 sets of 2 ways
  EXPECT_EQ(c.line_shift(), 5u);
  EXPECT_FALSE(c.access(100, false).hit);
  EXPECT_TRUE(c.access(100, false).hit);
  EXPECT_TRUE(c.hits_most_recent(100, false));
  EXPECT_FALSE(c.hits_most_recent(100, true));  // clean: a write must go through access()
  EXPECT_EQ(c.stats().misses, 1u);
}

TEST(Rv32Cache, LeastRecentlyUsedWayIsReplaced) {
  Cache c(CacheGeometry{1024, 2, 32});
  // Lines 0, 16, 32 map to set 0.
  c.access(0, false);
  c.access(16, false);
  c.access(0, false);                  // 0 is now the most recent
  EXPECT_FALSE(c.access(32, false).hit);  // evicts 16
  EXPECT_TRUE(c.access(0, false).hit);
  EXPECT_FALSE(c.access(16, false).hit);
  EXPECT_EQ(c.stats().misses, 4u);
}

TEST(Rv32Cache, OnlyDirtyVictimsAreWrittenBack) {
  Cache c(CacheGeometry{64, 1, 32});  // 2 sets, direct mapped
  c.access(0, true);                   // dirty line 0 in set 0
  c.access(1, false);                  // clean line 1 in set 1
  const Cache::Outcome a = c.access(2, false);  // evicts dirty 0
  EXPECT_FALSE(a.hit);
  EXPECT_TRUE(a.write_back);
  EXPECT_EQ(a.victim_line, 0u);
  const Cache::Outcome b = c.access(3, true);  // evicts clean 1
  EXPECT_FALSE(b.write_back);
  EXPECT_TRUE(b.dirty);
  EXPECT_EQ(c.stats().write_backs, 1u);
  c.invalidate_all();
  EXPECT_FALSE(c.access(3, false).hit);
}
