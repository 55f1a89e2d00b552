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
  return "";
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

}  // namespace dlvp::package
