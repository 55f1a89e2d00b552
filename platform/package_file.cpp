#include "platform/package_file.h"

#include "ip/common/config_error.h"
#include "ip/common/utf8.h"
#include "platform/package_validation.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>

namespace dlvp::package {
namespace {

// Reads `bytes` at `offset` of the package into `destination`; false when it cannot.
using ReadAt = std::function<bool(uint64_t offset, void* destination, uint64_t bytes)>;

// The optional sections (validate_header checked their sizes); returns "" or the reason.
std::string read_layer_sections(const ReadAt& read, PackageContents& c) {
  const PackageHeader& h = c.header;
  Refusal why;
  if (h.prediction_size != 0) {
    c.predictions.resize(h.layer_count);
    if (!read(h.prediction_offset, c.predictions.data(), h.prediction_size)) return "cannot read the prediction";
    uint64_t time_so_far = 0;
    for (uint32_t i = 0; i < h.layer_count; ++i)
      if (validate_layer_prediction(h, c.predictions[i], i, &time_so_far, &why)) return why.text;
  }
  if (h.names_size != 0) {
    std::vector<LayerNameEntry> entries(h.layer_count);
    if (!entries.empty() && !read(h.names_offset, entries.data(), entries.size() * sizeof(LayerNameEntry)))
      return "cannot read the layer names";
    for (uint32_t i = 0; i < h.layer_count; ++i) {
      if (validate_layer_name(h, entries[i], nullptr, i, &why)) return why.text;
      std::string name(entries[i].bytes, '\0');
      if (!read(h.names_offset + entries[i].offset, name.data(), name.size())) return "cannot read the layer names";
      if (validate_layer_name(h, entries[i], name.data(), i, &why)) return why.text;
      c.names.push_back(std::move(name));
    }
  }
  if (h.input_table_channels != 0) {  // version 7: the input tables' entries
    std::vector<int16_t> tables(uint64_t{h.input_table_channels} * kInputTableEntries);
    if (!read(h.input_table_offset, tables.data(), tables.size() * sizeof(int16_t))) return "cannot read the input tables";
    if (validate_input_tables(h, tables.data(), &why)) return why.text;
  }
  return "";
}

// Fills `c` from the package; returns "" or the reason it is refused (without the source).
std::string read_checked(const ReadAt& read, uint64_t size, PackageContents& c) {
  Refusal why;
  if (size >= sizeof c.header && !read(0, &c.header, sizeof c.header)) return "cannot read the package header";
  if (validate_header(c.header, size, &why)) return why.text;
  // The checksum, in chunks as the driver computes it.
  std::vector<uint8_t> chunk(64 * 1024);
  uint32_t hash = kChecksumBasis;
  for (uint64_t done = 0; done < c.header.total_bytes;) {
    const uint64_t n = std::min<uint64_t>(chunk.size(), c.header.total_bytes - done);
    if (!read(done, chunk.data(), n)) return "cannot read bytes at offset " + std::to_string(done);
    hash = checksum_part(chunk.data(), done, n, hash);
    done += n;
  }
  if (hash != c.header.checksum) return "checksum mismatch (corrupt or truncated package)";
  c.layers.resize(c.header.layer_count);
  if (!c.layers.empty() && !read(c.header.layers_offset, c.layers.data(), c.layers.size() * sizeof(LayerRecord)))
    return "cannot read the layer table";
  for (uint32_t i = 0; i < c.header.layer_count; ++i)
    if (validate_layer(c.header, c.layers[i], i, &why)) return why.text;
  c.stages.resize(c.header.stage_count);
  if (!c.stages.empty() && !read(c.header.stages_offset, c.stages.data(), c.stages.size() * sizeof(StageRecord)))
    return "cannot read the stage table";
  for (uint32_t i = 0; i < c.header.stage_count; ++i) {
    const StageRecord& s = c.stages[i];
    const LayerRecord* layer = s.kind == kStageCpu && s.layer < c.layers.size() ? &c.layers[s.layer] : nullptr;
    if (validate_stage(c.header, s, i, layer, &why)) return why.text;
  }
  return read_layer_sections(read, c);
}

}  // namespace

PackageContents read_package(const uint8_t* bytes, uint64_t size, const std::string& source) {
  const ReadAt read = [&](uint64_t offset, void* destination, uint64_t n) {
    if (offset > size || n > size - offset) return false;
    std::memcpy(destination, bytes + offset, n);
    return true;
  };
  PackageContents c;
  if (const std::string problem = read_checked(read, size, c); !problem.empty()) throw ConfigError(source + ": " + problem);
  return c;
}

std::string read_package_file(const std::string& path, PackageContents& contents) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return path + ": cannot open the package file";
  const auto end = in.tellg();
  if (end < 0) return path + ": cannot read the package file";
  const ReadAt read = [&](uint64_t offset, void* destination, uint64_t n) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    return static_cast<bool>(in.read(static_cast<char*>(destination), static_cast<std::streamsize>(n)));
  };
  const std::string problem = read_checked(read, static_cast<uint64_t>(end), contents);
  if (problem.empty()) return problem;
  contents = {};  // nothing of a refused package is used
  return path + ": " + problem;
}

PackageContents read_package_file(const std::string& path) {
  PackageContents c;
  if (const std::string problem = read_package_file(path, c); !problem.empty()) throw ConfigError(problem);
  return c;
}

bool is_package_file(const std::string& path) {
  char magic[sizeof kMagic] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(magic, sizeof magic) && std::memcmp(magic, kMagic, sizeof magic) == 0;
}

std::string layer_name(const LayerRecord& r) {
  const void* nul = std::memchr(r.name, 0, sizeof r.name);
  const size_t length = nul ? static_cast<size_t>(static_cast<const char*>(nul) - r.name) : sizeof r.name - 1;
  return utf8::valid(std::string_view(r.name, length));
}

std::string layer_name(const PackageContents& c, uint32_t index) {
  if (index < c.names.size()) return c.names[index];  // validated UTF-8 text
  return index < c.layers.size() ? layer_name(c.layers[index]) : "";
}

}  // namespace dlvp::package
