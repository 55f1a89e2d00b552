// A job's time, attributed to its layers (docs/ifu.md, "Layer time"). A layer's instructions run in
// three queues that overlap: its loads run while the previous layer computes, its stores drain
// while the next one computes. Each instant of the job is given to exactly one layer, so that the
// layers' times add up to the job time, and is classified by what the compute engine was doing:
//
//   engine_busy   the engine executes one of the layer's compute instructions;
//   memory_stall  the engine is idle and the oldest transfer in flight is a load of the layer
//                 (the engine waits for its operands);
//   store_tail    the engine is idle and the oldest transfer in flight is a store of the layer
//                 (its results drain before the next layer can go on);
//   other         the engine is idle and nothing is in flight (instruction fetch, dispatch, token
//                 handshakes): given to the layer the engine works on next, else to the last one.
//
// A layer's span (first issue .. last end) is usually longer than its time: the part of the span
// given to other layers is reported as `overlapped` (its transfers hidden under their work).
//
// One implementation serves the IFU (measured times) and dlvpc (its predicted schedule), so that
// "layer time" means one thing in every report. Times are integers (picoseconds) so that the sums
// are exact.
#pragma once
#include "isa.h"

#include <cstdint>
#include <vector>

namespace dlvp::ifu {

using Picoseconds = int64_t;

// One executed instruction of a job.
struct ExecutedInstruction {
  uint32_t index = 0;  // program index: "oldest" means lowest index
  uint32_t layer = 0;  // Header.tag
  isa::Queue queue = isa::kQueueNone;
  Picoseconds issue = 0;  // its queue took it (before waiting for tokens)
  Picoseconds start = 0;  // began executing
  Picoseconds end = 0;    // finished
};

// A layer's share of a job, or the sum over several jobs.
struct LayerTime {
  uint32_t layer = 0;
  Picoseconds time = 0;  // = engine_busy + memory_stall + store_tail + other
  Picoseconds engine_busy = 0, memory_stall = 0, store_tail = 0, other = 0;
  Picoseconds span = 0;        // first issue .. last end of its instructions
  Picoseconds overlapped = 0;  // part of the span given to other layers
  uint64_t load_instructions = 0, compute_instructions = 0, store_instructions = 0;

  void add(const LayerTime& other);
};

// The layers of a job from `job_start` to `job_end`, in the order of their first instruction in
// the program. Instructions need not be sorted; times outside the job are clipped to it. A job with
// no instruction has no layer (its time is unattributed). The times of the result add up to
// job_end - job_start whenever the job has an instruction.
std::vector<LayerTime> attribute_layers(Picoseconds job_start, Picoseconds job_end,
                                        const std::vector<ExecutedInstruction>& instructions);

}  // namespace dlvp::ifu
