// ELF loader of the RISC-V CPU host: reads an RV32 executable (ELF32, little-endian, EM_RISCV,
// ET_EXEC, soft-float ABI), checks that every PT_LOAD segment lies in main memory, writes the
// segments (and zero-fills their bss) through a callback, and looks up symbols (tohost,
// begin_signature, end_signature). Every problem is a ConfigError naming the file, the field
// (e_entry, e_phoff, p_filesz, sh_link, ...) and the reason; no input, however corrupt, makes it
// read outside the file or allocate more than the file's size (tests/unit/cpu and the fuzz
// target tests/fuzz/fuzz_elf_loader.cpp feed it corrupt files).
#pragma once
#include "ip/common/config_error.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dlvp {

class ElfImage {
 public:
  struct Segment {
    uint32_t address = 0;      // physical address (p_paddr): where the bytes go
    uint32_t file_offset = 0;
    uint32_t file_size = 0;
    uint32_t memory_size = 0;  // >= file_size; the rest is zero-filled (bss)
    uint32_t index = 0;        // its program header's index, as messages name it
  };
  // Writes `size` bytes at `address`; false when the memory refuses them.
  using Writer = std::function<bool(uint64_t address, const uint8_t* data, size_t size)>;

  // Reads and checks the file (ConfigError naming it on any problem).
  static ElfImage load(const std::string& path);
  // Checks an image already in memory; `name` names it in messages.
  static ElfImage parse(std::vector<uint8_t> bytes, const std::string& name);

  const std::string& name() const { return name_; }
  uint32_t entry() const { return entry_; }
  const std::vector<Segment>& segments() const { return segments_; }
  // Value of a symbol of the symbol table, if there is one by that name (the first, if several).
  std::optional<uint32_t> symbol(const std::string& symbol_name) const;

  // Throws ConfigError when a segment or the entry point lies outside [base, base + size), naming
  // the segment, its address and size, and `memory` ("DDR").
  void check_fits(uint64_t base, uint64_t size, const std::string& memory) const;
  // Throws ConfigError unless symbol `symbol_name`'s [value, value + size) lies in [base, base +
  // size) and is `alignment`-aligned (a word the CPU will read or watch, such as tohost).
  void check_symbol_fits(const std::string& symbol_name, uint64_t size, uint32_t alignment, uint64_t base,
                         uint64_t memory_size, const std::string& memory) const;
  // Writes every segment's file bytes and zero-fills the rest of its memory size.
  void write_to(const Writer& write) const;

 private:
  void parse_header();
  void parse_segments();
  void parse_symbols();
  // Bounds-checked reads of the file; throw "truncated" ConfigErrors.
  void need(uint64_t offset, uint64_t size, const char* what) const;
  uint16_t u16(uint64_t offset) const;
  uint32_t u32(uint64_t offset) const;
  [[noreturn]] void fail(const std::string& reason) const;

  // The symbol tables (SHT_SYMTAB) and their string tables, checked to lie in the file; symbols
  // are looked up there, never copied (a file's table may be as large as the file).
  struct SymbolTable {
    uint64_t offset, size, strings, strings_size;
  };

  std::string name_;
  std::vector<uint8_t> bytes_;
  uint32_t entry_ = 0;
  std::vector<Segment> segments_;
  std::vector<SymbolTable> symbol_tables_;
};

}  // namespace dlvp
