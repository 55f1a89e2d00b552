// Physical address -> channel / rank / bank / row / column of a DDR burst, and back.
//
// Channels interleave every `channel_interleave_bytes`. Inside a channel, at burst granularity,
// from the lowest field to the highest:
//   row_bank_col: bank group, column, bank within the group, rank, row
//     (a sequential stream stays in open rows; with bank groups, consecutive bursts alternate
//      groups so back-to-back column commands need only tCCD_S, as DDR4 controllers arrange it)
//   bank_row_col: column, row, bank, rank (one bank is filled before the next)
// When the DDR is larger than the device organization, the row index simply grows beyond the
// preset's row count (a denser device with the same timing).
#pragma once
#include "ddr_config.h"
#include "ddr_timing.h"

#include <cstdint>
#include <vector>

namespace dlvp {

struct DdrLocation {
  unsigned channel = 0;
  unsigned rank = 0;
  unsigned bank = 0;        // within the rank, 0 .. banks-1; its group is bank % bank_groups
  uint64_t row = 0;
  uint64_t column = 0;      // first column of the burst, in device-width words
};

class DdrAddressMap {
 public:
  // Throws ConfigError if the channel interleave is not a whole number of bursts.
  DdrAddressMap(const DdrConfig& config, const DdrTiming& timing);

  DdrLocation decode(uint64_t address) const;
  // Address of the first byte of the burst at `location` (inverse of decode).
  uint64_t encode(const DdrLocation& location) const;
  unsigned bank_group(unsigned bank) const { return bank % bank_groups_; }
  uint64_t burst_bytes() const { return burst_bytes_; }
  unsigned channels() const { return channels_; }
  // Bytes of [address, address + bytes) that fall in each channel (indexed by channel).
  std::vector<uint64_t> bytes_per_channel(uint64_t address, uint64_t bytes) const;

 private:
  bool bank_interleaved_;
  unsigned channels_, ranks_, banks_, bank_groups_, banks_per_group_;
  uint64_t interleave_, burst_bytes_, bursts_per_row_, rows_, burst_length_;
};

}  // namespace dlvp
