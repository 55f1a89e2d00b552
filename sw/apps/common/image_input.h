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

// q = floor(pixel / 255 x 2^frac + 1/2), saturated to the element's range: the compiler's rounding
// of pixel / 255 (for packages that record no preprocessing).
void input_table(int32_t frac, int32_t max_q, int16_t table[256]);

// The open package's quantization of images (docs/package.md, "Version 7: input preprocessing"):
// the package's per-channel tables (its scale, mean and std as dlvpc applied them), or the
// pixel / 255 table when it records none; the pixels taken in the package's input layout.
class InputQuantizer {
 public:
  // `max_q`: the element's largest value (127 for int8, 32767 for int16 inputs).
  void init(const drv::Accelerator& accel, int32_t max_q);
  bool from_package() const { return tables_[0] != fallback_; }
  // Element `e` of the model's input [c][h][w] from an image's pixels as its file stores them.
  int16_t element(const uint8_t* pixels, uint64_t e) const {
    const uint32_t c = static_cast<uint32_t>(e / plane_);
    const uint64_t i = e % plane_;
    return table(c)[hwc_ ? pixels[i * channels_ + c] : pixels[e]];
  }

 private:
  const int16_t* table(uint32_t c) const { return tables_[c < kChannels ? c : 0]; }
  static constexpr uint32_t kChannels = 4;
  const int16_t* tables_[kChannels] = {};
  int16_t fallback_[256] = {};
  uint32_t channels_ = 1;
  uint64_t plane_ = 1;
  bool hwc_ = false;
};

// Whether an IDX image file's items are the open package's input images in its layout: a
// one-channel model takes any item of h x w bytes; a multi-channel one items of rank 3 in its order
// ([c][h][w] for NCHW, [h][w][c] for NHWC). Otherwise prints "<app>: <what>: ..." naming the file's
// dimensions and both layouts, and returns false.
bool images_match_input(const Idx& images, const dlvp::package::PackageHeader& h, const char* app, const char* what);

}  // namespace app
