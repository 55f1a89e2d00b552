#include "svd.h"
#include "ip/common/hex_text.h"

#include "ip/cnn/cnn_regs.h"
#include "ip/common/soc_map.h"
#include "ip/dma/dma_engine.h"
#include "ip/dma/dma_regs.h"
#include "ip/ifu/ifu_regs.h"
#include "ip/lstm/lstm_regs.h"
#include "ip/periph/intc_regs.h"
#include "ip/periph/sysctl_regs.h"
#include "ip/periph/timer_regs.h"
#include "ip/periph/uart_regs.h"
#include "ip/pmu/pmu_regs.h"
#include "platform/markup_text.h"
#include "platform/platform_config.h"

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlvp {
namespace {

template <typename Def>
struct Table {
  const Def* defs;
  size_t count;
  const Def* begin() const { return defs; }
  const Def* end() const { return defs + count; }
};
template <typename Def, size_t N>
Table<Def> table(const Def (&defs)[N]) {
  return {defs, N};
}
constexpr Table<regs::FieldDef> kNoFields{nullptr, 0};

// Each block's register and field tables and a one-line description, by the memory map's device id.
struct Block {
  uint32_t id;
  Table<regs::RegDef> registers;
  Table<regs::FieldDef> fields;
  const char* description;
};
const std::vector<Block>& blocks() {
  static const std::vector<Block> all = {
      {soc::kDevSysctl, table(sysctl::kRegisters), table(sysctl::kFields),
       "system controller: exit, device table, boot arguments, app results"},
      {soc::kDevUart, table(uart::kRegisters), table(uart::kFields), "UART transmitter and receiver"},
      {soc::kDevTimer, table(timer::kRegisters), kNoFields, "machine timer (MTIME, MTIMECMP)"},
      {soc::kDevIntc, table(intc::kRegisters), table(intc::kFields), "interrupt controller (PLIC-like: claim and complete)"},
      {soc::kDevDma, table(dma::kGlobalRegisterDefs), table(dma::kGlobalFieldDefs),
       "2-D DMA engine; per-channel registers CHn_*"},
      {soc::kDevIfu, table(ifu::kRegisterDefs), table(ifu::kFieldDefs), "instruction fetch unit of the accelerators"},
      {soc::kDevCnn, table(cnn_regs::kRegisters), table(cnn_regs::kFields),
       "CNN PE cluster: configuration and performance counters"},
      {soc::kDevLstm, table(lstm_regs::kRegisters), table(lstm_regs::kFields),
       "sparse LSTM engine (present when lstm.enabled): configuration and counters"},
      {soc::kDevPmu, table(pmu::kRegisters), table(pmu::kFields), "performance monitoring unit: energy and power per level"},
  };
  return all;
}

std::string upper(const char* text) {
  std::string out = text;
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// The SVD access; write-1-to-clear is read-write with modifiedWriteValues oneToClear.
const char* access_name(regs::Access access) {
  return access == regs::Access::RO ? "read-only" : access == regs::Access::WO ? "write-only" : "read-write";
}

// A field's access: its own, or its register's.
regs::Access field_access(const regs::FieldDef& f, regs::Access register_access) {
  switch (f.access) {
    case regs::FieldAccess::REG: return register_access;
    case regs::FieldAccess::RW: return regs::Access::RW;
    case regs::FieldAccess::RO: return regs::Access::RO;
    case regs::FieldAccess::WO: return regs::Access::WO;
    case regs::FieldAccess::W1C: return regs::Access::W1C;
  }
  return register_access;
}

// The register's fields (those of `fields` that name it), in the list's order.
void write_fields(std::ostream& os, const regs::RegDef& r, Table<regs::FieldDef> fields) {
  bool any = false;
  for (const regs::FieldDef& f : fields) {
    if (!regs::same_name(f.reg, r.name)) continue;
    if (!any) os << "          <fields>\n";
    any = true;
    os << "            <field>\n              <name>" << f.name << "</name>\n";
    os << "              <description>" << markup_escaped(f.description) << "</description>\n";
    os << "              <bitOffset>" << unsigned{f.bit_offset} << "</bitOffset>\n";
    os << "              <bitWidth>" << unsigned{f.bit_width} << "</bitWidth>\n";
    const regs::Access access = field_access(f, r.access);
    os << "              <access>" << access_name(access) << "</access>\n";
    if (access == regs::Access::W1C) os << "              <modifiedWriteValues>oneToClear</modifiedWriteValues>\n";
    os << "            </field>\n";
  }
  if (any) os << "          </fields>\n";
}

// One register and its fields; `dim` > 0 makes it an array of `dim` at `increment` bytes (name
// with %s).
void write_register(std::ostream& os, const regs::RegDef& r, Table<regs::FieldDef> fields, const std::string& name,
                    uint32_t offset, uint32_t dim, uint32_t increment) {
  os << "        <register>\n";
  if (dim) os << "          <dim>" << dim << "</dim>\n          <dimIncrement>" << hex(increment, 0, HexCase::kUpper) << "</dimIncrement>\n";
  os << "          <name>" << name << "</name>\n";
  os << "          <description>" << markup_escaped(r.description) << "</description>\n";
  os << "          <addressOffset>" << hex(offset, 0, HexCase::kUpper) << "</addressOffset>\n";
  os << "          <size>" << 8 * unsigned{r.width_bytes} << "</size>\n";
  os << "          <access>" << access_name(r.access) << "</access>\n";
  os << "          <resetValue>" << hex(r.reset_value, 0, HexCase::kUpper) << "</resetValue>\n";
  if (r.access == regs::Access::W1C) os << "          <modifiedWriteValues>oneToClear</modifiedWriteValues>\n";
  write_fields(os, r, fields);
  os << "        </register>\n";
}

}  // namespace

SvdOptions default_svd_options() { return {DmaConfig{}.channels}; }

void write_svd(std::ostream& os, const SvdOptions& options) {
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!-- Generated by dlvp_svd from the register X-macro tables (ip/*/*_regs.h) and the default memory map\n"
        "     (platform/platform_config.cpp, MemoryMapConfig::slots()): do not edit. docs/periph.md, \"SVD\". -->\n"
        "<device schemaVersion=\"1.3\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xs:noNamespaceSchemaLocation=\"CMSIS-SVD.xsd\">\n"
        "  <vendor>dlvp</vendor>\n  <name>DLVP</name>\n  <version>1.0</version>\n"
        "  <description>dlvp deep-learning SoC: RV32IMAC host, DMA, instruction fetch unit, CNN and LSTM engines "
        "(default memory map)</description>\n"
        "  <addressUnitBits>8</addressUnitBits>\n  <width>32</width>\n"
        "  <size>32</size>\n  <access>read-write</access>\n  <resetValue>0x0</resetValue>\n  <resetMask>0xFFFFFFFF</resetMask>\n"
        "  <peripherals>\n";
  for (const DeviceSlot& slot : MemoryMapConfig::slots()) {
    const Block* block = nullptr;
    for (const Block& b : blocks())
      if (b.id == slot.id) block = &b;
    if (!block) throw std::logic_error(std::string("svd: no register table for block ") + slot.key);
    os << "    <peripheral>\n      <name>" << upper(slot.key) << "</name>\n";
    os << "      <description>" << markup_escaped(block->description) << "</description>\n";
    os << "      <baseAddress>" << hex(slot.default_base, 0, HexCase::kUpper) << "</baseAddress>\n";
    os << "      <addressBlock>\n        <offset>0x0</offset>\n        <size>" << hex(soc::kRegisterWindowBytes, 0, HexCase::kUpper)
       << "</size>\n        <usage>registers</usage>\n      </addressBlock>\n";
    if (slot.irq != soc::kNoIrq)
      os << "      <interrupt>\n        <name>" << upper(slot.key) << "</name>\n        <description>interrupt controller source "
         << slot.irq << "</description>\n        <value>" << slot.irq << "</value>\n      </interrupt>\n";
    os << "      <registers>\n";
    for (const regs::RegDef& r : block->registers) write_register(os, r, block->fields, r.name, r.offset, 0, 0);
    if (slot.id == soc::kDevDma)
      for (const regs::RegDef& r : dma::kChannelRegisterDefs)
        write_register(os, r, table(dma::kChannelFieldDefs), std::string("CH%s_") + r.name,
                       dma::channel_base(0) + r.offset, options.dma_channels, dma::kChannelBlockBytes);
    os << "      </registers>\n    </peripheral>\n";
  }
  os << "  </peripherals>\n</device>\n";
}

}  // namespace dlvp
