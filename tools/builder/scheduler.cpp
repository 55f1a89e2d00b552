#include "tools/builder/scheduler.h"

#include <algorithm>
#include <stdexcept>

namespace dlvp::builder {

namespace {

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
uint64_t align_down(uint64_t v, uint64_t a) { return v / a * a; }

uint64_t buffer_bytes(const CnnConfig& hw, isa::Buffer buffer) {
  switch (buffer) {
    case isa::kBufInput: return hw.input_buffer_bytes;
    case isa::kBufWeight: return hw.weight_buffer_bytes;
    default: return hw.output_buffer_bytes;
  }
}

// The POP bit a queue sets to wait for `from`, and the PUSH bit `from` sets to signal it.
uint8_t pop_bit(isa::Queue from, isa::Queue to) { return from < to ? isa::kPopPrev : isa::kPopNext; }
uint8_t push_bit(isa::Queue from, isa::Queue to) { return to > from ? isa::kPushNext : isa::kPushPrev; }

}  // namespace

std::array<BufferSlots, isa::kCnnBufCount> plan_slots(const CnnConfig& hw, bool double_buffer) {
  std::array<BufferSlots, isa::kCnnBufCount> slots{};
  const uint32_t count = double_buffer ? 2 : 1;
  for (int b = 0; b < isa::kCnnBufCount; ++b) {
    const uint64_t size = buffer_bytes(hw, static_cast<isa::Buffer>(b));
    BufferSlots& s = slots[b];
    s.count = count;
    s.bytes = UINT64_MAX;
    // Slot k spans [k/count, (k+1)/count) of the buffer, its start aligned up, its size aligned
    // down, so it never crosses into a neighbouring half.
    for (uint32_t k = 0; k < count; ++k) {
      const uint64_t begin = align_up(size * k / count, kBufferAlign);
      const uint64_t end = size * (k + 1) / count;
      s.base[k] = begin;
      s.bytes = std::min(s.bytes, end > begin ? align_down(end - begin, kBufferAlign) : 0);
    }
  }
  return slots;
}

Scheduler::Scheduler(const CnnConfig& hw, bool double_buffer) : slots_(plan_slots(hw, double_buffer)) {
  for (int b = 0; b < isa::kCnnBufCount; ++b) state_[b].resize(slots_[b].count);
}

Scheduler::Acquired Scheduler::acquire(isa::Buffer buffer, const TileKey& key) {
  std::vector<Slot>& slots = state_[buffer];
  ++tick_;
  uint32_t chosen = 0;
  for (uint32_t k = 0; k < slots.size(); ++k) {
    if (slots[k].bound && slots[k].key == key) {
      slots[k].last_use = tick_;
      return {{buffer, k}, slots_[buffer].base[k], true};
    }
    if (slots[k].last_use < slots[chosen].last_use) chosen = k;
  }
  Slot& slot = slots[chosen];
  slot.bound = true;
  slot.key = key;
  slot.last_use = tick_;
  return {{buffer, chosen}, slots_[buffer].base[chosen], false};
}

Scheduler::Acquired Scheduler::acquire_output() {
  const uint32_t k = next_output_;
  next_output_ = (next_output_ + 1) % slots_[isa::kBufOutput].count;
  return {{isa::kBufOutput, k}, slots_[isa::kBufOutput].base[k], false};
}

int64_t Scheduler::append(isa::Instruction instruction) {
  instruction.header.tag = tag_;
  const isa::Queue q = isa::queue_of(instruction.header.opcode);
  int64_t seq = -1;
  if (q != isa::kQueueNone) {
    seq = static_cast<int64_t>(members_[q].size());
    members_[q].push_back(static_cast<uint32_t>(program_.size()));
  }
  program_.push_back(instruction);
  return seq;
}

uint8_t Scheduler::wait_for(Channel& channel, int64_t needed) {
  if (needed <= channel.covered) return 0;  // an earlier POP in this queue already waited for it
  isa::Header& producer = program_[members_[channel.from][needed]].header;
  const uint8_t push = push_bit(channel.from, channel.to);
  if (producer.deps & push) throw std::logic_error("builder scheduler: second token push on one instruction");
  producer.deps |= push;
  channel.covered = needed;
  return pop_bit(channel.from, channel.to);
}

Scheduler::DdrBlock Scheduler::block_of(const isa::Transfer& t) {
  DdrBlock b;
  b.arg = t.arg;
  b.offset = t.ddr_offset;
  b.planes = t.planes;
  b.plane_stride = t.ddr_plane_stride;
  b.plane_extent = uint64_t{t.rows - 1} * t.ddr_row_stride + t.row_bytes;
  return b;
}

// Plane-wise bounding intervals: conservative (never misses an overlap), O(planes of a).
bool Scheduler::overlaps(const DdrBlock& a, const DdrBlock& b) {
  if (a.arg != b.arg) return false;
  const uint64_t a_end = a.offset + (a.planes - 1) * a.plane_stride + a.plane_extent;
  const uint64_t b_end = b.offset + (b.planes - 1) * b.plane_stride + b.plane_extent;
  if (a.offset >= b_end || b.offset >= a_end) return false;
  for (uint64_t p = 0; p < a.planes; ++p) {
    const uint64_t x = a.offset + p * a.plane_stride, y = x + a.plane_extent;  // [x, y)
    if (b.planes == 1 || b.plane_stride == 0) {
      if (b.offset < y && x < b.offset + b.plane_extent) return true;
      continue;
    }
    if (y <= b.offset) continue;
    // b's planes q with b.offset + q * stride < y and b.offset + q * stride + extent > x.
    const uint64_t q_max = std::min<uint64_t>(b.planes - 1, (y - 1 - b.offset) / b.plane_stride);
    const uint64_t q_min = x < b.offset + b.plane_extent ? 0 : (x - b.offset - b.plane_extent) / b.plane_stride + 1;
    if (q_min <= q_max) return true;
  }
  return false;
}

int64_t Scheduler::compute_after_store(int64_t store_seq) {
  // store_waits_ grows in both members: the first entry covering store_seq is the earliest compute.
  const auto it = std::lower_bound(store_waits_.begin(), store_waits_.end(), store_seq,
                                   [](const std::pair<int64_t, int64_t>& w, int64_t s) { return w.second < s; });
  return it != store_waits_.end() ? it->first : sync(store_seq);
}

int64_t Scheduler::sync(int64_t store_seq) {
  // One byte of output slot 0 pooled onto itself: no effect on data, but it is a compute-queue
  // instruction that can wait for a STORE and release a LOAD.
  Slot& out0 = state_[isa::kBufOutput][0];
  isa::Instruction sync{};
  isa::Pool& p = sync.pool;
  p.header.opcode = isa::kOpPool;
  p.source = isa::kBufOutput;
  p.size = p.stride = 1;
  p.c = p.in_h = p.in_w = 1;
  p.input_offset = p.output_offset = static_cast<uint32_t>(slots_[isa::kBufOutput].base[0]);
  p.header.deps = wait_for(output_free_, std::max(store_seq, out0.last_store));
  const int64_t seq = append(sync);
  store_waits_.emplace_back(seq, output_free_.covered);
  out0.last_writer = seq;
  ++syncs_;
  return seq;
}

void Scheduler::load(const isa::Transfer& transfer, SlotRef ref) {
  Slot& slot = state_[ref.buffer][ref.slot];
  int64_t needed = slot.last_reader;  // the slot's previous contents are no longer read
  const DdrBlock block = block_of(transfer);
  int64_t store_needed = -1;  // the last STORE that wrote DDR this LOAD reads
  for (const StoreRecord& s : stores_)
    if (overlaps(block, s.block)) store_needed = std::max(store_needed, s.seq);
  if (store_needed >= 0) needed = std::max(needed, compute_after_store(store_needed));

  isa::Instruction instruction{};
  instruction.transfer = transfer;
  instruction.header.opcode = isa::kOpLoad;
  instruction.header.flags = 0;
  instruction.header.deps = wait_for(slot_free_, needed);
  slot.last_load = append(instruction);

  // Loads from here on are ordered after every store that the computes they wait for waited for.
  for (; seen_waits_ < store_waits_.size() && store_waits_[seen_waits_].first <= slot_free_.covered; ++seen_waits_)
    stores_seen_by_loads_ = std::max(stores_seen_by_loads_, store_waits_[seen_waits_].second);
  while (!stores_.empty() && stores_.front().seq <= stores_seen_by_loads_) stores_.pop_front();
}

void Scheduler::compute(isa::Instruction instruction, std::initializer_list<SlotRef> reads, uint32_t output,
                        bool new_output) {
  int64_t ready = -1;
  for (const SlotRef& r : reads) ready = std::max(ready, state_[r.buffer][r.slot].last_load);
  Slot& out = state_[isa::kBufOutput][output];
  uint8_t deps = wait_for(data_ready_, ready);
  const int64_t covered_before = output_free_.covered;
  if (new_output) deps |= wait_for(output_free_, out.last_store);
  instruction.header.deps = deps;
  const int64_t seq = append(instruction);
  if (output_free_.covered != covered_before) store_waits_.emplace_back(seq, output_free_.covered);
  for (const SlotRef& r : reads) state_[r.buffer][r.slot].last_reader = seq;
  out.last_writer = seq;
}

void Scheduler::store(const isa::Transfer& transfer, uint32_t output) {
  Slot& out = state_[isa::kBufOutput][output];
  isa::Instruction instruction{};
  instruction.transfer = transfer;
  instruction.header.opcode = isa::kOpStore;
  instruction.header.flags = 0;
  instruction.header.deps = wait_for(result_ready_, out.last_writer);
  const int64_t seq = append(instruction);
  out.last_store = seq;
  stores_.push_back({seq, block_of(transfer)});
}

std::vector<isa::Instruction> Scheduler::finish() {
  isa::Instruction end{};
  end.header.opcode = isa::kOpEnd;
  append(end);
  return std::move(program_);
}

}  // namespace dlvp::builder
