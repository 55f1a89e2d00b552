// Host-side reading of a model package (docs/package.md): the same checks as the driver
// (package_validation.h: the header, then the checksum, then each layer record), then the header
// and the layer table. For the tools, the reports and the tests; sw/ has its own reader, the
// driver, which runs the same validation.
#pragma once
#include "platform/model_package.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::package {

struct PackageContents {
  PackageHeader header{};
  std::vector<LayerRecord> layers;  // layer_count records, each validated
  std::vector<StageRecord> stages;  // stage_count records (version 7), each validated
  // The optional sections (empty when the package has none), by layer index, validated.
  std::vector<LayerPrediction> predictions;  // dlvpc's predicted time per layer
  std::vector<std::string> names;            // whole names (UTF-8 text, at most kMaxLayerNameBytes)
};

// A package image in memory. Throws ConfigError "<source>: <reason>" when it is refused.
PackageContents read_package(const uint8_t* bytes, uint64_t size, const std::string& source);
inline PackageContents read_package(const std::vector<uint8_t>& bytes, const std::string& source) {
  return read_package(bytes.data(), bytes.size(), source);
}
// A package file, read in chunks (only the header and the layer table are kept). Throws ConfigError
// "<path>: <reason>" when it cannot be read or is refused.
PackageContents read_package_file(const std::string& path);
// The same without exceptions: returns "" and fills `contents`, or "<path>: <reason>". For readers
// that run after the simulation, where a throw would cross SystemC's coroutine stacks (which
// AddressSanitizer cannot follow) only to be caught again.
std::string read_package_file(const std::string& path, PackageContents& contents);
// Whether the file starts with the package magic (a package, valid or not, rather than other data).
bool is_package_file(const std::string& path);

// A layer's name as text: the bytes up to its NUL (at most 31), ill-formed UTF-8 replaced by U+FFFD,
// so that any name is safe in JSON, CSV and on the console.
std::string layer_name(const LayerRecord& r);
// Layer `index`'s whole name when the package has the names section, else its record's name ("" past
// the last layer).
std::string layer_name(const PackageContents& c, uint32_t index);

}  // namespace dlvp::package
