#include "ddr_address_map.h"

#include "ip/common/config_error.h"

#include <algorithm>

namespace dlvp {

DdrAddressMap::DdrAddressMap(const DdrConfig& config, const DdrTiming& timing)
    : bank_interleaved_(config.bank_interleaved()),
      channels_(config.channels),
      ranks_(config.ranks),
      banks_(timing.banks),
      bank_groups_(timing.bank_groups),
      banks_per_group_(timing.banks_per_group()),
      interleave_(config.channel_interleave_bytes),
      burst_bytes_(timing.burst_bytes()),
      bursts_per_row_(timing.bursts_per_row()),
      rows_(timing.rows),
      burst_length_(timing.burst_length) {
  if (channels_ > 1 && interleave_ % burst_bytes_ != 0)
    throw ConfigError("key 'ddr.channel_interleave_bytes' = " + std::to_string(interleave_) +
                      " is not a multiple of the burst size (" + std::to_string(burst_bytes_) + " bytes) of preset '" +
                      timing.name + "'");
}

DdrLocation DdrAddressMap::decode(uint64_t address) const {
  DdrLocation loc;
  uint64_t local = address;
  if (channels_ > 1) {
    const uint64_t chunk = address / interleave_;
    loc.channel = static_cast<unsigned>(chunk % channels_);
    local = (chunk / channels_) * interleave_ + address % interleave_;
  }
  uint64_t burst = local / burst_bytes_;
  if (bank_interleaved_) {
    const unsigned group = static_cast<unsigned>(burst % bank_groups_);
    burst /= bank_groups_;
    loc.column = (burst % bursts_per_row_) * burst_length_;
    burst /= bursts_per_row_;
    loc.bank = static_cast<unsigned>(burst % banks_per_group_) * bank_groups_ + group;
    burst /= banks_per_group_;
    loc.rank = static_cast<unsigned>(burst % ranks_);
    loc.row = burst / ranks_;
  } else {
    loc.column = (burst % bursts_per_row_) * burst_length_;
    burst /= bursts_per_row_;
    const uint64_t row_low = burst % rows_;
    burst /= rows_;
    loc.bank = static_cast<unsigned>(burst % banks_);
    burst /= banks_;
    loc.rank = static_cast<unsigned>(burst % ranks_);
    loc.row = row_low + rows_ * (burst / ranks_);
  }
  return loc;
}

uint64_t DdrAddressMap::encode(const DdrLocation& loc) const {
  const uint64_t column_burst = loc.column / burst_length_;
  uint64_t burst = 0;
  if (bank_interleaved_) {
    burst = loc.row * ranks_ + loc.rank;
    burst = burst * banks_per_group_ + loc.bank / bank_groups_;
    burst = burst * bursts_per_row_ + column_burst;
    burst = burst * bank_groups_ + loc.bank % bank_groups_;
  } else {
    burst = (loc.row / rows_) * ranks_ + loc.rank;
    burst = burst * banks_ + loc.bank;
    burst = burst * rows_ + loc.row % rows_;
    burst = burst * bursts_per_row_ + column_burst;
  }
  const uint64_t local = burst * burst_bytes_;
  if (channels_ == 1) return local;
  const uint64_t chunk = local / interleave_;
  return (chunk * channels_ + loc.channel) * interleave_ + local % interleave_;
}

std::vector<uint64_t> DdrAddressMap::bytes_per_channel(uint64_t address, uint64_t bytes) const {
  std::vector<uint64_t> per_channel(channels_, 0);
  if (channels_ == 1) {
    per_channel[0] = bytes;
    return per_channel;
  }
  const uint64_t end = address + bytes;
  const uint64_t stripe = interleave_ * channels_;
  auto walk_chunks = [&](uint64_t from, uint64_t to) {  // at most one stripe of chunks
    while (from < to) {
      const uint64_t chunk_end = std::min(to, (from / interleave_ + 1) * interleave_);
      per_channel[(from / interleave_) % channels_] += chunk_end - from;
      from = chunk_end;
    }
  };
  const uint64_t head_end = std::min(end, (address + stripe - 1) / stripe * stripe);
  walk_chunks(address, head_end);
  const uint64_t full_stripes = (end - head_end) / stripe;
  for (uint64_t& b : per_channel) b += full_stripes * interleave_;
  walk_chunks(head_end + full_stripes * stripe, end);
  return per_channel;
}

}  // namespace dlvp
