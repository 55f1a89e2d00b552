// dlvpc's prediction of a job's schedule (docs/dlvpc.md, "Predict"): the program's instructions
// replayed through the IFU's rules (docs/ifu.md, "Timing") — instruction fetch in bursts with a
// two-burst buffer, decode, dispatch in program order into three queues of queue_depth entries,
// each queue taking its head, waiting for its tokens (one IFU cycle per pop), executing, pushing
// (one cycle per push) — with each compute instruction timed by the CNN engine's timing model
// (ip/cnn/cnn_timing, what the engine simulates) and each LOAD/STORE by the DMA + bus + DDR path
// (memory_path.h). The predicted instruction times then go through ifu::attribute_layers, the
// function the SoC applies to its measured times, so that a layer's predicted and measured time
// mean the same thing.
#pragma once
#include "ip/ifu/ifu.h"
#include "ip/ifu/isa.h"
#include "ip/ifu/layer_timeline.h"
#include "tools/dlvpc/memory_path.h"

#include <array>
#include <cstdint>
#include <vector>

namespace dlvp::dlvpc {

// The hardware the prediction follows: the transfer path and the IFU's parameters.
struct ScheduleHardware {
  MemoryHardware memory;
  double ifu_clock_mhz = 214.0;
  uint32_t fetch_burst_instructions = 8;
  uint32_t queue_depth = 8;
  uint32_t decode_cycles = 1;
  uint32_t load_dma_channel = 0, store_dma_channel = 1;
};

// The same from the hardware file's sections.
ScheduleHardware schedule_hardware(const IfuConfig& ifu, const DmaConfig& dma, const BusConfig& bus, const DdrConfig& ddr,
                                   const DdrTiming& ddr_timing, const CnnConfig& cnn);

// Where the job's data lies, as offsets from the DDR base.
struct JobPlacement {
  uint64_t instructions = 0;                        // the instruction stream
  std::array<uint64_t, isa::kArgCount> args{};      // ARG_BASE[n] - DDR base
  std::array<uint64_t, isa::kArgCount> arg_bytes{}; // ARG_SIZE[n]: the IFU's decode checks
};

// The driver's layout (sw/driver/accel_driver): the package (its instruction stream and constants)
// first, then the input, output and scratch windows, each from a 4 KiB page boundary. Row hits
// and bank conflicts depend on the addresses only through the DDR address map, so the layout of
// an actual run changes the prediction little.
JobPlacement driver_placement(uint64_t instruction_bytes, const std::array<uint64_t, isa::kArgCount>& window_bytes);

struct SchedulePrediction {
  Picoseconds job = 0;  // START to the job's end (the latest instruction end, or END's decode)
  std::vector<ifu::ExecutedInstruction> instructions;  // every executed instruction, program order
  std::vector<ifu::LayerTime> layers;                  // attribute_layers(0, job, instructions)
};

// Every instruction is checked as the IFU and the CNN engine check it. Throws ConfigError naming
// the instruction when one would stop the job (a failed check; an LSTM opcode, which this
// prediction does not time), when the program has no END, or when it would deadlock on its tokens.
SchedulePrediction predict_schedule(const std::vector<isa::Instruction>& program, const ScheduleHardware& hw,
                                    const JobPlacement& placement);

}  // namespace dlvp::dlvpc
