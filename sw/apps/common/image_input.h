// What the image apps (classify, overlap) share: IDX files in DDR and the quantization of 8-bit
// pixels to a package's input format.
#pragma once
#include "sw/driver/accel_driver.h"

#include <stdint.h>

namespace app {

// An IDX header in DDR: 00 00 08 rank, then rank big-endian uint32 dimensions.
struct Idx {
  uint32_t rank = 0;
  uint32_t dims[4] = {};
  uint64_t data = 0;  // address of the first element
  uint64_t item_bytes() const {
    uint64_t n = 1;
    for (uint32_t i = 1; i < rank; ++i) n *= dims[i];
    return n;
  }
  uint64_t end() const { return data + dims[0] * item_bytes(); }
};

// Reads the IDX header at `address`; false unless it is one and header and data lie in DDR.
bool read_idx(uint64_t address, const drv::Accelerator& accel, Idx* idx);

// q = floor(pixel / 255 x 2^frac + 1/2), saturated to the element's range: the compiler's rounding.
void input_table(int32_t frac, int32_t max_q, int16_t table[256]);

}  // namespace app
