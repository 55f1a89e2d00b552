// Image classification on the accelerator (docs/software.md, "classify"): runs a model package on
// N images of an IDX data set in DDR, takes the argmax of each output on the CPU and prints the
// accuracy (and the float model's on the same images), the latency per image, the throughput and
// the energy per image by level; the figures also go to report.json (hal::report_result). CNN packages
// (int8 [c][h][w] input) and LSTM packages (int16 input, the image rows as time steps, several
// images per job when the package has several sequences) alike. With a second package (boot
// argument 6) it evaluates both on the same images and compares them (e.g. an LSTM layer sparse
// and dense: same predictions, different latency and energy), each labelled by what it is
// ("sparse" or "dense" LSTM weights; "first" and "second" otherwise).
//
// Boot arguments: 0 package address, 1 images (IDX, uint8 [n][rows][cols]), 2 labels (IDX, uint8
// [n]), 3 images to classify (0: all), 4 the float model's predictions (IDX1 uint8 [n], one class
// per image, from dlvpc --float-predictions; 0: none, no float figure), 5 progress line every N
// images (0: none), 6 a second package to compare (0: none).
// Exit codes: 0 done, 1 the SoC lacks a device, 2 a package is refused, boot arguments 1 and 2 are
// not an IDX image file and its label file in DDR, or boot argument 4 is not a prediction file for
// these images and this model, 3 the model does not fit the data or a job failed.
// The CPU quantizes each pixel to the package's input format with a 256-entry table per channel:
// the package's own (its input scale, mean and std as dlvpc applied them, package version 7), or
// pixel / 255 (tools/train) for a package that records none; multi-channel images must be in the
// package's input layout (NCHW or NHWC IDX items), else the app refuses them (exit 2).
#include "sw/apps/common/image_input.h"
#include "sw/driver/accel_driver.h"
#include "sw/driver/intc_driver.h"
#include "sw/driver/pmu_driver.h"
#include "sw/hal/hal.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

namespace {

using app::Idx;
using app::read_idx;
using ull = unsigned long long;

uint64_t max_of(uint64_t a, uint64_t b) { return a > b ? a : b; }


// Element `index` of a tensor of int8 or int16 values.
int32_t element(const uint8_t* bytes, uint32_t element_bytes, uint64_t index) {
  if (element_bytes == 1) return static_cast<int8_t>(bytes[index]);
  return static_cast<int16_t>(uint16_t(bytes[2 * index]) | uint16_t(bytes[2 * index + 1]) << 8);
}

void put_element(uint8_t* bytes, uint32_t element_bytes, uint64_t index, int32_t v) {
  if (element_bytes == 1) {
    bytes[index] = static_cast<uint8_t>(v);
  } else {
    bytes[2 * index] = static_cast<uint8_t>(v);
    bytes[2 * index + 1] = static_cast<uint8_t>(static_cast<uint32_t>(v) >> 8);
  }
}

uint32_t argmax(const uint8_t* output, uint32_t element_bytes, uint64_t first, uint32_t n) {
  uint32_t best = 0;
  for (uint32_t i = 1; i < n; ++i)
    if (element(output, element_bytes, first + i) > element(output, element_bytes, first + best)) best = i;
  return best;
}

// "<label>12.34 %" for n of `of` (rounded to hundredths of a percent).
void print_percent(const char* label, uint64_t n, uint64_t of) {
  const uint64_t hundredths = of ? (n * 10000 + of / 2) / of : 0;
  hal::console_printf("%s%llu.%02llu %%", label, static_cast<ull>(hundredths / 100), static_cast<ull>(hundredths % 100));
}

// report.json app.results (hal::report_result): "<prefix><name>", the prefix naming the package
// when the app runs two ("sparse.").
struct Results {
  char prefix[24] = "";
  int label_length() const { return prefix[0] ? int(strlen(prefix) - 1) : 0; }  // the prefix without its dot
  void report(const char* name, int64_t mantissa, int32_t exponent, const char* unit) const {
    char full[64];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    hal::report_result(full, mantissa, exponent, unit);
  }
  // n / of as a fraction with nine decimals.
  void fraction(const char* name, uint64_t n, uint64_t of) const {
    report(name, of ? static_cast<int64_t>((n * 1000000000ull + of / 2) / of) : 0, -9, "");
  }
};

constexpr uint32_t kMaxInput = 128 * 1024;  // bytes of one job's input tensor
constexpr uint32_t kMaxOutput = 8192;       // bytes of one job's output tensor
constexpr uint32_t kMaxImages = 200000;     // predictions kept to compare two packages
uint8_t g_input[kMaxInput];
uint8_t g_pixels[kMaxInput];
uint8_t g_output[kMaxOutput];
uint8_t g_predictions[2][kMaxImages];

struct DataSet {
  Idx images, labels, float_classes;  // float_classes.rank 0: no float predictions
  uint64_t count = 0, progress = 0, free = 0;  // free: the first DDR byte after everything loaded
};

struct Evaluation {
  uint64_t correct = 0, job_ticks = 0, jobs = 0, elapsed_ticks = 0, energy_milli = 0;
  uint64_t first_job_ticks = 0, warm_jobs = 0;
  uint64_t float_correct = 0, agree = 0;  // the float model right; the SoC and the float model alike
  int exit_code = 3;                      // 0 when it ran
};

// The package's shape for this data set: elements per image and per job, images per job.
struct Shape {
  uint32_t sequences, input_element_bytes, output_element_bytes, features;
  uint64_t image_elements, output_elements;  // per image
  uint64_t input_bytes() const { return image_elements * sequences * input_element_bytes; }
  uint64_t output_bytes() const { return output_elements * sequences * output_element_bytes; }
  uint64_t rows() const { return image_elements / features; }
  // Element of image s's pixel (row, feature) in a job's input: CNN [c][h][w] (one image), LSTM
  // time-major [rows][sequences][features].
  uint64_t input_index(uint32_t s, uint64_t row, uint32_t feature) const {
    return (row * sequences + s) * features + feature;
  }
};

bool shape_of(const dlvp::package::PackageHeader& h, const DataSet& d, Shape* shape) {
  shape->sequences = h.sequences;
  shape->input_element_bytes = h.input_element_bytes;
  shape->output_element_bytes = h.output_element_bytes;
  shape->features = h.input_w ? h.input_w : 1;
  shape->image_elements = uint64_t{h.input_c} * h.input_h * h.input_w;
  shape->output_elements = uint64_t{h.output_c} * h.output_h * h.output_w;
  if (d.images.item_bytes() != shape->image_elements || shape->input_bytes() > kMaxInput ||
      shape->output_bytes() > kMaxOutput || shape->output_elements == 0) {
    hal::console_printf("classify: images of %llu bytes do not fit the model's input %ux%ux%u\n",
                        static_cast<ull>(d.images.item_bytes()), unsigned(h.input_c), unsigned(h.input_h),
                        unsigned(h.input_w));
    return false;
  }
  if (!app::images_match_input(d.images, h, "classify", "images (boot argument 1)")) return false;
  if (h.input_zero_point != 0 && h.input_table_channels == 0) {
    hal::console_printf("classify: the model takes integer input with zero point %d; this app feeds pixels / 255\n",
                        static_cast<int>(h.input_zero_point));
    return false;
  }
  return true;
}

// Prints what the package is: layers and, for LSTM layers, their stream entries against the
// dense weights.
void describe(const drv::Accelerator& accel, uint64_t package, const char* label) {
  const auto& h = accel.header();
  hal::console_printf("classify: %.*s%smodel at 0x%llx: %u layers, input Q%d (%u-bit), output %u classes Q%d%s\n",
                      int(label[0] ? strlen(label) - 1 : 0), label, label[0] ? " " : "", static_cast<ull>(package),
                      unsigned(h.layer_count), int(h.input_frac_bits),
                      unsigned(8 * h.input_element_bytes), unsigned(h.output_c * h.output_h * h.output_w),
                      int(h.output_frac_bits),
                      h.cpu_postprocess == dlvp::package::kPostSoftmax ? " (softmax on the CPU: argmax of the logits)" : "");
  for (uint32_t i = 0; i < h.layer_count; ++i) {
    const dlvp::package::LayerRecord r = accel.layer(i);
    if (r.kind != dlvp::package::kLayerLstm && r.kind != dlvp::package::kLayerLstmLinear) continue;
    hal::console_printf("classify:   %s on the LSTM engine: %u stream entries, %llu weight bytes\n", r.name,
                        unsigned(r.entries), static_cast<ull>(r.weight_bytes));
  }
  if (h.sequences > 1) hal::console_printf("classify:   %u images per job (sequences in flight)\n", unsigned(h.sequences));
}

// "sparse" or "dense" for a package with LSTM layers (whether its streams hold fewer entries than
// the dense weights), "" otherwise.
const char* kind_of(const drv::Accelerator& accel) {
  const auto& h = accel.header();
  const char* kind = "";
  for (uint32_t i = 0; i < h.layer_count; ++i) {
    const dlvp::package::LayerRecord r = accel.layer(i);
    if (r.kind != dlvp::package::kLayerLstm) continue;
    // macs: the dense weights x steps (in_h) x sequences of a job.
    if (uint64_t{r.entries} * r.in_h * h.sequences < r.macs) return "sparse";
    kind = "dense";
  }
  return kind;
}

// The results as report.json gets them (names under `r`'s prefix).
void report_evaluation(const Results& r, const Evaluation& e, const DataSet& d, uint32_t images_per_job, bool normalized) {
  const uint64_t hz = hal::timer_frequency_hz() ? hal::timer_frequency_hz() : 1;
  const auto ns = [&](uint64_t ticks) { return static_cast<int64_t>(ticks * 1000000000ull / hz); };
  r.report("images", static_cast<int64_t>(d.count), 0, "");
  r.report("correct", static_cast<int64_t>(e.correct), 0, "");
  r.fraction("accuracy", e.correct, d.count);
  if (d.float_classes.rank) {
    r.report("float_correct", static_cast<int64_t>(e.float_correct), 0, "");
    r.fraction("float_accuracy", e.float_correct, d.count);
    r.fraction("agreement", e.agree, d.count);
  }
  r.report("images_per_job", images_per_job, 0, "");
  r.report("latency_ns", e.jobs ? ns(e.job_ticks) / static_cast<int64_t>(e.jobs) : 0, 0, "ns");
  r.report("latency_with_cpu_ns", ns(e.elapsed_ticks) / static_cast<int64_t>(d.count), 0, "ns");
  // inferences per second with three decimals, without overflow: count x hz fits 64 bits.
  const uint64_t per_second = e.elapsed_ticks ? d.count * hz : 0, ticks = e.elapsed_ticks ? e.elapsed_ticks : 1;
  r.report("throughput", static_cast<int64_t>(per_second / ticks * 1000 + per_second % ticks * 1000 / ticks), -3,
           "inferences/s");
  r.report("energy_per_inference", static_cast<int64_t>(e.energy_milli / d.count), -3, normalized ? "MAC" : "pJ");
}

// Classifies the data set's first `count` images with the open package; predictions[i] = class.
Evaluation evaluate(drv::Accelerator& accel, drv::Pmu& pmu, const DataSet& d, uint8_t* predictions, const Results& results) {
  Evaluation e;
  const auto& h = accel.header();
  Shape shape;
  if (!shape_of(h, d, &shape)) return e;
  // Job tensors go after everything the scenario placed in DDR.
  drv::JobTensors t;
  if (const char* problem = accel.place_job_tensors(d.free, false, &t)) {
    hal::console_printf("classify: %s\n", problem);
    return e;
  }
  app::InputQuantizer quantizer;  // the package's preprocessing (or pixel / 255), exactly as dlvpc applied it
  quantizer.init(accel, shape.input_element_bytes == 1 ? 127 : 32767);
  const uint32_t classes = static_cast<uint32_t>(shape.output_elements);

  const drv::PmuSnapshot before = pmu.snapshot();
  const uint64_t start = hal::timer_ticks();
  for (uint64_t first = 0; first < d.count; first += shape.sequences) {
    const uint32_t in_job = static_cast<uint32_t>(d.count - first < shape.sequences ? d.count - first : shape.sequences);
    for (uint64_t b = 0; b < shape.input_bytes(); ++b) g_input[b] = 0;
    for (uint32_t s = 0; s < in_job; ++s) {
      hal::copy_from_soc(g_pixels, d.images.data + (first + s) * shape.image_elements, shape.image_elements);
      for (uint64_t row = 0; row < shape.rows(); ++row)
        for (uint32_t f = 0; f < shape.features; ++f)
          put_element(g_input, shape.input_element_bytes, shape.input_index(s, row, f),
                      quantizer.element(g_pixels, row * shape.features + f));
    }
    hal::copy_to_soc(t.input, g_input, shape.input_bytes());
    const drv::JobResult r = accel.run(t.input, t.output, t.scratch);
    if (!r.ok()) {
      hal::console_printf("classify: image %llu: job stopped with error %u at instruction %u\n", static_cast<ull>(first),
                          unsigned(r.error), unsigned(r.error_index));
      return e;
    }
    e.job_ticks += r.ticks;
    if (e.jobs++ == 0) e.first_job_ticks = r.ticks;
    e.warm_jobs += r.warm;
    hal::copy_from_soc(g_output, t.output + h.output_offset, shape.output_bytes());
    for (uint32_t s = 0; s < in_job; ++s) {
      uint8_t label;
      hal::copy_from_soc(&label, d.labels.data + first + s, 1);
      const uint32_t predicted = argmax(g_output, shape.output_element_bytes, uint64_t{s} * classes, classes);
      if (first + s < kMaxImages) predictions[first + s] = static_cast<uint8_t>(predicted);
      e.correct += predicted == label;
      if (d.float_classes.rank) {
        uint8_t float_class;
        hal::copy_from_soc(&float_class, d.float_classes.data + first + s, 1);
        if (float_class >= classes) {
          hal::console_printf("classify: float predictions (boot argument 4): image %llu has class %u, the model has %u "
                              "classes: not this model's prediction file\n",
                              static_cast<ull>(first + s), unsigned(float_class), unsigned(classes));
          e.exit_code = 2;
          return e;
        }
        e.float_correct += float_class == label;
        e.agree += float_class == predicted;
      }
      if (d.progress && (first + s + 1) % d.progress == 0)
        hal::console_printf("classify: %llu images, %llu correct\n", static_cast<ull>(first + s + 1),
                            static_cast<ull>(e.correct));
    }
  }
  e.elapsed_ticks = hal::timer_ticks() - start;
  const drv::PmuSnapshot after = pmu.snapshot();
  e.energy_milli = after.total_energy_milli() - before.total_energy_milli();

  const uint64_t hz = hal::timer_frequency_hz() ? hal::timer_frequency_hz() : 1;
  const auto ns = [&](uint64_t ticks) { return static_cast<ull>(ticks * 1000000000ull / hz); };
  hal::console_printf("classify: %.*s%s", results.label_length(), results.prefix, results.prefix[0] ? ": " : "");
  print_percent("accuracy ", e.correct, d.count);
  hal::console_printf(" (%llu of %llu)", static_cast<ull>(e.correct), static_cast<ull>(d.count));
  if (d.float_classes.rank) {
    // A model dlvpc pruned (--density) is not the float model of the predictions file: say which it is.
    print_percent(dlvp::package::pruned_by_compiler(h.origin) ? ", float model before dlvpc's pruning " : ", float model ",
                  e.float_correct, d.count);
    hal::console_printf(" on the same %llu images", static_cast<ull>(d.count));
    print_percent(", agreement ", e.agree, d.count);
  }
  hal::console_write("\n");
  hal::console_printf("classify: latency per image %llu ns (accelerator job of %u image%s: %llu ns), %llu ns with the "
                      "CPU's pre/post-processing\n",
                      ns(e.job_ticks) / d.count, unsigned(shape.sequences), shape.sequences > 1 ? "s" : "",
                      ns(e.job_ticks) / e.jobs, ns(e.elapsed_ticks) / d.count);
  if (e.warm_jobs)
    hal::console_printf("classify: the first job loaded the weights (%llu ns); %llu later jobs found them in the engine "
                        "(%llu ns each on average)\n",
                        ns(e.first_job_ticks), static_cast<ull>(e.warm_jobs),
                        ns(e.job_ticks - e.first_job_ticks) / (e.jobs > 1 ? e.jobs - 1 : 1));
  hal::console_printf("classify: throughput %llu images/s (simulated time)\n",
                      static_cast<ull>(e.elapsed_ticks ? d.count * hz / e.elapsed_ticks : 0));
  hal::console_write("classify: accelerator time, read from the PMU (completed jobs; the layer tables' split):\n");
  drv::Pmu::print_accelerator_time(before, after);
  hal::console_write("classify: energy per image, read from the PMU (level, energy, share, static, dynamic, events):\n");
  drv::Pmu::print_energy(before, after, d.count);
  report_evaluation(results, e, d, shape.sequences, after.normalized);
  e.exit_code = 0;
  return e;
}

// Prints "<label> a/b" with two decimals and an x (b = 0: "-").
void print_ratio(const char* label, uint64_t a, uint64_t b) {
  if (b == 0) {
    hal::console_printf("%s -", label);
    return;
  }
  const uint64_t hundredths = (a * 100 + b / 2) / b;
  hal::console_printf("%s %llu.%02llux", label, static_cast<ull>(hundredths / 100), static_cast<ull>(hundredths % 100));
}

// Opens the package at `address` and evaluates it; 0 when it ran, else the app's exit code.
int run_model(drv::Accelerator& accel, drv::Pmu& pmu, uint64_t address, const DataSet& d, uint8_t* predictions,
              const Results& results, Evaluation* result) {
  if (const char* problem = accel.open_package(address)) {
    hal::console_printf("classify: package at 0x%llx refused: %s\n", static_cast<ull>(address), problem);
    return 2;
  }
  describe(accel, address, results.prefix);
  *result = evaluate(accel, pmu, d, predictions, results);
  return result->exit_code;
}

// The results' prefix of each package when there are two: "sparse." and "dense." when they differ
// so, else "first." and "second.".
void label_packages(drv::Accelerator& accel, uint64_t package, uint64_t second, Results* a, Results* b) {
  if (!second) return;
  const char* first_kind = accel.open_package(package) ? "" : kind_of(accel);
  const char* second_kind = accel.open_package(second) ? "" : kind_of(accel);
  const bool distinct = first_kind[0] && second_kind[0] && strcmp(first_kind, second_kind) != 0;
  snprintf(a->prefix, sizeof a->prefix, "%s.", distinct ? first_kind : "first");
  snprintf(b->prefix, sizeof b->prefix, "%s.", distinct ? second_kind : "second");
}

// Boot argument 4: the float model's class per image, an IDX1 file with an entry for every image.
bool read_float_classes(uint64_t address, const drv::Accelerator& accel, DataSet* d) {
  if (!address) return true;
  Idx idx;
  if (!read_idx(address, accel, &idx) || idx.rank != 1 || idx.dims[0] != d->images.dims[0]) {
    hal::console_printf("classify: boot argument 4 must point at the float model's predictions for the %u images (IDX1 "
                        "ubyte, one class per image: dlvpc --float-predictions)%s\n",
                        unsigned(d->images.dims[0]), idx.rank ? "; it holds another shape" : "");
    return false;
  }
  d->float_classes = idx;
  return true;
}

// The two packages' predictions and their job time and energy ratios, second / first (console and
// report.json: "<second>_over_<first>.latency_ratio", ".energy_ratio", ".differing_predictions").
void compare(const Evaluation& first, const Evaluation& other, const DataSet& d, const char* a, const char* b) {
  uint64_t differ = 0;
  const uint64_t kept = d.count < kMaxImages ? d.count : kMaxImages;
  for (uint64_t i = 0; i < kept; ++i) differ += g_predictions[0][i] != g_predictions[1][i];
  const int an = int(strlen(a) - 1), bn = int(strlen(b) - 1);  // the labels without their dots
  hal::console_printf("classify: %.*s vs %.*s: %llu of %llu predictions differ\n", bn, b, an, a, static_cast<ull>(differ),
                      static_cast<ull>(kept));
  char line[64];
  snprintf(line, sizeof line, "classify: %.*s / %.*s: job time", bn, b, an, a);
  print_ratio(line, other.job_ticks, first.job_ticks);
  print_ratio(", energy", other.energy_milli, first.energy_milli);
  hal::console_write("\n");
  Results r;
  snprintf(r.prefix, sizeof r.prefix, "%.*s_over_%.*s.", bn, b, an, a);
  r.report("differing_predictions", static_cast<int64_t>(differ), 0, "");
  const auto ratio = [](uint64_t x, uint64_t y) {  // x / y with six decimals; both scaled below 2^44 first
    while (x >> 44 || y >> 44) x >>= 1, y >>= 1;
    return static_cast<int64_t>(y ? (x * 1000000 + y / 2) / y : 0);
  };
  r.report("latency_ratio", ratio(other.job_ticks, first.job_ticks), -6, "");
  r.report("energy_ratio", ratio(other.energy_milli, first.energy_milli), -6, "");
}

uint64_t end_of_package(drv::Accelerator& accel, uint64_t address) {
  return accel.open_package(address) ? address : address + accel.header().total_bytes;
}

}  // namespace

int app_main() {
  drv::Intc intc;
  drv::Accelerator accel;
  drv::Pmu pmu;
  const uint64_t package = hal::boot_arg(0), second = hal::boot_arg(6);
  if (const int code = drv::start_accelerator_app("classify", intc, accel, pmu, package)) return code;
  DataSet d;
  if (!read_idx(hal::boot_arg(1), accel, &d.images) || !read_idx(hal::boot_arg(2), accel, &d.labels) ||
      d.labels.rank != 1 || d.labels.dims[0] < d.images.dims[0]) {
    hal::console_write("classify: boot arguments 1 and 2 must point at an IDX image file and its label file in DDR\n");
    return 2;
  }
  if (!read_float_classes(hal::boot_arg(4), accel, &d)) return 2;
  d.count = hal::boot_arg(3);
  if (d.count == 0 || d.count > d.images.dims[0]) d.count = d.images.dims[0];
  d.progress = hal::boot_arg(5);
  d.free = max_of(max_of(max_of(end_of_package(accel, package), second ? end_of_package(accel, second) : 0),
                         max_of(d.images.end(), d.labels.end())),
                  d.float_classes.rank ? d.float_classes.end() : 0);
  hal::console_printf("classify: %llu images %ux%u\n", static_cast<ull>(d.count), unsigned(d.images.dims[1]),
                      unsigned(d.images.rank > 2 ? d.images.dims[2] : 1));

  Evaluation first, other;
  Results first_results, second_results;
  label_packages(accel, package, second, &first_results, &second_results);
  if (const int code = run_model(accel, pmu, package, d, g_predictions[0], first_results, &first)) return code;
  if (!second) return 0;
  if (const int code = run_model(accel, pmu, second, d, g_predictions[1], second_results, &other)) return code;
  compare(first, other, d, first_results.prefix, second_results.prefix);
  return 0;
}
