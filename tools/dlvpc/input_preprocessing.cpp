#include "tools/dlvpc/input_preprocessing.h"

#include "ip/common/config_error.h"
#include "tools/dlvpc/option_number.h"
#include "tools/dlvpc/quantizer.h"

#include <cmath>
#include <cstdio>

namespace dlvp::dlvpc {

std::vector<float> InputPreprocessing::image(const uint8_t* pixels, const builder::TensorShape& shape) const {
  std::vector<float> x(shape.elements());
  const uint64_t plane = uint64_t{shape.h} * shape.w;
  for (uint32_t c = 0; c < shape.c; ++c)
    for (uint64_t i = 0; i < plane; ++i) {
      const uint8_t p = layout == package::kLayoutHwc ? pixels[i * shape.c + c] : pixels[c * plane + i];
      x[c * plane + i] = apply(p, c);
    }
  return x;
}

uint32_t InputPreprocessing::table_channels(const builder::TensorShape& shape) const {
  return mean.size() > 1 || std.size() > 1 ? shape.c : 1;
}

void InputPreprocessing::check(const builder::TensorShape& shape) const {
  for (const auto* values : {&mean, &std}) {
    const char* option = values == &mean ? "--input-mean" : "--input-std";
    if (values->size() > 1 && values->size() != shape.c)
      throw ConfigError("dlvpc: " + std::string(option) + " gives " + std::to_string(values->size()) +
                        " values; the model's input has " + std::to_string(shape.c) + " channels (give 1 or " +
                        std::to_string(shape.c) + ")");
  }
  if (!(mean.size() <= 1 && std.size() <= 1) && shape.c > package::kMaxInputTableChannels)
    throw ConfigError("dlvpc: per-channel --input-mean/--input-std for " + std::to_string(shape.c) +
                      " channels; at most " + std::to_string(package::kMaxInputTableChannels));
}

std::string InputPreprocessing::digest_text() const {
  std::string text;
  char part[64];
  std::snprintf(part, sizeof part, "scale=%a layout=%u", double{scale}, unsigned(layout));
  text += part;
  for (const float m : mean) std::snprintf(part, sizeof part, " mean=%a", double{m}), text += part;
  for (const float s : std) std::snprintf(part, sizeof part, " std=%a", double{s}), text += part;
  return text;
}

std::vector<float> parse_channel_values(const std::string& option, const std::string& text, bool positive) {
  std::vector<float> values;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const double v = positive ? parse_real_option(option + " " + text, item, 0, 1e6)
                              : parse_real_option(option + " " + text, item, -1e6, 1e6, true);
    values.push_back(static_cast<float>(v));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (values.size() > package::kMaxInputTableChannels)
    throw ConfigError("dlvpc: " + option + " " + text + ": " + std::to_string(values.size()) + " values, at most " +
                      std::to_string(package::kMaxInputTableChannels));
  return values;
}

uint32_t parse_input_layout(const std::string& option, const std::string& text) {
  if (text == "NCHW") return package::kLayoutChw;
  if (text == "NHWC") return package::kLayoutHwc;
  throw ConfigError("dlvpc: " + option + " " + text + ": expected NCHW or NHWC");
}

const char* layout_name(uint32_t layout) { return layout == package::kLayoutHwc ? "NHWC" : "NCHW"; }

void check_image_dims(const std::string& path, const std::vector<uint32_t>& idx_dims,
                      const builder::TensorShape& shape, uint32_t layout) {
  if (shape.c == 1) return;  // the element count (checked by the caller) says it all
  const std::vector<uint32_t> expected =
      layout == package::kLayoutHwc ? std::vector<uint32_t>{shape.h, shape.w, shape.c}
                                    : std::vector<uint32_t>{shape.c, shape.h, shape.w};
  const std::vector<uint32_t> dims(idx_dims.begin() + (idx_dims.empty() ? 0 : 1), idx_dims.end());
  // Another flattening of the same elements (e.g. [c x h][w]) is taken as it is; a rank-3 image in
  // another order, or the other layout's shape, is refused.
  const std::vector<uint32_t> other_layout =
      layout == package::kLayoutHwc ? std::vector<uint32_t>{shape.c, shape.h, shape.w}
                                    : std::vector<uint32_t>{shape.h, shape.w, shape.c};
  if (dims == expected || (dims.size() != 3 && dims != other_layout)) return;
  const auto text = [](const std::vector<uint32_t>& d) {
    std::string t;
    for (size_t i = 0; i < d.size(); ++i) t += (i ? "x" : "") + std::to_string(d[i]);
    return t;
  };
  const std::vector<uint32_t> other =
      layout == package::kLayoutHwc ? std::vector<uint32_t>{shape.c, shape.h, shape.w}
                                    : std::vector<uint32_t>{shape.h, shape.w, shape.c};
  throw ConfigError(path + ": images are " + text(dims) + "; the model's input in " + layout_name(layout) +
                    " order (--input-layout) is " + text(expected) + (dims == other ? " (the file is in " +
                    std::string(layout_name(1 - layout)) + " order)" : "") + "; NCHW " +
                    text({shape.c, shape.h, shape.w}) + ", NHWC " + text({shape.h, shape.w, shape.c}));
}

std::vector<int16_t> input_tables(const InputPreprocessing& pre, const builder::TensorShape& shape,
                                  int32_t zero_point, int input_frac) {
  const uint32_t tables = pre.table_channels(shape);
  std::vector<int16_t> out;
  out.reserve(uint64_t{tables} * package::kInputTableEntries);
  for (uint32_t c = 0; c < tables; ++c) {
    std::vector<float> centered(package::kInputTableEntries);
    // As centered_input() and quantize_input() compute it: the same float operations per value.
    for (uint32_t p = 0; p < package::kInputTableEntries; ++p)
      centered[p] = pre.apply(static_cast<uint8_t>(p), c) - static_cast<float>(zero_point);
    for (const int8_t q : quantize_tensor(centered, input_frac)) out.push_back(q);
  }
  return out;
}

}  // namespace dlvp::dlvpc
