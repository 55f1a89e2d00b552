#include "platform/package_validation.h"

#include "ip/ifu/isa.h"
#include "platform/cpu_ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

namespace dlvp::package {
namespace {

using ull = unsigned long long;

__attribute__((format(printf, 2, 3))) const char* refuse(Refusal* why, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(why->text, sizeof why->text, format, args);
  va_end(args);
  return why->text;
}

// [offset, offset + bytes) lies within [begin, end), without overflow.
bool inside(uint64_t offset, uint64_t bytes, uint64_t begin, uint64_t end) {
  return offset >= begin && offset <= end && bytes <= end - offset;
}

// The product of `n` factors when it is at most `limit` (false otherwise; a zero factor gives 0).
bool product_at_most(const uint64_t* factors, int n, uint64_t limit, uint64_t* product) {
  uint64_t p = 1;
  for (int i = 0; i < n; ++i) {
    if (factors[i] == 0) {
      *product = 0;
      return true;
    }
    if (p > limit / factors[i]) return false;
    p *= factors[i];
  }
  *product = p;
  return true;
}

// A table of `count` records of `record_bytes` at `offset`: after the header, inside the package.
const char* check_table(const PackageHeader& h, const char* offset_name, uint64_t offset, const char* count_name,
                        uint32_t count, uint64_t record_bytes, Refusal* why) {
  if (offset < h.header_bytes)
    return refuse(why, "%s 0x%llx inside the header (%u bytes)", offset_name, ull(offset), unsigned(h.header_bytes));
  if (!inside(offset, record_bytes * count, 0, h.total_bytes))
    return refuse(why, "%s 0x%llx + %llu x %s %u beyond total_bytes 0x%llx", offset_name, ull(offset),
                  ull(record_bytes), count_name, unsigned(count), ull(h.total_bytes));
  return nullptr;
}

// An optional section of the package (size 0: absent) that must hold exactly `expected` bytes.
const char* check_section(const PackageHeader& h, const char* name, uint64_t offset, uint64_t size, uint64_t expected,
                          const char* expected_what, Refusal* why) {
  if (size == 0) return nullptr;
  if (offset < h.header_bytes || !inside(offset, size, 0, h.total_bytes))
    return refuse(why, "%s_offset 0x%llx + %s_size 0x%llx outside the package (header_bytes %u, total_bytes 0x%llx)",
                  name, ull(offset), name, ull(size), unsigned(h.header_bytes), ull(h.total_bytes));
  if (size != expected)
    return refuse(why, "%s_size %llu differs from %s (%llu bytes)", name, ull(size), expected_what, ull(expected));
  return nullptr;
}

const char* check_size_and_tables(const PackageHeader& h, uint64_t available, Refusal* why) {
  if (h.header_bytes != sizeof(PackageHeader))
    return refuse(why, "header_bytes %u (expected %u)", unsigned(h.header_bytes), unsigned(sizeof(PackageHeader)));
  if (h.total_bytes < h.header_bytes)
    return refuse(why, "total_bytes 0x%llx smaller than the header (%u bytes)", ull(h.total_bytes),
                  unsigned(h.header_bytes));
  if (h.total_bytes > available)
    return refuse(why, "total_bytes 0x%llx beyond the 0x%llx bytes available", ull(h.total_bytes), ull(available));
  if (h.hardware.isa_version != isa::kVersion)
    return refuse(why, "package built for another ISA version (hardware.isa_version %u, expected %u)",
                  unsigned(h.hardware.isa_version), unsigned(isa::kVersion));
  if (const char* p = check_table(h, "layers_offset", h.layers_offset, "layer_count", h.layer_count,
                                  sizeof(LayerRecord), why))
    return p;
  if (h.instruction_count == 0) return refuse(why, "instruction_count 0 (a job needs at least its END)");
  if (const char* p = check_table(h, "instructions_offset", h.instructions_offset, "instruction_count",
                                  h.instruction_count, isa::kInstructionBytes, why))
    return p;
  const uint64_t layers_end = h.layers_offset + uint64_t{sizeof(LayerRecord)} * h.layer_count;
  const uint64_t instructions_end = h.instructions_offset + uint64_t{isa::kInstructionBytes} * h.instruction_count;
  if (h.layer_count != 0 && h.layers_offset < instructions_end && h.instructions_offset < layers_end)
    return refuse(why, "the layer table [0x%llx, 0x%llx) and the instructions [0x%llx, 0x%llx) overlap",
                  ull(h.layers_offset), ull(layers_end), ull(h.instructions_offset), ull(instructions_end));
  if (h.weight_load_instructions > h.instruction_count)
    return refuse(why, "weight_load_instructions %u beyond instruction_count %u", unsigned(h.weight_load_instructions),
                  unsigned(h.instruction_count));
  if (h.stage_count == 0) {
    if (h.stages_offset != 0) return refuse(why, "stages_offset 0x%llx without stages", ull(h.stages_offset));
    return nullptr;
  }
  return check_table(h, "stages_offset", h.stages_offset, "stage_count", h.stage_count, sizeof(StageRecord), why);
}

const char* check_windows(const PackageHeader& h, Refusal* why) {
  for (uint32_t a = 0; a < kArgCount; ++a) {
    const ArgWindow& w = h.args[a];
    if (w.kind > kArgScratch) return refuse(why, "args[%u].kind %u unknown", unsigned(a), unsigned(w.kind));
    if (w.kind == kArgUnused) continue;
    if (w.size > kMaxWindowBytes)
      return refuse(why, "args[%u].size 0x%llx beyond the limit of 0x%llx bytes", unsigned(a), ull(w.size),
                    ull(kMaxWindowBytes));
    if (w.kind == kArgInPackage && (w.offset < h.header_bytes || !inside(w.offset, w.size, 0, h.total_bytes)))
      return refuse(why, "args[%u] (in the package): offset 0x%llx + size 0x%llx outside the package (header_bytes %u, "
                    "total_bytes 0x%llx)", unsigned(a), ull(w.offset), ull(w.size), unsigned(h.header_bytes),
                    ull(h.total_bytes));
  }
  if (h.input_arg >= kArgCount || h.args[h.input_arg].kind != kArgInput)
    return refuse(why, "input_arg %u is not a window of kind input", unsigned(h.input_arg));
  if (h.output_arg >= kArgCount || h.args[h.output_arg].kind != kArgOutput)
    return refuse(why, "output_arg %u is not a window of kind output", unsigned(h.output_arg));
  return nullptr;
}

const char* check_formats(const PackageHeader& h, Refusal* why) {
  const auto element_ok = [](uint32_t bytes) { return bytes == 1 || bytes == 2; };
  if (!element_ok(h.input_element_bytes))
    return refuse(why, "input_element_bytes %u (expected 1 or 2)", unsigned(h.input_element_bytes));
  if (!element_ok(h.output_element_bytes))
    return refuse(why, "output_element_bytes %u (expected 1 or 2)", unsigned(h.output_element_bytes));
  if (h.sequences == 0) return refuse(why, "sequences 0 (expected at least 1)");
  const auto frac_ok = [](int32_t frac) { return frac >= -kMaxFracBits && frac <= kMaxFracBits; };
  if (!frac_ok(h.input_frac_bits) || !frac_ok(h.output_frac_bits))
    return refuse(why, "input_frac_bits %d / output_frac_bits %d outside -%d..%d", int(h.input_frac_bits),
                  int(h.output_frac_bits), int(kMaxFracBits), int(kMaxFracBits));
  if (h.cpu_postprocess > kPostSoftmax) return refuse(why, "cpu_postprocess %u unknown", unsigned(h.cpu_postprocess));
  return nullptr;
}

// The input tensor fills its window; the output tensor lies inside its window from output_offset.
const char* check_tensors(const PackageHeader& h, Refusal* why) {
  const ArgWindow& in = h.args[h.input_arg];
  const ArgWindow& out = h.args[h.output_arg];
  const uint64_t input[] = {h.input_c, h.input_h, h.input_w, h.sequences, h.input_element_bytes};
  const uint64_t output[] = {h.output_c, h.output_h, h.output_w, h.sequences, h.output_element_bytes};
  uint64_t input_bytes = 0, output_bytes = 0;
  if (!product_at_most(input, 5, in.size, &input_bytes) || input_bytes != in.size || input_bytes == 0)
    return refuse(why, "input tensor %ux%ux%u x sequences %u x %u-byte elements does not fill the input window "
                  "(args[%u].size %llu)", unsigned(h.input_c), unsigned(h.input_h), unsigned(h.input_w),
                  unsigned(h.sequences), unsigned(h.input_element_bytes), unsigned(h.input_arg), ull(in.size));
  if (!product_at_most(output, 5, out.size, &output_bytes) || output_bytes == 0 ||
      !inside(h.output_offset, output_bytes, 0, out.size))
    return refuse(why, "output tensor %ux%ux%u x sequences %u x %u-byte elements at output_offset 0x%llx beyond the "
                  "output window (args[%u].size %llu)", unsigned(h.output_c), unsigned(h.output_h),
                  unsigned(h.output_w), unsigned(h.sequences), unsigned(h.output_element_bytes), ull(h.output_offset),
                  unsigned(h.output_arg), ull(out.size));
  if (const char* p = check_section(h, "test_input", h.test_input_offset, h.test_input_size, in.size,
                                    "the input window", why))
    return p;
  return check_section(h, "test_expected", h.test_expected_offset, h.test_expected_size, out.size, "the output window",
                       why);
}

// Bytes after a well-formed UTF-8 sequence's lead byte at text[0], or 0 when ill-formed (Unicode
// Table 3-7: no overlong forms, surrogates or code points above U+10FFFF) or a control character.
size_t utf8_sequence(const unsigned char* text, size_t left) {
  const unsigned char b = text[0];
  if (b < 0x80) return b >= 0x20 && b != 0x7F ? 1 : 0;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) n = 2;
  else if (b >= 0xE0 && b <= 0xEF) n = 3, lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
  else if (b >= 0xF0 && b <= 0xF4) n = 4, lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
  if (n == 0 || n > left) return 0;
  if (text[1] < lo || text[1] > hi) return 0;
  for (size_t i = 2; i < n; ++i)
    if (text[i] < 0x80 || text[i] > 0xBF) return 0;
  return n;
}

// The first byte of `text` that is not part of UTF-8 text without control characters, or `length`.
size_t first_non_text_byte(const unsigned char* text, size_t length) {
  for (size_t i = 0; i < length;) {
    const size_t n = utf8_sequence(text + i, length - i);
    if (n == 0) return i;
    i += n;
  }
  return length;
}

// A text field of the origin: NUL-terminated within its `bytes`, UTF-8 without control characters.
const char* check_text(const char* name, const char* field, size_t bytes, Refusal* why) {
  const void* nul = memchr(field, 0, bytes);
  if (nul == nullptr) return refuse(why, "origin.%s without a NUL within its %u bytes", name, unsigned(bytes));
  const auto* text = reinterpret_cast<const unsigned char*>(field);
  const size_t length = static_cast<size_t>(static_cast<const char*>(nul) - field);
  const size_t bad = first_non_text_byte(text, length);
  if (bad < length)
    return refuse(why, "origin.%s: byte %u (0x%02x) is not UTF-8 text (ill-formed or a control character)", name,
                  unsigned(bad), unsigned(text[bad]));
  return nullptr;
}

const char* check_origin(const PackageOrigin& o, Refusal* why) {
  const struct {
    const char* name;
    const char* field;
    size_t bytes;
  } texts[] = {{"producer", o.producer, sizeof o.producer},
               {"model_file", o.model_file, sizeof o.model_file},
               {"hardware_file", o.hardware_file, sizeof o.hardware_file},
               {"hardware_overrides", o.hardware_overrides, sizeof o.hardware_overrides},
               {"options", o.options, sizeof o.options}};
  for (const auto& t : texts)
    if (const char* p = check_text(t.name, t.field, t.bytes, why)) return p;
  return nullptr;
}

// The optional sections' places and sizes: the prediction holds one record per layer, the names
// section one entry per layer and at most kMaxLayerNameBytes per name.
const char* check_layer_sections(const PackageHeader& h, Refusal* why) {
  const uint64_t records = uint64_t{sizeof(LayerPrediction)} * h.layer_count;
  if (const char* p = check_section(h, "prediction", h.prediction_offset, h.prediction_size, records,
                                    "layer_count x 40", why))
    return p;
  if (h.prediction_size == 0 && h.predicted_job_ps != 0)
    return refuse(why, "predicted_job_ps %llu without a prediction section", ull(h.predicted_job_ps));
  if (h.predicted_job_ps > kMaxPredictedPs)
    return refuse(why, "predicted_job_ps %llu beyond the limit of %llu", ull(h.predicted_job_ps), ull(kMaxPredictedPs));
  if (h.names_size == 0) return nullptr;
  const uint64_t entries = uint64_t{sizeof(LayerNameEntry)} * h.layer_count;
  const uint64_t most = entries + uint64_t{kMaxLayerNameBytes} * h.layer_count;
  if (h.names_offset < h.header_bytes || !inside(h.names_offset, h.names_size, 0, h.total_bytes))
    return refuse(why, "names_offset 0x%llx + names_size 0x%llx outside the package (header_bytes %u, total_bytes 0x%llx)",
                  ull(h.names_offset), ull(h.names_size), unsigned(h.header_bytes), ull(h.total_bytes));
  if (h.names_size < entries || h.names_size > most)
    return refuse(why, "names_size %llu outside %llu..%llu (layer_count %u x 8 B of entries, names of at most %u B)",
                  ull(h.names_size), ull(entries), ull(most), unsigned(h.layer_count), unsigned(kMaxLayerNameBytes));
  return nullptr;
}

// A CPU stage's tensor: a used window, int8 or int16, no dimension 0, at most kMaxCpuTensorBytes,
// inside its window, its radix point within kMaxCpuFracBits; an output only in a job's own memory.
const char* check_cpu_tensor(const PackageHeader& h, const CpuTensor& t, uint32_t index, const char* name, bool output,
                             Refusal* why) {
  if (t.window >= kArgCount || h.args[t.window].kind == kArgUnused)
    return refuse(why, "stage %u: %s.window %u is not a window the package uses", unsigned(index), name,
                  unsigned(t.window));
  const uint32_t kind = h.args[t.window].kind;
  if (output && kind != kArgOutput && kind != kArgScratch)
    return refuse(why, "stage %u: %s.window %u is not an output or scratch window (kind %u)", unsigned(index), name,
                  unsigned(t.window), unsigned(kind));
  if (t.element_bytes != 1 && t.element_bytes != 2)
    return refuse(why, "stage %u: %s.element_bytes %u (expected 1 or 2)", unsigned(index), name,
                  unsigned(t.element_bytes));
  const uint64_t factors[] = {t.c, t.h, t.w, t.element_bytes};
  uint64_t bytes = 0;
  if (!product_at_most(factors, 4, kMaxCpuTensorBytes, &bytes) || bytes == 0)
    return refuse(why, "stage %u: %s %ux%ux%u x %u-byte elements: a dimension 0 or more than %llu bytes",
                  unsigned(index), name, unsigned(t.c), unsigned(t.h), unsigned(t.w), unsigned(t.element_bytes),
                  ull(kMaxCpuTensorBytes));
  if (!inside(t.offset, bytes, 0, h.args[t.window].size))
    return refuse(why, "stage %u: %s.offset 0x%llx + %llu bytes beyond window %u (args[%u].size %llu)",
                  unsigned(index), name, ull(t.offset), ull(bytes), unsigned(t.window), unsigned(t.window),
                  ull(h.args[t.window].size));
  if (t.frac_bits < -kMaxCpuFracBits || t.frac_bits > kMaxCpuFracBits)
    return refuse(why, "stage %u: %s.frac_bits %d outside -%d..%d", unsigned(index), name, int(t.frac_bits),
                  int(kMaxCpuFracBits), int(kMaxCpuFracBits));
  return nullptr;
}

bool same_shape(const CpuTensor& a, const CpuTensor& b) { return a.c == b.c && a.h == b.h && a.w == b.w; }
bool same_format(const CpuTensor& a, const CpuTensor& b) {
  return a.element_bytes == b.element_bytes && a.frac_bits == b.frac_bits;
}

// The operation's parameters and how its output's shape follows from its inputs'.
const char* check_cpu_operation(const StageRecord& s, uint32_t index, Refusal* why) {
  const CpuTensor &in = s.inputs[0], &b = s.inputs[1], &out = s.output;
  const uint32_t idim[3] = {in.c, in.h, in.w}, odim[3] = {out.c, out.h, out.w};
  const char* op = cpu::op_name(s.op);
  const bool moves_data = s.op == cpu::kOpTranspose || s.op == cpu::kOpResizeNearest || s.op == cpu::kOpReduceMax;
  if (moves_data && !same_format(in, out))
    return refuse(why, "stage %u: %s output format (%u-byte, frac %d) differs from its input's (%u-byte, frac %d)",
                  unsigned(index), op, unsigned(out.element_bytes), int(out.frac_bits), unsigned(in.element_bytes),
                  int(in.frac_bits));
  switch (s.op) {
    case cpu::kOpTranspose: {
      const uint32_t* p = s.params;
      if (p[0] > 2 || p[1] > 2 || p[2] > 2 || p[0] == p[1] || p[0] == p[2] || p[1] == p[2])
        return refuse(why, "stage %u: transpose params %u %u %u are not a permutation of 0 1 2", unsigned(index),
                      unsigned(p[0]), unsigned(p[1]), unsigned(p[2]));
      if (odim[0] != idim[p[0]] || odim[1] != idim[p[1]] || odim[2] != idim[p[2]])
        return refuse(why, "stage %u: transpose output %ux%ux%u is not its input %ux%ux%u permuted", unsigned(index),
                      unsigned(out.c), unsigned(out.h), unsigned(out.w), unsigned(in.c), unsigned(in.h), unsigned(in.w));
      return nullptr;
    }
    case cpu::kOpSoftmax:
      if (s.params[0] > 2)
        return refuse(why, "stage %u: softmax axis %u (expected 0..2)", unsigned(index), unsigned(s.params[0]));
      break;
    case cpu::kOpResizeNearest:
      if (out.c != in.c)
        return refuse(why, "stage %u: resize_nearest output channels %u differ from its input's %u", unsigned(index),
                      unsigned(out.c), unsigned(in.c));
      return nullptr;
    case cpu::kOpReduceMean:
    case cpu::kOpReduceMax:
      if (s.params[0] == 0 || s.params[0] > 7)
        return refuse(why, "stage %u: %s axes mask %u (expected 1..7)", unsigned(index), op, unsigned(s.params[0]));
      for (uint32_t a = 0; a < 3; ++a)
        if (odim[a] != ((s.params[0] >> a) & 1 ? 1 : idim[a]))
          return refuse(why, "stage %u: %s output %ux%ux%u does not keep the reduced axes as 1", unsigned(index), op,
                        unsigned(out.c), unsigned(out.h), unsigned(out.w));
      return nullptr;
    case cpu::kOpLayerNorm: {  // CPUC
      float eps;
      memcpy(&eps, &s.params[1], sizeof eps);
      if (s.params[0] > 2)
        return refuse(why, "stage %u: layer_norm axis %u (expected 0..2)", unsigned(index), unsigned(s.params[0]));
      if (!(eps > 0) || eps > 1e30f)
        return refuse(why, "stage %u: layer_norm epsilon bits 0x%08x are not a positive finite float", unsigned(index),
                      unsigned(s.params[1]));
      break;
    }
    case cpu::kOpArithmetic:
      if (s.params[0] > cpu::kDiv)
        return refuse(why, "stage %u: arithmetic op %u unknown", unsigned(index), unsigned(s.params[0]));
      if ((b.c != 1 && b.c != in.c) || (b.h != 1 && b.h != in.h) || (b.w != 1 && b.w != in.w))
        return refuse(why, "stage %u: arithmetic operand %ux%ux%u does not broadcast over %ux%ux%u", unsigned(index),
                      unsigned(b.c), unsigned(b.h), unsigned(b.w), unsigned(in.c), unsigned(in.h), unsigned(in.w));
      break;
    default: break;
  }
  if (!same_shape(in, out))
    return refuse(why, "stage %u: %s output %ux%ux%u differs from its input %ux%ux%u", unsigned(index), op,
                  unsigned(out.c), unsigned(out.h), unsigned(out.w), unsigned(in.c), unsigned(in.h), unsigned(in.w));
  return nullptr;
}

const char* check_cpu_stage(const PackageHeader& h, const StageRecord& s, uint32_t index, Refusal* why) {
  const uint32_t inputs = cpu::input_count(s.op);
  if (inputs == 0) return refuse(why, "stage %u: op %u unknown", unsigned(index), unsigned(s.op));
  if (s.layer >= h.layer_count)
    return refuse(why, "stage %u: layer %u beyond layer_count %u", unsigned(index), unsigned(s.layer),
                  unsigned(h.layer_count));
  static const char* const kInputNames[] = {"inputs[0]", "inputs[1]"};
  for (uint32_t i = 0; i < inputs; ++i)
    if (const char* p = check_cpu_tensor(h, s.inputs[i], index, kInputNames[i], false, why)) return p;
  if (const char* p = check_cpu_tensor(h, s.output, index, "output", true, why)) return p;
  return check_cpu_operation(s, index, why);
}

// Version 7: the input's layout and its tables' place (their entries: validate_input_tables).
const char* check_input_preprocessing(const PackageHeader& h, Refusal* why) {
  if (h.input_layout > kLayoutHwc)
    return refuse(why, "input_layout %u unknown (expected 0 CHW or 1 HWC)", unsigned(h.input_layout));
  const uint32_t channels = h.input_table_channels;
  if (channels == 0) return nullptr;
  if (channels != 1 && (channels != h.input_c || channels > kMaxInputTableChannels))
    return refuse(why, "input_table_channels %u (expected 0, 1 or input_c %u when at most %u)", unsigned(channels),
                  unsigned(h.input_c), unsigned(kMaxInputTableChannels));
  if (h.input_table_offset % 2 != 0)
    return refuse(why, "input_table_offset 0x%llx not 2-byte aligned", ull(h.input_table_offset));
  return check_table(h, "input_table_offset", h.input_table_offset, "input_table_channels", channels,
                     2 * kInputTableEntries, why);
}

}  // namespace

const char* validate_input_tables(const PackageHeader& h, const int16_t* table, Refusal* why) {
  if (h.input_element_bytes != 1) return nullptr;
  for (uint32_t i = 0; i < h.input_table_channels * kInputTableEntries; ++i)
    if (table[i] < -128 || table[i] > 127)
      return refuse(why, "input table %u entry %u is %d, outside the int8 input's -128..127",
                    unsigned(i / kInputTableEntries), unsigned(i % kInputTableEntries), int(table[i]));
  return nullptr;
}

const char* validate_header(const PackageHeader& h, uint64_t available, Refusal* why) {
  if (available < sizeof(PackageHeader))
    return refuse(why, "only %llu bytes, shorter than a package header (%u bytes)", ull(available),
                  unsigned(sizeof(PackageHeader)));
  if (memcmp(h.magic, kMagic, sizeof h.magic) != 0) return refuse(why, "not a dlvp model package (bad magic)");
  if (h.version != kVersion)
    return refuse(why, "unsupported package version %u (expected %u)", unsigned(h.version), unsigned(kVersion));
  if (const char* p = check_size_and_tables(h, available, why)) return p;
  if (const char* p = check_windows(h, why)) return p;
  if (const char* p = check_formats(h, why)) return p;
  if (const char* p = check_origin(h.origin, why)) return p;
  if (const char* p = check_layer_sections(h, why)) return p;
  if (const char* p = check_input_preprocessing(h, why)) return p;
  return check_tensors(h, why);
}

const char* validate_layer(const PackageHeader& h, const LayerRecord& r, uint32_t index, Refusal* why) {
  if (memchr(r.name, 0, sizeof r.name) == nullptr)
    return refuse(why, "layer %u: name without a NUL within its %u bytes", unsigned(index), unsigned(sizeof r.name));
  if (r.kind < kLayerConv || r.kind > kLayerCopy)
    return refuse(why, "layer %u: kind %u unknown", unsigned(index), unsigned(r.kind));
  if (uint64_t{r.first_instruction} + r.instruction_count > h.instruction_count)
    return refuse(why, "layer %u: first_instruction %u + instruction_count %u beyond the package's %u instructions",
                  unsigned(index), unsigned(r.first_instruction), unsigned(r.instruction_count),
                  unsigned(h.instruction_count));
  return nullptr;
}

const char* validate_stage(const PackageHeader& h, const StageRecord& s, uint32_t index, const LayerRecord* layer,
                           Refusal* why) {
  if (s.kind == kStageAccelerator) {
    if (s.instruction_count == 0 || uint64_t{s.first_instruction} + s.instruction_count > h.instruction_count)
      return refuse(why, "stage %u: first_instruction %u + instruction_count %u: none, or beyond the package's %u "
                    "instructions", unsigned(index), unsigned(s.first_instruction), unsigned(s.instruction_count),
                    unsigned(h.instruction_count));
    return nullptr;
  }
  if (s.kind != kStageCpu) return refuse(why, "stage %u: kind %u unknown", unsigned(index), unsigned(s.kind));
  if (const char* p = check_cpu_stage(h, s, index, why)) return p;
  if (layer && layer->kind != kLayerCpu)
    return refuse(why, "stage %u: layer %u is of kind %u, not cpu", unsigned(index), unsigned(s.layer),
                  unsigned(layer->kind));
  return nullptr;
}

const char* validate_layer_prediction(const PackageHeader& h, const LayerPrediction& p, uint32_t index,
                                     uint64_t* time_so_far, Refusal* why) {
  const struct {
    const char* name;
    uint64_t value;
  } fields[] = {{"time_ps", p.time_ps},
                {"engine_busy_ps", p.engine_busy_ps},
                {"memory_stall_ps", p.memory_stall_ps},
                {"store_tail_ps", p.store_tail_ps},
                {"other_ps", p.other_ps}};
  for (const auto& f : fields)
    if (f.value > h.predicted_job_ps)
      return refuse(why, "layer %u: predicted %s %llu beyond predicted_job_ps %llu", unsigned(index), f.name,
                    ull(f.value), ull(h.predicted_job_ps));
  // Each part is at most kMaxPredictedPs (validate_header): the sums cannot overflow.
  const uint64_t parts = p.engine_busy_ps + p.memory_stall_ps + p.store_tail_ps + p.other_ps;
  if (parts != p.time_ps)
    return refuse(why, "layer %u: predicted time_ps %llu differs from the sum of its parts (%llu)", unsigned(index),
                  ull(p.time_ps), ull(parts));
  if (p.time_ps > h.predicted_job_ps - *time_so_far)
    return refuse(why, "layer %u: the predicted layer times up to it exceed predicted_job_ps %llu", unsigned(index),
                  ull(h.predicted_job_ps));
  *time_so_far += p.time_ps;
  if (index + 1 == h.layer_count && *time_so_far != h.predicted_job_ps)
    return refuse(why, "the predicted layer times add up to %llu ps, not predicted_job_ps %llu", ull(*time_so_far),
                  ull(h.predicted_job_ps));
  return nullptr;
}

const char* validate_layer_name(const PackageHeader& h, const LayerNameEntry& e, const char* text, uint32_t index,
                                Refusal* why) {
  const uint64_t entries = uint64_t{sizeof(LayerNameEntry)} * h.layer_count;
  if (e.bytes > kMaxLayerNameBytes || e.offset < entries || !inside(e.offset, e.bytes, 0, h.names_size))
    return refuse(why, "layer %u: name at offset %u, %u bytes, outside the names' bytes [%llu, %llu) or longer than %u",
                  unsigned(index), unsigned(e.offset), unsigned(e.bytes), ull(entries), ull(h.names_size),
                  unsigned(kMaxLayerNameBytes));
  if (text == nullptr) return nullptr;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text);
  const size_t bad = first_non_text_byte(bytes, e.bytes);
  if (bad < e.bytes)
    return refuse(why, "layer %u: name byte %u (0x%02x) is not UTF-8 text (ill-formed or a control character)",
                  unsigned(index), unsigned(bad), unsigned(bytes[bad]));
  return nullptr;
}

}  // namespace dlvp::package
