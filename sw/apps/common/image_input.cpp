#include "sw/apps/common/image_input.h"

#include "sw/hal/hal.h"

namespace app {

bool read_idx(uint64_t address, const drv::Accelerator& accel, Idx* idx) {
  const uint64_t ddr_end = accel.ddr_end();
  uint8_t head[4 + 16];
  if (address < accel.ddr_base() || address > ddr_end || ddr_end - address < 4) return false;
  hal::copy_from_soc(head, address, 4);
  if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] == 0 || head[3] > 4) return false;
  idx->rank = head[3];
  if (ddr_end - address < 4 + 4 * idx->rank) return false;
  hal::copy_from_soc(head + 4, address + 4, 4 * idx->rank);
  uint64_t bytes = 1;  // of the data, bounded by DDR at every step (no overflow)
  const uint64_t room = ddr_end - address - 4 - 4 * idx->rank;
  for (uint32_t i = 0; i < idx->rank; ++i) {
    const uint8_t* d = head + 4 + 4 * i;
    idx->dims[i] = uint32_t{d[0]} << 24 | uint32_t{d[1]} << 16 | uint32_t{d[2]} << 8 | d[3];
    if (idx->dims[i] == 0 || bytes > room / idx->dims[i]) return false;
    bytes *= idx->dims[i];
  }
  idx->data = address + 4 + 4 * idx->rank;
  return true;
}

void input_table(int32_t frac, int32_t max_q, int16_t table[256]) {
  for (uint32_t p = 0; p < 256; ++p) {
    uint64_t numerator = 2 * p, denominator = 510;
    if (frac >= 0) numerator <<= frac;
    else denominator <<= -frac;
    const uint64_t q = (numerator + denominator / 2) / denominator;
    table[p] = static_cast<int16_t>(q > uint64_t(max_q) ? max_q : q);
  }
}

void InputQuantizer::init(const drv::Accelerator& accel, int32_t max_q) {
  const auto& h = accel.header();
  input_table(h.input_frac_bits, max_q, fallback_);
  for (uint32_t c = 0; c < kChannels; ++c) {
    const int16_t* t = accel.input_table(c);
    tables_[c] = t ? t : fallback_;
  }
  channels_ = h.input_c ? h.input_c : 1;
  plane_ = uint64_t{h.input_h} * h.input_w;
  if (plane_ == 0) plane_ = 1;
  hwc_ = h.input_layout == dlvp::package::kLayoutHwc && channels_ > 1;
}

bool images_match_input(const Idx& images, const dlvp::package::PackageHeader& h, const char* app, const char* what) {
  if (h.input_c <= 1) return true;
  const bool hwc = h.input_layout == dlvp::package::kLayoutHwc;
  const uint32_t want[3] = {hwc ? h.input_h : h.input_c, hwc ? h.input_w : h.input_h, hwc ? h.input_c : h.input_w};
  bool match = images.rank == 4;
  for (uint32_t i = 0; match && i < 3; ++i) match = images.dims[i + 1] == want[i];
  if (match) return true;
  hal::console_printf("%s: %s: images are ", app, what);
  for (uint32_t i = 1; i < images.rank; ++i) hal::console_printf("%s%u", i > 1 ? "x" : "", unsigned(images.dims[i]));
  hal::console_printf("; the model's input in %s order is %ux%ux%u (NCHW %ux%ux%u, NHWC %ux%ux%u)\n",
                      hwc ? "NHWC" : "NCHW", unsigned(want[0]), unsigned(want[1]), unsigned(want[2]),
                      unsigned(h.input_c), unsigned(h.input_h), unsigned(h.input_w), unsigned(h.input_h),
                      unsigned(h.input_w), unsigned(h.input_c));
  return false;
}

}  // namespace app
