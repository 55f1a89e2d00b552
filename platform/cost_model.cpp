// The cost model (docs/cost.md): every block's structure counted from its configuration, mapped to
// FPGA primitives and to ASIC gates and SRAM macros. The FPGA primitives' geometry is cited
// where used ([UG473]/[UG573] block RAM, [UG474]/[UG574] CLB, [UG479]/[UG579] DSP slices,
// [WP486] two products per slice); the ASIC coefficients come from the technology table.
#include "platform/cost_model.h"

#include "ip/cnn/cnn_regs.h"
#include "ip/common/config_error.h"
#include "ip/common/tech_table.h"
#include "ip/dma/dma_regs.h"
#include "ip/ifu/ifu_regs.h"
#include "ip/ifu/isa.h"
#include "ip/lstm/lstm_format.h"
#include "ip/lstm/lstm_regs.h"
#include "ip/pmu/pmu_regs.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace dlvp {
namespace cost {

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// Block RAM aspect ratios of a 36 Kb block, data bits without parity (bytes use x8, x16, ...):
// 32K x 1 .. 1K x 32 in true dual port, 512 x 64 in simple dual port [UG473], [UG573]. An 18 Kb
// half offers the same widths at half the depth, up to 32 bits.
struct Aspect {
  uint64_t depth;
  uint32_t width;
};
constexpr Aspect kBram36Aspects[] = {{32768, 1}, {16384, 2}, {8192, 4}, {4096, 8}, {2048, 16}, {1024, 32}, {512, 64}};
constexpr uint32_t kBram18MaxWidth = 32;

}  // namespace

double bram36_blocks(uint64_t bytes, uint32_t width_bits) {
  if (bytes == 0 || width_bits == 0) return 0;
  const uint64_t words = ceil_div(bytes * 8, width_bits);
  double best = HUGE_VAL;
  for (const Aspect& a : kBram36Aspects) {
    const uint64_t columns = ceil_div(width_bits, a.width);
    const uint64_t full_rows = words / a.depth, rest = words % a.depth;
    // A last partial row fits an 18 Kb half when it needs at most half the depth.
    const double last_row = rest == 0 ? 0 : (rest <= a.depth / 2 && a.width <= kBram18MaxWidth ? 0.5 : 1.0);
    best = std::min(best, double(columns) * (double(full_rows) + last_row));
  }
  return best;
}

bool products_pack(uint32_t a_bits, uint32_t b_bits, const FpgaDevice& device) {
  // [WP486]: the shared operand on B, the two others on A at offsets 0 and k; the lower product
  // (a + b bits) must end below k and the upper operand must fit above it.
  return b_bits <= device.dsp_b_bits && (a_bits + b_bits) + a_bits <= device.dsp_a_bits;
}

uint64_t dsp_slices(uint64_t products, uint64_t shared_pairs, uint32_t a_bits, uint32_t b_bits, const FpgaDevice& device) {
  // A product wider than the slice is tiled over several ([UG479]: cascaded partial products).
  const uint32_t big = std::max(a_bits, b_bits), small = std::min(a_bits, b_bits);
  const uint64_t per_product = ceil_div(big, device.dsp_a_bits) * ceil_div(small, device.dsp_b_bits);
  if (per_product == 1 && shared_pairs > 0 && products_pack(a_bits, b_bits, device))
    return products - shared_pairs;  // each pair in one slice
  return products * per_product;
}

}  // namespace cost

namespace {

using cost::ceil_div;

uint32_t ceil_log2(uint64_t n) {
  uint32_t bits = 0;
  while ((uint64_t{1} << bits) < n) ++bits;
  return bits;
}

// Bits of all adders of a pipelined tree summing `inputs` values of `bits`: level l has
// ceil(n_l / 2) adders of bits + l (+1 carry per level).
uint64_t tree_bits(uint64_t inputs, uint32_t bits) {
  uint64_t total = 0;
  for (uint32_t width = bits + 1; inputs > 1; ++width) {
    total += (inputs / 2) * width;
    inputs = ceil_div(inputs, 2);
  }
  return total;
}

// The ASIC coefficients of the technology table (all zero without area data: no gate figures).
struct GateCosts {
  double full_adder = 0, and2 = 0, mux2 = 0, flip_flop = 0, random_logic = 0;
};

// Counts one block's structure and maps each element as it is added.
class Inventory {
 public:
  Inventory(std::string name, const FpgaDevice& device, const CostConfig& cfg, const GateCosts& gates,
            const TechTable* area)
      : device_(device), cfg_(cfg), ge_(gates), area_(area) {
    c_.name = std::move(name);
  }

  // `products` a x b multiplications, `shared_pairs` pairs of which share the b operand.
  void multipliers(uint64_t products, uint64_t shared_pairs, uint32_t a_bits, uint32_t b_bits) {
    const uint64_t slices = cost::dsp_slices(products, shared_pairs, a_bits, b_bits, device_);
    c_.dsp += double(slices);
    // A packed slice's upper product borrows the lower one's sign: one product-wide correction
    // adder in the fabric per packed pair [WP486].
    if (slices < products) c_.lut += double(products - slices) * (a_bits + b_bits);
    c_.gates += double(products) * a_bits * b_bits * (ge_.and2 + ge_.full_adder);  // array multiplier
  }
  // Accumulations done by the multipliers' own slices (A x B + C: the accumulator enters on C).
  void fused_accumulators(uint64_t count, uint32_t bits) { c_.gates += double(count) * bits * ge_.full_adder; }
  // Wide adders: a DSP slice's 48-bit ALU each when cost.adders_in_dsp, else a carry chain.
  void wide_adders(uint64_t count, uint32_t bits) {
    if (cfg_.adders_in_dsp && bits <= 48)
      c_.dsp += double(count);
    else
      c_.lut += double(count) * bits;
    c_.gates += double(count) * bits * ge_.full_adder;
  }
  // Adders, comparators and counters in the fabric: one LUT per bit on the carry chain [UG474].
  void adders(uint64_t bits) {
    c_.lut += double(bits);
    c_.gates += double(bits) * ge_.full_adder;
  }
  void registers(uint64_t bits) {
    c_.ff += double(bits);
    c_.gates += double(bits) * ge_.flip_flop;
  }
  // `bits` wide `inputs`:1 multiplexers: a LUT6 is a 4:1 multiplexer per bit, two 2:1 with LUT6_2 [UG474].
  void mux(uint64_t bits, uint32_t inputs) {
    if (inputs < 2) return;
    c_.lut += inputs == 2 ? std::ceil(double(bits) / 2) : double(bits * ceil_div(inputs - 1, 3));
    c_.gates += double(bits) * (inputs - 1) * ge_.mux2;
  }
  // A logarithmic shifter of `bits` by up to 2^shift_bits - 1: two 2:1 levels per LUT6.
  void shifter(uint64_t bits, uint32_t shift_bits) {
    c_.lut += double(bits * ceil_div(shift_bits, 2));
    c_.gates += double(bits) * shift_bits * ge_.mux2;
  }
  // Decoders and state machines not counted bit by bit, as LUT6 functions (docs/cost.md).
  void control(uint64_t luts) {
    c_.lut += double(luts);
    c_.gates += double(luts) * ge_.random_logic;
  }
  // A register bank declared as data (*_regs.h): its flip-flops and its read multiplexer.
  template <size_t N>
  void register_bank(const regs::RegDef (&defs)[N], uint64_t copies = 1) {
    uint64_t bits = 0;
    for (const auto& d : defs) bits += uint64_t{d.width_bytes} * 8;
    registers(bits * copies);
    mux(64, static_cast<uint32_t>(N * copies));
  }
  // `instances` memories of `bytes` each, read `width_bits` at a time, in block RAM.
  void block_memory(uint64_t bytes, uint32_t width_bits, uint64_t instances = 1) {
    if (bytes == 0 || instances == 0) return;
    c_.bram36 += cost::bram36_blocks(bytes, width_bits) * double(instances);
    sram(bytes, instances);
  }
  // Small memories in LUTs: RAM32M, 32 words x 6 bits per 4 LUTs (one write, one read port) [UG474].
  void lut_memory(uint64_t depth, uint32_t width_bits, uint64_t instances = 1) {
    if (depth == 0 || instances == 0) return;
    c_.lut += double(ceil_div(width_bits, 6) * 4 * ceil_div(depth, 32) * instances);
    sram(ceil_div(depth * width_bits, 8), instances);
  }
  // Delay lines in SRLC32E shift registers: 32 stages of one bit per LUT [UG474]; on an ASIC a
  // small SRAM used as a circular buffer (flip-flops would cost six gates per bit).
  void shift_register(uint64_t depth, uint32_t width_bits, uint64_t instances = 1) {
    if (depth == 0 || instances == 0) return;
    c_.lut += double(ceil_div(depth, 32) * width_bits * instances);
    sram(ceil_div(depth * width_bits, 8), instances);
  }
  CostComponent done() { return c_; }

 private:
  void sram(uint64_t bytes, uint64_t instances) {
    c_.sram_bytes += bytes * instances;
    if (area_) c_.sram_um2 += area_->sram_um2_per_byte(bytes) * double(bytes) * double(instances);
  }
  const FpgaDevice& device_;
  const CostConfig& cfg_;
  const GateCosts& ge_;
  const TechTable* area_;
  CostComponent c_;
};

struct Builder {
  const PlatformConfig& config;
  const FpgaDevice& device;
  const GateCosts& gates;
  const TechTable* area;
  std::vector<CostComponent> out;

  Inventory make(const char* name) const { return Inventory(name, device, config.cost, gates, area); }
  void add(Inventory& inv) { out.push_back(inv.done()); }

  void cnn() {
    const CnnConfig& c = config.cnn;
    const uint64_t P = c.pes, C = c.convolvers, K = c.kernel, K2 = K * K, acc = c.accumulator_bits;
    const uint64_t W = config.cost.cnn_line_pixels;
    constexpr uint32_t kData = 8;  // int8 activations and weights (docs/isa.md)
    const uint32_t product = 2 * kData;

    Inventory conv = make("cnn.convolvers");
    // The input window is broadcast to every PE: convolver c of PEs 2i and 2i+1 multiply the same
    // pixels by different weights, so their products pair up on a shared operand.
    conv.multipliers(P * C * K2, (P / 2) * C * K2, kData, kData);
    conv.adders(P * C * tree_bits(K2, product));     // the K x K sum tree, pipelined
    conv.registers(P * C * tree_bits(K2, product));
    conv.registers(P * C * K2 * kData);              // the window
    conv.registers(P * C * 2 * K2 * kData);          // weights, and the next pass's prefetched
    conv.shift_register(W, static_cast<uint32_t>((K - 1) * kData), P * C);  // line buffers: K-1 rows
    add(conv);

    Inventory pe = make("cnn.pes");
    const uint32_t convolver_bits = product + ceil_log2(K2);
    pe.wide_adders(P * (C - 1), convolver_bits + ceil_log2(C));  // adder tree over the convolvers
    pe.registers(P * tree_bits(C, convolver_bits));
    pe.wide_adders(P, static_cast<uint32_t>(acc));  // accumulator: partial sum or bias
    pe.registers(P * acc * 2);                        // accumulator, partial sum read back
    pe.shifter(P * acc, ceil_log2(acc));              // round_shift to the output radix point
    pe.adders(P * acc * 2);                           // rounding increment, saturation compare
    pe.mux(P * kData, 2);                             // ReLU
    pe.adders(P * kData);                             // max pooling compare
    pe.lut_memory(W, kData, P);                       // the pooling row's running maxima
    pe.registers(P * kData * 2);
    add(pe);

    Inventory buffers = make("cnn.buffers");
    buffers.block_memory(c.input_buffer_bytes, 8 * c.input_port_bytes);
    buffers.block_memory(c.weight_buffer_bytes, 8 * c.weight_port_bytes);
    buffers.block_memory(c.output_buffer_bytes, 8 * c.output_port_bytes);
    add(buffers);

    Inventory ctl = make("cnn.control");
    constexpr uint64_t kAddressCounters = 6;  // input, weight, output read and write, row, column
    ctl.adders(kAddressCounters * 32);
    ctl.registers(kAddressCounters * 32);
    ctl.mux(C * kData, 2);                   // padding zeros into the broadcast lanes
    ctl.registers(isa::kInstructionBytes * 8);  // the instruction being executed
    ctl.control(200);                        // pass and step sequencing (estimate, docs/cost.md)
    ctl.register_bank(cnn_regs::kRegisters);
    add(ctl);
  }

  void lstm() {
    const LstmConfig& c = config.lstm;
    if (!c.enabled) return;
    const uint64_t N = c.pes, M = c.macs_per_pe, acc = c.accumulator_bits, L = c.elementwise_lanes;
    const uint32_t w = lstm::kWeightBits, a = lstm::kActivationBits;

    Inventory pes = make("lstm.pes");
    // A PE's multipliers share the entry's weight (one per channel's activation).
    pes.multipliers(N * M, N * (M / 2), a, w);
    pes.fused_accumulators(N * M, static_cast<uint32_t>(acc));
    pes.adders(N * 2 * 16);                      // row index (row += skip + 1), entries in the column
    pes.registers(N * (2 * 16 + 16 + 16));       // pointer pair, entry, row index
    pes.lut_memory(c.fifo_depth, static_cast<uint32_t>(a * M + 16), N);  // activation FIFO: values + column
    pes.adders(N * ceil_log2(c.fifo_depth + 1));  // FIFO occupancy
    pes.block_memory(c.weight_memory_bytes, 16, N);  // pointers and entries, one 16-bit word per cycle
    pes.control(N * 20);                          // pointer-then-entries sequencer (estimate)
    add(pes);

    Inventory ew = make("lstm.elementwise");
    // Per lane: the peepholes (Pi c, Pf c, Po c_t), f c_{t-1}, i g, o tanh(c_t); five table
    // lookups interpolated linearly between two samples (i, f, o sigmoid; g, c_t tanh).
    constexpr uint64_t kProducts = 6, kLookups = 5;
    const uint32_t frac_bits = a - ceil_log2(lstm::kLutSegments);  // input bits below the segment index
    ew.multipliers(L * kProducts, 0, a, a);
    ew.multipliers(L * kLookups, 0, a + 1, frac_bits);  // (next - sample) x fraction
    ew.adders(L * (3 * acc + kLookups * a + 32));  // peephole sums, interpolation, c_t = f c + i g
    ew.shifter(L * kLookups * acc, ceil_log2(acc));  // gate accumulators to the tables' input format
    ew.registers(L * c.elementwise_latency * 64);    // a 64-bit slice per pipeline stage per lane (estimate)
    // Each table holds a sample and the next in one 32-bit word (one port = one interpolated
    // lookup); a dual-port block serves two lookups.
    ew.block_memory(uint64_t{lstm::kLutSegments} * 4, 32, ceil_div(L * kLookups, 2));
    add(ew);

    Inventory buffers = make("lstm.buffers");
    buffers.block_memory(c.vector_buffer_bytes, static_cast<uint32_t>(std::max<uint64_t>(8 * c.buffer_port_bytes, a * L)));
    add(buffers);

    Inventory ctl = make("lstm.control");
    ctl.adders(4 * 32 + N * ceil_log2(c.fifo_depth + 1));  // column, chunk and address counters; FIFO room
    ctl.registers(4 * 32 + isa::kInstructionBytes * 8);
    ctl.control(300);  // instruction sequencing, channel loop, stream checks (estimate)
    ctl.register_bank(lstm_regs::kRegisters);
    add(ctl);
  }

  void shared() {
    const IfuConfig& f = config.ifu;
    Inventory ifu = make("ifu");
    const uint32_t instruction_bits = isa::kInstructionBytes * 8;
    ifu.lut_memory(f.queue_depth, instruction_bits, 3);  // load, compute and store queues
    ifu.lut_memory(uint64_t{f.fetch_burst_instructions} * isa::kInstructionBytes / 8, 64);  // fetch buffer, 64-bit beats
    ifu.registers(instruction_bits + 2 * 64 + 6 * 8);  // decode register, fetch address and count, tokens
    ifu.adders(2 * 64 + 6 * 8 + 16 * 32);              // fetch counters, token counters, field range checks
    ifu.control(300);                                  // decode and dispatch (estimate)
    ifu.register_bank(ifu::kRegisterDefs);
    add(ifu);

    const DmaConfig& d = config.dma;
    const uint32_t beat_bits = 8 * config.bus.width_bytes;
    Inventory dma = make("dma");
    dma.block_memory(d.buffer_bytes, beat_bits, d.channels);  // staging FIFO per channel
    dma.lut_memory(d.max_outstanding, 64 + 16, 2ull * d.channels);  // bursts in flight per direction
    dma.adders(d.channels * (2 * 64 + 2 * 32));  // source and destination addresses, row and byte counters
    dma.control(d.channels * 150);               // burst splitting and bus handshakes (estimate)
    dma.register_bank(dma::kGlobalRegisterDefs);
    dma.register_bank(dma::kChannelRegisterDefs, d.channels);
    add(dma);

    Inventory pmu = make("pmu");
    pmu.register_bank(pmu::kRegisters);
    uint64_t counter_bits = 0;
    for (const auto& r : pmu::kRegisters)
      if (r.access == regs::Access::RO) counter_bits += uint64_t{r.width_bytes} * 8;
    pmu.adders(counter_bits);  // its counters' incrementers
    add(pmu);

    if (config.scratchpad.size_bytes > 0) {
      Inventory pad = make("scratchpad");
      pad.block_memory(config.scratchpad.size_bytes, 8 * config.scratchpad.port_width_bytes);
      add(pad);
    }

    // The accelerator's interconnect: the DMA (system and buffer sides) and the IFU as masters, the
    // register windows and the buffers as targets. The host, DDR controller and peripherals are
    // the SoC's hard blocks on the boards modelled (docs/cost.md) and are not counted.
    const bool lstm = config.lstm.enabled, pad = config.scratchpad.size_bytes > 0;
    const uint32_t windows = 4 + (lstm ? 1u : 0u);             // IFU, DMA, PMU, CNN (+ LSTM) registers
    const uint32_t buffers = 3 + (lstm ? 2u : 0u) + (pad ? 1u : 0u);  // CNN's three, LSTM's two, scratchpad
    const uint32_t targets = windows + buffers;
    Inventory bus = make("interconnect");
    bus.mux(beat_bits, targets);
    bus.mux(beat_bits, 3);            // masters onto the system port
    bus.adders(targets * 32);         // address decode
    bus.registers(3 * (beat_bits + 64));  // a register slice per master
    add(bus);
  }
};

GateCosts gate_costs(const TechTable& t) {
  GateCosts g;
  g.full_adder = t.area("full_adder").value;
  g.and2 = t.area("and2").value;
  g.mux2 = t.area("mux2").value;
  g.flip_flop = t.area("flip_flop").value;
  g.random_logic = t.area("random_logic").value;
  return g;
}

}  // namespace

CostEstimate estimate_structure(const PlatformConfig& config) {
  if (config.fpga_device_path.empty())
    throw ConfigError("cost model: the configuration names no FPGA device file (cost.fpga_device)");
  CostEstimate e;
  e.device = FpgaDevice::load(config.fpga_device_path);
  e.asic_overhead = config.cost.asic_overhead;
  std::optional<TechTable> tech;
  if (!config.tech_path.empty()) tech = TechTable::load(config.tech_path);
  GateCosts gates;
  if (tech && tech->has_area()) {
    e.has_area = true;
    e.technology = tech->name();
    gates = gate_costs(*tech);
    e.node_nm = tech->area("node_nm").value;
    e.nand2_um2 = tech->area("nand2").value;
    e.leakage_gate_nw = tech->area("leakage_gate").value;
    e.leakage_sram_uw_per_kb = tech->area("leakage_sram").value;
  } else if (tech) {
    e.technology = tech->name();
  }
  Builder b{config, e.device, gates, e.has_area ? &*tech : nullptr, {}};
  b.cnn();
  b.lstm();
  b.shared();
  e.components = std::move(b.out);
  return e;
}

std::vector<CostFigure> cost_figures(const CostEstimate& e) {
  CostComponent total;
  for (const auto& c : e.components) {
    total.dsp += c.dsp, total.bram36 += c.bram36, total.lut += c.lut, total.ff += c.ff;
    total.gates += c.gates, total.sram_bytes += c.sram_bytes, total.sram_um2 += c.sram_um2;
  }
  total.lut = std::ceil(total.lut), total.ff = std::ceil(total.ff);
  const FpgaDevice& d = e.device;
  std::vector<CostFigure> f;
  auto put = [&f](std::string name, double value, std::string unit, std::string description) {
    f.push_back({std::move(name), value, std::move(unit), std::move(description)});
  };
  put("fpga.dsp", total.dsp, "", "DSP slices");
  put("fpga.bram36", total.bram36, "", "36 Kb block RAMs (18 Kb halves count 0.5)");
  put("fpga.bram_kb", total.bram36 * 36.0 / 8.0, "KB", "block RAM used, 36 Kb (4.5 KB) per block");
  put("fpga.lut", total.lut, "", "LUTs (logic, LUT memories, shift registers)");
  put("fpga.ff", total.ff, "", "flip-flops");
  const double dsp_u = total.dsp / double(d.dsp_slices), bram_u = total.bram36 / double(d.bram36);
  const double lut_u = total.lut / double(d.luts), ff_u = total.ff / double(d.flip_flops);
  put("fpga.dsp_utilization", dsp_u, "", "DSP slices used / the device's (" + d.name + ")");
  put("fpga.bram36_utilization", bram_u, "", "block RAMs used / the device's (" + d.name + ")");
  put("fpga.lut_utilization", lut_u, "", "LUTs used / the device's (" + d.name + ")");
  put("fpga.ff_utilization", ff_u, "", "flip-flops used / the device's (" + d.name + ")");
  put("fpga.fits", dsp_u <= 1 && bram_u <= 1 && lut_u <= 1 && ff_u <= 1 ? 1 : 0, "",
      "1 when every resource fits " + d.name + ", else 0");
  if (!e.has_area) return f;
  const double logic_mm2 = total.gates * e.nand2_um2 * 1e-6, sram_mm2 = total.sram_um2 * 1e-6;
  const double sram_kb = double(total.sram_bytes) / 1024.0;
  put("asic.gates", total.gates, "", "logic in NAND2 equivalents (SRAM macros not included)");
  put("asic.sram_kb", sram_kb, "KB", "on-chip SRAM (buffers, FIFOs, tables)");
  put("asic.logic_mm2", logic_mm2, "mm2", "logic cell area (gates x NAND2 area)");
  put("asic.sram_mm2", sram_mm2, "mm2", "SRAM macro area, by macro size");
  put("asic.area_mm2", (logic_mm2 + sram_mm2) * e.asic_overhead, "mm2",
      "logic + SRAM x cost.asic_overhead, at " + std::to_string(int(e.node_nm)) + " nm (" + e.technology + ")");
  double leakage_mw = 0;
  for (const BlockLeakage& b : leakage_by_block(e)) leakage_mw += b.logic_mw + b.sram_mw;
  put("asic.leakage_mw", leakage_mw, "mW", "leakage power: gates x per-gate + SRAM KB x per-KB leakage");
  put("asic.node_nm", e.node_nm, "nm", "technology node of the area data");
  return f;
}

std::vector<BlockLeakage> leakage_by_block(const CostEstimate& e) {
  std::vector<BlockLeakage> out;
  if (!e.has_area) return out;
  for (const CostComponent& c : e.components) {
    // nW per gate -> mW; uW per KB -> mW.
    out.push_back({c.name, c.gates * e.leakage_gate_nw * 1e-6, double(c.sram_bytes) / 1024.0 * e.leakage_sram_uw_per_kb * 1e-3});
  }
  return out;
}

std::vector<CostFigure> estimate_cost(const PlatformConfig& config) { return cost_figures(estimate_structure(config)); }

}  // namespace dlvp
