// Editing model package images in tests: the header or a layer record changed, the checksum then
// recomputed (model_package.h seal()), so that only the validation can catch the edit.
#pragma once
#include "platform/model_package.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlvp::test {

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  if (!out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    throw std::runtime_error(path + ": cannot write");
}

inline package::PackageHeader header_of(const std::vector<uint8_t>& blob) {
  package::PackageHeader h{};
  if (!blob.empty()) std::memcpy(&h, blob.data(), std::min(blob.size(), sizeof h));
  return h;
}

// Re-seals over the header's total_bytes when it lies inside the image, else over the whole image.
inline void reseal(std::vector<uint8_t>& blob) {
  const uint64_t total = header_of(blob).total_bytes;
  package::seal(blob.data(), total >= sizeof(package::PackageHeader) && total <= blob.size() ? total : blob.size());
}

// `blob` with its header edited by `edit(PackageHeader&)`, re-sealed.
template <class Edit>
std::vector<uint8_t> with_header(std::vector<uint8_t> blob, Edit edit) {
  package::PackageHeader h = header_of(blob);
  edit(h);
  std::memcpy(blob.data(), &h, sizeof h);
  reseal(blob);
  return blob;
}

// `blob` with layer record `index` (of the unedited header's table) edited by `edit(LayerRecord&)`, re-sealed.
template <class Edit>
std::vector<uint8_t> with_layer(std::vector<uint8_t> blob, uint32_t index, Edit edit) {
  const uint64_t at = header_of(blob).layers_offset + uint64_t{index} * sizeof(package::LayerRecord);
  package::LayerRecord r;
  std::memcpy(&r, blob.data() + at, sizeof r);
  edit(r);
  std::memcpy(blob.data() + at, &r, sizeof r);
  reseal(blob);
  return blob;
}

// `blob` with the object of type T at byte `at` edited by `edit(T&)`, re-sealed (a section's record).
template <class T, class Edit>
std::vector<uint8_t> with_record_at(std::vector<uint8_t> blob, uint64_t at, Edit edit) {
  T record;
  std::memcpy(&record, blob.data() + at, sizeof record);
  edit(record);
  std::memcpy(blob.data() + at, &record, sizeof record);
  reseal(blob);
  return blob;
}

// A header edit and what the refusal it causes names (the field and its value).
struct HeaderEdit {
  std::string refusal;
  std::function<void(package::PackageHeader&)> edit;
};

// Every offset and size of the header pointed near 2^64, every count near 2^31 or 2^32, and the
// output tensor grown past its window.
inline std::vector<HeaderEdit> fields_near_the_top() {
  using package::PackageHeader;
  constexpr uint64_t top = std::numeric_limits<uint64_t>::max();
  return {
      {"layers_offset 0xffffffffffffffa0 + 96 x layer_count", [](PackageHeader& h) { h.layers_offset = top - 95; }},
      {"96 x layer_count 2147483647 beyond total_bytes", [](PackageHeader& h) { h.layer_count = 0x7fffffff; }},
      {"instructions_offset 0xffffffffffffffc0 + 64 x instruction_count",
       [](PackageHeader& h) { h.instructions_offset = top - 63; }},
      {"64 x instruction_count 4294967295 beyond", [](PackageHeader& h) { h.instruction_count = 0xffffffff; }},
      {"test_input_offset 0xfffffffffffff000", [](PackageHeader& h) { h.test_input_offset = top - 4095; }},
      {"test_input_size 0xffffffffffffffff", [](PackageHeader& h) { h.test_input_size = top; }},
      {"test_expected_offset 0xfffffffffffff000", [](PackageHeader& h) { h.test_expected_offset = top - 4095; }},
      {"test_expected_size 0xffffffffffffffff", [](PackageHeader& h) { h.test_expected_size = top; }},
      {"output_offset 0xfffffffffffffff6", [](PackageHeader& h) { h.output_offset = top - 9; }},
      {"args[0] (in the package): offset 0xfffffffffffff000", [](PackageHeader& h) { h.args[0].offset = top - 4095; }},
      {"args[0].size 0xffffffffffffffff", [](PackageHeader& h) { h.args[0].size = top; }},
      {"total_bytes 0xffffffffffffffff beyond", [](PackageHeader& h) { h.total_bytes = top; }},
      {"output tensor 255x", [](PackageHeader& h) { h.output_c = 0xff; }},
      {"prediction_size 0xffffffffffffffff", [](PackageHeader& h) { h.prediction_size = top; }},
      {"names_size 0xffffffffffffffff", [](PackageHeader& h) { h.names_size = top; }},
  };
}

}  // namespace dlvp::test
