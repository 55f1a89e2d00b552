// Register definitions shared by the models (ip/), the bare-metal software (sw/) and the tools.
// Freestanding: no library beyond <stddef.h> and <stdint.h>, so the RISC-V build can include it.
//
// A block's register map is one X-macro list in its *_regs.h header:
//   #define DLVP_DMA_REGISTERS(REG) REG(SRC_ADDR, 0x000, 8, 0, RW, "source address") ...
// From that one list the header derives the offsets software uses and the table the model's
// RegisterBank is built from; nothing about a register is written down twice.
//
// The bit fields of a block's registers are a second list beside it:
//   #define DLVP_DMA_CHANNEL_FIELDS(FIELD) FIELD(CTRL, START, 0, 1, REG, "start the job") ...
// (register, field, bit offset, bit width, access, description; access REG = the register's).
// From it come an enum of field ids (CTRL_START), the FieldDef table the SVD is written from, and
// the masks and shifts software uses (kCtrlStart = field_mask(kFields[CTRL_START])).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace dlvp::regs {

enum class Access : uint8_t {
  RW,   // read/write
  RO,   // read-only; a write is answered with a TLM command error
  WO,   // write-only; reads return 0
  W1C,  // read/write-1-to-clear (status bits)
};

struct RegDef {
  const char* name;
  uint32_t offset;       // byte offset inside the block's register window
  uint8_t width_bytes;   // 4 or 8
  uint64_t reset_value;
  Access access;
  const char* description;
};

enum class FieldAccess : uint8_t {
  REG,  // the register's access
  RW,
  RO,
  WO,
  W1C,
};

struct FieldDef {
  const char* reg;  // the name of its register in the block's register list
  const char* name;
  uint8_t bit_offset;
  uint8_t bit_width;
  FieldAccess access;
  const char* description;
};

constexpr uint64_t field_mask(const FieldDef& f) {
  return (f.bit_width >= 64 ? ~uint64_t{0} : (uint64_t{1} << f.bit_width) - 1) << f.bit_offset;
}
constexpr uint32_t field_shift(const FieldDef& f) { return f.bit_offset; }

constexpr bool same_name(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

// The register a field belongs to, or nullptr.
template <size_t R>
constexpr const RegDef* field_register(const RegDef (&registers)[R], const FieldDef& f) {
  for (size_t i = 0; i < R; ++i)
    if (same_name(registers[i].name, f.reg)) return &registers[i];
  return nullptr;
}

// Every field names a register of the list, is at least one bit wide and lies inside it.
template <size_t R, size_t F>
constexpr bool fields_inside_registers(const RegDef (&registers)[R], const FieldDef (&fields)[F]) {
  for (size_t i = 0; i < F; ++i) {
    const RegDef* r = field_register(registers, fields[i]);
    if (!r || fields[i].bit_width == 0 || fields[i].bit_offset + fields[i].bit_width > 8 * r->width_bytes) return false;
  }
  return true;
}

// No two fields of one register share a bit.
template <size_t F>
constexpr bool fields_disjoint(const FieldDef (&fields)[F]) {
  for (size_t i = 0; i < F; ++i)
    for (size_t j = i + 1; j < F; ++j)
      if (same_name(fields[i].reg, fields[j].reg) && (field_mask(fields[i]) & field_mask(fields[j]))) return false;
  return true;
}

}  // namespace dlvp::regs

// Helpers that turn a register list into an enum of offsets and a RegDef table.
#define DLVP_REG_OFFSET_ENUM(name, offset, width, reset, access, desc) name = (offset),
#define DLVP_REG_DEF_ENTRY(name, offset, width, reset, access, desc) \
  ::dlvp::regs::RegDef{#name, (offset), (width), (reset), ::dlvp::regs::Access::access, desc},

// Helpers that turn a field list into an enum of field ids (REG_FIELD) and a FieldDef table.
#define DLVP_FIELD_ID_ENUM(reg, name, offset, width, access, desc) reg##_##name,
#define DLVP_FIELD_DEF_ENTRY(reg, name, offset, width, access, desc) \
  ::dlvp::regs::FieldDef{#reg, #name, (offset), (width), ::dlvp::regs::FieldAccess::access, desc},

// Defines the enum `Enum` of a field list's ids and its FieldDef table `table`.
#define DLVP_FIELD_TABLE(Enum, table, LIST)            \
  enum Enum : uint32_t { LIST(DLVP_FIELD_ID_ENUM) }; \
  inline constexpr ::dlvp::regs::FieldDef table[] = {LIST(DLVP_FIELD_DEF_ENTRY)}
// Stops the build when a field of `fields` lies outside its register of `registers` (or names none)
// or two fields of a register share a bit.
#define DLVP_CHECK_FIELDS(registers, fields, block)                                                                 \
  static_assert(::dlvp::regs::fields_inside_registers(registers, fields), block ": a field lies outside its register"); \
  static_assert(::dlvp::regs::fields_disjoint(fields), block ": two fields of a register share a bit")

// The fields of a VERSION register that holds major << 16 | minor.
#define DLVP_VERSION_FIELDS(FIELD)                  \
  FIELD(VERSION, MINOR, 0, 16, REG, "minor version") \
  FIELD(VERSION, MAJOR, 16, 16, REG, "major version")
