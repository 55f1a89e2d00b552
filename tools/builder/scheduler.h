// Buffer slots and dependency tokens (docs/builder.md, "Token protocol").
//
// The layer emitters append LOAD / compute / STORE instructions in a sequential program order and
// say which buffer slot each one reads or writes; the scheduler derives every POP/PUSH bit from
// those accesses:
//   load -> compute  "data ready":    a compute waits for the last LOAD into the slots it reads;
//   compute -> load  "slot free":     a LOAD into a slot waits for the last compute reading it;
//   compute -> store "result ready":  a STORE waits for the last compute writing its output slot;
//   store -> compute "output free":   a compute starting a new output tile in a slot waits for the
//                                     last STORE from that slot.
// A LOAD that reads DDR written by an earlier STORE (the next layer's input) needs a compute
// between them, because load and store are not neighbours: a SYNC (a one-byte in-place POOL in the
// output buffer) waits for the store and releases the load.
//
// Tokens are counters, so the n-th POP on a channel matches the n-th PUSH. The scheduler only pops
// when the needed instruction is not already covered by an earlier POP on that channel (queues run
// in order), and puts the matching PUSH on the needed instruction itself; the needed instruction
// always precedes the POP in program order. Hence: every PUSH has exactly one POP (tokens balance),
// and every POP's token is pushed earlier in program order, which rules out deadlock at any queue
// depth.
#pragma once
#include "ip/cnn/cnn_config.h"
#include "ip/ifu/isa.h"
#include "tools/builder/program.h"

#include <array>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <utility>
#include <vector>

namespace dlvp::builder {

// Identifies a tile's contents so a slot still holding it is reused instead of reloaded.
struct TileKey {
  uint32_t layer = 0, a = 0, b = 0;
  bool operator==(const TileKey& o) const { return layer == o.layer && a == o.a && b == o.b; }
};

struct SlotRef {
  isa::Buffer buffer = isa::kBufInput;
  uint32_t slot = 0;
};

// The slots of the three buffers for a configuration: two halves each, or one whole buffer.
std::array<BufferSlots, isa::kCnnBufCount> plan_slots(const CnnConfig& hw, bool double_buffer);

class Scheduler {
 public:
  Scheduler(const CnnConfig& hw, bool double_buffer);

  const BufferSlots& slots(isa::Buffer buffer) const { return slots_[buffer]; }
  uint64_t slot_base(SlotRef ref) const { return slots_[ref.buffer].base[ref.slot]; }

  // Subsequent instructions carry header.tag = layer.
  void set_layer(uint32_t layer) { tag_ = layer; }

  // Input or weight buffer: the slot already holding `key` (resident = true: no LOAD needed), else
  // the least recently used slot, now bound to `key` (the caller emits the LOADs that fill it).
  struct Acquired {
    SlotRef ref;
    uint64_t base = 0;
    bool resident = false;
  };
  Acquired acquire(isa::Buffer buffer, const TileKey& key);
  // Output buffer: the next slot in turn, for a new output tile.
  Acquired acquire_output();

  // Appends a LOAD into `slot` (the transfer's buffer/offset must lie in it).
  void load(const isa::Transfer& transfer, SlotRef slot);
  // Appends a compute instruction reading `reads` (input/weight slots) and writing output slot
  // `output`; `new_output` marks the first instruction of an output tile in that slot.
  void compute(isa::Instruction instruction, std::initializer_list<SlotRef> reads, uint32_t output, bool new_output);
  // Appends a STORE from output slot `output`.
  void store(const isa::Transfer& transfer, uint32_t output);
  // Appends END and returns the program.
  std::vector<isa::Instruction> finish();

  uint32_t size() const { return static_cast<uint32_t>(program_.size()); }
  uint32_t syncs() const { return syncs_; }

 private:
  // A DDR block of a LOAD/STORE, kept for store -> load ordering through DDR.
  struct DdrBlock {
    uint8_t arg = 0;
    uint64_t offset = 0;
    uint64_t planes = 1, plane_stride = 0, plane_extent = 0;
  };
  struct StoreRecord {
    int64_t seq = -1;
    DdrBlock block;
  };
  struct Slot {
    bool bound = false;
    TileKey key;
    uint64_t last_use = 0;     // acquire() tick, for LRU
    int64_t last_load = -1;    // load seq of the last LOAD into the slot
    int64_t last_reader = -1;  // compute seq of the last compute reading the slot
    int64_t last_writer = -1;  // (output) compute seq of the last compute writing the slot
    int64_t last_store = -1;   // (output) store seq of the last STORE reading the slot
  };
  // One direction of a queue pair: the highest sequence number of the producing queue that POPs
  // of the consuming queue have waited for so far.
  struct Channel {
    isa::Queue from, to;
    int64_t covered = -1;
  };

  static DdrBlock block_of(const isa::Transfer& t);
  static bool overlaps(const DdrBlock& a, const DdrBlock& b);

  int64_t append(isa::Instruction instruction);
  // Makes the instruction about to be appended to `channel.to` wait for instruction `needed` (a
  // sequence number in `channel.from`); returns the POP bit to set, or 0.
  uint8_t wait_for(Channel& channel, int64_t needed);
  // The compute that makes every STORE up to `store_seq` visible, emitting a SYNC if none does.
  int64_t compute_after_store(int64_t store_seq);
  int64_t sync(int64_t store_seq);

  std::array<BufferSlots, isa::kCnnBufCount> slots_{};
  std::array<std::vector<Slot>, isa::kCnnBufCount> state_;
  std::vector<isa::Instruction> program_;
  std::array<std::vector<uint32_t>, 3> members_;  // program index of each queue's n-th instruction
  Channel data_ready_{isa::kQueueLoad, isa::kQueueCompute};
  Channel slot_free_{isa::kQueueCompute, isa::kQueueLoad};
  Channel result_ready_{isa::kQueueCompute, isa::kQueueStore};
  Channel output_free_{isa::kQueueStore, isa::kQueueCompute};
  // (compute seq, output_free_.covered after it) for every compute that popped a store token.
  std::vector<std::pair<int64_t, int64_t>> store_waits_;
  std::deque<StoreRecord> stores_;  // STOREs that loads may not yet have waited for
  size_t seen_waits_ = 0;  // store_waits_ entries whose compute loads have waited for
  int64_t stores_seen_by_loads_ = -1;
  uint64_t tick_ = 0;
  uint32_t next_output_ = 0;
  uint32_t tag_ = 0;
  uint32_t syncs_ = 0;
};

}  // namespace dlvp::builder
