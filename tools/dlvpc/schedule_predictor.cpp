#include "tools/dlvpc/schedule_predictor.h"

#include "ip/cnn/cnn_arith.h"
#include "ip/cnn/cnn_timing.h"
#include "ip/common/config_error.h"
#include "ip/ifu/instruction_checks.h"
#include "ip/ifu/transfer_plan.h"
#include "tools/builder/program.h"
#include "tools/dlvpc/lstm_cycles.h"

#include <algorithm>
#include <deque>
#include <optional>

namespace dlvp::dlvpc {

namespace {

constexpr uint64_t kPage = 4096;

uint64_t align_page(uint64_t x) { return (x + kPage - 1) / kPage * kPage; }

std::string describe(const isa::Instruction& in, uint32_t index) {
  return std::string(ifu::opcode_name(in.header.opcode)) + " #" + std::to_string(index);
}

// One replay of the IFU over a program.
class Replay {
 public:
  Replay(const std::vector<isa::Instruction>& program, const ScheduleHardware& hw, const JobPlacement& placement,
         const std::vector<uint8_t>& constants)
      : program_(program),
        hw_(hw),
        placement_(placement),
        memory_(hw.memory),
        timing_(hw.memory.cnn),
        ifu_period_(period_ps(hw.ifu_clock_mhz)),
        cnn_period_(period_ps(hw.memory.cnn.clock_mhz)),
        lstm_period_(period_ps(hw.memory.lstm.clock_mhz)),
        next_(placement.first_instruction),
        current_{placement.first_instruction, 0, 0} {
    if (hw.load_dma_channel >= hw.memory.dma.channels || hw.store_dma_channel >= hw.memory.dma.channels)
      throw ConfigError("dlvpc: the IFU's DMA channels are not among the DMA's " +
                        std::to_string(hw.memory.dma.channels));
    for (size_t a = 0; a < isa::kArgCount; ++a) windows_[a] = ifu::ArgWindow{placement.args[a], placement.arg_bytes[a]};
    const CnnConfig& cnn = hw.memory.cnn;
    const LstmConfig& lstm = hw.memory.lstm;
    buffers_ = {cnn.input_buffer_bytes, cnn.weight_buffer_bytes, cnn.output_buffer_bytes,
                lstm.enabled ? lstm.weight_buffer_bytes() : 0, lstm.enabled ? lstm.vector_buffer_bytes : 0};
    for (size_t q = 0; q < lanes_.size(); ++q) {
      lanes_[q].queue = static_cast<isa::Queue>(q);
      lanes_[q].free_slots.assign(hw.queue_depth, 0);
    }
    const bool has_lstm = std::any_of(program.begin(), program.end(),
                                      [](const isa::Instruction& in) { return isa::is_lstm_opcode(in.header.opcode); });
    if (has_lstm && lstm.enabled)
      lstm_timings_ = lstm_instruction_timings(program, constants, builder::kArgConstants, lstm);
  }

  SchedulePrediction run() {
    for (;;) {
      take_heads();
      std::optional<Picoseconds> best = dispatcher_ready();
      int best_lane = -1, best_transfer = -1;
      for (int q = 0; q < 3; ++q)
        if (const auto t = lane_ready(lanes_[q]); t && (!best || *t < *best)) best = t, best_lane = q;
      for (int q = 0; q < 3; ++q)
        if (const auto t = transfer_ready(lanes_[q]); t && (!best || *t < *best))
          best = t, best_lane = -1, best_transfer = q;
      if (!best) break;
      memory_.forget_before(*best);
      if (best_transfer >= 0) step_transfer(lanes_[best_transfer]);
      else if (best_lane < 0) step_dispatcher(*best);
      else execute(lanes_[best_lane], *best);
    }
    if (!end_decoded_) throw ConfigError("dlvpc: the program has no END");
    for (const Lane& l : lanes_)
      if (l.head) throw ConfigError("dlvpc: the program deadlocks: " + describe(program_[l.head->index], l.head->index) +
                                    " waits for a token that never comes");
    SchedulePrediction p;
    p.job = job_end_;
    std::sort(executed_.begin(), executed_.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    p.instructions = std::move(executed_);
    p.layers = ifu::attribute_layers(0, p.job, p.instructions);
    return p;
  }

 private:
  struct Entry {
    uint32_t index = 0;
    Picoseconds dispatched = 0;
  };
  // A LOAD or STORE in progress: its DMA jobs one after the other on the queue's channel, each
  // transaction issued by the event loop in time order with the other queue's and the fetches.
  struct Transfer {
    ifu::TransferPlan plan;
    uint32_t next_job;   // the job after the one replayed
    DmaJobReplay job;
    Picoseconds start;   // the instruction's start (after its pops)
  };
  struct Lane {
    isa::Queue queue = isa::kQueueNone;
    std::optional<Transfer> transfer;
    std::deque<Entry> fifo;
    std::deque<Picoseconds> free_slots;  // when each free slot became free
    std::optional<Entry> head;
    Picoseconds taken = 0;    // the head's issue time
    Picoseconds free_at = 0;  // end of the lane's last instruction
  };
  struct FetchBurst {
    uint32_t first = 0, count = 0;
    Picoseconds arrival = 0;
  };

  // A queue's thread takes its oldest entry as soon as it holds none (tokens or not), freeing a slot.
  void take_heads() {
    for (Lane& l : lanes_) {
      if (l.head || l.fifo.empty()) continue;
      l.head = l.fifo.front();
      l.fifo.pop_front();
      l.taken = std::max(l.free_at, l.head->dispatched);
      l.free_slots.push_back(l.taken);
    }
  }

  // When the dispatcher's next step happens: fetch + decode of the next instruction, or putting
  // the decoded one into its queue once a slot is free.
  std::optional<Picoseconds> dispatcher_ready() const {
    if (end_decoded_) return std::nullopt;
    if (!decoded_) return dispatcher_time_;
    const Lane& target = lanes_[isa::queue_of(program_[next_].header.opcode)];
    if (target.free_slots.empty()) return std::nullopt;
    return std::max(dispatcher_time_, target.free_slots.front());
  }

  void step_dispatcher(Picoseconds at) {
    if (decoded_) {
      Lane& target = lanes_[isa::queue_of(program_[next_].header.opcode)];
      target.free_slots.pop_front();
      target.fifo.push_back(Entry{next_, at});
      dispatcher_time_ = at;
      decoded_ = false;
      ++next_;
      return;
    }
    if (next_ >= program_.size()) throw ConfigError("dlvpc: the program has no END");
    fetch_for(next_);
    dispatcher_time_ += ifu_period_ * hw_.decode_cycles;
    const isa::Instruction& in = program_[next_];
    check(in, next_);
    if (in.header.opcode == isa::kOpEnd) {
      end_decoded_ = true;
      job_end_ = std::max(job_end_, dispatcher_time_);
    } else {
      decoded_ = true;
    }
  }

  // Ifu::fetch_for: the burst holding `index` (prefetched, or fetched now), then the next one.
  void fetch_for(uint32_t index) {
    if (index < current_.first + current_.count) return;
    if (prefetched_) current_ = following_;
    else fetch(current_, index);
    prefetched_ = false;
    dispatcher_time_ = std::max(dispatcher_time_, current_.arrival);
    const uint32_t next = current_.first + current_.count;
    if (next < program_.size()) {
      fetch(following_, next);
      prefetched_ = true;
    }
  }

  void fetch(FetchBurst& burst, uint32_t first) {
    burst.first = first;
    burst.count = static_cast<uint32_t>(std::min<uint64_t>(hw_.fetch_burst_instructions, program_.size() - first));
    burst.arrival = memory_.fetch(placement_.instructions + uint64_t{first} * isa::kInstructionBytes,
                                  uint64_t{burst.count} * isa::kInstructionBytes, dispatcher_time_);
  }

  void check(const isa::Instruction& in, uint32_t index) const {
    const ifu::Verdict verdict = ifu::check_instruction(in, windows_, buffers_);
    if (!verdict.ok()) throw ConfigError("dlvpc: " + describe(in, index) + ": " + verdict.reason);
    if (isa::is_lstm_opcode(in.header.opcode) && !hw_.memory.lstm.enabled)
      throw ConfigError("dlvpc: " + describe(in, index) + ": the hardware has no sparse LSTM engine (lstm.enabled)");
    if (isa::is_cnn_opcode(in.header.opcode)) {
      cnn::BufferSet sizes;
      for (int b = 0; b < isa::kCnnBufCount; ++b) sizes.size[b] = buffers_[b];
      if (cnn::check(in, sizes) != isa::kErrNone)
        throw ConfigError("dlvpc: " + describe(in, index) + ": the CNN engine would refuse it");
    }
  }

  // When the lane's head can start (after its pops), if its tokens have been pushed.
  std::optional<Picoseconds> lane_ready(const Lane& l) const {
    if (!l.head || l.transfer) return std::nullopt;
    if (channel_busy(program_[l.head->index])) return std::nullopt;  // until the other queue's transfer ends
    const uint8_t deps = program_[l.head->index].header.deps;
    Picoseconds at = l.taken;
    for (const auto& [flag, from] : {std::pair{isa::kPopPrev, ifu::previous_queue(l.queue)},
                                     std::pair{isa::kPopNext, ifu::next_queue(l.queue)}}) {
      if (!(deps & flag)) continue;
      const std::deque<Picoseconds>& tokens = tokens_[ifu::token_path(from, l.queue)];
      if (tokens.empty()) return std::nullopt;
      at = std::max(at, tokens.front());
    }
    return at;
  }

  void execute(Lane& l, Picoseconds at) {
    const Entry e = *l.head;
    const isa::Instruction& in = program_[e.index];
    const uint8_t deps = in.header.deps;
    if (deps & isa::kPopPrev) tokens_[ifu::token_path(ifu::previous_queue(l.queue), l.queue)].pop_front();
    if (deps & isa::kPopNext) tokens_[ifu::token_path(ifu::next_queue(l.queue), l.queue)].pop_front();
    const Picoseconds start = at + ifu_period_ * ifu::pops_of(deps);
    if (l.queue == isa::kQueueCompute) finish(l, start, start + compute_time(in, e.index));
    else start_transfer(l, in.transfer, start);
  }

  unsigned channel_of(const isa::Instruction& in) const {
    return in.header.opcode == isa::kOpLoad ? hw_.load_dma_channel : hw_.store_dma_channel;
  }

  // A LOAD or STORE whose DMA channel runs the other queue's transfer (both queues on one channel).
  bool channel_busy(const isa::Instruction& in) const {
    if (isa::queue_of(in.header.opcode) == isa::kQueueCompute) return false;
    return std::any_of(lanes_.begin(), lanes_.end(),
                       [&](const Lane& l) { return l.transfer && l.transfer->job.channel == channel_of(in); });
  }

  // When the lane's transfer issues its next DMA transaction.
  std::optional<Picoseconds> transfer_ready(const Lane& l) const {
    if (!l.transfer) return std::nullopt;
    return l.transfer->job.pipeline.next_at();
  }

  // Ifu::run_transfer: its DMA jobs one after the other on the queue's channel.
  void start_transfer(Lane& l, const isa::Transfer& t, Picoseconds start) {
    const bool load = t.header.opcode == isa::kOpLoad;
    const ifu::TransferPlan plan(t, placement_.args[t.arg] + t.ddr_offset, t.buffer_offset);
    l.transfer.emplace(
        Transfer{plan, 1, memory_.start_dma_job(channel_of(program_[l.head->index]), plan.job(0), load, t.buffer, start), start});
    settle_transfer(l);
  }

  void step_transfer(Lane& l) {
    memory_.issue_next(l.transfer->job);
    settle_transfer(l);
  }

  // Moves on to the transfer's next DMA job once one has issued everything, and finishes the
  // instruction after its last.
  void settle_transfer(Lane& l) {
    Transfer& t = *l.transfer;
    while (t.job.pipeline.done()) {
      const Picoseconds end = t.job.pipeline.result().end;
      if (t.next_job == t.plan.jobs()) {
        const Picoseconds start = t.start;
        l.transfer.reset();
        finish(l, start, end);
        return;
      }
      const DmaJobReplay& job = t.job;
      t.job = memory_.start_dma_job(job.channel, t.plan.job(t.next_job++), job.load, job.buffer, end);
    }
  }

  // The head instruction ran from `start` to `end` (before its pushes).
  void finish(Lane& l, Picoseconds start, Picoseconds end) {
    const Entry e = *l.head;
    const isa::Instruction& in = program_[e.index];
    const uint8_t deps = in.header.deps;
    end += ifu_period_ * ifu::pushes_of(deps);
    if (deps & isa::kPushPrev) tokens_[ifu::token_path(l.queue, ifu::previous_queue(l.queue))].push_back(end);
    if (deps & isa::kPushNext) tokens_[ifu::token_path(l.queue, ifu::next_queue(l.queue))].push_back(end);
    executed_.push_back(ifu::ExecutedInstruction{e.index, in.header.tag, l.queue, l.taken, start, end});
    job_end_ = std::max(job_end_, end);
    l.free_at = end;
    l.head.reset();
  }

  // The engine's datapath time of a compute instruction, from the engine's own timing model.
  Picoseconds compute_time(const isa::Instruction& in, uint32_t index) const {
    if (isa::is_lstm_opcode(in.header.opcode)) return lstm_period_ * static_cast<Picoseconds>(lstm_timings_[index].cycles);
    return cnn_period_ * static_cast<Picoseconds>(timing_.cost(in).timing.cycles);
  }

  const std::vector<isa::Instruction>& program_;
  const ScheduleHardware& hw_;
  const JobPlacement& placement_;
  MemoryPath memory_;
  cnn::TimingModel timing_;
  const Picoseconds ifu_period_, cnn_period_, lstm_period_;
  std::vector<lstm::LstmTiming> lstm_timings_;  // by instruction index (empty without LSTM opcodes)
  ifu::ArgWindows windows_{};
  ifu::BufferSizes buffers_{};

  std::array<Lane, 3> lanes_;
  std::array<std::deque<Picoseconds>, ifu::kTokenPaths> tokens_;  // push times of the tokens not yet popped
  uint32_t next_;
  bool decoded_ = false, end_decoded_ = false, prefetched_ = false;
  Picoseconds dispatcher_time_ = 0, job_end_ = 0;
  FetchBurst current_, following_;  // current_ starts empty at the job's first instruction
  std::vector<ifu::ExecutedInstruction> executed_;
};

}  // namespace

ScheduleHardware schedule_hardware(const IfuConfig& ifu, const DmaConfig& dma, const BusConfig& bus, const DdrConfig& ddr,
                                   const DdrTiming& ddr_timing, const CnnConfig& cnn, const LstmConfig& lstm) {
  ScheduleHardware hw;
  hw.memory = MemoryHardware{dma, bus, ddr, ddr_timing, cnn, lstm};
  hw.ifu_clock_mhz = ifu.clock_mhz;
  hw.fetch_burst_instructions = ifu.fetch_burst_instructions;
  hw.queue_depth = ifu.queue_depth;
  hw.decode_cycles = ifu.decode_cycles;
  hw.load_dma_channel = ifu.load_dma_channel;
  hw.store_dma_channel = ifu.store_dma_channel;
  return hw;
}

JobPlacement driver_placement(uint64_t instruction_bytes, const std::array<uint64_t, isa::kArgCount>& window_bytes) {
  JobPlacement p;
  uint64_t at = align_page(instruction_bytes);
  for (size_t a = 0; a < isa::kArgCount; ++a) {
    p.args[a] = at;
    p.arg_bytes[a] = window_bytes[a];
    at = align_page(at + window_bytes[a]);
  }
  return p;
}

SchedulePrediction predict_schedule(const std::vector<isa::Instruction>& program, const ScheduleHardware& hw,
                                    const JobPlacement& placement, const std::vector<uint8_t>& constants) {
  if (placement.first_instruction >= program.size())
    throw ConfigError("dlvpc: the job starts at instruction " + std::to_string(placement.first_instruction) + " of " +
                      std::to_string(program.size()));
  return Replay(program, hw, placement, constants).run();
}

package::Prediction package_prediction(const SchedulePrediction& p, const std::vector<uint32_t>& layer_tags) {
  package::Prediction out;
  out.job_ps = static_cast<uint64_t>(p.job);
  out.layers.resize(layer_tags.size(), package::LayerPrediction{});
  for (const ifu::LayerTime& t : p.layers) {
    const auto at = std::find(layer_tags.begin(), layer_tags.end(), t.layer);
    if (at == layer_tags.end())
      throw ConfigError("dlvpc: instructions tagged " + std::to_string(t.layer) + " belong to no layer of the package");
    out.layers[at - layer_tags.begin()] =
        package::LayerPrediction{static_cast<uint64_t>(t.time), static_cast<uint64_t>(t.engine_busy),
                                 static_cast<uint64_t>(t.memory_stall), static_cast<uint64_t>(t.store_tail),
                                 static_cast<uint64_t>(t.other)};
  }
  return out;
}

}  // namespace dlvp::dlvpc
