// A self-checking program whose test case 3 fails: tohost = (3 << 1) | 1.
#include "test_macros.h"
  TEST_BEGIN
  TEST_CASE(1, a0, 1, li a0, 1)
  TEST_CASE(3, a0, 2, li a0, 1)
  TEST_END
