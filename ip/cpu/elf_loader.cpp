#include "elf_loader.h"
#include "ip/common/hex_text.h"

#include "ip/common/range_check.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace dlvp {
namespace {

// ELF constants (System V ABI; RISC-V ELF psABI).
constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr uint8_t kClass32 = 1, kClass64 = 2, kLittleEndian = 1;
constexpr uint16_t kTypeExec = 2, kMachineRiscv = 243;
constexpr uint32_t kHeaderBytes = 52, kProgramHeaderBytes = 32, kSectionHeaderBytes = 40, kSymbolBytes = 16;
constexpr uint32_t kPtLoad = 1, kShtSymtab = 2, kShtStrtab = 3;
constexpr uint32_t kInstructionAlignment = 2;  // RV32IMAC: C extension, instructions at even addresses
constexpr uint32_t kFloatAbiMask = 0x6;  // EF_RISCV_FLOAT_ABI: 0 = soft
constexpr uint64_t kMaxFileBytes = uint64_t{1} << 31;

}  // namespace

ElfImage ElfImage::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read the program (ELF file)");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || static_cast<uint64_t>(size) > kMaxFileBytes) throw ConfigError(path + ": not a readable ELF file of at most 2 GiB");
  in.seekg(0);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) throw ConfigError(path + ": cannot read the program (ELF file)");
  return parse(std::move(bytes), path);
}

ElfImage ElfImage::parse(std::vector<uint8_t> bytes, const std::string& name) {
  ElfImage image;
  image.name_ = name;
  image.bytes_ = std::move(bytes);
  image.parse_header();
  image.parse_segments();
  image.parse_symbols();
  return image;
}

void ElfImage::fail(const std::string& reason) const { throw ConfigError(name_ + ": " + reason); }

void ElfImage::need(uint64_t offset, uint64_t size, const char* what) const {
  if (offset > bytes_.size() || size > bytes_.size() - offset)
    fail(std::string("truncated ELF file: ") + what + " at offset " + std::to_string(offset) + " (" + std::to_string(size) +
         " bytes) extends beyond the end of the file (" + std::to_string(bytes_.size()) + " bytes)");
}

uint16_t ElfImage::u16(uint64_t offset) const { return static_cast<uint16_t>(bytes_[offset] | (bytes_[offset + 1] << 8)); }
uint32_t ElfImage::u32(uint64_t offset) const {
  return uint32_t{bytes_[offset]} | (uint32_t{bytes_[offset + 1]} << 8) | (uint32_t{bytes_[offset + 2]} << 16) |
         (uint32_t{bytes_[offset + 3]} << 24);
}

void ElfImage::parse_header() {
  if (bytes_.size() < 4 || !std::equal(std::begin(kMagic), std::end(kMagic), bytes_.begin()))
    fail("not an ELF file (no ELF magic number)");
  need(0, 5, "the ELF identification");
  if (bytes_[4] == kClass64) fail("ELF64 file: the RV32 CPU needs an ELF32 (RV32) program");
  if (bytes_[4] != kClass32) fail("unknown ELF class " + std::to_string(bytes_[4]));
  need(0, kHeaderBytes, "the ELF header");
  if (bytes_[5] != kLittleEndian) fail("big-endian ELF file: RISC-V programs are little-endian");
  const uint16_t type = u16(16), machine = u16(18);
  if (machine != kMachineRiscv) fail("not a RISC-V program (e_machine = " + std::to_string(machine) + ", EM_RISCV is 243)");
  if (type != kTypeExec) fail("not an executable (e_type = " + std::to_string(type) + ", ET_EXEC is 2): link the program");
  if (u32(36) & kFloatAbiMask) fail("uses a hardware floating-point ABI; the CPU is RV32IMAC (ilp32)");
  entry_ = u32(24);
  if (entry_ % kInstructionAlignment != 0)
    fail("entry point (e_entry) " + hex(entry_) + " is not 2-byte aligned: no RISC-V instruction starts there");
}

void ElfImage::parse_segments() {
  const uint32_t offset = u32(28);
  const uint16_t entry_size = u16(42), count = u16(44);
  if (count == 0) fail("no program headers (e_phnum = 0): nothing to load");
  if (entry_size != kProgramHeaderBytes)
    fail("program header entries of " + std::to_string(entry_size) + " bytes (e_phentsize; ELF32 has 32)");
  need(offset, uint64_t{count} * kProgramHeaderBytes,
       ("the program header table (e_phoff, e_phnum = " + std::to_string(count) + ")").c_str());
  for (uint16_t i = 0; i < count; ++i) {
    const uint64_t at = offset + uint64_t{i} * kProgramHeaderBytes;
    if (u32(at) != kPtLoad) continue;
    Segment s;
    s.file_offset = u32(at + 4);
    s.address = u32(at + 12);  // p_paddr
    s.file_size = u32(at + 16);
    s.memory_size = u32(at + 20);
    s.index = i;
    const std::string which = "segment " + std::to_string(i);
    if (s.file_size > s.memory_size)
      fail(which + ": file size (p_filesz) " + std::to_string(s.file_size) + " exceeds its memory size (p_memsz) " +
           std::to_string(s.memory_size));
    if (!range_within(s.address, s.memory_size, 0, uint64_t{1} << 32) && s.memory_size != 0)
      fail(which + " at " + hex(s.address) + " (p_paddr, " + std::to_string(s.memory_size) +
           " bytes of p_memsz) wraps around the 32-bit address space");
    need(s.file_offset, s.file_size, (which + " data (p_offset, p_filesz)").c_str());
    if (s.memory_size > 0) segments_.push_back(s);
  }
  if (segments_.empty()) fail("no PT_LOAD segment: nothing to load");
  const bool entry_loaded = std::any_of(segments_.begin(), segments_.end(), [&](const Segment& s) {
    return range_within(entry_, kInstructionAlignment, s.address, s.memory_size);
  });
  if (!entry_loaded) fail("entry point (e_entry) " + hex(entry_) + " lies in no PT_LOAD segment: nothing to run there");
}

void ElfImage::parse_symbols() {
  const uint32_t offset = u32(32);
  const uint16_t entry_size = u16(46), count = u16(48);
  if (offset == 0 || count == 0) return;  // stripped: no symbols, no tohost
  if (entry_size != kSectionHeaderBytes)
    fail("section header entries of " + std::to_string(entry_size) + " bytes (e_shentsize; ELF32 has 40)");
  need(offset, uint64_t{count} * kSectionHeaderBytes,
       ("the section header table (e_shoff, e_shnum = " + std::to_string(count) + ")").c_str());
  auto section = [&](uint32_t index) { return offset + uint64_t{index} * kSectionHeaderBytes; };
  for (uint16_t i = 0; i < count; ++i) {
    if (u32(section(i) + 4) != kShtSymtab) continue;
    const std::string which = "section " + std::to_string(i) + " (symbol table)";
    const uint32_t table = u32(section(i) + 16), table_size = u32(section(i) + 20), link = u32(section(i) + 24);
    const uint32_t symbol_size = u32(section(i) + 36);
    if (symbol_size != kSymbolBytes)
      fail(which + ": entries of " + std::to_string(symbol_size) + " bytes (sh_entsize; ELF32 symbols have 16)");
    if (link >= count) fail(which + ": its string table (sh_link) " + std::to_string(link) + " does not exist");
    if (u32(section(link) + 4) != kShtStrtab)
      fail(which + ": its string table (sh_link) " + std::to_string(link) + " is not a string table (SHT_STRTAB)");
    const uint32_t strings = u32(section(link) + 16), strings_size = u32(section(link) + 20);
    need(table, table_size, (which + " data (sh_offset, sh_size)").c_str());
    need(strings, strings_size, ("section " + std::to_string(link) + " (string table) data (sh_offset, sh_size)").c_str());
    symbol_tables_.push_back(SymbolTable{table, table_size, strings, strings_size});
  }
}

// Names are compared in place: a name runs from its string-table offset to the first NUL inside
// the table (a name without one, or an offset past the table, names no symbol).
std::optional<uint32_t> ElfImage::symbol(const std::string& symbol_name) const {
  for (const SymbolTable& t : symbol_tables_) {
    for (uint64_t at = t.offset; t.offset + t.size - at >= kSymbolBytes; at += kSymbolBytes) {
      const uint32_t name = u32(at);
      if (name == 0 || name >= t.strings_size || t.strings_size - name <= symbol_name.size()) continue;
      const auto* text = reinterpret_cast<const char*>(&bytes_[t.strings + name]);
      if (text[symbol_name.size()] == '\0' && symbol_name.compare(0, symbol_name.size(), text, symbol_name.size()) == 0)
        return u32(at + 4);
    }
  }
  return std::nullopt;
}

void ElfImage::check_fits(uint64_t base, uint64_t size, const std::string& memory) const {
  const std::string range = memory + " (" + hex(base) + ".." + hex(base + (size - 1)) + ")";
  for (const Segment& s : segments_) {
    if (!range_within(s.address, s.memory_size, base, size))
      fail("segment " + std::to_string(s.index) + " at " + hex(s.address) + " (" + std::to_string(s.memory_size) +
           " bytes) lies outside " + range);
  }
  if (!range_within(entry_, kInstructionAlignment, base, size))
    fail("entry point (e_entry) " + hex(entry_) + " lies outside " + range);
}

void ElfImage::check_symbol_fits(const std::string& symbol_name, uint64_t size, uint32_t alignment, uint64_t base,
                                 uint64_t memory_size, const std::string& memory) const {
  const std::optional<uint32_t> value = symbol(symbol_name);
  if (!value) return;
  const std::string what = "symbol " + symbol_name + " at " + hex(*value);
  if (alignment > 1 && *value % alignment != 0)
    fail(what + " is not " + std::to_string(alignment) + "-byte aligned");
  if (!range_within(*value, size, base, memory_size))
    fail(what + " (" + std::to_string(size) + " bytes) lies outside " + memory + " (" + hex(base) + ".." +
         hex(base + (memory_size - 1)) + ")");
}

void ElfImage::write_to(const Writer& write) const {
  static const std::vector<uint8_t> zeros(64 * 1024, 0);
  for (const Segment& s : segments_) {
    auto failed = [&] { fail("writing segment " + std::to_string(s.index) + " at " + hex(s.address) + " into memory failed"); };
    if (s.file_size && !write(s.address, bytes_.data() + s.file_offset, s.file_size)) failed();
    for (uint64_t at = s.file_size; at < s.memory_size;) {
      const size_t chunk = static_cast<size_t>(std::min<uint64_t>(zeros.size(), s.memory_size - at));
      if (!write(s.address + at, zeros.data(), chunk)) failed();
      at += chunk;
    }
  }
}

}  // namespace dlvp
